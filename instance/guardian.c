/*
 * guardian.c - what `racctl start` becomes once it has daemonised: the
 * parent of the instance's NM group, and its guard.
 *
 * Start:   create the SGA (removing one left by a dead instance), check the
 *          shared disk, log the parameters in force, then start the members
 *          in procs[] order, each waited for until it registers in the NM
 *          group table (LMON first: it obtains the member id).  MOUNTED once
 *          all are in, OPEN right after; racctl is told through a pipe.
 *
 * Guard:   one loop on a signalfd with a short tick.
 *          - SIGCHLD for a member  -> the instance must not go on with a dead
 *            member: kill the rest at once, say why, remove the SGA, exit.
 *          - a member's NM slot older than member_hang_timeout_ms -> the same.
 *          - SIGTERM -> clean stop: members asked to exit in reverse start
 *            order, each bounded by stop_timeout_ms.
 *          The members have PR_SET_PDEATHSIG: if the guardian dies, so do they.
 *
 *   racctl start          guardian                member
 *   fork, setsid, fork -> guardian_run()
 *                          sga_create, ctl_check
 *                          fork+exec rac_lmon  ->  attach SGA, bind, register
 *                          wait NM_REGISTERED  <-  slot state, heartbeat
 *                          ... LMS, CKPT, SMON
 *   read pipe          <-  "OK <pid>"
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "disk.h"
#include "errors.h"
#include "guardian.h"
#include "lab.h"
#include "log.h"
#include "procs.h"
#include "sga.h"
#include "timeouts.h"

#define COMP "GUARD"

struct guardian {
	const struct rac_config *g_cfg;		/* the copy in the SGA */
	const struct rac_inst_cfg *g_ic;
	int g_inst;
	struct sga g_sga;
	int g_sigfd;
	int g_notify_fd;
	pid_t g_pid[RAC_NROLES];		/* 0 once reaped */
	char g_exe_dir[PATH_MAX];
	int g_stopping;
};

static void set_state(struct guardian *g, enum inst_state st, const char *why)
{
	struct sga_header *h = sga_hdr(&g->g_sga);
	uint32_t old = sga_load(&h->sh_state);

	if (old == (uint32_t)st)
		return;
	if (why)
		rac_strlcpy(h->sh_reason, why, sizeof(h->sh_reason));
	if (st == INST_OPEN)
		h->sh_open_us = rac_now_us();
	sga_store(&h->sh_state, (uint32_t)st);
	sga_count(&g->g_sga, CNT_STATE_CHANGES, 1);
	log_change_state(COMP, sga_state_str(old), sga_state_str(st), why);
}

static void notify(struct guardian *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One line to the waiting `racctl start`, then the pipe is closed. */
static void notify(struct guardian *g, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	if (g->g_notify_fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(g->g_notify_fd, line, (size_t)n) < 0)
		log_warn(COMP, "cannot tell racctl: %s", strerror(errno));
	close(g->g_notify_fd);
	g->g_notify_fd = -1;
}

static int role_of_pid(const struct guardian *g, pid_t pid)
{
	for (int r = 0; r < RAC_NROLES; r++)
		if (g->g_pid[r] == pid)
			return r;
	return -1;
}

static pid_t spawn(struct guardian *g, enum rac_role role)
{
	const struct rac_proc *p = proc_by_role(role);
	char exe[PATH_MAX + 32], title[64], inst[16], gpid[16];
	pid_t pid;

	snprintf(exe, sizeof(exe), "%s/%s", g->g_exe_dir, p->pr_exe);
	proc_title(role, g->g_ic->ic_name, title, sizeof(title));
	snprintf(inst, sizeof(inst), "%d", g->g_inst);
	snprintf(gpid, sizeof(gpid), "%d", (int)getpid());

	/* before fork: a quick child may register before the parent runs again */
	sga_nm(&g->g_sga, role)->nm_error[0] = '\0';
	sga_store(&sga_nm(&g->g_sga, role)->nm_state, (uint32_t)NM_STARTING);
	pid = fork();
	if (pid == 0) {
		char *argv[] = { title, "--sga", g->g_sga.sg_name, "--inst", inst,
				 "--guardian", gpid, NULL };
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv(exe, argv);
		_exit(127);
	}
	if (pid > 0) {
		struct sga_nm_slot *slot = sga_nm(&g->g_sga, role);

		g->g_pid[role] = pid;
		sga_store(&slot->nm_pid, (int32_t)pid);
		log_info(COMP, "started %s (ospid %d)", title, (int)pid);
	}
	return pid;
}

/* Reap whatever has exited; returns the role of a member that died, or -1. */
static int reap(struct guardian *g, int *status_out)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		int r = role_of_pid(g, pid);

		if (r < 0)
			continue;
		g->g_pid[r] = 0;
		sga_store(&sga_nm(&g->g_sga, r)->nm_state, (uint32_t)NM_DEAD);
		if (status_out)
			*status_out = status;
		return r;
	}
	return -1;
}

static void describe_exit(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else
		snprintf(buf, len, "status 0x%x", status);
}

/* Kill every member still alive and wait for each (SIGKILL cannot be held off). */
static void kill_group(struct guardian *g)
{
	for (int r = 0; r < RAC_NROLES; r++)
		if (g->g_pid[r] > 0)
			kill(g->g_pid[r], SIGKILL);
	for (int r = 0; r < RAC_NROLES; r++) {
		if (g->g_pid[r] <= 0)
			continue;
		while (waitpid(g->g_pid[r], NULL, 0) < 0 && errno == EINTR)
			;
		sga_store(&sga_nm(&g->g_sga, r)->nm_state, (uint32_t)NM_DEAD);
		g->g_pid[r] = 0;
	}
}

static void remove_sga(struct guardian *g)
{
	sga_unlink(&g->g_sga);
}

/*
 * A member is gone or hung: nothing of this instance may keep running.
 * Kill the group first, then explain; the explanation must not delay it.
 */
static void terminate(struct guardian *g, const char *why)
{
	uint64_t t0 = rac_now_mono_ns();

	int confirmed;

	set_state(g, INST_TERMINATING, why);
	kill_group(g);
	/* logged before the confirmation: from here on no member can write */
	log_alert("%s\nInstance terminated by guardian (pid %d) in %.1f ms: all members "
		  "stopped", why, (int)getpid(), (double)(rac_now_mono_ns() - t0) / 1e6);
	/*
	 * Nothing of ours runs any more: say so where the survivors look -- unless
	 * our lease lapsed, after which this instance writes nothing at all.
	 */
	confirmed = sga_may_write_disk(&g->g_sga) ?
		vote_mark_instance(g->g_cfg, g->g_inst, HB_STATE_DEAD,
				   sga_hdr(&g->g_sga)->sh_startup_us) : 0;
	log_alert("Death confirmed on %d of %d voting disks; SGA %s removed", confirmed,
		  g->g_cfg->cf_nvoting, g->g_sga.sg_name);
	/* the segment goes first: racctl returns as soon as it is told */
	remove_sga(g);
	notify(g, "ERR %s", why);
}

static int wait_registered(struct guardian *g, enum rac_role role, char *why, size_t len)
{
	const struct rac_proc *p = proc_by_role(role);
	struct sga_nm_slot *slot = sga_nm(&g->g_sga, role);
	uint64_t deadline = rac_now_mono_ns() + (uint64_t)g->g_cfg->cf_start_timeout_ms * 1000000ull;

	for (;;) {
		uint32_t st = sga_load(&slot->nm_state);
		int status = 0, dead;
		char how[96];

		if (st == NM_REGISTERED)
			return 0;
		if (st == NM_FAILED) {
			snprintf(why, len, "%s failed to start: %.*s", p->pr_name,
				 (int)sizeof(slot->nm_error), slot->nm_error);
			return RAC_EIO;
		}
		dead = reap(g, &status);
		if (dead >= 0) {
			/* the dead member's slot may say why, if it got that far */
			struct sga_nm_slot *dslot = sga_nm(&g->g_sga, dead);

			if (dslot->nm_error[0])
				snprintf(why, len, "%s failed to start: %.*s",
					 proc_by_role(dead)->pr_name,
					 (int)sizeof(dslot->nm_error), dslot->nm_error);
			else {
				describe_exit(status, how, sizeof(how));
				snprintf(why, len, "%s (ospid %d) %s while the instance was "
					 "starting%s", proc_by_role(dead)->pr_name,
					 (int)sga_load(&sga_nm(&g->g_sga, dead)->nm_pid), how,
					 WIFEXITED(status) && WEXITSTATUS(status) == 127 ?
					 " (executable not found)" : "");
			}
			return RAC_EIO;
		}
		if (rac_now_mono_ns() > deadline) {
			snprintf(why, len, "%s did not register in the NM group within %d ms "
				 "(start_timeout_ms)", p->pr_name, g->g_cfg->cf_start_timeout_ms);
			return RAC_ETIMEDOUT;
		}
		rac_sleep_ms(2);
	}
}

/* OPEN only once LMON has formed or joined the cluster (or a member died). */
static int wait_joined(struct guardian *g, char *why, size_t len)
{
	struct sga_cluster *cl = sga_cluster(&g->g_sga);
	uint64_t deadline = rac_now_mono_ns() + (uint64_t)g->g_cfg->cf_start_timeout_ms * 1000000ull;

	while (!sga_load(&cl->cl_joined)) {
		int status = 0, dead = reap(g, &status);

		if (dead >= 0) {
			char how[96];

			describe_exit(status, how, sizeof(how));
			snprintf(why, len, "%s (ospid: %d) %s before the instance joined the "
				 "cluster", proc_by_role(dead)->pr_name,
				 (int)sga_load(&sga_nm(&g->g_sga, dead)->nm_pid), how);
			return RAC_EIO;
		}
		if (rac_now_mono_ns() > deadline) {
			snprintf(why, len, "LMON did not join the cluster within %d ms "
				 "(start_timeout_ms)", g->g_cfg->cf_start_timeout_ms);
			return RAC_ETIMEDOUT;
		}
		rac_sleep_ms(2);
	}
	return 0;
}

struct alert_buf {
	char *ab_buf;
	size_t ab_len, ab_used;
};

static void add_param(const struct cfg_param *p, void *arg)
{
	struct alert_buf *ab = arg;
	int n;

	if (ab->ab_used >= ab->ab_len)
		return;
	n = snprintf(ab->ab_buf + ab->ab_used, ab->ab_len - ab->ab_used, "  [%s] %-28s = %s%s\n",
		     p->p_section, p->p_name, p->p_value,
		     strcmp(p->p_source, "default") ? "" : "  (default)");
	if (n > 0)
		ab->ab_used += (size_t)n;
}

static void log_start(struct guardian *g, pid_t stale)
{
	char params[8192];
	struct alert_buf ab = { params, sizeof(params), 0 };

	params[0] = '\0';
	log_alert("Starting instance %s (instance number %d) of cluster %s\n"
		  "Guardian pid %d, SGA %s (%zu bytes), configuration %s",
		  g->g_ic->ic_name, g->g_inst, g->g_cfg->cf_name, (int)getpid(),
		  g->g_sga.sg_name, g->g_sga.sg_size,
		  g->g_cfg->cf_path[0] ? g->g_cfg->cf_path : "(built-in default cluster)");
	if (stale)
		log_alert("Removed stale SGA %s left by a dead instance (guardian pid %d)",
			  g->g_sga.sg_name, (int)stale);
	config_foreach_param(g->g_cfg, g->g_inst, add_param, &ab);
	log_alert("System parameters in force:\n%s", params);
}

/*
 * LMON first: it is the primary member and obtains the member id.  The
 * slaves only need that id, so they start together once LMON is in.
 */
static int start_members(struct guardian *g, char *why, size_t len)
{
	for (int r = 0; r < RAC_NROLES; r++) {
		if (spawn(g, r) < 0) {
			snprintf(why, len, "cannot fork %s: %s", proc_by_role(r)->pr_name,
				 strerror(errno));
			return RAC_ESYS;
		}
		if (r == RAC_ROLE_LMON) {
			int rc = wait_registered(g, r, why, len);

			if (rc)
				return rc;
		}
	}
	for (int r = RAC_ROLE_LMON + 1; r < RAC_NROLES; r++) {
		int rc = wait_registered(g, r, why, len);

		if (rc)
			return rc;
	}
	return 0;
}

/* Clean stop: members leave in reverse start order. */
static void stop_members(struct guardian *g)
{
	for (int r = RAC_NROLES - 1; r >= 0; r--) {
		const struct rac_proc *p = proc_by_role(r);
		pid_t pid = g->g_pid[r];
		uint64_t deadline;
		int exited = 0;

		if (pid <= 0)
			continue;
		log_alert("Stopping background process %s (ospid: %d)", p->pr_name, (int)pid);
		sga_store(&sga_nm(&g->g_sga, r)->nm_state, (uint32_t)NM_STOPPING);
		kill(pid, SIGTERM);
		deadline = rac_now_mono_ns() + (uint64_t)g->g_cfg->cf_stop_timeout_ms * 1000000ull;
		while (rac_now_mono_ns() < deadline) {
			pid_t w = waitpid(pid, NULL, WNOHANG);

			if (w == pid || (w < 0 && errno == ECHILD)) {
				exited = 1;
				break;
			}
			rac_sleep_ms(2);
		}
		if (!exited) {
			log_alert("%s (ospid: %d) did not exit within %d ms (stop_timeout_ms); "
				  "killing it", p->pr_name, (int)pid, g->g_cfg->cf_stop_timeout_ms);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		g->g_pid[r] = 0;
		sga_store(&sga_nm(&g->g_sga, r)->nm_state, (uint32_t)NM_DEAD);
	}
}

/* A member whose NM slot has not moved for member_hang_timeout_ms is hung. */
static int check_hangs(struct guardian *g, char *why, size_t len)
{
	uint64_t now = rac_now_mono_ns();
	uint64_t limit = (uint64_t)g->g_cfg->cf_member_hang_timeout_ms * 1000000ull;

	for (int r = 0; r < RAC_NROLES; r++) {
		struct sga_nm_slot *slot = sga_nm(&g->g_sga, r);
		uint64_t hb = sga_load(&slot->nm_hb_mono_ns);

		if (g->g_pid[r] <= 0 || sga_load(&slot->nm_state) != NM_REGISTERED)
			continue;
		if (hb && now > hb && now - hb > limit) {
			sga_count(&g->g_sga, CNT_MEMBER_HANGS, 1);
			snprintf(why, len, "%s (ospid: %d) has not updated its NM slot for %llu ms "
				 "(member_hang_timeout_ms = %d): process hung; terminating the "
				 "instance", proc_by_role(r)->pr_name, (int)g->g_pid[r],
				 (unsigned long long)((now - hb) / 1000000),
				 g->g_cfg->cf_member_hang_timeout_ms);
			return 1;
		}
	}
	return 0;
}

static int guard_loop(struct guardian *g)
{
	char why[512];

	for (;;) {
		struct pollfd pfd = { .fd = g->g_sigfd, .events = POLLIN };
		struct signalfd_siginfo si;
		int dead, status = 0;

		if (poll(&pfd, 1, GUARD_TICK_MS) < 0 && errno != EINTR)
			log_warn(COMP, "poll: %s", strerror(errno));
		while (read(g->g_sigfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
				log_info(COMP, "signal %d from pid %d: clean stop", (int)si.ssi_signo,
					 (int)si.ssi_pid);
				g->g_stopping = 1;
			}
		}
		dead = reap(g, &status);
		if (dead >= 0) {
			const struct rac_proc *p = proc_by_role(dead);
			char how[96];

			describe_exit(status, how, sizeof(how));
			sga_count(&g->g_sga, CNT_MEMBER_DEATHS, 1);
			log_error(COMP, "%s (ospid %d) %s", p->pr_name,
				  (int)sga_nm(&g->g_sga, dead)->nm_pid, how);
			snprintf(why, sizeof(why), "%s (ospid: %d) terminated unexpectedly (%s); "
				 "terminating the instance", p->pr_name,
				 (int)sga_nm(&g->g_sga, dead)->nm_pid, how);
			terminate(g, why);
			return 1;
		}
		if (g->g_stopping)
			return 0;
		if (check_hangs(g, why, sizeof(why))) {
			terminate(g, why);
			return 1;
		}
	}
}

int guardian_run(const struct rac_config *cfg, int inst, int notify_fd)
{
	struct guardian gd = { .g_inst = inst, .g_sigfd = -1, .g_notify_fd = notify_fd };
	struct guardian *g = &gd;
	const struct rac_inst_cfg *ic = config_inst(cfg, inst);
	char why[512], title[64];
	sigset_t mask;
	pid_t stale = 0;
	int rc;

	snprintf(title, sizeof(title), "rac_guard_%s", ic->ic_name);
	prctl(PR_SET_NAME, title);
	if (log_open(ic->ic_local_dir, ic->ic_name, "guard")) {
		notify(g, "ERR cannot open the alert log under %s: %s", ic->ic_local_dir,
		       strerror(errno));
		return 1;
	}

	/* lab mode: a host of our own -- its network, and mounts of our own */
	if (ic->ic_netns[0]) {
		if (lab_enter_netns(ic->ic_netns) || lab_private_mounts()) {
			notify(g, "ERR cannot enter network namespace %s or make a mount namespace: "
			       "%s (is the lab up? 'racctl up --lab')", ic->ic_netns,
			       strerror(errno));
			return 1;
		}
		log_info(COMP, "running in network namespace %s with a private mount namespace",
			 ic->ic_netns);
	}

	/* SIGCHLD/SIGTERM as events; blocked before any child exists */
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	g->g_sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

	rc = proc_exe_dir(g->g_exe_dir, sizeof(g->g_exe_dir));
	if (rc) {
		notify(g, "ERR cannot find the member executables (rac_lmon, rac_lms, rac_ckpt, "
		       "rac_smon) next to racctl; set RACRT_LIBEXEC");
		return 1;
	}
	rc = sga_create(cfg, inst, &g->g_sga, &stale);
	if (rc) {
		notify(g, "ERR cannot create the SGA: %s%s", rac_strerror(rc),
		       rc == RAC_ESYS ? strerror(errno) : "");
		return 1;
	}
	proc_name_nm_slots(&g->g_sga);
	g->g_cfg = sga_config(&g->g_sga);
	g->g_ic = config_inst(g->g_cfg, inst);
	if (g->g_cfg->cf_lab)
		lab_clock_offset_load(g->g_ic, &sga_hdr(&g->g_sga)->sh_clock_offset_us);
	rac_clock_offset_from(&sga_hdr(&g->g_sga)->sh_clock_offset_us);
	log_start(g, stale);

	rc = ctl_check(g->g_cfg, why, sizeof(why));
	if (rc) {
		log_alert("Instance %s cannot start: %s", ic->ic_name, why);
		remove_sga(g);
		notify(g, "ERR %s", why);
		return 1;
	}

	rc = start_members(g, why, sizeof(why));
	if (rc) {
		char msg[640];

		snprintf(msg, sizeof(msg), "Instance %s failed to start: %s", ic->ic_name, why);
		set_state(g, INST_TERMINATING, why);
		kill_group(g);
		log_alert("%s", msg);
		remove_sga(g);
		notify(g, "ERR %s", why);
		return 1;
	}
	set_state(g, INST_MOUNTED, "every member registered in the NM group");
	log_alert("Instance %s mounted: NM group of %d members complete (member id %d)",
		  ic->ic_name, RAC_NROLES, sga_hdr(&g->g_sga)->sh_member_id);
	rc = wait_joined(g, why, sizeof(why));
	if (rc) {
		char msg[640];

		snprintf(msg, sizeof(msg), "Instance %s failed to start: %s", ic->ic_name, why);
		terminate(g, msg);
		return 1;
	}
	set_state(g, INST_OPEN, "ready");
	log_alert("Instance %s (instance number %d) is OPEN", ic->ic_name, inst);
	notify(g, "OK %d", (int)getpid());

	rc = guard_loop(g);
	if (rc == 0) {
		set_state(g, INST_SHUTDOWN, "operator asked for a clean stop");
		log_alert("Shutting down instance %s (normal)", ic->ic_name);
		stop_members(g);
		log_alert("All members of instance %s stopped", ic->ic_name);
		if (sga_may_write_disk(&g->g_sga))
			vote_mark_instance(g->g_cfg, inst, HB_STATE_DOWN,
					   sga_hdr(&g->g_sga)->sh_startup_us);
		log_alert("Instance %s shutdown complete", ic->ic_name);
		remove_sga(g);
	}
	sga_detach(&g->g_sga);
	log_close();
	return rc;
}

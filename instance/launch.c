/*
 * launch.c - starting and stopping one instance from racctl: fork the
 * guardian (guardian.c) and wait for its "OK <pid>" or "ERR <why>" on a
 * pipe; a clean stop (SIGTERM to the guardian) or an abort (SIGKILL to the
 * guardian and every member, as after a crash); and a look at a running
 * instance through its SGA.
 *
 *   racctl start -i N -> launch_start: fork --> setsid, fork --> guardian_run
 *                                      <------ "OK <pid>" / "ERR <why>" (pipe)
 *
 * Each call leaves one line in `msg`: what happened, for racctl to print on
 * stdout (0) or stderr (1).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "disk.h"
#include "errors.h"
#include "guardian.h"
#include "launch.h"
#include "log.h"
#include "procs.h"
#include "timeouts.h"

static int say(char *msg, size_t len, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int say(char *msg, size_t len, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- looking at a running instance ------------------------------------------ */

int launch_attach(const struct rac_config *cfg, int inst, struct sga *s)
{
	char name[96];
	int rc;

	config_sga_name(cfg, inst, name, sizeof(name));
	rc = sga_attach(name, 0, s);
	if (rc)
		return rc;
	rc = sga_validate(s);
	if (rc == 0 && !sga_owner_alive(s))
		rc = RAC_ESGA_CORRUPT;
	if (rc)
		sga_detach(s);
	return rc;
}

static bool pid_alive(pid_t pid, uint64_t start)
{
	uint64_t now = rac_proc_starttime(pid);

	return now && (!start || now == start);
}

/* append one entry to an instance's alert log from racctl */
void launch_alert_note(const struct rac_inst_cfg *ic, const char *fmt, ...)
{
	va_list ap;

	if (log_open(ic->ic_local_dir, ic->ic_name, NULL))
		return;
	va_start(ap, fmt);
	log_valert(fmt, ap);
	va_end(ap);
	log_close();
}

/* ---- start ----------------------------------------------------------------- */

static void become_guardian(const struct rac_config *cfg, int inst, int wr)
{
	int devnull;

	setsid();
	if (fork() != 0)
		_exit(0);	/* the guardian is re-parented, no terminal */
	umask(077);
	if (chdir("/"))
		_exit(1);
	devnull = open("/dev/null", O_RDWR);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
		if (devnull > 2)
			close(devnull);
	}
	_exit(guardian_run(cfg, inst, wr));
}

int launch_start(const struct rac_config *cfg, int inst, char *msg, size_t len)
{
	const struct rac_inst_cfg *ic = config_inst(cfg, inst);
	char err[512], line[600], dir[PATH_MAX], alert[RAC_PATH_MAX + 64];
	struct sga s;
	struct rac_timeouts to;
	uint64_t t0 = rac_now_mono_ns();
	int fds[2], rc, timeout_ms;
	size_t got = 0;
	pid_t pid;

	if (launch_attach(cfg, inst, &s) == 0) {
		pid_t g = sga_hdr(&s)->sh_guardian_pid;

		sga_detach(&s);
		return say(msg, len, 1, "instance %d (%s) is already running (guardian pid %d)", inst,
			    ic->ic_name, (int)g);
	}
	if (!config_inst_is_local(ic))
		return say(msg, len, 1, "instance %d (%s) is configured for host '%s', not this one", inst,
			    ic->ic_name, ic->ic_host);
	rc = ctl_check(cfg, err, sizeof(err));
	if (rc)
		return say(msg, len, 1, "cannot start instance %d (%s): %s", inst, ic->ic_name, err);
	if (proc_exe_dir(dir, sizeof(dir)))
		return say(msg, len, 1, "cannot find the member executables (rac_lmon, rac_lms, rac_ckpt, "
			    "rac_smon) next to racctl; set RACRT_LIBEXEC");
	if (pipe2(fds, O_CLOEXEC))
		return say(msg, len, 1, "pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return say(msg, len, 1, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(fds[0]);
		become_guardian(cfg, inst, fds[1]);
	}
	close(fds[1]);
	waitpid(pid, NULL, 0);

	/* the guardian bounds each member's start; this bounds the whole */
	timeouts_derive(cfg, &to);
	timeout_ms = (int)to.to_start_all_ms;
	line[0] = '\0';
	for (;;) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		int left = timeout_ms - (int)((rac_now_mono_ns() - t0) / 1000000);
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, left) == 0) {
			close(fds[0]);
			return say(msg, len, 1, "instance %d (%s) did not report OPEN within %d ms; see %s",
				    inst, ic->ic_name, timeout_ms, ic->ic_local_dir);
		}
		n = read(fds[0], line + got, sizeof(line) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got >= sizeof(line) - 1 || memchr(line, '\n', got))
			break;
	}
	close(fds[0]);
	line[got] = '\0';
	line[strcspn(line, "\n")] = '\0';
	log_alert_path(ic->ic_local_dir, ic->ic_name, alert, sizeof(alert));
	if (!strncmp(line, "OK ", 3)) {
		return say(msg, len, 0, "Instance %d (%s) is OPEN (guardian pid %s, %.0f ms)", inst,
			   ic->ic_name, line + 3, (double)(rac_now_mono_ns() - t0) / 1e6);
	}
	if (!strncmp(line, "ERR ", 4))
		return say(msg, len, 1, "instance %d (%s) failed to start: %s (alert log: %s)", inst,
			    ic->ic_name, line + 4, alert);
	return say(msg, len, 1, "instance %d (%s) failed to start: the guardian exited without a "
		    "word; see %s", inst, ic->ic_name, alert);
}

/* ---- stop ------------------------------------------------------------------ */

struct group_pids {
	pid_t gp_pid[RAC_NROLES + 1];	/* [RAC_NROLES] = guardian */
	uint64_t gp_start[RAC_NROLES + 1];
};

static void read_pids(const struct sga *s, struct group_pids *gp)
{
	memset(gp, 0, sizeof(*gp));
	for (int r = 0; r < RAC_NROLES; r++) {
		gp->gp_pid[r] = sga_load(&sga_nm(s, r)->nm_pid);
		gp->gp_start[r] = rac_proc_starttime(gp->gp_pid[r]);
	}
	gp->gp_pid[RAC_NROLES] = sga_hdr(s)->sh_guardian_pid;
	gp->gp_start[RAC_NROLES] = sga_hdr(s)->sh_guardian_start;
}

static bool wait_gone(const struct group_pids *gp, int timeout_ms)
{
	uint64_t deadline = rac_now_mono_ns() + (uint64_t)timeout_ms * 1000000ull;

	for (;;) {
		bool any = false;

		for (int r = 0; r <= RAC_NROLES; r++)
			if (gp->gp_pid[r] > 0 && gp->gp_start[r] &&
			    pid_alive(gp->gp_pid[r], gp->gp_start[r]))
				any = true;
		if (!any)
			return true;
		if (rac_now_mono_ns() > deadline)
			return false;
		rac_sleep_ms(2);
	}
}

int launch_stop(const struct rac_config *cfg, int inst, int abort_it, char *msg, size_t len)
{
	const struct rac_inst_cfg *ic = config_inst(cfg, inst);
	struct group_pids gp;
	struct sga s;
	struct rac_timeouts to;
	int rc = launch_attach(cfg, inst, &s);
	uint64_t t0 = rac_now_mono_ns();

	if (rc) {
		if (rc != RAC_ENOENT) {
			/* a dead instance's segment: clear it so status tells the truth */
			char name[96];

			config_sga_name(cfg, inst, name, sizeof(name));
			shm_unlink(name);
			return say(msg, len, 1, "instance %d (%s) is not running (removed the stale SGA "
				    "%s)", inst, ic->ic_name, name);
		}
		return say(msg, len, 1, "instance %d (%s) is not running", inst, ic->ic_name);
	}
	read_pids(&s, &gp);

	if (abort_it) {
		/* the guardian first, so nobody tidies up: as after a crash */
		kill(gp.gp_pid[RAC_NROLES], SIGKILL);
		for (int r = 0; r < RAC_NROLES; r++)
			if (gp.gp_pid[r] > 0 && gp.gp_start[r])
				kill(gp.gp_pid[r], SIGKILL);
		if (!wait_gone(&gp, 10000)) {
			sga_detach(&s);
			return say(msg, len, 1, "instance %d (%s): processes still alive 10 s after SIGKILL",
				    inst, ic->ic_name);
		}
		sga_unlink(&s);
		sga_detach(&s);
		launch_alert_note(ic, "Instance %s aborted by operator (racctl stop --abort): guardian "
			   "pid %d and every member killed with SIGKILL", ic->ic_name,
			   (int)gp.gp_pid[RAC_NROLES]);
		return say(msg, len, 0, "Instance %d (%s) aborted (%.0f ms)", inst, ic->ic_name,
			   (double)(rac_now_mono_ns() - t0) / 1e6);
	}

	kill(gp.gp_pid[RAC_NROLES], SIGTERM);
	sga_detach(&s);
	timeouts_derive(cfg, &to);
	if (!wait_gone(&gp, (int)to.to_stop_all_ms))
		return say(msg, len, 1, "instance %d (%s) did not stop in time; try 'racctl stop -i %d "
			    "--abort'", inst, ic->ic_name, inst);
	return say(msg, len, 0, "Instance %d (%s) stopped (%.0f ms)", inst, ic->ic_name,
		   (double)(rac_now_mono_ns() - t0) / 1e6);
}

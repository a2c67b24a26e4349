/*
 * racctl.c - the launcher and control command (DESIGN §6).
 *
 *   racctl init [--force]            format the shared disk
 *   racctl start -i N                daemonise a guardian, wait for OPEN
 *   racctl stop -i N [--abort]       clean stop, or kill -9 of the group
 *   racctl up / down                 every instance of this host
 *   racctl status                    one line per configured instance
 *   racctl alert -i N [-f]           print or follow the alert log
 *   racctl dump control              the control file, block by block
 *   racctl fault kill|hang|resume -i N [-p ROLE]
 *
 * Exit status: 0 success, 1 the operation failed, 2 bad usage.  Errors are
 * one line on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "disk.h"
#include "errors.h"
#include "guardian.h"
#include "lab.h"
#include "log.h"
#include "procs.h"
#include "racctl.h"
#include "sga.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2

static const char usage_text[] =
	"usage: racctl [-c FILE] COMMAND [options]\n"
	"\n"
	"Commands:\n"
	"  init [--force]                 format the control file and voting disks\n"
	"  start -i N                     start instance N; returns once it is OPEN\n"
	"  stop -i N [--abort]            clean shutdown, or kill -9 of the whole group\n"
	"  up [--lab [-n COUNT]]          init if needed, start every instance of this host;\n"
	"                                 --lab: each instance in its own network and mount\n"
	"                                 namespace, joined by a bridge (root only)\n"
	"  down                           stop every instance of this host (and remove the lab)\n"
	"  status                         one line per configured instance\n"
	"  alert -i N [-f]                print (or follow) instance N's alert log\n"
	"  lock -i N -m MODE [--nowait] [--timeout MS] NAME -- CMD...\n"
	"                                 hold cluster lock NAME (NL CR CW PR PW EX) while CMD\n"
	"                                 runs, like flock(1); see 'racctl lock --help'\n"
	"  dump control                   print every record of the control file\n"
	"  dump vote [--disk K]           print heartbeat slots and kill blocks of the\n"
	"                                 voting disks (all, or disk K)\n"
	"  fault kill|hang|resume -i N [-p ROLE]\n"
	"                                 SIGKILL / SIGSTOP / SIGCONT one member\n"
	"                                 (ROLE: lmon (default), lms, ckpt, smon)\n"
	"  fault net-cut|net-restore -i N  take instance N's interconnect link down / up (lab)\n"
	"  fault disk-off|disk-on -i N --disk K\n"
	"                                 make voting disk K fail for instance N only / give\n"
	"                                 it back (lab)\n"
	"\n"
	"Options:\n"
	"  -c, --config FILE   configuration file (default: $RACRT_CONFIG, else the\n"
	"                      built-in three-instance cluster under ./racdata)\n"
	"  -i, --instance N    instance number\n"
	"  -p, --process ROLE  member for 'fault'\n"
	"  -f, --follow        follow the alert log\n"
	"      --force         let 'init' overwrite a formatted disk\n"
	"      --abort         let 'stop' kill the group instead of a clean stop\n"
	"      --disk K        voting disk for 'dump vote' and 'fault disk-*' (1 = the first)\n"
	"      --lab           'up' in namespaces\n"
	"  -n COUNT            instances of the lab (default: as configured)\n"
	"  -h, --help          this text\n"
	"\n"
	"Exit status: 0 success, 1 the operation failed, 2 bad usage.\n";

struct opts {
	const char *o_config;
	int o_inst;
	const char *o_role;
	int o_follow;
	int o_force;
	int o_abort;
	int o_disk;
	int o_lab;
	int o_count;
};

static void die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("racctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'racctl --help'.\n", stderr);
	exit(EXIT_USAGE);
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("racctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAIL;
}

/* ---- looking at a running instance ---------------------------------------- */

/*
 * Attach instance `inst`'s SGA read-only.  Returns 0 if the instance is
 * running (owner alive), RAC_ENOENT if there is no segment, RAC_ESGA_* if a
 * segment exists but its owner is dead (stale) or it cannot be read.
 */
static int inst_attach(const struct rac_config *cfg, int inst, struct sga *s)
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

static const struct rac_inst_cfg *need_inst(const struct rac_config *cfg, const struct opts *o)
{
	const struct rac_inst_cfg *ic;

	if (o->o_inst <= 0)
		die_usage("this command needs -i N (an instance number)");
	ic = config_inst(cfg, o->o_inst);
	if (!ic)
		die_usage("there is no instance %d in the configuration (%s)", o->o_inst,
			  cfg->cf_path[0] ? cfg->cf_path : "built-in default cluster");
	return ic;
}

/* append one entry to an instance's alert log from racctl */
static void alert_note(const struct rac_inst_cfg *ic, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void alert_note(const struct rac_inst_cfg *ic, const char *fmt, ...)
{
	va_list ap;

	if (log_open(ic->ic_local_dir, ic->ic_name, NULL))
		return;
	va_start(ap, fmt);
	log_valert(fmt, ap);
	va_end(ap);
	log_close();
}

/* ---- init ------------------------------------------------------------------ */

static int cmd_init(const struct rac_config *cfg, const struct opts *o)
{
	char err[512], path[RAC_PATH_MAX + 16];
	int rc = ctl_format(cfg, o->o_force, err, sizeof(err));

	if (rc)
		return fail("%s", err);
	config_control_path(cfg, path, sizeof(path));
	printf("Formatted control file %s and %d voting disk%s for cluster %s (%d instance%s)\n",
	       path, cfg->cf_nvoting, cfg->cf_nvoting == 1 ? "" : "s", cfg->cf_name,
	       cfg->cf_ninst, cfg->cf_ninst == 1 ? "" : "s");
	return 0;
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

static int start_one(const struct rac_config *cfg, int inst)
{
	const struct rac_inst_cfg *ic = config_inst(cfg, inst);
	char err[512], line[600], dir[PATH_MAX], alert[RAC_PATH_MAX + 64];
	struct sga s;
	uint64_t t0 = rac_now_mono_ns();
	int fds[2], rc, timeout_ms;
	size_t got = 0;
	pid_t pid;

	if (inst_attach(cfg, inst, &s) == 0) {
		pid_t g = sga_hdr(&s)->sh_guardian_pid;

		sga_detach(&s);
		return fail("instance %d (%s) is already running (guardian pid %d)", inst,
			    ic->ic_name, (int)g);
	}
	if (!config_inst_is_local(ic))
		return fail("instance %d (%s) is configured for host '%s', not this one", inst,
			    ic->ic_name, ic->ic_host);
	rc = ctl_check(cfg, err, sizeof(err));
	if (rc)
		return fail("cannot start instance %d (%s): %s", inst, ic->ic_name, err);
	if (proc_exe_dir(dir, sizeof(dir)))
		return fail("cannot find the member executables (rac_lmon, rac_lms, rac_ckpt, "
			    "rac_smon) next to racctl; set RACRT_LIBEXEC");
	if (pipe2(fds, O_CLOEXEC))
		return fail("pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return fail("fork: %s", strerror(errno));
	if (pid == 0) {
		close(fds[0]);
		become_guardian(cfg, inst, fds[1]);
	}
	close(fds[1]);
	waitpid(pid, NULL, 0);

	/* the guardian bounds each member's start; this bounds the whole */
	timeout_ms = cfg->cf_start_timeout_ms * (RAC_NROLES + 1) + 2000;
	line[0] = '\0';
	for (;;) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		int left = timeout_ms - (int)((rac_now_mono_ns() - t0) / 1000000);
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, left) == 0) {
			close(fds[0]);
			return fail("instance %d (%s) did not report OPEN within %d ms; see %s",
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
		printf("Instance %d (%s) is OPEN (guardian pid %s, %.0f ms)\n", inst, ic->ic_name,
		       line + 3, (double)(rac_now_mono_ns() - t0) / 1e6);
		return 0;
	}
	if (!strncmp(line, "ERR ", 4))
		return fail("instance %d (%s) failed to start: %s (alert log: %s)", inst,
			    ic->ic_name, line + 4, alert);
	return fail("instance %d (%s) failed to start: the guardian exited without a "
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

static int stop_one(const struct rac_config *cfg, int inst, int abort_it)
{
	const struct rac_inst_cfg *ic = config_inst(cfg, inst);
	struct group_pids gp;
	struct sga s;
	int rc = inst_attach(cfg, inst, &s);
	uint64_t t0 = rac_now_mono_ns();

	if (rc) {
		if (rc != RAC_ENOENT) {
			/* a dead instance's segment: clear it so status tells the truth */
			char name[96];

			config_sga_name(cfg, inst, name, sizeof(name));
			shm_unlink(name);
			return fail("instance %d (%s) is not running (removed the stale SGA "
				    "%s)", inst, ic->ic_name, name);
		}
		return fail("instance %d (%s) is not running", inst, ic->ic_name);
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
			return fail("instance %d (%s): processes still alive 10 s after SIGKILL",
				    inst, ic->ic_name);
		}
		sga_unlink(&s);
		sga_detach(&s);
		alert_note(ic, "Instance %s aborted by operator (racctl stop --abort): guardian "
			   "pid %d and every member killed with SIGKILL", ic->ic_name,
			   (int)gp.gp_pid[RAC_NROLES]);
		printf("Instance %d (%s) aborted (%.0f ms)\n", inst, ic->ic_name,
		       (double)(rac_now_mono_ns() - t0) / 1e6);
		return 0;
	}

	kill(gp.gp_pid[RAC_NROLES], SIGTERM);
	sga_detach(&s);
	if (!wait_gone(&gp, cfg->cf_stop_timeout_ms * (RAC_NROLES + 1) + 2000))
		return fail("instance %d (%s) did not stop in time; try 'racctl stop -i %d "
			    "--abort'", inst, ic->ic_name, inst);
	printf("Instance %d (%s) stopped (%.0f ms)\n", inst, ic->ic_name,
	       (double)(rac_now_mono_ns() - t0) / 1e6);
	return 0;
}

/* ---- status ---------------------------------------------------------------- */

static int cmd_status(const struct rac_config *cfg)
{
	printf("%-4s %-10s %-12s %-13s %-11s %-8s %-8s %-8s %-8s %-8s\n", "INST", "NAME",
	       "STATUS", "ROLE", "INCARNATION", "GUARDIAN", "LMON", "LMS0", "CKPT", "SMON");
	for (int i = 1; i <= RAC_MAX_INST; i++) {
		const struct rac_inst_cfg *ic = config_inst(cfg, i);
		struct sga s;
		int rc;

		if (!ic)
			continue;
		rc = inst_attach(cfg, i, &s);
		if (rc) {
			printf("%-4d %-10s %-12s\n", i, ic->ic_name,
			       rc == RAC_ENOENT ? "DOWN" : "DOWN(stale)");
			continue;
		}
		struct sga_header *h = sga_hdr(&s);
		printf("%-4d %-10s %-12s %-13s %-11llu %-8d", i, ic->ic_name,
		       sga_state_str(sga_load(&h->sh_state)), sga_role_str(h->sh_role),
		       (unsigned long long)sga_load(&h->sh_incarnation), (int)h->sh_guardian_pid);
		for (int r = 0; r < RAC_NROLES; r++)
			printf(" %-8d", (int)sga_load(&sga_nm(&s, r)->nm_pid));
		printf("\n");
		sga_detach(&s);
	}
	return 0;
}

/* ---- alert ----------------------------------------------------------------- */

static volatile sig_atomic_t follow_stop;

static void on_stop(int sig)
{
	(void)sig;
	follow_stop = 1;
}

static int cmd_alert(const struct rac_config *cfg, const struct opts *o)
{
	const struct rac_inst_cfg *ic = need_inst(cfg, o);
	char path[RAC_PATH_MAX + 64], buf[8192];
	int fd;

	log_alert_path(ic->ic_local_dir, ic->ic_name, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && !o->o_follow)
		return fail("no alert log at %s: %s", path, strerror(errno));
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	for (;;) {
		ssize_t n;

		if (fd < 0)
			fd = open(path, O_RDONLY | O_CLOEXEC);
		while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0) {
			if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
				return EXIT_FAIL;
		}
		fflush(stdout);
		if (!o->o_follow || follow_stop)
			break;
		rac_sleep_ms(100);
		if (follow_stop)
			break;
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

/* ---- dump ------------------------------------------------------------------ */

static int cmd_dump(const struct rac_config *cfg, const struct opts *o, const char *what)
{
	int ncorrupt = 0, rc;
	const char *where = "the control file";

	if (!what)
		die_usage("dump needs what to dump: 'control' or 'vote'");
	if (!strcmp(what, "control")) {
		rc = ctl_dump(cfg, stdout, &ncorrupt);
	} else if (!strcmp(what, "vote")) {
		if (o->o_disk > cfg->cf_nvoting)
			die_usage("--disk %d: there %s only %d voting disk%s", o->o_disk,
				  cfg->cf_nvoting == 1 ? "is" : "are", cfg->cf_nvoting,
				  cfg->cf_nvoting == 1 ? "" : "s");
		rc = ctl_dump_vote(cfg, o->o_disk, stdout, &ncorrupt);
		where = "the voting disks";
	} else {
		die_usage("cannot dump '%s'; use 'control' or 'vote'", what);
	}
	fflush(stdout);
	if (rc)
		return fail("cannot read %s: %s (%s)", where, rac_strerror(rc), strerror(errno));
	if (ncorrupt)
		return fail("%d corrupt or unreadable block%s in %s (marked above)", ncorrupt,
			    ncorrupt == 1 ? "" : "s", where);
	return 0;
}

/* ---- fault ----------------------------------------------------------------- */

/* net-cut, net-restore, disk-off, disk-on: lab faults */
static int cmd_lab_fault(const struct rac_config *cfg, const struct opts *o, const char *what)
{
	const struct rac_inst_cfg *ic;
	char err[512];
	int rc, net = !strncmp(what, "net-", 4);
	int on = !strcmp(what, "net-restore") || !strcmp(what, "disk-on");

	if (strcmp(what, "net-cut") && strcmp(what, "net-restore") && strcmp(what, "disk-off") &&
	    strcmp(what, "disk-on"))
		die_usage("unknown fault '%s'; use net-cut, net-restore, disk-off or disk-on", what);
	ic = need_inst(cfg, o);
	if (!net && !o->o_disk)
		die_usage("%s needs --disk K", what);
	if (!cfg->cf_lab)
		return fail("no lab is up: '%s' needs 'racctl up --lab'", what);
	if (net) {
		alert_note(ic, "Fault injected by operator (racctl fault %s): interconnect link of "
			   "instance %d %s", what, o->o_inst, on ? "up" : "down");
		rc = lab_link(cfg, o->o_inst, on, err, sizeof(err));
		if (rc)
			return fail("%s", err);
		printf("Interconnect link of instance %d (%s) %s\n", o->o_inst, ic->ic_name,
		       on ? "restored" : "cut");
		return 0;
	}
	struct sga s;
	pid_t g;

	if (inst_attach(cfg, o->o_inst, &s))
		return fail("instance %d (%s) is not running", o->o_inst, ic->ic_name);
	g = sga_hdr(&s)->sh_guardian_pid;
	sga_detach(&s);
	alert_note(ic, "Fault injected by operator (racctl fault %s): voting disk %d (%s) %s for "
		   "this instance", what, o->o_disk, cfg->cf_voting[o->o_disk - 1],
		   on ? "given back" : "fails with I/O errors");
	rc = lab_disk(cfg, g, o->o_disk, !on, err, sizeof(err));
	if (rc)
		return fail("%s", err);
	printf("Voting disk %d %s for instance %d (%s)\n", o->o_disk,
	       on ? "given back" : "taken away", o->o_inst, ic->ic_name);
	return 0;
}

static int cmd_fault(const struct rac_config *cfg, const struct opts *o, const char *what)
{
	const struct rac_inst_cfg *ic;
	const struct rac_proc *p;
	struct sga s;
	int sig;
	const char *signame;
	pid_t pid;

	if (!what)
		die_usage("fault needs a kind: kill, hang, resume, net-cut, net-restore, "
			  "disk-off or disk-on");
	if (!strncmp(what, "net-", 4) || !strncmp(what, "disk-", 5))
		return cmd_lab_fault(cfg, o, what);
	if (!strcmp(what, "kill")) {
		sig = SIGKILL;
		signame = "SIGKILL";
	} else if (!strcmp(what, "hang")) {
		sig = SIGSTOP;
		signame = "SIGSTOP";
	} else if (!strcmp(what, "resume")) {
		sig = SIGCONT;
		signame = "SIGCONT";
	} else {
		die_usage("unknown fault '%s'; use kill, hang, resume, net-cut, net-restore, "
			  "disk-off or disk-on", what);
	}
	ic = need_inst(cfg, o);
	p = proc_by_tag(o->o_role ? o->o_role : "lmon");
	if (!p)
		die_usage("unknown process '%s'; use lmon, lms, ckpt or smon", o->o_role);
	if (inst_attach(cfg, o->o_inst, &s))
		return fail("instance %d (%s) is not running", o->o_inst, ic->ic_name);
	pid = sga_load(&sga_nm(&s, p->pr_role)->nm_pid);
	if (pid <= 0 || !rac_proc_starttime(pid)) {
		sga_detach(&s);
		return fail("%s of instance %d is not running", p->pr_name, o->o_inst);
	}
	/* written first: after a kill the instance may be gone before we could */
	alert_note(ic, "Fault injected by operator (racctl fault %s): %s to %s (ospid: %d)",
		   what, signame, p->pr_name, (int)pid);
	if (kill(pid, sig)) {
		sga_detach(&s);
		return fail("cannot signal %s (pid %d): %s", p->pr_name, (int)pid, strerror(errno));
	}
	sga_detach(&s);
	printf("%s sent to %s (pid %d) of instance %d (%s)\n", signame, p->pr_name, (int)pid,
	       o->o_inst, ic->ic_name);
	return 0;
}

/* ---- up / down ------------------------------------------------------------- */

static int cmd_up(struct rac_config *cfg, const struct opts *o)
{
	char err[512];
	int failed = 0, started = 0, rc;

	if (o->o_lab && !cfg->cf_lab) {
		int count = o->o_count ? o->o_count : cfg->cf_ninst;
		char path[RAC_PATH_MAX + 16];

		if (lab_create(cfg, count, err, sizeof(err)))
			return fail("cannot make the lab: %s", err);
		config_lab_path(cfg, path, sizeof(path));
		if (config_load(o->o_config, cfg, err, sizeof(err)) || !cfg->cf_lab)
			return fail("cannot read the lab configuration %s: %s", path, err);
		printf("Lab up: %d instance%s in network namespaces racrt-%s-1..%d on %s.0/24; "
		       "configuration %s (in force until 'racctl down')\n", count,
		       count == 1 ? "" : "s", cfg->cf_name, count, LAB_SUBNET, path);
	} else if (o->o_count) {
		die_usage("-n goes with --lab");
	}
	rc = ctl_check(cfg, err, sizeof(err));
	if (rc == RAC_EDISK_UNFORMATTED || (cfg->cf_lab && rc)) {
		struct opts force = { .o_force = cfg->cf_lab };

		if (cmd_init(cfg, &force))
			return EXIT_FAIL;
	}
	for (int i = 1; i <= RAC_MAX_INST; i++) {
		const struct rac_inst_cfg *ic = config_inst(cfg, i);
		struct sga s;

		if (!ic || !config_inst_is_local(ic))
			continue;
		if (inst_attach(cfg, i, &s) == 0) {
			sga_detach(&s);
			continue;	/* already up */
		}
		if (start_one(cfg, i))
			failed++;
		else
			started++;
	}
	printf("\n");
	cmd_status(cfg);
	return failed ? EXIT_FAIL : 0;
}

static int cmd_down(const struct rac_config *cfg)
{
	int failed = 0;

	for (int i = RAC_MAX_INST; i >= 1; i--) {
		const struct rac_inst_cfg *ic = config_inst(cfg, i);
		struct sga s;

		if (!ic || !config_inst_is_local(ic))
			continue;
		if (inst_attach(cfg, i, &s))
			continue;
		sga_detach(&s);
		if (stop_one(cfg, i, 0))
			failed++;
	}
	if (cfg->cf_lab) {
		char err[512];

		/* nothing may run inside a namespace that goes away */
		for (int i = 1; i <= RAC_MAX_INST; i++) {
			struct sga s;

			if (config_inst(cfg, i) && inst_attach(cfg, i, &s) == 0) {
				sga_detach(&s);
				stop_one(cfg, i, 1);
			}
		}
		if (lab_destroy(cfg, err, sizeof(err)))
			return fail("cannot remove the lab: %s", err);
		printf("Lab removed: namespaces, links and lab configuration\n");
	}
	return failed ? EXIT_FAIL : 0;
}

/* ---- main ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "instance", required_argument, NULL, 'i' },
		{ "process", required_argument, NULL, 'p' },
		{ "follow", no_argument, NULL, 'f' },
		{ "force", no_argument, NULL, 'F' },
		{ "abort", no_argument, NULL, 'A' },
		{ "disk", required_argument, NULL, 'D' },
		{ "lab", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { 0 };
	struct rac_config *cfg;
	const char *cmd, *sub;
	char err[4096];
	int c, rc;

	if (racctl_lock_argv(argc, argv))
		return racctl_lock_cmd(argc, argv);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:i:p:n:fh", lopts, NULL)) != -1) {
		switch (c) {
		case 'c': o.o_config = optarg; break;
		case 'i': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || end == optarg || v < 1 || v > RAC_MAX_INST)
				die_usage("-i wants an instance number from 1 to %d, not '%s'",
					  RAC_MAX_INST, optarg);
			o.o_inst = (int)v;
			break;
		}
		case 'p': o.o_role = optarg; break;
		case 'f': o.o_follow = 1; break;
		case 'F': o.o_force = 1; break;
		case 'A': o.o_abort = 1; break;
		case 'L': o.o_lab = 1; break;
		case 'n': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || end == optarg || v < 1 || v > 16)
				die_usage("-n wants a number of lab instances from 1 to 16, not '%s'",
					  optarg);
			o.o_count = (int)v;
			break;
		}
		case 'D': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || end == optarg || v < 1 || v > RAC_MAX_VOTING)
				die_usage("--disk wants a voting disk number from 1 to %d, not '%s'",
					  RAC_MAX_VOTING, optarg);
			o.o_disk = (int)v;
			break;
		}
		case 'h': fputs(usage_text, stdout); return 0;
		case ':': die_usage("option '%s' needs a value", argv[optind - 1]);
		default: die_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		die_usage("no command given");
	cmd = argv[optind];
	sub = optind + 1 < argc ? argv[optind + 1] : NULL;
	if (optind + 2 < argc)
		die_usage("unexpected argument '%s'", argv[optind + 2]);

	static const char *known[] = { "init", "start", "stop", "up", "down", "status", "alert",
				       "dump", "fault", NULL };
	bool ok = false;
	for (int i = 0; known[i]; i++)
		ok |= !strcmp(cmd, known[i]);
	if (!ok)
		die_usage("unknown command '%s'", cmd);
	if (sub && strcmp(cmd, "dump") && strcmp(cmd, "fault"))
		die_usage("unexpected argument '%s'", sub);

	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return fail("out of memory");
	rc = config_load(o.o_config, cfg, err, sizeof(err));
	if (rc) {
		fputs(err, stderr);
		free(cfg);
		return EXIT_FAIL;
	}

	if (!strcmp(cmd, "init"))
		rc = cmd_init(cfg, &o);
	else if (!strcmp(cmd, "start"))
		rc = start_one(cfg, need_inst(cfg, &o)->ic_number);
	else if (!strcmp(cmd, "stop"))
		rc = stop_one(cfg, need_inst(cfg, &o)->ic_number, o.o_abort);
	else if (!strcmp(cmd, "up"))
		rc = cmd_up(cfg, &o);
	else if (!strcmp(cmd, "down"))
		rc = cmd_down(cfg);
	else if (!strcmp(cmd, "status"))
		rc = cmd_status(cfg);
	else if (!strcmp(cmd, "alert"))
		rc = cmd_alert(cfg, &o);
	else if (!strcmp(cmd, "dump"))
		rc = cmd_dump(cfg, &o, sub);
	else
		rc = cmd_fault(cfg, &o, sub);
	free(cfg);
	return rc;
}

/*
 * racctl_lock.c - `racctl lock`: hold a cluster lock while a command runs,
 * like flock(1) (DESIGN §6).
 *
 *   racctl [-c FILE] lock -i N -m MODE [--nowait] [--timeout MS] NAME -- CMD [ARG...]
 *
 * Stages, top to bottom in racctl_lock_main():
 *
 *   open     a racrt handle on instance N's LMS (its local socket)
 *   lock     NAME in MODE: wait for the grant (for ever, or --timeout MS),
 *            or with --nowait fail at once if it is busy
 *   run      CMD with racctl's stdio, environment and signal mask
 *   wait     for CMD.  Signals sent to racctl itself (kill) are passed on
 *            to CMD; those from the terminal reach CMD directly and racctl
 *            outlives them, so the lock is held until CMD is gone.  If the
 *            connection to LMS breaks meanwhile (the instance stopped or
 *            died), the lock is gone: CMD gets SIGTERM, as it may no longer
 *            run unprotected, and racctl fails
 *   unlock   and return CMD's exit status (128 + signal if it was killed)
 *
 * Exit status: CMD's, or 1 when CMD did not run or lost its lock (one line
 * on stderr says why), or 2 on bad usage.  Its own parser (racctl_lock_cmd)
 * because everything after `--` belongs to CMD.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "config.h"
#include "racctl.h"
#include "racrt.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2


static const char lock_usage[] =
	"usage: racctl [-c FILE] lock -i N -m MODE [--nowait] [--timeout MS] NAME -- CMD [ARG...]\n"
	"\n"
	"Take the cluster lock NAME in MODE through instance N's lock manager, run CMD,\n"
	"wait for it, release the lock, and exit with CMD's status (128 + signal if it\n"
	"was killed).  Exits 1 without running CMD if the lock is not granted.\n"
	"\n"
	"  -c, --config FILE   configuration file (default: $RACRT_CONFIG, else the\n"
	"                      built-in cluster under ./racdata)\n"
	"  -i, --instance N    the instance (running on this host) to ask\n"
	"  -m, --mode MODE     NL, CR, CW, PR, PW or EX (any case); EX excludes all\n"
	"                      others, PR is shared with PR and CR\n"
	"      --nowait        fail at once if the lock is busy\n"
	"      --timeout MS    fail if not granted within MS milliseconds (0: wait\n"
	"                      for ever, the default)\n"
	"  -h, --help          this text\n"
	"\n"
	"If the instance stops while CMD runs, the lock is gone: CMD gets SIGTERM and\n"
	"racctl exits 1.\n";

static int lock_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int lock_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("racctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAIL;
}

static int lock_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int lock_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("racctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'racctl lock --help'.\n", stderr);
	return EXIT_USAGE;
}

/* ---- the stages ------------------------------------------------------------ */

static racrt_t *stage_open(const struct rac_config *cfg, const struct rac_inst_cfg *ic)
{
	char ep[RAC_PATH_MAX + 32];
	racrt_t *r;
	int err;

	if (conn_lms_endpoint(ic, ep, sizeof(ep))) {
		lock_fail("instance %d (%s): local_dir %s is too long for LMS's socket path",
			  ic->ic_number, ic->ic_name, ic->ic_local_dir);
		return NULL;
	}
	r = client_open_cfg(cfg, ic->ic_number, &err);
	if (r)
		return r;
	if (err == RACRT_ECONNECT)
		lock_fail("cannot reach the lock manager of instance %d (%s) at %s: the instance "
			  "is not running on this host", ic->ic_number, ic->ic_name, ep);
	else
		lock_fail("cannot open the lock manager of instance %d (%s) at %s: %s",
			  ic->ic_number, ic->ic_name, ep, racrt_strerror(err));
	return NULL;
}

static int stage_lock(racrt_t *r, const struct rac_inst_cfg *ic, const char *name, int mode,
		      int nowait, int timeout_ms, uint64_t *lkid)
{
	int rc = racrt_lock(r, name, strlen(name), mode, nowait ? RACRT_NOQUEUE : 0,
			    (unsigned)timeout_ms, lkid, NULL, NULL);

	switch (rc) {
	case 0:
		return 0;
	case RACRT_ENOTQUEUED:
		return lock_fail("lock '%s' is busy (--nowait)", name);
	case RACRT_ETIMEDOUT:
		return lock_fail("lock '%s' not granted within %d ms", name, timeout_ms);
	case RACRT_EDEADLK:
		return lock_fail("lock '%s' not granted: chosen as a deadlock victim", name);
	case RACRT_ENOREPLY:
		return lock_fail("the lock manager of instance %d (%s) did not answer within %d ms",
				 ic->ic_number, ic->ic_name, CL_REPLY_MS);
	case RACRT_ECLOSED:
		return lock_fail("lost the connection to the lock manager of instance %d (%s) "
				 "while waiting for lock '%s'", ic->ic_number, ic->ic_name, name);
	case RACRT_ENOTREADY:
		return lock_fail("the lock manager of instance %d (%s) is not ready (starting or "
				 "reconfiguring); try again", ic->ic_number, ic->ic_name);
	default:
		return lock_fail("cannot lock '%s': %s", name, racrt_strerror(rc));
	}
}

static bool from_a_process(const struct signalfd_siginfo *si)
{
	return si->ssi_code == SI_USER || si->ssi_code == SI_QUEUE || si->ssi_code == SI_TKILL;
}

/*
 * Run cmd and wait for it; *lost is set if the lock went while it ran.
 * Returns its exit status, or 126/127 if it could not be started.
 */
static int stage_run(racrt_t *r, const struct rac_inst_cfg *ic, const char *name, char **cmd,
		     bool *lost)
{
	static const int sigs[] = { SIGCHLD, SIGINT, SIGQUIT, SIGTERM, SIGHUP };
	struct sigaction dfl = { .sa_handler = SIG_DFL }, old_chld;
	posix_spawnattr_t attr;
	sigset_t block, old_mask;
	int sfd, rfd, rc, status = 0;
	bool done = false;
	pid_t pid = -1;

	/* SIGCHLD must not be ignored, or the child would be reaped behind our back */
	sigaction(SIGCHLD, &dfl, &old_chld);
	sigemptyset(&block);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&block, sigs[i]);
	sigprocmask(SIG_BLOCK, &block, &old_mask);
	sfd = signalfd(-1, &block, SFD_CLOEXEC | SFD_NONBLOCK);
	rfd = racrt_fd(r);

	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &old_mask);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	fflush(NULL);
	rc = sfd < 0 ? errno : posix_spawnp(&pid, cmd[0], NULL, &attr, cmd, environ);
	posix_spawnattr_destroy(&attr);
	if (rc) {
		lock_fail("cannot run '%s': %s", cmd[0], strerror(rc));
		status = rc == ENOENT ? 127 : 126;
		done = true;
	}

	while (!done) {
		struct pollfd pfd[2] = { { .fd = sfd, .events = POLLIN }, { .fd = rfd, .events = POLLIN } };
		struct signalfd_siginfo si;

		/* the racrt descriptor only tells of news since the last racrt call */
		if (!*lost && racrt_poll(r, 0) == RACRT_ECLOSED) {
			*lost = true;
			lock_fail("lost the connection to the lock manager of instance %d (%s): lock "
				  "'%s' is gone; stopping '%s' (pid %d) with SIGTERM", ic->ic_number,
				  ic->ic_name, name, cmd[0], (int)pid);
			kill(pid, SIGTERM);
		}
		if (poll(pfd, (*lost || rfd < 0) ? 1 : 2, -1) < 0 && errno != EINTR)
			break;
		while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			/* a terminal's signals reached CMD already: only pass on kill()s */
			if (si.ssi_signo != SIGCHLD && from_a_process(&si))
				kill(pid, (int)si.ssi_signo);
		}
		if (waitpid(pid, &status, WNOHANG) == pid) {
			status = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
			done = true;
		}
	}

	if (sfd >= 0) {
		struct signalfd_siginfo si;

		while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			;	/* what CMD already had: do not let it kill racctl now */
		close(sfd);
	}
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGCHLD, &old_chld, NULL);
	return status;
}

int racctl_lock_main(const struct rac_config *cfg, int inst, const char *mode, int nowait,
		     int timeout_ms, const char *name, char **cmd)
{
	const struct rac_inst_cfg *ic = config_inst(cfg, inst);
	int m = racrt_mode_parse(mode), status;
	uint64_t lkid = 0;
	bool lost = false;
	racrt_t *r;

	if (!ic)
		return lock_usage_error("there is no instance %d in the configuration (%s)", inst,
					cfg->cf_path[0] ? cfg->cf_path : "built-in default cluster");
	if (m < 0)
		return lock_usage_error("unknown lock mode '%s'; use NL, CR, CW, PR, PW or EX",
					mode ? mode : "");
	if (!name || !*name || strlen(name) > RACRT_NAME_MAX)
		return lock_usage_error("a lock name is 1 to %d bytes", RACRT_NAME_MAX);
	if (timeout_ms < 0)
		return lock_usage_error("--timeout wants milliseconds >= 0");
	if (!cmd || !cmd[0])
		return lock_usage_error("lock needs a command to run after '--'");

	r = stage_open(cfg, ic);
	if (!r)
		return EXIT_FAIL;
	if (stage_lock(r, ic, name, m, nowait, timeout_ms, &lkid)) {
		racrt_close(&r);
		return EXIT_FAIL;
	}
	status = stage_run(r, ic, name, cmd, &lost);
	if (!lost) {
		int rc = racrt_unlock(r, lkid, NULL);

		/* if LMS cannot be told now, it releases the lock when racctl exits */
		if (rc && rc != RACRT_ECLOSED)
			lock_fail("releasing lock '%s': %s", name, racrt_strerror(rc));
	}
	racrt_close(&r);
	return lost ? EXIT_FAIL : status;
}

/* ---- the command line -------------------------------------------------------- */

/* Is the command word of racctl's argv "lock"?  (Skips leading options.) */
bool racctl_lock_argv(int argc, char **argv)
{
	static const char *const valued[] = { "-c", "-i", "-p", "-n", "-m", "--config",
					      "--instance", "--process", "--disk", "--mode",
					      "--timeout", NULL };

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--"))
			return false;
		if (a[0] != '-' || !a[1])
			return !strcmp(a, "lock");
		for (int k = 0; valued[k]; k++) {
			if (!strcmp(a, valued[k])) {
				i++;	/* its value */
				break;
			}
		}
	}
	return false;
}

static int parse_int(const char *s, long lo, long hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

/* racctl's whole argv: [options] lock [options] NAME -- CMD [ARG...] */
int racctl_lock_cmd(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "instance", required_argument, NULL, 'i' },
		{ "mode", required_argument, NULL, 'm' },
		{ "nowait", no_argument, NULL, 'W' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *mode = NULL;
	int inst = 0, nowait = 0, timeout_ms = 0, dashdash = argc, c, rc;
	struct rac_config *cfg;
	char err[4096];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			dashdash = i;
			break;
		}
	}
	/* options and NAME come before "--"; getopt sees only that part */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(dashdash, argv, ":c:i:m:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'i':
			if (parse_int(optarg, 1, RAC_MAX_INST, &inst))
				return lock_usage_error("-i wants an instance number from 1 to %d, "
							"not '%s'", RAC_MAX_INST, optarg);
			break;
		case 'm': mode = optarg; break;
		case 'W': nowait = 1; break;
		case 'T':
			if (parse_int(optarg, 0, 0x7fffffff, &timeout_ms))
				return lock_usage_error("--timeout wants milliseconds (0 or more), "
							"not '%s'", optarg);
			break;
		case 'h': fputs(lock_usage, stdout); return 0;
		case ':': return lock_usage_error("option '%s' needs a value", argv[optind - 1]);
		default: return lock_usage_error("unknown option '%s' for lock", argv[optind - 1]);
		}
	}
	/* what is left before "--": the command word and NAME */
	if (optind >= dashdash || strcmp(argv[optind], "lock"))
		return lock_usage_error("expected the command 'lock'");
	if (optind + 1 >= dashdash)
		return lock_usage_error("lock needs the NAME of a lock");
	if (optind + 2 < dashdash)
		return lock_usage_error("unexpected argument '%s' (the command goes after '--')",
					argv[optind + 2]);
	if (!inst)
		return lock_usage_error("lock needs -i N (an instance number)");
	if (!mode)
		return lock_usage_error("lock needs -m MODE (NL, CR, CW, PR, PW or EX)");
	if (dashdash + 1 >= argc)
		return lock_usage_error("lock needs a command to run: ... NAME -- CMD [ARG...]");

	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return lock_fail("out of memory");
	if (config_load(config, cfg, err, sizeof(err))) {
		fputs(err, stderr);
		free(cfg);
		return EXIT_FAIL;
	}
	rc = racctl_lock_main(cfg, inst, mode, nowait, timeout_ms, argv[optind + 1],
			      argv + dashdash + 1);
	free(cfg);
	return rc;
}

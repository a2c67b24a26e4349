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
 *   racctl fault net-cut|net-restore|disk-off|disk-on|disk-hang|disk-resume|
 *                disk-error|disk-clear  (lab)
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

#include "auth.h"
#include "disk.h"
#include "errors.h"
#include "lab.h"
#include "launch.h"
#include "log.h"
#include "procs.h"
#include "racctl.h"
#include "sga.h"


static const char usage_text[] =
	"usage: racctl [-c FILE] COMMAND [options]\n"
	"\n"
	"Commands:\n"
	"  init [--force]                 format the control file and voting disks; make the\n"
	"                                 interconnect's keys if key_dir has none\n"
	"  keygen [-i N | admin] [--force]\n"
	"                                 make the CURVE key pairs missing from key_dir (every\n"
	"                                 instance and the administrators); --force: new\n"
	"                                 ones for instance N, the administrators or all\n"
	"  keygen -i N | admin --next | --promote | --retire\n"
	"                                 rotate a key without an outage, one step at a time\n"
	"                                 (docs/security.md): add a new key beside the old,\n"
	"                                 make it the current one, drop the old one\n"
	"  keys reload                    make this host's running instances read key_dir again\n"
	"  config push                    with every instance stopped: record this host's\n"
	"                                 cluster-wide keys (timings) as the cluster's; a\n"
	"                                 start with other values is refused\n"
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
	"  fault disk-hang|disk-resume -i N --disk K|control\n"
	"                                 make voting disk K (or the control file) hang for\n"
	"                                 instance N only: its I/O waits, unanswered, no\n"
	"                                 error / answer it again (lab, root)\n"
	"  fault io-freeze|io-thaw -i N   every voting disk and the control file at once:\n"
	"                                 instance N's shared-disk I/O all waits (its host\n"
	"                                 held by its storage) / answers again (lab, root)\n"
	"  fault clock-skew -i N --ms D   set instance N's wall clock D ms ahead (or behind,\n"
	"                                 D < 0) of this host's, while it runs; 0 undoes it\n"
	"                                 (lab)\n"
	"  fault disk-error -i N --disk K|control --block B\n"
	"                                 make the reads of 4 KiB slot B (one record: see\n"
	"                                 'dump control', 'dump vote') of voting disk K or\n"
	"                                 the control file fail with EIO for instance N\n"
	"                                 only, as a bad sector would; writes still land\n"
	"                                 (lab, root)\n"
	"  fault disk-clear -i N --disk K|control\n"
	"                                 every slot of it reads again for instance N (lab)\n"
	"\n"
	"Options:\n"
	"  -c, --config FILE   configuration file (default: $RACRT_CONFIG, else the\n"
	"                      built-in three-instance cluster under ./racdata)\n"
	"  -i, --instance N    instance number\n"
	"  -p, --process ROLE  member for 'fault'\n"
	"  -f, --follow        follow the alert log\n"
	"      --force         let 'init' overwrite a formatted disk; 'keygen' replace keys\n"
	"      --abort         let 'stop' kill the group instead of a clean stop\n"
	"      --disk K        voting disk for 'dump vote' and 'fault disk-*' (1 = the first);\n"
	"                      'control': the control file, for 'fault disk-hang|disk-resume|\n"
	"                      disk-error|disk-clear'\n"
	"      --block B       the 4 KiB slot (record number) for 'fault disk-error'\n"
	"      --ms D          offset for 'fault clock-skew', in milliseconds\n"
	"      --lab           'up' in namespaces\n"
	"  -n COUNT            instances of the lab (default: as configured)\n"
	"  -h, --help          this text\n"
	"\n"
	"Exit status: 0 success, 1 the operation failed, 2 bad usage.\n";


void racctl_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("racctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'racctl --help'.\n", stderr);
	exit(EXIT_USAGE);
}

int racctl_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("racctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAIL;
}

/* ---- the instance a command names ------------------------------------------- */

const struct rac_inst_cfg *racctl_need_inst(const struct rac_config *cfg, const struct opts *o)
{
	const struct rac_inst_cfg *ic;

	if (o->o_inst <= 0)
		racctl_usage("this command needs -i N (an instance number)");
	ic = config_inst(cfg, o->o_inst);
	if (!ic)
		racctl_usage("there is no instance %d in the configuration (%s)", o->o_inst,
			  cfg->cf_path[0] ? cfg->cf_path : "built-in default cluster");
	return ic;
}

/*
 * The shared-disk files by this host's names: those of -i N, else of the
 * first instance configured on this host ([instanceN] voting_disks and
 * control_file; without them the cluster's).
 */
static void localize(struct rac_config *cfg, const struct opts *o)
{
	int inst = o->o_inst;

	for (int i = 1; !inst && i <= RAC_MAX_INST; i++)
		if (config_inst(cfg, i) && config_inst_is_local(config_inst(cfg, i)))
			inst = i;
	config_localize(cfg, inst);
}

/* ---- keygen, init ------------------------------------------------------------ */

static int cmd_keygen(const struct rac_config *cfg, const struct opts *o, const char *sub)
{
	char err[1024];
	int who = -1;

	if (sub && strcmp(sub, "admin"))
		racctl_usage("keygen takes 'admin' or -i N, not '%s'", sub);
	if (sub && o->o_inst)
		racctl_usage("keygen: -i N or 'admin', not both");
	if (sub)
		who = AUTH_ADMIN;
	else if (o->o_inst)
		who = racctl_need_inst(cfg, o)->ic_number;
	if (o->o_rotate) {
		static const enum auth_rotate_step steps[] = { AUTH_ROTATE_NEXT,
							       AUTH_ROTATE_PROMOTE,
							       AUTH_ROTATE_RETIRE };

		if (who < 0)
			racctl_usage("--next, --promote and --retire want -i N or 'admin'");
		/*
		 * Peers switch to the new key on their next reload: if the
		 * instance still ran with the old one, they could not reach it.
		 */
		if (o->o_rotate == 2 && who != AUTH_ADMIN) {
			struct sga s;

			if (launch_attach(cfg, who, &s) == 0) {
				sga_detach(&s);
				return racctl_fail("instance %d runs with its current key: stop it "
						   "first (racctl stop -i %d), promote, reload the "
						   "keys on every host, then start it", who, who);
			}
		}
		char pub[RAC_PATH_MAX + 16];

		if (auth_rotate(cfg, who, steps[o->o_rotate - 1], stdout, err, sizeof(err)))
			return racctl_fail("%s", err);
		auth_path(cfg, who, false, pub, sizeof(pub));
		printf("Now copy %s to every host and run 'racctl keys reload' there "
		       "(docs/security.md)\n", pub);
		return 0;
	}
	if (auth_keygen(cfg, who, o->o_force, stdout, err, sizeof(err)))
		return racctl_fail("%s", err);
	if (!o->o_force)
		printf("Keys of cluster %s in %s: each host needs every .pub file, the .key of "
		       "its own instances, and admin.key where racsql runs\n", cfg->cf_name,
		       cfg->cf_key_dir);
	return 0;
}

/*
 * A new cluster gets its keys with its disks.  Only into a key directory
 * with no keys at all: on a host that holds some of them (the others on
 * their own hosts), making the rest here would replace the keys the other
 * hosts use.
 */
static int keys_if_none(const struct rac_config *cfg)
{
	char path[RAC_PATH_MAX + 16], err[1024];
	bool any = false;

	if (!cfg->cf_auth)
		return 0;
	for (int u = 0; u <= RAC_MAX_INST && !any; u++) {
		auth_path(cfg, u, false, path, sizeof(path));
		any = access(path, F_OK) == 0;
	}
	if (any)
		return 0;
	if (auth_keygen(cfg, -1, false, NULL, err, sizeof(err)))
		return racctl_fail("%s", err);
	printf("Made the interconnect's keys in %s (racctl keygen; docs/security.md)\n",
	       cfg->cf_key_dir);
	return 0;
}

/* SIGHUP to LMON and LMS of every instance running on this host */
static int cmd_keys(const struct rac_config *cfg, const char *sub)
{
	int told = 0, failed = 0;

	if (!sub || strcmp(sub, "reload"))
		racctl_usage("keys wants 'reload'");
	for (int i = 1; i <= RAC_MAX_INST; i++) {
		static const enum rac_role roles[] = { RAC_ROLE_LMON, RAC_ROLE_LMS };
		const struct rac_inst_cfg *ic = config_inst(cfg, i);
		struct sga s;

		if (!ic || !config_inst_is_local(ic) || launch_attach(cfg, i, &s))
			continue;
		for (int r = 0; r < 2; r++) {
			pid_t pid = sga_load(&sga_nm(&s, roles[r])->nm_pid);

			if (pid > 0 && rac_proc_starttime(pid) && kill(pid, SIGHUP) == 0) {
				told++;
			} else {
				failed++;
				fprintf(stderr, "racctl: cannot tell %s of instance %d (%s)\n",
					proc_by_role(roles[r])->pr_name, i, ic->ic_name);
			}
		}
		launch_alert_note(ic, "Keys reload requested by operator (racctl keys reload)");
		sga_detach(&s);
	}
	printf("Told %d process%s to read %s again; each one's alert log line says how it "
	       "went\n", told, told == 1 ? "" : "es", cfg->cf_key_dir);
	return failed ? EXIT_FAIL : 0;
}

/* config push: this host's cluster-wide keys become the cluster's (cluster down) */
static int cmd_config(const struct rac_config *cfg, const char *sub)
{
	char err[512];

	if (!sub || strcmp(sub, "push"))
		racctl_usage("config wants 'push'");
	if (ctl_config_push(cfg, err, sizeof(err)))
		return racctl_fail("%s", err);
	printf("Recorded this host's cluster-wide keys as cluster %s's (timings, lock_fast_path, "
	       "interconnect_auth): every host must now run with these values\n", cfg->cf_name);
	return 0;
}

static int cmd_init(const struct rac_config *cfg, const struct opts *o)
{
	char err[512], path[RAC_PATH_MAX + 16];
	int rc = ctl_format(cfg, o->o_force, err, sizeof(err));

	if (rc)
		return racctl_fail("%s", err);
	config_control_path(cfg, path, sizeof(path));
	printf("Formatted control file %s and %d voting disk%s for cluster %s (%d instance%s)\n",
	       path, cfg->cf_nvoting, cfg->cf_nvoting == 1 ? "" : "s", cfg->cf_name,
	       cfg->cf_ninst, cfg->cf_ninst == 1 ? "" : "s");
	return keys_if_none(cfg);
}

/* ---- start / stop: instance/launch.c, its line printed here ------------------- */

static int start_one(const struct rac_config *cfg, int inst)
{
	char msg[800];

	if (launch_start(cfg, inst, msg, sizeof(msg)))
		return racctl_fail("%s", msg);
	printf("%s\n", msg);
	return 0;
}

static int stop_one(const struct rac_config *cfg, int inst, int abort_it)
{
	char msg[800];

	if (launch_stop(cfg, inst, abort_it, msg, sizeof(msg)))
		return racctl_fail("%s", msg);
	printf("%s\n", msg);
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
		rc = launch_attach(cfg, i, &s);
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
	const struct rac_inst_cfg *ic = racctl_need_inst(cfg, o);
	char path[RAC_PATH_MAX + 64], buf[8192];
	int fd;

	log_alert_path(ic->ic_local_dir, ic->ic_name, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && !o->o_follow)
		return racctl_fail("no alert log at %s: %s", path, strerror(errno));
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
	const char *where = "the control area";

	if (!what)
		racctl_usage("dump needs what to dump: 'control' or 'vote'");
	if (!strcmp(what, "control")) {
		rc = ctl_dump(cfg, stdout, &ncorrupt);
	} else if (!strcmp(what, "vote")) {
		if (o->o_control)
			racctl_usage("--disk control goes with 'fault disk-hang' and 'disk-resume'");
		if (o->o_disk > cfg->cf_nvoting)
			racctl_usage("--disk %d: there %s only %d voting disk%s", o->o_disk,
				  cfg->cf_nvoting == 1 ? "is" : "are", cfg->cf_nvoting,
				  cfg->cf_nvoting == 1 ? "" : "s");
		rc = ctl_dump_vote(cfg, o->o_disk, stdout, &ncorrupt);
		where = "the voting disks";
	} else {
		racctl_usage("cannot dump '%s'; use 'control' or 'vote'", what);
	}
	fflush(stdout);
	if (rc)
		return racctl_fail("cannot read %s: %s (%s)", where, rac_strerror(rc), strerror(errno));
	if (ncorrupt)
		return racctl_fail("%d corrupt or unreadable block%s in %s (marked above)", ncorrupt,
			    ncorrupt == 1 ? "" : "s", where);
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
			return racctl_fail("cannot make the lab: %s", err);
		config_lab_path(cfg, path, sizeof(path));
		if (config_load(o->o_config, cfg, err, sizeof(err)) || !cfg->cf_lab)
			return racctl_fail("cannot read the lab configuration %s: %s", path, err);
		localize(cfg, o);
		printf("Lab up: %d instance%s in network namespaces racrt-%s-1..%d on %s.0/24; "
		       "configuration %s (in force until 'racctl down')\n", count,
		       count == 1 ? "" : "s", cfg->cf_name, count, LAB_SUBNET, path);
	} else if (o->o_count) {
		racctl_usage("-n goes with --lab");
	}
	rc = ctl_check(cfg, err, sizeof(err));
	if (rc == RAC_EDISK_UNFORMATTED || (cfg->cf_lab && rc)) {
		struct opts force = { .o_force = cfg->cf_lab };

		if (cmd_init(cfg, &force))
			return EXIT_FAIL;
	} else if (keys_if_none(cfg)) {
		return EXIT_FAIL;
	}
	for (int i = 1; i <= RAC_MAX_INST; i++) {
		const struct rac_inst_cfg *ic = config_inst(cfg, i);
		struct sga s;

		if (!ic || !config_inst_is_local(ic))
			continue;
		if (launch_attach(cfg, i, &s) == 0) {
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

	/* hung-disk drills first: an instance waiting on a hung disk cannot stop */
	if (cfg->cf_lab && lab_hang_clear(cfg, 0))
		printf("Hung-disk drills resumed\n");
	for (int i = RAC_MAX_INST; i >= 1; i--) {
		const struct rac_inst_cfg *ic = config_inst(cfg, i);
		struct sga s;

		if (!ic || !config_inst_is_local(ic))
			continue;
		if (launch_attach(cfg, i, &s))
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

			if (config_inst(cfg, i) && launch_attach(cfg, i, &s) == 0) {
				sga_detach(&s);
				stop_one(cfg, i, 1);
			}
		}
		lab_hang_clear(cfg, 1);
		if (lab_destroy(cfg, err, sizeof(err)))
			return racctl_fail("cannot remove the lab: %s", err);
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
		{ "ms", required_argument, NULL, 'M' },
		{ "block", required_argument, NULL, 'B' },
		{ "lab", no_argument, NULL, 'L' },
		{ "next", no_argument, NULL, 'X' },
		{ "promote", no_argument, NULL, 'P' },
		{ "retire", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .o_block = -1 };
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
				racctl_usage("-i wants an instance number from 1 to %d, not '%s'",
					  RAC_MAX_INST, optarg);
			o.o_inst = (int)v;
			break;
		}
		case 'p': o.o_role = optarg; break;
		case 'f': o.o_follow = 1; break;
		case 'F': o.o_force = 1; break;
		case 'A': o.o_abort = 1; break;
		case 'L': o.o_lab = 1; break;
		case 'X': o.o_rotate = 1; break;
		case 'P': o.o_rotate = 2; break;
		case 'R': o.o_rotate = 3; break;
		case 'n': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || end == optarg || v < 1 || v > 16)
				racctl_usage("-n wants a number of lab instances from 1 to 16, not '%s'",
					  optarg);
			o.o_count = (int)v;
			break;
		}
		case 'D': {
			char *end;
			long v;

			if (!strcmp(optarg, "control")) {
				o.o_control = 1;
				break;
			}
			v = strtol(optarg, &end, 10);

			if (*end || end == optarg || v < 1 || v > RAC_MAX_VOTING)
				racctl_usage("--disk wants a voting disk number from 1 to %d "
					  "(or 'control'), not '%s'", RAC_MAX_VOTING, optarg);
			o.o_disk = (int)v;
			break;
		}
		case 'M': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || end == optarg || v < -3600000 || v > 3600000)
				racctl_usage("--ms wants milliseconds from -3600000 to 3600000, not '%s'",
					  optarg);
			o.o_ms = v;
			o.o_ms_set = 1;
			break;
		}
		case 'B': {
			char *end;
			long v = strtol(optarg, &end, 10);

			/* the disk's own range is checked with --disk (racctl_fault.c) */
			if (*end || end == optarg || v < 0 || v >= VOTE_NBLOCKS)
				racctl_usage("--block wants a slot number from 0 to %d, not '%s'",
					  VOTE_NBLOCKS - 1, optarg);
			o.o_block = (int)v;
			break;
		}
		case 'h': fputs(usage_text, stdout); return 0;
		case ':': racctl_usage("option '%s' needs a value", argv[optind - 1]);
		default: racctl_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		racctl_usage("no command given");
	cmd = argv[optind];
	sub = optind + 1 < argc ? argv[optind + 1] : NULL;
	if (optind + 2 < argc)
		racctl_usage("unexpected argument '%s'", argv[optind + 2]);

	static const char *known[] = { "init", "start", "stop", "up", "down", "status", "alert",
				       "dump", "fault", "keygen", "keys", "config", NULL };
	bool ok = false;
	for (int i = 0; known[i]; i++)
		ok |= !strcmp(cmd, known[i]);
	if (!ok)
		racctl_usage("unknown command '%s'", cmd);
	if (sub && strcmp(cmd, "dump") && strcmp(cmd, "fault") && strcmp(cmd, "keygen") &&
	    strcmp(cmd, "keys") && strcmp(cmd, "config"))
		racctl_usage("unexpected argument '%s'", sub);

	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return racctl_fail("out of memory");
	rc = config_load(o.o_config, cfg, err, sizeof(err));
	if (rc) {
		fputs(err, stderr);
		free(cfg);
		return EXIT_FAIL;
	}
	localize(cfg, &o);

	if (!strcmp(cmd, "init"))
		rc = cmd_init(cfg, &o);
	else if (!strcmp(cmd, "start"))
		rc = start_one(cfg, racctl_need_inst(cfg, &o)->ic_number);
	else if (!strcmp(cmd, "stop"))
		rc = stop_one(cfg, racctl_need_inst(cfg, &o)->ic_number, o.o_abort);
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
	else if (!strcmp(cmd, "keygen"))
		rc = cmd_keygen(cfg, &o, sub);
	else if (!strcmp(cmd, "keys"))
		rc = cmd_keys(cfg, sub);
	else if (!strcmp(cmd, "config"))
		rc = cmd_config(cfg, sub);
	else
		rc = cmd_fault(cfg, &o, sub);
	free(cfg);
	return rc;
}

/*
 * bench_cluster.c - membership benchmarks.
 *
 *   bench_cluster RACCTL DIR RUNS ABORT_RUNS N [N...]
 *
 * For each cluster size N: a config with N instances on loopback under
 * DIR/nN, every instance started, then
 *   - heartbeat traffic: instance 1's heartbeats sent over 2 s, as messages
 *     and bytes per second (message size plus ZMTP framing);
 *   - RUNS times: kill -9 of the highest instance's LMS, time until the last
 *     survivor's reconfiguration is complete (its SGA history entry, by its
 *     own CLOCK_REALTIME end stamp), then the instance is started again;
 *   - ABORT_RUNS times: `racctl stop --abort` of the highest instance (no
 *     confirmation: the survivors wait out its lease), same measure.
 * Baseline in the same run: a 512-byte O_DSYNC write to the shared disk,
 * median of 200, since a reconfiguration is a handful of durable writes.
 * Medians with min and max; bounded: N <= 16, RUNS <= 51.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "config.h"
#include "procs.h"
#include "disk.h"
#include "msg.h"
#include "sga.h"

#define MAX_RUNS 51

static const char *racctl;
static char cfgpath[600];


/* racctl -c CONFIG ARGS...; NULL-terminated; exit status */
static int racctl_args(const char *a0, ...)
{
	const char *argv[16] = { racctl, "-c", cfgpath };
	int n = 3, status;
	va_list ap;
	pid_t pid;

	va_start(ap, a0);
	for (const char *a = a0; a && n < 15; a = va_arg(ap, const char *))
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(racctl, (char *const *)argv);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int run(const char *cmd, int inst, const char *extra)
{
	char i[16];
	pid_t pid;
	int status;

	snprintf(i, sizeof(i), "%d", inst);
	fflush(stdout);	/* or the child's exit would print our buffer again */
	pid = fork();
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		if (inst)
			execl(racctl, racctl, "-c", cfgpath, cmd, "-i", i, extra, (char *)NULL);
		else
			execl(racctl, racctl, "-c", cfgpath, cmd, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * A free loopback port below the kernel's ephemeral range (32768+), so no
 * outgoing connection takes it before the instance binds it.
 */
static int free_port(void)
{
	static unsigned seed;

	if (!seed)
		seed = (unsigned)getpid();
	for (int tries = 0; tries < 1000; tries++) {
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int port = 20000 + rand_r(&seed) % 12000, s = socket(AF_INET, SOCK_STREAM, 0), ok;

		a.sin_port = htons((uint16_t)port);
		ok = s >= 0 && bind(s, (struct sockaddr *)&a, sizeof(a)) == 0;
		if (s >= 0)
			close(s);
		if (ok)
			return port;
	}
	return 0;
}

static int attach(struct rac_config *cfg, int inst, struct sga *s)
{
	char name[96];

	config_sga_name(cfg, inst, name, sizeof(name));
	return sga_attach(name, 0, s) || sga_validate(s);
}

/* end time of the newest completed reconfiguration after `after_id`, 0 if none yet */
static uint64_t completed_after(struct rac_config *cfg, int inst, uint64_t after_id)
{
	struct sga s;
	uint64_t end = 0;

	if (attach(cfg, inst, &s))
		return 0;
	struct sga_cluster *cl = sga_cluster(&s);
	uint64_t n = sga_load(&cl->cl_nrcfg);
	for (uint64_t id = after_id + 1; id <= n; id++) {
		struct sga_reconfig *r = &cl->cl_hist[(id - 1) % SGA_RCFG_HIST];

		if (sga_load(&r->rc_done) == 1 && r->rc_id == id && r->rc_end_us > end)
			end = r->rc_end_us;
	}
	sga_detach(&s);
	return end;
}

static uint64_t last_id(struct rac_config *cfg, int inst)
{
	struct sga s;
	uint64_t n = 0;

	if (attach(cfg, inst, &s))
		return 0;
	n = sga_load(&sga_cluster(&s)->cl_nrcfg);
	sga_detach(&s);
	return n;
}

static int stable(struct rac_config *cfg, int n)
{
	for (int i = 1; i <= n; i++) {
		struct sga s;
		int ok;

		if (attach(cfg, i, &s))
			return 0;
		ok = sga_load(&sga_cluster(&s)->cl_state) == CGS_STABLE &&
		     __builtin_popcountll(sga_load(&sga_cluster(&s)->cl_members)) == n;
		sga_detach(&s);
		if (!ok)
			return 0;
	}
	return 1;
}

static void wait_stable(struct rac_config *cfg, int n)
{
	for (int i = 0; i < 3000 && !stable(cfg, n); i++)
		usleep(5000);
}

/* ms from t0_us until every survivor (1..n-1) completed a reconfiguration */
static double measure(struct rac_config *cfg, int n, uint64_t t0_us, uint64_t *ids)
{
	uint64_t worst = 0;

	for (int i = 1; i < n; i++) {
		uint64_t end = 0;

		for (int k = 0; k < 4000 && !(end = completed_after(cfg, i, ids[i])); k++)
			usleep(1000);
		if (end > worst)
			worst = end;
	}
	return worst > t0_us ? (double)(worst - t0_us) / 1000.0 : -1;
}

static double dsync_baseline(const char *dir)
{
	char path[700];
	static double v[200];
	char blk[512] = { 1 };
	int fd;

	snprintf(path, sizeof(path), "%s/dsync.bench", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_DSYNC, 0600);
	if (fd < 0)
		return -1;
	for (int i = 0; i < 200; i++) {
		uint64_t t = rac_now_mono_ns();

		if (pwrite(fd, blk, sizeof(blk), 0) != (ssize_t)sizeof(blk))
			break;
		v[i] = (double)(rac_now_mono_ns() - t) / 1e6;
	}
	close(fd);
	unlink(path);
	return median(v, 200);
}

static int bench_size(const char *dir, int n, int runs, int aruns)
{
	static double kill_ms[MAX_RUNS], abort_ms[MAX_RUNS], lease_ms[MAX_RUNS];
	struct rac_config cfg;
	char sub[600], err[2048];
	uint64_t ids[17];
	FILE *f;

	snprintf(sub, sizeof(sub), "%s/n%d", dir, n);
	mkdir(sub, 0700);
	snprintf(cfgpath, sizeof(cfgpath), "%s/rac.ini", sub);
	f = fopen(cfgpath, "w");
	if (!f)
		return 1;
	fprintf(f, "[cluster]\nname = bench%d\nshared_disk = disk\n"
		"voting_disks = disk/v1.dsk, disk/v2.dsk, disk/v3.dsk\n", n);
	for (int i = 1; i <= n; i++)
		fprintf(f, "[instance%d]\nlmon_endpoint = tcp://127.0.0.1:%d\n"
			"lms_endpoint = tcp://127.0.0.1:%d\nlocal_dir = local/RAC%d\n", i,
			free_port(), free_port(), i);
	fclose(f);
	if (config_load(cfgpath, &cfg, err, sizeof(err))) {
		fputs(err, stderr);
		return 1;
	}
	run("init", 0, NULL);
	for (int i = 1; i <= n; i++)
		if (run("start", i, NULL)) {
			fprintf(stderr, "bench: start of instance %d failed\n", i);
			return 1;
		}
	wait_stable(&cfg, n);

	/* heartbeat traffic of one instance */
	struct sga s;
	double hb_per_s = 0;
	if (attach(&cfg, 1, &s) == 0) {
		uint64_t a = sga_load(&sga_counters(&s)[CNT_HB_SENT]), t = rac_now_mono_ns();

		sleep(2);
		hb_per_s = (double)(sga_load(&sga_counters(&s)[CNT_HB_SENT]) - a) /
			((double)(rac_now_mono_ns() - t) / 1e9);
		sga_detach(&s);
	}

	for (int r = 0; r < runs; r++) {
		struct sga v;
		pid_t lms;

		for (int i = 1; i < n; i++)
			ids[i] = last_id(&cfg, i);
		if (attach(&cfg, n, &v))
			return 1;
		lms = sga_load(&sga_nm(&v, RAC_ROLE_LMS)->nm_pid);
		sga_detach(&v);
		uint64_t t0 = rac_now_us();
		kill(lms, SIGKILL);
		kill_ms[r] = measure(&cfg, n, t0, ids);
		for (int k = 0; k < 200 && run("start", n, NULL); k++)
			usleep(10000);
		wait_stable(&cfg, n);
	}
	for (int r = 0; r < aruns; r++) {
		for (int i = 1; i < n; i++)
			ids[i] = last_id(&cfg, i);
		uint64_t t0 = rac_now_us();
		run("stop", n, "--abort");
		abort_ms[r] = measure(&cfg, n, t0, ids);
		/* the lease ends disktimeout after the victim's last disk heartbeat */
		lease_ms[r] = -1;
		int fd = disk_open(cfg.cf_voting[0], 0);
		if (fd >= 0) {
			struct vote_hb hb;
			struct blk_hdr h;

			if (vote_read_hb(fd, n, &hb, &h) == 0)
				lease_ms[r] = abort_ms[r] - ((double)hb.hb_time_us +
					cfg.cf_disktimeout_ms * 1000.0 - (double)t0) / 1000.0;
			close(fd);
		}
		for (int k = 0; k < 200 && run("start", n, NULL); k++)
			usleep(10000);
		wait_stable(&cfg, n);
	}
	for (int i = n; i >= 1; i--)
		run("stop", i, NULL);

	double km = median(kill_ms, runs);
	printf("  %d instances: kill -9 LMS -> last survivor complete  %7.1f ms  [%.1f..%.1f] "
	       "(%d runs)\n", n, km, kill_ms[0], kill_ms[runs - 1], runs);
	if (aruns) {
		double am = median(abort_ms, aruns), lm = median(lease_ms, aruns);
		printf("  %d instances: stop --abort -> last survivor complete %7.1f ms  "
		       "[%.1f..%.1f] (%d runs)\n", n, am, abort_ms[0], abort_ms[aruns - 1], aruns);
		printf("  %d instances:   ... after its lease ran out (last disk heartbeat + "
		       "disktimeout_ms %d)     %7.1f ms  [%.1f..%.1f]\n", n, cfg.cf_disktimeout_ms,
		       lm, lease_ms[0], lease_ms[aruns - 1]);
	}
	/* a heartbeat: header + payload, one ZMTP frame (2-byte short header) */
	printf("  %d instances: heartbeats sent per instance %.0f/s, %.0f bytes/s of payload "
	       "and framing\n", n, hb_per_s, hb_per_s * (RAC_MSG_HDR + 32 + 2));
	return 0;
}

static void write_config(const char *sub, int n, int misscount, int disktimeout)
{
	FILE *f;

	mkdir(sub, 0700);
	snprintf(cfgpath, sizeof(cfgpath), "%s/rac.ini", sub);
	f = fopen(cfgpath, "w");
	if (!f)
		return;
	fprintf(f, "[cluster]\nname = lab%d%s\nshared_disk = disk\n"
		"voting_disks = disk/v1.dsk, disk/v2.dsk, disk/v3.dsk\n", n,
		misscount ? "t" : "");
	if (misscount)
		fprintf(f, "misscount_ms = %d\ndisktimeout_ms = %d\ndisk_heartbeat_interval_ms = %d\n",
			misscount, disktimeout, disktimeout / 4);
	for (int i = 1; i <= n; i++)
		fprintf(f, "[instance%d]\nlmon_endpoint = tcp://127.0.0.1:%d\n"
			"lms_endpoint = tcp://127.0.0.1:%d\nlocal_dir = local/RAC%d\n", i,
			free_port(), free_port(), i);
	fclose(f);
}

static uint64_t total_reconfigs(struct rac_config *cfg, int n)
{
	uint64_t t = 0;

	for (int i = 1; i <= n; i++)
		t += last_id(cfg, i);
	return t;
}

/*
 * Load for a bounded time: a spinning child per core and one more, and a
 * child rewriting and fsyncing 1 MiB on the shared disk in a loop.
 */
static void load_for(const char *dir, int secs, pid_t *kids, int *nkids)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	*nkids = 0;
	for (long c = 0; c <= cores && *nkids < 30; c++) {
		pid_t p = fork();

		if (p == 0) {
			volatile uint64_t x = 0;

			alarm((unsigned)secs);
			for (;;)
				x++;
		}
		kids[(*nkids)++] = p;
	}
	pid_t p = fork();
	if (p == 0) {
		char path[700];
		static char buf[1 << 20];
		int fd;

		alarm((unsigned)secs);
		snprintf(path, sizeof(path), "%s/load.tmp", dir);
		fd = open(path, O_WRONLY | O_CREAT, 0600);
		for (;;) {
			if (pwrite(fd, buf, sizeof(buf), 0) < 0)
				_exit(1);
			fsync(fd);
		}
	}
	kids[(*nkids)++] = p;
}

static void bench_lab(const char *dir, int runs)
{
	static double cut_ms[MAX_RUNS], hang_ms[MAX_RUNS], dhang_ms[MAX_RUNS], dhang_out_ms[MAX_RUNS];
	static const int sizes[] = { 3, 5 };
	struct rac_config cfg;
	char sub[600], err[2048], in[16];
	uint64_t ids[17];

	printf("lab benchmarks (network namespaces; default timings)\n");
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		int n = sizes[k];

		snprintf(sub, sizeof(sub), "%s/lab%d", dir, n);
		write_config(sub, n, 0, 0);
		snprintf(in, sizeof(in), "%d", n);
		if (racctl_args("up", "--lab", "-n", in, NULL) ||
		    config_load(cfgpath, &cfg, err, sizeof(err))) {
			printf("  %d instances: racctl up --lab failed\n", n);
			racctl_args("down", NULL);
			continue;
		}
		wait_stable(&cfg, n);
		for (int r = 0; r < runs; r++) {
			for (int i = 1; i < n; i++)
				ids[i] = last_id(&cfg, i);
			uint64_t t0 = rac_now_us();
			racctl_args("fault", "net-cut", "-i", in, NULL);
			cut_ms[r] = measure(&cfg, n, t0, ids);
			racctl_args("fault", "net-restore", "-i", in, NULL);
			for (int t = 0; t < 200 && racctl_args("start", "-i", in, NULL); t++)
				usleep(20000);
			wait_stable(&cfg, n);
		}
		for (int r = 0; r < runs && n == 3; r++) {
			struct sga v;
			pid_t lmon = 0;

			for (int i = 1; i < n; i++)
				ids[i] = last_id(&cfg, i);
			if (attach(&cfg, n, &v) == 0) {
				lmon = sga_load(&sga_nm(&v, RAC_ROLE_LMON)->nm_pid);
				sga_detach(&v);
			}
			uint64_t t0 = rac_now_us();
			kill(lmon, SIGSTOP);
			hang_ms[r] = measure(&cfg, n, t0, ids);
			kill(lmon, SIGCONT);
			for (int t = 0; t < 300 && racctl_args("start", "-i", in, NULL); t++)
				usleep(20000);
			wait_stable(&cfg, n);
		}
		/* a majority of voting disks hung for instance 3 alone: it leaves by itself */
		for (int r = 0; r < runs && n == 3; r++) {
			for (int i = 1; i < n; i++)
				ids[i] = last_id(&cfg, i);
			uint64_t t0 = rac_now_us(), out = 0;

			racctl_args("fault", "disk-hang", "-i", in, "--disk", "1", NULL);
			racctl_args("fault", "disk-hang", "-i", in, "--disk", "2", NULL);
			for (int k = 0; k < 10000 && !out; k++) {
				struct sga v;

				if (attach(&cfg, n, &v)) {
					out = rac_now_us();
					break;
				}
				if (sga_load(&sga_cluster(&v)->cl_no_disk_writes) ||
				    sga_load(&sga_cluster(&v)->cl_state) == CGS_EVICTED)
					out = rac_now_us();
				sga_detach(&v);
				if (!out)
					usleep(1000);
			}
			dhang_out_ms[r] = out ? (double)(out - t0) / 1000.0 : -1;
			dhang_ms[r] = measure(&cfg, n, t0, ids);
			racctl_args("fault", "disk-resume", "-i", in, "--disk", "1", NULL);
			racctl_args("fault", "disk-resume", "-i", in, "--disk", "2", NULL);
			for (int t = 0; t < 300 && racctl_args("start", "-i", in, NULL); t++)
				usleep(20000);
			wait_stable(&cfg, n);
		}
		racctl_args("down", NULL);
		if (n == 3) {
			double om = median(dhang_out_ms, runs), dm = median(dhang_ms, runs);

			printf("  %d instances: disks 1+2 hung for one -> it stops writing %7.1f ms  "
			       "[%.1f..%.1f]; others reconfigured %7.1f ms [%.1f..%.1f] (%d runs)\n",
			       n, om, dhang_out_ms[0], dhang_out_ms[runs - 1], dm, dhang_ms[0],
			       dhang_ms[runs - 1], runs);
		}
		double cm = median(cut_ms, runs);
		printf("  %d instances: net-cut -> settled membership          %7.1f ms  [%.1f..%.1f] "
		       "(%d runs; misscount_ms %d)\n", n, cm, cut_ms[0], cut_ms[runs - 1], runs,
		       cfg.cf_misscount_ms);
		if (n == 3) {
			double hm = median(hang_ms, runs);
			printf("  %d instances: LMON SIGSTOP -> evicted, reconfigured  %7.1f ms  "
			       "[%.1f..%.1f] (%d runs; disktimeout_ms %d)\n", n, hm, hang_ms[0],
			       hang_ms[runs - 1], runs, cfg.cf_disktimeout_ms);
		}
	}

	/* false evictions under load, default timings against aggressive ones */
	static const struct { const char *what; int miss, disk; } setups[] = {
		{ "default timings (misscount 3000, disktimeout 2000)", 0, 0 },
		{ "aggressive (misscount 300, disktimeout 400)", 300, 400 },
	};
	const int secs = 20;
	for (size_t k = 0; k < 2; k++) {
		pid_t kids[32];
		int nk;

		snprintf(sub, sizeof(sub), "%s/load%zu", dir, k);
		write_config(sub, 3, setups[k].miss, setups[k].disk);
		racctl_args("init", NULL);
		for (int i = 1; i <= 3; i++)
			racctl_args("start", "-i", i == 1 ? "1" : i == 2 ? "2" : "3", NULL);
		if (config_load(cfgpath, &cfg, err, sizeof(err)))
			continue;
		wait_stable(&cfg, 3);
		uint64_t before = total_reconfigs(&cfg, 3);
		load_for(sub, secs, kids, &nk);
		for (int k2 = 0; k2 < nk; k2++)
			waitpid(kids[k2], NULL, 0);
		uint64_t after = total_reconfigs(&cfg, 3);
		int down = 0;
		for (int i = 1; i <= 3; i++) {
			struct sga v;

			if (attach(&cfg, i, &v))
				down++;
			else
				sga_detach(&v);
		}
		printf("  3 instances, %d s of every core busy + fsync flood: %s: "
		       "%llu reconfigurations, %d instance%s evicted\n", secs, setups[k].what,
		       (unsigned long long)(after - before), down, down == 1 ? "" : "s");
		for (int i = 3; i >= 1; i--)
			racctl_args("stop", "-i", i == 1 ? "1" : i == 2 ? "2" : "3", "--abort", NULL);
	}
}

int main(int argc, char **argv)
{
	int runs, aruns;

	if (argc < 6 || (runs = atoi(argv[3])) < 1 || runs > MAX_RUNS ||
	    (aruns = atoi(argv[4])) < 0 || aruns > MAX_RUNS) {
		fprintf(stderr, "usage: bench_cluster RACCTL DIR RUNS ABORT_RUNS N|lab [N|lab...]\n");
		return 2;
	}
	racctl = argv[1];
	printf("membership benchmarks (median [min..max])\n");
	printf("  baseline: 512-byte O_DSYNC write on the shared disk  %.3f ms (median of 200)\n",
	       dsync_baseline(argv[2]));
	for (int a = 5; a < argc; a++) {
		int n;

		if (!strcmp(argv[a], "lab")) {
			if (getuid() == 0)
				bench_lab(argv[2], runs > 5 ? 5 : runs);
			else
				printf("lab benchmarks skipped: they need root\n");
			continue;
		}
		n = atoi(argv[a]);
		if (n < 2 || n > 16 || bench_size(argv[2], n, runs, aruns))
			return 1;
	}
	return 0;
}

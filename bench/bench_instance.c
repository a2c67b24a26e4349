/*
 * bench_instance.c - instance start and failure benchmarks.
 *
 *   bench_instance RACCTL CONFIG RUNS
 *
 * Each run: `racctl start -i 1` (timed to its return, which is OPEN), the
 * resident memory of every member read from /proc, then kill -9 of one
 * member (LMS0, LMON, CKPT, SMON in turn) and the time until the last
 * process of the group (members and guardian) is gone, polled every 50 us.
 *
 * Baselines measured in the same run, on the same machine state:
 *   spawn:  fork+exec+wait of four /bin/true, one after the other (what
 *           starting four processes costs at the least)
 *   kill:   kill -9 of one child sleeping, until it is a zombie (what
 *           the kernel's signal delivery costs at the least)
 * Medians of RUNS, with min and max, and the ratio to the baseline.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "config.h"
#include "procs.h"
#include "sga.h"

#define MAX_RUNS 101


static double ms_since(uint64_t t0)
{
	return (double)(rac_now_mono_ns() - t0) / 1e6;
}

static int run_quiet(char *const argv[])
{
	pid_t pid;
	int status;

	fflush(stdout);	/* or the child would print our buffer again */
	pid = fork();
	if (pid == 0) {
		freopen("/dev/null", "w", stdout);
		execv(argv[0], argv);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* gone = no such process, or a zombie waiting for its (lazy) reaper */
static int gone(pid_t pid)
{
	char path[64], buf[256];
	FILE *f;
	int z = 1;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 1;
	if (fgets(buf, sizeof(buf), f)) {
		char *p = strrchr(buf, ')');
		z = p && (p[2] == 'Z' || p[2] == 'X');
	}
	fclose(f);
	return z;
}

static long rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static double baseline_spawn(void)
{
	uint64_t t0 = rac_now_mono_ns();

	for (int i = 0; i < RAC_NROLES; i++) {
		char *argv[] = { "/bin/true", NULL };
		run_quiet(argv);
	}
	return ms_since(t0);
}

static double baseline_kill(void)
{
	pid_t pid = fork();
	uint64_t t0;
	double ms;

	if (pid == 0) {
		pause();
		_exit(0);
	}
	usleep(2000);
	t0 = rac_now_mono_ns();
	kill(pid, SIGKILL);
	while (!gone(pid))
		usleep(50);
	ms = ms_since(t0);
	waitpid(pid, NULL, 0);
	return ms;
}

int main(int argc, char **argv)
{
	static double start_ms[MAX_RUNS], kill_ms[MAX_RUNS], bspawn[MAX_RUNS], bkill[MAX_RUNS];
	static double rss[RAC_NROLES][MAX_RUNS];
	static const int victims[] = { RAC_ROLE_LMS, RAC_ROLE_LMON, RAC_ROLE_CKPT, RAC_ROLE_SMON };
	struct rac_config cfg;
	char err[2048], sga_name[96];
	size_t sga_size = 0;
	int runs;

	if (argc != 4 || (runs = atoi(argv[3])) < 1 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: bench_instance RACCTL CONFIG RUNS(1-%d)\n", MAX_RUNS);
		return 2;
	}
	if (config_load(argv[2], &cfg, err, sizeof(err))) {
		fputs(err, stderr);
		return 1;
	}
	config_sga_name(&cfg, 1, sga_name, sizeof(sga_name));

	for (int r = 0; r < runs; r++) {
		char *start[] = { argv[1], "-c", argv[2], "start", "-i", "1", NULL };
		pid_t pids[RAC_NROLES + 1];
		struct sga s;
		uint64_t t0;
		int victim = victims[r % 4];

		bspawn[r] = baseline_spawn();
		bkill[r] = baseline_kill();

		t0 = rac_now_mono_ns();
		if (run_quiet(start)) {
			fprintf(stderr, "bench: racctl start failed in run %d\n", r + 1);
			return 1;
		}
		start_ms[r] = ms_since(t0);
		if (sga_attach(sga_name, 0, &s)) {
			fprintf(stderr, "bench: no SGA after start\n");
			return 1;
		}
		sga_size = s.sg_size;
		for (int i = 0; i < RAC_NROLES; i++) {
			pids[i] = sga_nm(&s, i)->nm_pid;
			rss[i][r] = (double)rss_kb(pids[i]);
		}
		pids[RAC_NROLES] = sga_hdr(&s)->sh_guardian_pid;
		sga_detach(&s);

		t0 = rac_now_mono_ns();
		kill(pids[victim], SIGKILL);
		for (int i = 0; i <= RAC_NROLES; i++)
			while (!gone(pids[i]))
				usleep(50);
		kill_ms[r] = ms_since(t0);
	}

	double sm = median(start_ms, runs), km = median(kill_ms, runs);
	double bs = median(bspawn, runs), bk = median(bkill, runs);

	printf("instance benchmarks, %d runs (median [min..max])\n", runs);
	printf("  racctl start -> OPEN             %8.2f ms  [%.2f..%.2f]\n", sm, start_ms[0],
	       start_ms[runs - 1]);
	printf("    baseline: spawn 4 x /bin/true  %8.2f ms   ratio %.1fx\n", bs, sm / bs);
	printf("  kill -9 member -> group gone     %8.2f ms  [%.2f..%.2f]\n", km, kill_ms[0],
	       kill_ms[runs - 1]);
	printf("    baseline: kill -9 one process  %8.3f ms   ratio %.1fx\n", bk, km / bk);
	printf("  SGA size                         %8zu bytes\n", sga_size);
	for (int i = 0; i < RAC_NROLES; i++)
		printf("  RSS %-5s                        %8.0f kB\n", proc_by_role(i)->pr_name,
		       median(rss[i], runs));
	return 0;
}

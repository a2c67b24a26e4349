/*
 * bench_locks.c - lock-plus-unlock pairs through the client library.
 *
 *   bench_locks CONFIG INSTANCES SECONDS
 *
 * Against a running cluster of INSTANCES instances (CONFIG): for 1 and 16
 * client processes on instance 1, each doing synchronous EX lock + unlock
 * pairs for SECONDS (bounded), on one hot resource and on 10,000 spread
 * ones: pairs per second (all clients) and pair latency p50/p99.  Then one
 * client pipelining asynchronous lock + unlock on spread resources.  With
 * one instance every master is local; with three, two thirds of spread
 * resources are mastered remotely.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "racrt.h"
#include "rac.h"

#define MAX_SAMPLES 20000

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* one client: pairs for `secs`; writes count and samples (us) to fd */
static void client(const char *cfg, int hot, int secs, int fd, unsigned seed)
{
	static uint32_t lat[MAX_SAMPLES];
	int err, ns = 0;
	uint64_t pairs = 0, end;
	racrt_t *r = racrt_open(cfg, 1, &err);

	if (!r)
		_exit(1);
	end = rac_now_mono_ns() + (uint64_t)secs * 1000000000ull;
	while (rac_now_mono_ns() < end) {
		char name[32];
		uint64_t lk, t0 = rac_now_mono_ns();

		if (hot)
			strcpy(name, "hot");
		else
			snprintf(name, sizeof(name), "k%u", rand_r(&seed) % 10000);
		if (racrt_lock(r, name, strlen(name), RACRT_EX, 0, 0, &lk, NULL, NULL) ||
		    racrt_unlock(r, lk, NULL))
			_exit(1);
		pairs++;
		if (ns < MAX_SAMPLES)
			lat[ns++] = (uint32_t)((rac_now_mono_ns() - t0) / 1000);
	}
	racrt_close(&r);
	if (write(fd, &pairs, sizeof(pairs)) < 0 || write(fd, &ns, sizeof(ns)) < 0 ||
	    write(fd, lat, sizeof(uint32_t) * (size_t)ns) < 0)
		_exit(1);
	_exit(0);
}

static void run(const char *cfg, int nclients, int hot, int secs, const char *what)
{
	static uint32_t all[MAX_SAMPLES * 16];
	uint64_t total = 0;
	size_t n = 0;
	int fds[16][2], failed = 0;

	fflush(stdout);
	for (int c = 0; c < nclients; c++) {
		if (pipe(fds[c]))
			return;
		if (fork() == 0) {
			close(fds[c][0]);
			client(cfg, hot, secs, fds[c][1], (unsigned)(c * 7919 + 1));
		}
		close(fds[c][1]);
	}
	for (int c = 0; c < nclients; c++) {
		uint64_t p = 0;
		int ns = 0;

		if (read(fds[c][0], &p, sizeof(p)) != (ssize_t)sizeof(p) ||
		    read(fds[c][0], &ns, sizeof(ns)) != (ssize_t)sizeof(ns)) {
			failed++;
		} else {
			for (int k = 0; k < ns && n < sizeof(all) / sizeof(all[0]); k++)
				if (read(fds[c][0], &all[n], sizeof(uint32_t)) == (ssize_t)sizeof(uint32_t))
					n++;
			total += p;
		}
		close(fds[c][0]);
	}
	while (wait(NULL) > 0)
		;
	qsort(all, n, sizeof(all[0]), cmp_u32);
	printf("  %-46s %2d client%s %9.0f pairs/s  p50 %6u us  p99 %6u us%s\n", what, nclients,
	       nclients == 1 ? " " : "s", (double)total / secs, n ? all[n / 2] : 0,
	       n ? all[n * 99 / 100] : 0, failed ? "  (a client failed)" : "");
}

struct pipe_state {
	racrt_t *p_r;
	uint64_t p_done;
	int p_inflight;
};

static void unlocked(racrt_t *r, const struct racrt_result *res, void *arg)
{
	struct pipe_state *ps = arg;

	(void)r;
	(void)res;
	ps->p_inflight--;
	ps->p_done++;
}

static void locked(racrt_t *r, const struct racrt_result *res, void *arg)
{
	struct pipe_state *ps = arg;

	if (res->rr_status == 0)
		racrt_unlock_async(r, res->rr_lkid, NULL, unlocked, ps);
	else
		ps->p_inflight--;
}

static void pipelined(const char *cfg, int secs)
{
	struct pipe_state ps = { 0 };
	unsigned seed = 42;
	int err;
	uint64_t end;

	ps.p_r = racrt_open(cfg, 1, &err);
	if (!ps.p_r)
		return;
	end = rac_now_mono_ns() + (uint64_t)secs * 1000000000ull;
	while (rac_now_mono_ns() < end) {
		while (ps.p_inflight < 256) {
			char name[32];

			snprintf(name, sizeof(name), "p%u", rand_r(&seed) % 10000);
			if (racrt_lock_async(ps.p_r, name, strlen(name), RACRT_EX, 0, 0, locked,
					     &ps) <= 0)
				break;
			ps.p_inflight++;
		}
		racrt_poll(ps.p_r, 10);
	}
	while (ps.p_inflight > 0 && racrt_poll(ps.p_r, 1000) > 0)
		;
	racrt_close(&ps.p_r);
	printf("  %-46s  1 client  %9.0f pairs/s  (asynchronous, 256 in flight)\n",
	       "spread resources, pipelined", (double)ps.p_done / secs);
}

int main(int argc, char **argv)
{
	int ninst, secs;
	char label[96];

	if (argc != 4 || (ninst = atoi(argv[2])) < 1 || (secs = atoi(argv[3])) < 1 || secs > 30) {
		fprintf(stderr, "usage: bench_locks CONFIG INSTANCES SECONDS(1-30)\n");
		return 2;
	}
	printf("lock benchmarks, %d instance%s (%s), %d s per run\n", ninst, ninst == 1 ? "" : "s",
	       ninst == 1 ? "every master local" : "spread: 2 of 3 masters remote", secs);
	for (int c = 1; c <= 16; c += 15) {
		snprintf(label, sizeof(label), "one hot resource");
		run(argv[1], c, 1, secs, label);
		snprintf(label, sizeof(label), "10,000 spread resources");
		run(argv[1], c, 0, secs, label);
	}
	pipelined(argv[1], secs);
	return 0;
}

/*
 * bench_locks.c - lock-plus-unlock pairs: racrt against Redis, same run.
 *
 *   bench_locks CONFIG INSTANCES SECONDS RUNS [REDIS_SERVER]
 *
 * Against a running cluster of INSTANCES instances (CONFIG), and a
 * redis-server that this benchmark starts on loopback (REDIS_SERVER, by
 * default /usr/bin/redis-server; skipped when there is none), each
 * workload runs RUNS times per system, the two systems taking turns, for
 * SECONDS each (bounded).  Reported: medians over the runs of pairs per
 * second (all clients), pair latency p50 and p99, the fairness among
 * clients (the least pairs any client did over the most: 1.00 is perfectly
 * even), and racrt's ratio over Redis.
 *
 * Workloads: 1 and 16 client processes on instance 1, synchronous EX lock
 * + unlock, on one hot resource and on 10,000 spread ones (racrt twice:
 * racrt_unlock, which waits for LMS's answer, and racrt-nw,
 * racrt_unlock_nowait, which does not); then one client
 * pipelining 256 asynchronous pairs on spread resources.  With one
 * instance every master is local; with three, two thirds of spread
 * resources are mastered remotely.
 *
 * Redis: SET NX PX to lock, a compare-and-delete script to unlock (resp.h).
 * A client that finds the lock held retries at once (the retry loop most
 * hand-written Redis locks have); on the hot resource a second Redis line
 * retries after a random pause of up to 1 ms instead, as lock libraries
 * do.  racrt's waiters queue, first come first served, and never retry.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "racrt.h"
#include "rac.h"
#include "resp.h"

#define MAX_SAMPLES 20000
#define MAX_CLIENTS 16
#define MAX_RUNS 15
#define PIPE_DEPTH 256
#define REDIS_TTL_MS 30000

/* SYS_RACRT_GRD: racrt-nw with the SGA lock cache off (RACRT_FAST_PATH=0), the A/B */
enum sys { SYS_RACRT, SYS_RACRT_NOWAIT, SYS_RACRT_GRD, SYS_REDIS, SYS_REDIS_BACKOFF };

struct bcfg {
	const char *b_cfg;	/* racrt */
	int b_port;		/* redis */
};

struct result {
	double r_pairs;	/* per second, all clients */
	double r_p50, r_p99;	/* us */
	double r_fair;	/* min / max pairs per client */
	int r_failed;
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void pause_us(unsigned us)
{
	struct timespec ts = { 0, (long)us * 1000 };

	nanosleep(&ts, NULL);
}

/*
 * One synchronous client for `secs`: pair count and latency samples (us).
 * Every client connects first, then waits on `go` (the parent closes it
 * once all are forked): they all start together, so that no client runs
 * alone for a while and gets more than its share.
 */
static int sync_client(enum sys sys, const struct bcfg *b, int hot, int secs, unsigned seed,
		       int go, uint64_t *pairs, uint32_t *lat, int *ns)
{
	char c;
	struct resp *rp = NULL;
	racrt_t *r = NULL;
	int err;
	uint64_t end;

	if (sys == SYS_RACRT || sys == SYS_RACRT_NOWAIT || sys == SYS_RACRT_GRD) {
		if (sys == SYS_RACRT_GRD)
			setenv("RACRT_FAST_PATH", "0", 1);	/* a forked client: ours alone */
		r = racrt_open(b->b_cfg, 1, &err);
		if (!r)
			return -1;
	} else {
		rp = malloc(sizeof(*rp));
		if (!rp || resp_open(rp, b->b_port)) {
			free(rp);
			return -1;
		}
	}
	while (read(go, &c, 1) < 0 && errno == EINTR)
		;
	end = rac_now_mono_ns() + (uint64_t)secs * 1000000000ull;
	while (rac_now_mono_ns() < end) {
		char name[32], token[32];
		uint64_t lk, t0 = rac_now_mono_ns();

		if (hot)
			strcpy(name, "hot");
		else
			snprintf(name, sizeof(name), "k%u", rand_r(&seed) % 10000);
		if (r) {
			int rc = racrt_lock(r, name, strlen(name), RACRT_EX, 0, 0, &lk, NULL, NULL);

			if (rc == 0)
				rc = sys == SYS_RACRT ? racrt_unlock(r, lk, NULL) :
				     racrt_unlock_nowait(r, lk, NULL);
			if (rc) {
				fprintf(stderr, "bench_locks: client %d: %s\n", (int)getpid(),
					racrt_strerror(rc));
				return -1;
			}
		} else {
			int got;

			snprintf(token, sizeof(token), "%d-%llu", (int)getpid(),
				 (unsigned long long)*pairs);
			while ((got = resp_lock(rp, name, token, REDIS_TTL_MS)) == 0) {
				if (rac_now_mono_ns() >= end)
					goto out;
				if (sys == SYS_REDIS_BACKOFF)
					pause_us(rand_r(&seed) % 1000);
			}
			if (got < 0 || resp_unlock(rp, name, token))
				return -1;
		}
		(*pairs)++;
		if (*ns < MAX_SAMPLES) {
			uint64_t d = rac_now_mono_ns() - t0;	/* ns: a cached pair takes < 1 us */

			lat[(*ns)++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
		}
	}
out:
	if (r)
		racrt_close(&r);
	if (rp) {
		resp_close(rp);
		free(rp);
	}
	return 0;
}

static struct result run_sync(enum sys sys, const struct bcfg *b, int nclients, int hot,
			      int secs)
{
	static uint32_t all[MAX_SAMPLES * MAX_CLIENTS];
	struct result res = { 0 };
	uint64_t total = 0, most = 0, least = UINT64_MAX;
	size_t n = 0;
	int fds[MAX_CLIENTS][2], go[2];
	pid_t kids[MAX_CLIENTS];

	fflush(stdout);
	if (pipe(go))
		return res;
	for (int c = 0; c < nclients; c++) {
		if (pipe(fds[c]))
			return res;
		if ((kids[c] = fork()) == 0) {
			static uint32_t lat[MAX_SAMPLES];
			uint64_t pairs = 0;
			int ns = 0;

			close(fds[c][0]);
			close(go[1]);
			if (sync_client(sys, b, hot, secs, (unsigned)(c * 7919 + 1), go[0], &pairs, lat,
					&ns))
				_exit(1);
			if (write(fds[c][1], &pairs, sizeof(pairs)) < 0 ||
			    write(fds[c][1], &ns, sizeof(ns)) < 0 ||
			    write(fds[c][1], lat, sizeof(uint32_t) * (size_t)ns) < 0)
				_exit(1);
			_exit(0);
		}
		close(fds[c][1]);
	}
	close(go[0]);
	close(go[1]);	/* everyone starts */
	for (int c = 0; c < nclients; c++) {
		FILE *f = fdopen(fds[c][0], "r");
		uint64_t p = 0;
		int ns = 0;

		if (!f || fread(&p, sizeof(p), 1, f) != 1 || fread(&ns, sizeof(ns), 1, f) != 1) {
			res.r_failed++;
		} else {
			if (ns > MAX_SAMPLES)
				ns = MAX_SAMPLES;
			n += fread(&all[n], sizeof(uint32_t), (size_t)ns, f);
			total += p;
			if (getenv("BENCH_PER_CLIENT"))
				fprintf(stderr, " %llu", (unsigned long long)p);
			most = p > most ? p : most;
			least = p < least ? p : least;
		}
		if (f)
			fclose(f);
		else
			close(fds[c][0]);
	}
	for (int c = 0; c < nclients; c++)	/* ours only: redis-server is a child too */
		if (kids[c] > 0)
			waitpid(kids[c], NULL, 0);
	qsort(all, n, sizeof(all[0]), cmp_u32);
	res.r_pairs = (double)total / secs;
	res.r_p50 = n ? all[n / 2] / 1000.0 : 0;
	res.r_p99 = n ? all[n * 99 / 100] / 1000.0 : 0;
	res.r_fair = most ? (double)least / (double)most : 0;
	return res;
}

/* ---- pipelined ------------------------------------------------------------ */

struct pipe_state {
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

static struct result pipe_racrt(const struct bcfg *b, int secs)
{
	struct result res = { .r_fair = 1 };
	struct pipe_state ps = { 0 };
	unsigned seed = 42;
	racrt_t *r;
	int err;
	uint64_t end;

	r = racrt_open(b->b_cfg, 1, &err);
	if (!r) {
		res.r_failed = 1;
		return res;
	}
	end = rac_now_mono_ns() + (uint64_t)secs * 1000000000ull;
	while (rac_now_mono_ns() < end) {
		while (ps.p_inflight < PIPE_DEPTH) {
			char name[32];

			snprintf(name, sizeof(name), "p%u", rand_r(&seed) % 10000);
			if (racrt_lock_async(r, name, strlen(name), RACRT_EX, 0, 0, locked, &ps) <= 0)
				break;
			ps.p_inflight++;
		}
		racrt_poll(r, 10);
	}
	res.r_pairs = (double)ps.p_done / secs;
	while (ps.p_inflight > 0 && racrt_poll(r, 1000) > 0)
		;
	racrt_close(&r);
	return res;
}

/* Redis: the same depth; a lock reply that is OK sends its unlock */
static struct result pipe_redis(const struct bcfg *b, int secs)
{
	struct result res = { .r_fair = 1 };
	static struct resp rp;
	static struct { char key[16]; uint8_t unlock; } q[PIPE_DEPTH * 2];
	size_t qh = 0, qt = 0;	/* replies expected, in order */
	uint64_t done = 0, end;
	unsigned seed = 42;
	int inflight = 0;

	if (resp_open(&rp, b->b_port)) {
		res.r_failed = 1;
		return res;
	}
	end = rac_now_mono_ns() + (uint64_t)secs * 1000000000ull;
	while (rac_now_mono_ns() < end) {
		while (inflight < PIPE_DEPTH) {
			size_t k = qt++ % (PIPE_DEPTH * 2);

			snprintf(q[k].key, sizeof(q[k].key), "p%u", rand_r(&seed) % 10000);
			q[k].unlock = 0;
			if (resp_cmd_lock(&rp, q[k].key, "t", REDIS_TTL_MS))
				goto fail;
			inflight++;
		}
		if (resp_flush(&rp))
			goto fail;
		/* take the replies that are here (at least one) */
		do {
			size_t k = qh++ % (PIPE_DEPTH * 2);
			long long v;
			int kind = resp_reply(&rp, &v);

			if (kind < 0)
				goto fail;
			if (!q[k].unlock && kind == RESP_OK) {
				size_t u = qt++ % (PIPE_DEPTH * 2);

				memcpy(q[u].key, q[k].key, sizeof(q[u].key));
				q[u].unlock = 1;
				if (resp_cmd_unlock(&rp, q[u].key, "t"))
					goto fail;
			} else {
				done += q[k].unlock && kind == RESP_INT && v == 1;
				inflight--;
			}
		} while (qh != qt && rp.rp_off < rp.rp_have &&
			 memchr(rp.rp_in + rp.rp_off, '\n', rp.rp_have - rp.rp_off));
	}
	res.r_pairs = (double)done / secs;
	resp_close(&rp);
	return res;
fail:
	res.r_failed = 1;
	resp_close(&rp);
	return res;
}

/* ---- reporting -------------------------------------------------------------- */

struct series {
	double s_pairs[MAX_RUNS], s_p50[MAX_RUNS], s_p99[MAX_RUNS], s_fair[MAX_RUNS];
	int s_n, s_failed;
};

static void add(struct series *s, const struct result *r)
{
	if (r->r_failed) {
		s->s_failed++;
		return;
	}
	s->s_pairs[s->s_n] = r->r_pairs;
	s->s_p50[s->s_n] = r->r_p50;
	s->s_p99[s->s_n] = r->r_p99;
	s->s_fair[s->s_n++] = r->r_fair;
}

static void show(const char *who, struct series *s, int latency)
{
	if (!s->s_n) {
		printf("    %-10s no run completed%s\n", who, s->s_failed ? " (runs failed)" : "");
		return;
	}
	printf("    %-10s %9.0f pairs/s", who, median(s->s_pairs, s->s_n));
	if (latency)
		printf("  p50 %7.1f us  p99 %7.1f us  fairness %.2f", median(s->s_p50, s->s_n),
		       median(s->s_p99, s->s_n), median(s->s_fair, s->s_n));
	if (s->s_failed)
		printf("  (%d run%s failed)", s->s_failed, s->s_failed == 1 ? "" : "s");
	printf("\n");
}

static void workload(const struct bcfg *b, int redis, const char *what, int nclients, int hot,
		     int pipelined, int secs, int runs)
{
	struct series rs = { .s_n = 0 }, ns = { .s_n = 0 }, gs = { .s_n = 0 }, ds = { .s_n = 0 },
		      bs = { .s_n = 0 };
	int backoff = redis && hot && nclients > 1;
	const char *only = getenv("BENCH_ONLY");	/* e.g. "spread16", "hot1", "spread1p" */
	char key[32];

	snprintf(key, sizeof(key), "%s%d%s", hot ? "hot" : "spread", nclients, pipelined ? "p" : "");
	if (only && *only && strcmp(only, key))
		return;

	for (int i = 0; i < runs; i++) {
		struct result x;

		x = pipelined ? pipe_racrt(b, secs) : run_sync(SYS_RACRT, b, nclients, hot, secs);
		add(&rs, &x);
		if (!pipelined) {
			x = run_sync(SYS_RACRT_NOWAIT, b, nclients, hot, secs);
			add(&ns, &x);
			x = run_sync(SYS_RACRT_GRD, b, nclients, hot, secs);
			add(&gs, &x);
		}
		if (redis) {
			x = pipelined ? pipe_redis(b, secs) : run_sync(SYS_REDIS, b, nclients, hot, secs);
			add(&ds, &x);
		}
		if (backoff) {
			x = run_sync(SYS_REDIS_BACKOFF, b, nclients, hot, secs);
			add(&bs, &x);
		}
	}
	printf("  %s, %d client%s%s\n", what, nclients, nclients == 1 ? "" : "s",
	       pipelined ? ", pipelined (256 in flight)" : "");
	{
		/* medians before show() sorts the arrays in place */
		double r = rs.s_n ? median(rs.s_pairs, rs.s_n) : 0;
		double nw = ns.s_n ? median(ns.s_pairs, ns.s_n) : 0;
		double grd = gs.s_n ? median(gs.s_pairs, gs.s_n) : 0;
		double d = ds.s_n ? median(ds.s_pairs, ds.s_n) : 0;
		double bo = bs.s_n ? median(bs.s_pairs, bs.s_n) : 0;

		show("racrt", &rs, !pipelined);
		if (!pipelined) {
			show("racrt-nw", &ns, 1);
			show("nw-nocache", &gs, 1);
		}
		if (redis)
			show("redis", &ds, !pipelined);
		if (backoff)
			show("redis+", &bs, 1);
		if (d > 0)
			printf("    ratio  %.2fx Redis", r / d);
		if (d > 0 && nw > 0)
			printf(" (racrt-nw %.2fx)", nw / d);
		if (bo > 0)
			printf(", %.2fx Redis retrying after a pause (redis+)", r / bo);
		if (d > 0)
			printf("\n");
		if (nw > 0 && grd > 0)
			printf("    SGA lock cache  racrt-nw %.2fx the same without it (nw-nocache)\n",
			       nw / grd);
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *server = argc > 5 ? argv[5] : "/usr/bin/redis-server";
	struct bcfg b = { .b_port = 0 };
	int ninst, secs, runs;
	pid_t redis = -1;

	if (argc < 5 || argc > 6 || (ninst = atoi(argv[2])) < 1 || (secs = atoi(argv[3])) < 1 ||
	    secs > 30 || (runs = atoi(argv[4])) < 1 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: bench_locks CONFIG INSTANCES SECONDS(1-30) RUNS(1-%d) "
			"[REDIS_SERVER]\n", MAX_RUNS);
		return 2;
	}
	b.b_cfg = argv[1];
	if (access(server, X_OK) == 0) {
		srand((unsigned)getpid());
		for (int i = 0; i < 5 && redis < 0; i++) {
			b.b_port = 20000 + rand() % 12000;	/* below the ephemeral range */
			redis = resp_server_start(server, b.b_port);
		}
	}
	printf("lock benchmarks, %d instance%s (%s); medians of %d runs of %d s", ninst,
	       ninst == 1 ? "" : "s", ninst == 1 ? "every master local" :
	       "spread: most masters remote", runs, secs);
	if (redis > 0)
		printf("; Redis %s on 127.0.0.1:%d in the same run\n", server, b.b_port);
	else
		printf("; no Redis baseline (%s not found or did not start)\n", server);
	for (int c = 1; c <= 16; c += 15) {
		workload(&b, redis > 0, "one hot resource", c, 1, 0, secs, runs);
		workload(&b, redis > 0, "10,000 spread resources", c, 0, 0, secs, runs);
	}
	workload(&b, redis > 0, "10,000 spread resources", 1, 0, 1, secs, runs);
	resp_server_stop(redis);
	return 0;
}

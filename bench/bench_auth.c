/*
 * bench_auth.c - what CURVE costs a message: round trips with and without.
 *
 *   bench_auth ROUNDS RUNS
 *
 * One DEALER and one ROUTER, as racrt's members use them, over TCP on
 * loopback: the DEALER sends a message, the ROUTER (in its own thread)
 * echoes it, ROUNDS times in a row, after a warm-up.  Three sizes: a
 * heartbeat (72 bytes), one lock message (136 bytes) and a full bundle of
 * lock messages (32 KiB).  For each size, RUNS runs per mode, the modes
 * taking turns: plain (interconnect_auth = no) and CURVE (the socket
 * options auth_server() and auth_client() set).  Reported: medians over the
 * runs of the round trip's p50 and p99 and of round trips per second, and
 * CURVE's ratio over plain, same run.  The handshake (and its ZAP request)
 * happens once per connection and is not in these figures.  Bounded:
 * ROUNDS <= 1,000,000, RUNS <= 21.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "bench.h"

#define MAX_RUNS 21
#define WARMUP 200

struct pair {
	void *ctx;
	void *router;
	void *dealer;
	pthread_t echo;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* the ROUTER's side: echo every message until an empty one */
static void *echo(void *arg)
{
	struct pair *p = arg;

	for (;;) {
		zmq_msg_t id, body;

		zmq_msg_init(&id);
		zmq_msg_init(&body);
		if (zmq_msg_recv(&id, p->router, 0) < 0 || zmq_msg_recv(&body, p->router, 0) < 0) {
			zmq_msg_close(&id);
			zmq_msg_close(&body);
			return NULL;
		}
		if (zmq_msg_size(&body) == 0) {
			zmq_msg_close(&id);
			zmq_msg_close(&body);
			return NULL;
		}
		zmq_msg_send(&id, p->router, ZMQ_SNDMORE);
		zmq_msg_send(&body, p->router, 0);
	}
}

static int pair_open(struct pair *p, int curve)
{
	char ep[64], spub[41], ssec[41], cpub[41], csec[41];
	size_t len = sizeof(ep);
	int one = 1, linger = 0;

	memset(p, 0, sizeof(*p));
	p->ctx = zmq_ctx_new();
	p->router = zmq_socket(p->ctx, ZMQ_ROUTER);
	p->dealer = zmq_socket(p->ctx, ZMQ_DEALER);
	zmq_setsockopt(p->router, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(p->dealer, ZMQ_LINGER, &linger, sizeof(linger));
	if (curve) {
		if (zmq_curve_keypair(spub, ssec) || zmq_curve_keypair(cpub, csec))
			return -1;
		zmq_setsockopt(p->router, ZMQ_CURVE_SERVER, &one, sizeof(one));
		zmq_setsockopt(p->router, ZMQ_CURVE_SECRETKEY, ssec, 40);
		zmq_setsockopt(p->dealer, ZMQ_CURVE_SERVERKEY, spub, 40);
		zmq_setsockopt(p->dealer, ZMQ_CURVE_PUBLICKEY, cpub, 40);
		zmq_setsockopt(p->dealer, ZMQ_CURVE_SECRETKEY, csec, 40);
	}
	if (zmq_bind(p->router, "tcp://127.0.0.1:*") ||
	    zmq_getsockopt(p->router, ZMQ_LAST_ENDPOINT, ep, &len) || zmq_connect(p->dealer, ep))
		return -1;
	return pthread_create(&p->echo, NULL, echo, p) ? -1 : 0;
}

static void pair_close(struct pair *p)
{
	zmq_send(p->dealer, "", 0, 0);	/* the echo thread's end */
	pthread_join(p->echo, NULL);
	zmq_close(p->dealer);
	zmq_close(p->router);
	zmq_ctx_term(p->ctx);
}

struct result {
	double p50_us, p99_us, per_s;
};

static int one_run(int curve, size_t size, int rounds, uint64_t *lat, struct result *r)
{
	struct pair p;
	char *buf = calloc(1, size), *in = malloc(size);
	uint64_t t0 = 0;
	int rc = -1;

	if (!buf || !in || pair_open(&p, curve))
		goto out;
	for (int i = 0; i < WARMUP + rounds; i++) {
		uint64_t s = now_ns();

		if (i == WARMUP)
			t0 = s;
		if (zmq_send(p.dealer, buf, size, 0) < 0 || zmq_recv(p.dealer, in, size, 0) < 0)
			goto close;
		if (i >= WARMUP)
			lat[i - WARMUP] = now_ns() - s;
	}
	r->per_s = rounds / ((double)(now_ns() - t0) / 1e9);
	qsort(lat, (size_t)rounds, sizeof(*lat), cmp_u64);
	r->p50_us = lat[rounds / 2] / 1000.0;
	r->p99_us = lat[(size_t)rounds * 99 / 100] / 1000.0;
	rc = 0;
close:
	pair_close(&p);
out:
	free(buf);
	free(in);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct { size_t size; const char *what; } sizes[] = {
		{ 72, "heartbeat, 72 B" },
		{ 136, "one lock message, 136 B" },
		{ 32768, "a bundle of lock messages, 32 KiB" },
	};
	int rounds = argc > 1 ? atoi(argv[1]) : 20000, runs = argc > 2 ? atoi(argv[2]) : 5;
	uint64_t *lat;

	if (argc > 3 || rounds < 100 || rounds > 1000000 || runs < 1 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: bench_auth ROUNDS(100-1000000) RUNS(1-%d)\n", MAX_RUNS);
		return 2;
	}
	if (!zmq_has("curve")) {
		printf("CURVE: this libzmq has no CURVE; skipped\n");
		return 0;
	}
	lat = malloc(sizeof(*lat) * (size_t)rounds);
	if (!lat)
		return 1;
	printf("CURVE against plain ZeroMQ: DEALER -> ROUTER echo over TCP loopback, %d round "
	       "trips per run, %d runs per mode, modes taking turns; medians\n", rounds, runs);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		double v[2][3][MAX_RUNS];

		for (int i = 0; i < runs; i++)
			for (int curve = 0; curve < 2; curve++) {
				struct result r;

				if (one_run(curve, sizes[s].size, rounds, lat, &r)) {
					fprintf(stderr, "bench_auth: a run failed: %s\n",
						zmq_strerror(zmq_errno()));
					return 1;
				}
				v[curve][0][i] = r.p50_us;
				v[curve][1][i] = r.p99_us;
				v[curve][2][i] = r.per_s;
			}
		printf("  %s:\n", sizes[s].what);
		double m[2][3];

		for (int curve = 0; curve < 2; curve++) {
			for (int k = 0; k < 3; k++)
				m[curve][k] = median(v[curve][k], runs);
			printf("    %-6s p50 %7.1f us  p99 %7.1f us  %9.0f round trips/s\n",
			       curve ? "curve" : "plain", m[curve][0], m[curve][1], m[curve][2]);
		}
		printf("    curve/plain: p50 %.2fx, p99 %.2fx, throughput %.2fx\n",
		       m[1][0] / m[0][0], m[1][1] / m[0][1], m[1][2] / m[0][2]);
	}
	free(lat);
	return 0;
}

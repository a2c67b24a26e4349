/*
 * bench_hold.c - take COUNT locks through one client and hold them.
 *
 *   bench_hold CONFIG INSTANCE COUNT PREFIX
 *
 * Takes COUNT EX locks named PREFIX<n> on INSTANCE, pipelined (256 in
 * flight), prints "ready COUNT SECONDS RSS_KB" when all are granted, then
 * holds them until its standard input closes, and exits without giving
 * them back (the benchmark takes the cluster down).  Used by bench/grd.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "racrt.h"
#include "rac.h"

struct st {
	long granted, failed;
	int inflight;
};

static void done(racrt_t *r, const struct racrt_result *res, void *arg)
{
	struct st *s = arg;

	(void)r;
	s->inflight--;
	if (res->rr_status == 0)
		s->granted++;
	else
		s->failed++;
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = 0;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = atol(line + 6);
	if (f)
		fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	struct st s = { 0 };
	long count, sent = 0;
	int err;
	racrt_t *r;
	uint64_t t0, end;
	char buf[64];

	if (argc != 5 || (count = atol(argv[3])) < 1) {
		fprintf(stderr, "usage: bench_hold CONFIG INSTANCE COUNT PREFIX\n");
		return 2;
	}
	r = racrt_open(argv[1], atoi(argv[2]), &err);
	if (!r) {
		fprintf(stderr, "bench_hold: %s\n", racrt_strerror(err));
		return 1;
	}
	t0 = rac_now_mono_ns();
	end = t0 + 300ull * 1000000000ull;	/* bounded: 5 minutes */
	while ((s.granted + s.failed < count) && rac_now_mono_ns() < end) {
		while (sent < count && s.inflight < 256) {
			char name[64];

			snprintf(name, sizeof(name), "%s%ld", argv[4], sent);
			if (racrt_lock_async(r, name, strlen(name), RACRT_EX, 0, 0, done, &s) <= 0)
				break;
			s.inflight++;
			sent++;
		}
		racrt_poll(r, 100);
	}
	if (s.granted != count) {
		fprintf(stderr, "bench_hold: %ld of %ld locks granted, %ld failed\n", s.granted,
			count, s.failed);
		return 1;
	}
	printf("ready %ld %.3f %ld\n", s.granted, (double)(rac_now_mono_ns() - t0) / 1e9, rss_kb());
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	_exit(0);	/* the locks go with the cluster */
}

/*
 * lkchurn.c - test tool: increments counters under EX locks for as long as
 * the membership churns around it.
 *
 *   lkchurn CONFIG INSTANCE DIR COUNTERS STOP_FILE
 *
 * Holds an NL lock on each of COUNTERS resources "ctr<k>" (so that their
 * value blocks outlive the moments nobody else holds them), then, until
 * STOP_FILE exists (at most 120 s, at most 100000 rounds): takes ctr<k> in
 * EX, reads the number in DIR/ctr<k>, checks that the value block says the
 * same unless LMS marked it dubious (its master died, or left), writes the
 * number plus one to the file and to the value block, and releases --
 * every other round without waiting for the answer.  Each request is bounded
 * (30 s): a lock lost in a reconfiguration fails the run instead of hanging
 * it.  Prints "done N dubious=D lvb_mismatch=M" (N increments) and exits 0
 * when M is 0; any failed request prints what failed and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "racrt.h"

#define MAX_COUNTERS 64
#define WAIT_MS 30000
#define MAX_ROUNDS 100000
#define MAX_SECS 120

static int rw_count(const char *path, unsigned long long *v, int write)
{
	FILE *f = fopen(path, write ? "w" : "r");
	int ok;

	if (!f)
		return write ? -1 : (*v = 0, 0);	/* not written yet: 0 */
	ok = write ? fprintf(f, "%llu\n", *v) > 0 : fscanf(f, "%llu", v) == 1;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static racrt_t *r;

/* said at once: a sanitizer's exit must not swallow it */
static int failed(const char *what, int k, int rc)
{
	printf("%s ctr%d: %s\n", what, k, racrt_strerror(rc));
	fflush(stdout);
	racrt_close(&r);
	return 1;
}

int main(int argc, char **argv)
{
	uint64_t nl[MAX_COUNTERS];
	unsigned long long done = 0, dubious_seen = 0, mismatch = 0;
	time_t end = time(NULL) + MAX_SECS;
	int err = 0, rc, n;

	if (argc != 6 || (n = atoi(argv[4])) < 1 || n > MAX_COUNTERS) {
		fprintf(stderr, "usage: lkchurn CONFIG INSTANCE DIR COUNTERS(1..%d) STOP_FILE\n",
			MAX_COUNTERS);
		return 2;
	}
	r = racrt_open(argv[1], atoi(argv[2]), &err);
	if (!r) {
		printf("open: %s\n", racrt_strerror(err));
		return 1;
	}
	for (int k = 0; k < n; k++) {
		char name[16];

		snprintf(name, sizeof(name), "ctr%d", k);
		rc = racrt_lock(r, name, strlen(name), RACRT_NL, 0, WAIT_MS, &nl[k], NULL, NULL);
		if (rc)
			return failed("NL lock", k, rc);
	}
	for (unsigned round = 0; round < MAX_ROUNDS && time(NULL) < end; round++) {
		uint8_t lvb[RACRT_LVB_LEN];
		unsigned long long v, lv = 0;
		char name[16], path[4096];
		int k = (int)(round % (unsigned)n), dubious = 0;
		uint64_t lkid;

		if (round % 16 == 0 && access(argv[5], F_OK) == 0)
			break;
		snprintf(name, sizeof(name), "ctr%d", k);
		snprintf(path, sizeof(path), "%s/ctr%d", argv[3], k);
		rc = racrt_lock(r, name, strlen(name), RACRT_EX, 0, WAIT_MS, &lkid, lvb, &dubious);
		if (rc)
			return failed("EX lock", k, rc);
		for (int b = 7; b >= 0; b--)
			lv = lv << 8 | lvb[b];
		if (rw_count(path, &v, 0)) {
			printf("cannot read %s\n", path);
			return 1;
		}
		if (dubious)
			dubious_seen++;
		else if (lv != v)
			mismatch++;
		v++;
		if (rw_count(path, &v, 1)) {
			printf("cannot write %s\n", path);
			return 1;
		}
		memset(lvb, 0, sizeof(lvb));
		for (int b = 0; b < 8; b++)
			lvb[b] = (uint8_t)(v >> (8 * b));
		rc = round % 2 ? racrt_unlock_nowait(r, lkid, lvb) : racrt_unlock(r, lkid, lvb);
		if (rc)
			return failed("unlock", k, rc);
		done++;
	}
	racrt_close(&r);	/* releases the NL locks */
	printf("done %llu dubious=%llu lvb_mismatch=%llu\n", done, dubious_seen, mismatch);
	return mismatch ? 1 : 0;
}

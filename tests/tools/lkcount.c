/*
 * lkcount.c - test tool: increments a counter under an EX lock, releasing
 * the lock with racrt_unlock_nowait().
 *
 *   lkcount CONFIG INSTANCE FILE COUNT [RESOURCE]
 *
 * COUNT times: lock RESOURCE (default "counter") in EX, read the number in FILE, check that
 * the value block (its first 8 bytes, little-endian) says the same -- the
 * previous holder wrote both; an NL lock held throughout keeps the value
 * block alive while nobody holds the resource -- write the number plus one to FILE and to
 * the value block, and release without waiting.  Prints
 * "done bad=B nowait_failed=F lvb_mismatch=M" and exits 0 when all three
 * are 0; any other failure exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "racrt.h"

static int read_count(const char *path, unsigned long long *v)
{
	FILE *f = fopen(path, "r");
	int ok = f && fscanf(f, "%llu", v) == 1;

	if (f)
		fclose(f);
	return ok ? 0 : -1;
}

static int write_count(const char *path, unsigned long long v)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fprintf(f, "%llu\n", v);
	return fclose(f);
}

int main(int argc, char **argv)
{
	struct racrt_stats st;
	unsigned long long v, lv;
	int err = 0, rc, mismatch = 0, n;
	const char *name = argc > 5 ? argv[5] : "counter";
	size_t len = strlen(name);
	uint64_t keep;
	racrt_t *r;

	if (argc < 5 || argc > 6 || (n = atoi(argv[4])) < 1) {
		fprintf(stderr, "usage: lkcount CONFIG INSTANCE FILE COUNT [RESOURCE]\n");
		return 2;
	}
	r = racrt_open(argv[1], atoi(argv[2]), &err);
	if (!r) {
		fprintf(stderr, "lkcount: %s\n", racrt_strerror(err));
		return 1;
	}
	rc = racrt_lock(r, name, len, RACRT_NL, 0, 30000, &keep, NULL, NULL);
	if (rc) {
		fprintf(stderr, "lkcount: NL lock: %s\n", racrt_strerror(rc));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		uint8_t lvb[RACRT_LVB_LEN];
		uint64_t lkid;

		/* bounded: a release that never arrives must fail the test, not hang it */
		rc = racrt_lock(r, name, len, RACRT_EX, 0, 30000, &lkid, lvb, NULL);
		if (rc) {
			fprintf(stderr, "lkcount: lock: %s\n", racrt_strerror(rc));
			return 1;
		}
		lv = 0;
		for (int b = 7; b >= 0; b--)
			lv = lv << 8 | lvb[b];
		if (read_count(argv[3], &v)) {
			fprintf(stderr, "lkcount: cannot read %s\n", argv[3]);
			return 1;
		}
		mismatch += lv != v;
		v++;
		if (write_count(argv[3], v)) {
			fprintf(stderr, "lkcount: cannot write %s\n", argv[3]);
			return 1;
		}
		memset(lvb, 0, sizeof(lvb));
		for (int b = 0; b < 8; b++)
			lvb[b] = (uint8_t)(v >> (8 * b));
		rc = racrt_unlock_nowait(r, lkid, lvb);
		if (rc) {
			fprintf(stderr, "lkcount: unlock: %s\n", racrt_strerror(rc));
			return 1;
		}
	}
	racrt_get_stats(r, &st);
	racrt_close(&r);	/* releases the NL lock */
	printf("done bad=%llu nowait_failed=%llu lvb_mismatch=%d\n",
	       (unsigned long long)st.rs_bad, (unsigned long long)st.rs_nowait_failed, mismatch);
	return st.rs_bad || st.rs_nowait_failed || mismatch ? 1 : 0;
}

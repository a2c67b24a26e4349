/*
 * lkmany.c - test tool: one client that holds many locks, then converts and
 * releases each.
 *
 *   lkmany CONFIG INSTANCE PREFIX COUNT READY_FILE GO_FILE
 *
 * Takes COUNT EX locks named PREFIX<n> (every other name made longer than
 * 16 bytes: LMS keeps short and long names apart), creates READY_FILE,
 * waits (at most 60 s) for GO_FILE, then converts each lock down to NL and
 * back up to EX and releases it.  Prints "done COUNT" (exit 0), or the
 * first step that failed (exit 1).  Meanwhile the membership may change:
 * the locks must survive it wherever they are mastered.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "racrt.h"

#define MAX_LOCKS 1000
#define WAIT_MS 10000	/* any one request: bounded, a lost lock must fail, not hang */

static int failed(const char *what, const char *name, int rc)
{
	printf("%s %s: %s\n", what, name, racrt_strerror(rc));
	return 1;
}

int main(int argc, char **argv)
{
	static uint64_t ids[MAX_LOCKS];
	static char names[MAX_LOCKS][64];
	racrt_t *r;
	int count, err = 0, rc;

	if (argc != 7 || (count = atoi(argv[4])) < 1 || count > MAX_LOCKS) {
		fprintf(stderr, "usage: lkmany CONFIG INSTANCE PREFIX COUNT(1..%d) READY_FILE "
			"GO_FILE\n", MAX_LOCKS);
		return 2;
	}
	r = racrt_open(argv[1], atoi(argv[2]), &err);
	if (!r) {
		fprintf(stderr, "lkmany: %s\n", racrt_strerror(err));
		return 1;
	}
	for (int k = 0; k < count; k++) {
		snprintf(names[k], sizeof(names[k]), k % 2 ? "%s%d-a-name-longer-than-16" : "%s%d",
			 argv[3], k);
		rc = racrt_lock(r, names[k], strlen(names[k]), RACRT_EX, 0, WAIT_MS, &ids[k], NULL,
				NULL);
		if (rc)
			return failed("lock", names[k], rc);
	}
	close(open(argv[5], O_CREAT | O_WRONLY, 0600));
	for (int i = 0; i < 6000 && access(argv[6], F_OK); i++)
		usleep(10000);
	for (int k = 0; k < count; k++) {
		if ((rc = racrt_convert(r, ids[k], RACRT_NL, 0, WAIT_MS, NULL, NULL, NULL)))
			return failed("convert down", names[k], rc);
		if ((rc = racrt_convert(r, ids[k], RACRT_EX, 0, WAIT_MS, NULL, NULL, NULL)))
			return failed("convert up", names[k], rc);
		if ((rc = racrt_unlock(r, ids[k], NULL)))
			return failed("unlock", names[k], rc);
	}
	printf("done %d\n", count);
	fflush(stdout);
	racrt_close(&r);
	return 0;
}

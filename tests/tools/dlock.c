/*
 * dlock.c - test tool: one client that holds a lock, then asks for another.
 *
 *   dlock CONFIG INSTANCE FIRST SECOND READY_FILE GO_FILE
 *
 * Takes FIRST in EX, creates READY_FILE, waits (at most 20 s) for GO_FILE,
 * then asks for SECOND in EX and waits.  Prints "granted" (exit 0) or
 * "deadlock" (exit 3); any other failure exits 1.  Two of these with the
 * names swapped make a deadlock between two instances.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "racrt.h"

int main(int argc, char **argv)
{
	racrt_t *r;
	uint64_t a, b;
	int err = 0, rc;

	if (argc != 7) {
		fprintf(stderr, "usage: dlock CONFIG INSTANCE FIRST SECOND READY_FILE GO_FILE\n");
		return 2;
	}
	r = racrt_open(argv[1], atoi(argv[2]), &err);
	if (!r) {
		fprintf(stderr, "dlock: %s\n", racrt_strerror(err));
		return 1;
	}
	rc = racrt_lock(r, argv[3], strlen(argv[3]), RACRT_EX, 0, 0, &a, NULL, NULL);
	if (rc) {
		fprintf(stderr, "dlock: first lock: %s\n", racrt_strerror(rc));
		return 1;
	}
	close(open(argv[5], O_CREAT | O_WRONLY, 0600));
	for (int i = 0; i < 2000 && access(argv[6], F_OK); i++)
		usleep(10000);
	/* bounded: a deadlock that is never found must fail the test, not hang it */
	rc = racrt_lock(r, argv[4], strlen(argv[4]), RACRT_EX, 0, 30000, &b, NULL, NULL);
	printf("%s\n", rc == 0 ? "granted" : rc == RACRT_EDEADLK ? "deadlock" : racrt_strerror(rc));
	fflush(stdout);
	racrt_close(&r);
	return rc == 0 ? 0 : rc == RACRT_EDEADLK ? 3 : 1;
}

/*
 * bench_disk.c - what a disk-heartbeat round costs: one slot written
 * durably (O_DSYNC) and every instance's slots read back in one I/O, with
 * direct I/O (as LMON does) against buffered I/O on the same file, in the
 * same run.
 *
 *   bench_disk FILE [ROUNDS [RUNS]]
 *
 * FILE is created (or reused) at the size of a voting disk; a block device
 * (a loop device) is used as it is.  Each run times ROUNDS rounds of each
 * kind, alternating the kinds run by run; the lines give the medians over
 * the runs of each run's p50 and p99, in microseconds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "disk.h"
#include "rac.h"

#define MAX_RUNS 15

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* one run of `rounds` rounds on fd: p50 and p99 of the round, and of the write alone */
static int run(int fd, int rounds, uint64_t *lat, uint64_t *wlat, double out[4])
{
	uint8_t (*blks)[RAC_BLK_SIZE];
	struct vote_hb hb = { .hb_inst = 1, .hb_state = HB_STATE_ALIVE };

	if (posix_memalign((void **)&blks, 4096, (size_t)VOTE_NBLOCKS * RAC_BLK_SIZE))
		return -1;
	for (int r = 0; r < rounds; r++) {
		uint64_t t0 = rac_now_mono_ns(), t1;

		hb.hb_counter = (uint64_t)r + 1;
		hb.hb_time_us = rac_now_us();
		if (vote_write_hb(fd, 1, &hb, 1, (uint64_t)r + 1)) {
			free(blks);
			return -1;
		}
		t1 = rac_now_mono_ns();
		if (disk_read_blocks(fd, VOTE_BLK_HB(1), VOTE_SLOTS_END - VOTE_BLK_HB(1), blks) < 0) {
			free(blks);
			return -1;
		}
		lat[r] = rac_now_mono_ns() - t0;
		wlat[r] = t1 - t0;
	}
	free(blks);
	qsort(lat, (size_t)rounds, sizeof(*lat), cmp_u64);
	qsort(wlat, (size_t)rounds, sizeof(*wlat), cmp_u64);
	out[0] = (double)lat[rounds / 2] / 1000.0;
	out[1] = (double)lat[rounds * 99 / 100] / 1000.0;
	out[2] = (double)wlat[rounds / 2] / 1000.0;
	out[3] = (double)wlat[rounds * 99 / 100] / 1000.0;
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : NULL;
	int rounds = argc > 2 ? atoi(argv[2]) : 2000, runs = argc > 3 ? atoi(argv[3]) : 5;
	static double res[2][4][MAX_RUNS];
	uint64_t *lat, *wlat;
	struct stat st;
	int fds[2];

	if (!path || rounds < 100 || runs < 1 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: bench_disk FILE [ROUNDS>=100 [RUNS<=%d]]\n", MAX_RUNS);
		return 2;
	}
	if (stat(path, &st) && errno == ENOENT) {
		int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);

		if (fd < 0 || ftruncate(fd, (off_t)VOTE_NBLOCKS * RAC_SLOT_SIZE)) {
			perror(path);
			return 1;
		}
		close(fd);
		if (stat(path, &st)) {
			perror(path);
			return 1;
		}
	}
	fds[0] = open(path, O_RDWR | O_DSYNC | O_DIRECT | O_CLOEXEC);
	fds[1] = open(path, O_RDWR | O_DSYNC | O_CLOEXEC);
	if (fds[1] < 0) {
		perror(path);
		return 1;
	}
	lat = calloc((size_t)rounds, sizeof(*lat));
	wlat = calloc((size_t)rounds, sizeof(*wlat));
	if (!lat || !wlat)
		return 1;
	for (int r = 0; r < runs; r++)
		for (int k = 0; k < 2; k++) {
			int kind = (r + k) % 2;	/* alternate which goes first */
			double out[4] = { 0 };

			if (fds[kind] >= 0 && run(fds[kind], rounds, lat, wlat, out)) {
				fprintf(stderr, "bench_disk: %s: I/O failed: %s\n", path,
					strerror(errno));
				return 1;
			}
			for (int j = 0; j < 4; j++)
				res[kind][j][r] = out[j];
		}
	printf("disk-heartbeat round on %s (%s; %d rounds x %d runs; medians of the runs, us)\n",
	       path, S_ISBLK(st.st_mode) ? "block device" : "file", rounds, runs);
	for (int kind = 0; kind < 2; kind++) {
		if (fds[kind] < 0) {
			printf("  %-9s not available here (O_DIRECT refused)\n", "direct");
			continue;
		}
		printf("  %-9s round p50 %8.1f p99 %8.1f   write p50 %8.1f p99 %8.1f\n",
		       kind ? "buffered" : "direct", median(res[kind][0], runs),
		       median(res[kind][1], runs), median(res[kind][2], runs),
		       median(res[kind][3], runs));
	}
	if (fds[0] >= 0)
		printf("  direct / buffered (round p50): %.2fx\n",
		       median(res[0][0], runs) / median(res[1][0], runs));
	free(lat);
	free(wlat);
	return 0;
}

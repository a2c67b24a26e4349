/*
 * bench_ctl.c - what a control-area call costs with its copies: the
 * control area on three voting disks, read and written by majority, each
 * copy on its own I/O worker (lib/ctl_area.h), against one copy on one
 * worker (a single control file, as before the copies), in the same run.
 *
 *   bench_ctl DIR [CALLS [RUNS]]
 *
 * DIR gets three files the size of a voting disk.  Each run times CALLS
 * membership reads and CALLS checkpoint-record writes (O_DSYNC) of each
 * kind, alternating the kinds run by run; the lines give the medians over
 * the runs of each run's p50 and p99 in microseconds, and the CPU time
 * the calling thread and the workers spent per call.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench.h"
#include "ctl_area.h"
#include "disk.h"
#include "rac.h"

#define MAX_RUNS 15

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);	/* every thread: the workers too */
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static double pct(uint64_t *lat, int n, int p)
{
	qsort(lat, (size_t)n, sizeof(*lat), cmp_u64);
	return (double)lat[n * p / 100 >= n ? n - 1 : n * p / 100] / 1000.0;
}

/*
 * One run on `cfg`'s copies: out[] = read p50, p99, write p50, p99, CPU us
 * per call.  The records are written first, so the reads find them.
 */
static int run(const struct rac_config *cfg, int calls, uint64_t *lat, double out[5])
{
	struct ctl_area a;
	struct ctl_call cc;
	double c0;
	int rc = 0;

	ctl_area_init(&a, cfg, 1, 500000000ull);
	if (ctl_area_start(&a, "bench"))
		return -1;
	c0 = cpu_us();
	for (int i = 0; i < calls && !rc; i++) {
		uint64_t t0 = rac_now_mono_ns();

		cc = (struct ctl_call){ .cc_op = CTL_CALL_WRITE_CKPT, .cc_may_write = true,
					.cc_ck = { .ck_inst = 1, .ck_count = (uint64_t)i + 1 },
					.cc_inc = 1, .cc_seq = (uint64_t)i + 1 };
		rc = ctl_area_call(&a, &cc);
		lat[i] = rac_now_mono_ns() - t0;
	}
	out[2] = pct(lat, calls, 50);
	out[3] = pct(lat, calls, 99);
	for (int i = 0; i < calls && !rc; i++) {
		uint64_t t0 = rac_now_mono_ns();

		cc = (struct ctl_call){ .cc_op = CTL_CALL_READ_CKPT, .cc_inst = 1 };
		rc = ctl_area_call(&a, &cc);
		lat[i] = rac_now_mono_ns() - t0;
	}
	out[4] = (cpu_us() - c0) / (2.0 * calls);
	out[0] = pct(lat, calls, 50);
	out[1] = pct(lat, calls, 99);
	ctl_area_close(&a);
	return rc;
}

static int make_disk(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	int rc;

	if (fd < 0)
		return -1;
	rc = ftruncate(fd, (off_t)VOTE_NBLOCKS * RAC_SLOT_SIZE);
	close(fd);
	return rc;
}

int main(int argc, char **argv)
{
	static struct rac_config three, one;
	const char *dir;
	int calls, runs;
	uint64_t *lat;
	double res[2][MAX_RUNS][5];
	const char *kind[2] = { "3 copies", "1 copy" };

	if (argc < 2) {
		fprintf(stderr, "usage: bench_ctl DIR [CALLS>=100 [RUNS<=%d]]\n", MAX_RUNS);
		return 2;
	}
	dir = argv[1];
	calls = argc > 2 ? atoi(argv[2]) : 1000;
	runs = argc > 3 ? atoi(argv[3]) : 5;
	if (calls < 100)
		calls = 100;
	if (runs < 1 || runs > MAX_RUNS)
		runs = 5;
	/* three voting disks: three copies; one voting disk: one copy on its worker */
	three.cf_nvoting = 3;
	for (int d = 0; d < 3; d++) {
		snprintf(three.cf_voting[d], sizeof(three.cf_voting[d]), "%s/ctl%d.dsk", dir, d + 1);
		if (make_disk(three.cf_voting[d])) {
			perror(three.cf_voting[d]);
			return 1;
		}
	}
	one.cf_nvoting = 1;
	snprintf(one.cf_voting[0], sizeof(one.cf_voting[0]), "%s", three.cf_voting[0]);
	lat = calloc((size_t)calls, sizeof(*lat));
	if (!lat)
		return 1;
	for (int r = 0; r < runs; r++)
		for (int k = 0; k < 2; k++) {
			int kk = (r % 2) ? 1 - k : k;

			if (run(kk ? &one : &three, calls, lat, res[kk][r])) {
				fprintf(stderr, "bench_ctl: a call failed in %s\n", dir);
				return 1;
			}
		}
	printf("control-area call on %s (%d calls x %d runs; medians of the runs, us)\n", dir,
	       calls, runs);
	for (int k = 0; k < 2; k++) {
		double m[5];

		for (int f = 0; f < 5; f++) {
			double v[MAX_RUNS];

			for (int r = 0; r < runs; r++)
				v[r] = res[k][r][f];
			qsort(v, (size_t)runs, sizeof(v[0]), cmp_dbl);
			m[f] = v[runs / 2];
		}
		printf("  %-9s read p50 %8.1f p99 %8.1f   write p50 %8.1f p99 %8.1f   CPU/call %6.1f\n",
		       kind[k], m[0], m[1], m[2], m[3], m[4]);
		res[k][0][0] = m[0];
		res[k][0][2] = m[2];
		res[k][0][4] = m[4];
	}
	printf("  3 copies / 1 copy: read p50 %.2fx, write p50 %.2fx, CPU/call %.2fx\n",
	       res[0][0][0] / res[1][0][0], res[0][0][2] / res[1][0][2],
	       res[0][0][4] / res[1][0][4]);
	free(lat);
	return 0;
}

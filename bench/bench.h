/*
 * bench.h - what every benchmark shares: medians of repeated runs.
 */
#ifndef RAC_BENCH_H
#define RAC_BENCH_H

#include <stdlib.h>

static int bench_cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* sorts v in place: v[0] and v[n-1] are then the min and the max */
static inline double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), bench_cmp_dbl);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif

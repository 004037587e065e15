/* bench/bench_util.h — small helpers the bench programs share: process CPU
 * time and a comparator for qsort'ing doubles (medians). */
#ifndef DLLD_BENCH_UTIL_H
#define DLLD_BENCH_UTIL_H

#include <time.h>

/* CPU seconds used by the whole process (all threads). */
static inline double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static inline int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

#endif

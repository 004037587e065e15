/* bench/bench_util.h — what the bench programs share besides libdlld:
 * process CPU time (medians sort with dlld_compare_double). */
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

#endif

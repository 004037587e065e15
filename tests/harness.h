/*
 * tests/harness.h — the test programs' tiny framework.
 *
 * A test program lists its tests in main():
 *
 *     int main(void)
 *     {
 *             dlld_test_run("window maps level to 0.5", test_window_level);
 *             return dlld_test_finish();
 *     }
 *
 * A test fails when any CHECK fails (it goes on, to show every failure);
 * SKIP("reason") ends it as skipped. dlld_test_finish prints
 * "N passed, N failed, N skipped" and returns non-zero on any failure.
 */
#ifndef DLLD_TEST_HARNESS_H
#define DLLD_TEST_HARNESS_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

void dlld_test_run(const char *name, void (*fn)(void));
int dlld_test_finish(void);

/* Internal: record one failed check / a skip. */
void dlld_test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void dlld_test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Returns the real-data folder ($DLLD_DATA, default ../shared/data) or NULL
 * when it does not exist. */
const char *dlld_test_data_dir(void);
/* Returns a new temporary folder (removed with everything in it at exit). */
const char *dlld_test_tmpdir(void);

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			dlld_test_fail(__FILE__, __LINE__, "%s", #cond);       \
	} while (0)

#define CHECK_MSG(cond, ...)                                                   \
	do {                                                                   \
		if (!(cond))                                                   \
			dlld_test_fail(__FILE__, __LINE__, __VA_ARGS__);       \
	} while (0)

#define CHECK_INT_EQ(a, b)                                                     \
	do {                                                                   \
		long long a_ = (long long)(a), b_ = (long long)(b);            \
		if (a_ != b_)                                                  \
			dlld_test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", \
				       #a, #b, a_, b_);                        \
	} while (0)

/* |a - b| <= tol (NaN never passes). */
#define CHECK_NEAR(a, b, tol)                                                  \
	do {                                                                   \
		double a_ = (double)(a), b_ = (double)(b), t_ = (double)(tol); \
		if (!(fabs(a_ - b_) <= t_))                                    \
			dlld_test_fail(__FILE__, __LINE__, "%s ~ %s: %.17g vs %.17g (tol %g)", \
				       #a, #b, a_, b_, t_);                    \
	} while (0)

#define CHECK_STR_EQ(a, b)                                                     \
	do {                                                                   \
		const char *a_ = (a), *b_ = (b);                               \
		if (!a_ || !b_ || strcmp(a_, b_) != 0)                         \
			dlld_test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" vs \"%s\"", \
				       #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
	} while (0)

#define SKIP(...)                                                              \
	do {                                                                   \
		dlld_test_skip(__VA_ARGS__);                                   \
		return;                                                        \
	} while (0)

#endif

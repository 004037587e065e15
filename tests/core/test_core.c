/* tests/core/test_core.c — errors, sizes, parsing, RNG, files, pool, progress. */
#include "dlld/core.h"
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static void test_status_names(void)
{
	CHECK_STR_EQ(dlld_status_name(DLLD_STATUS_MALFORMED), "malformed input");
	CHECK_STR_EQ(dlld_status_name(DLLD_STATUS_OK), "success");
	CHECK_STR_EQ(dlld_status_name((enum dlld_status)99), "unknown status");
	CHECK_INT_EQ(DLLD_STATUS_NO_MEMORY, 6);
}

static void test_error_first_failure_wins(void)
{
	struct dlld_error err;
	char buf[256];

	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_error_set_line(&err, DLLD_STATUS_MALFORMED, "a.csv", 7, "bad %s", "x"),
		     DLLD_STATUS_MALFORMED);
	dlld_error_set(&err, DLLD_STATUS_WRITE, "b", "later");
	CHECK_INT_EQ(err.status, DLLD_STATUS_MALFORMED);
	CHECK_STR_EQ(dlld_error_format(&err, buf, sizeof buf), "a.csv:7: bad x");
	dlld_error_clear(&err);
	dlld_error_set_where(&err, DLLD_STATUS_MALFORMED, "h.nii", "dim[1]", 44, "is %d", -3);
	CHECK_STR_EQ(dlld_error_format(&err, buf, sizeof buf), "h.nii: dim[1]: is -3 (offset 44)");
	/* NULL err is allowed and still returns the status */
	CHECK_INT_EQ(dlld_error_set(NULL, DLLD_STATUS_USAGE, NULL, "x"), DLLD_STATUS_USAGE);
	/* a tiny buffer is truncated, never overrun */
	CHECK(strlen(dlld_error_format(&err, buf, 5)) <= 4);
}

static void test_size_arithmetic(void)
{
	size_t out;
	struct dlld_error err;

	CHECK(dlld_size_mul(3, 5, &out) && out == 15);
	CHECK(!dlld_size_mul(SIZE_MAX / 2 + 1, 2, &out) && out == 0);
	CHECK(dlld_size_add(SIZE_MAX - 1, 1, &out) && out == SIZE_MAX);
	CHECK(!dlld_size_add(SIZE_MAX, 1, &out));
	CHECK(!dlld_size_mul3(1u << 30, 1u << 30, 1u << 30, &out) || sizeof(size_t) > 8);
	CHECK(dlld_size_mul3(512, 512, 130, &out) && out == 512u * 512u * 130u);
	dlld_error_clear(&err);
	CHECK(dlld_calloc(SIZE_MAX / 4, 8, "huge", &err) == NULL);
	CHECK_INT_EQ(err.status, DLLD_STATUS_NO_MEMORY);
	CHECK(strstr(err.reason, "huge") != NULL);
}

static void test_aligned_alloc(void)
{
	float *p = dlld_alloc_aligned(33, sizeof(float), "buffer", NULL);
	CHECK(p != NULL && ((uintptr_t)p & 63) == 0);
	dlld_free_aligned(p);
}

static void test_parse_numbers(void)
{
	double d;
	long l;
	uint64_t u;

	CHECK(dlld_parse_double(" 2.5 ", &d) && d == 2.5);
	CHECK(dlld_parse_double("-1e-3", &d) && d == -1e-3);
	CHECK(!dlld_parse_double("", &d));
	CHECK(!dlld_parse_double("12abc", &d));
	CHECK(!dlld_parse_double("nan", &d));
	CHECK(!dlld_parse_double("1e999", &d));
	CHECK(dlld_parse_long("42", &l) && l == 42);
	CHECK(!dlld_parse_long("4.2", &l));
	CHECK(!dlld_parse_long("99999999999999999999", &l));
	CHECK(dlld_parse_u64("18446744073709551615", &u) && u == UINT64_MAX);
	CHECK(!dlld_parse_u64("-1", &u));
}

static void test_rng_reproducible_and_uniform(void)
{
	struct dlld_rng a, b, c;
	double sum = 0.0, sum2 = 0.0;
	int counts[7] = {0};
	const int n = 200000;

	dlld_rng_seed(&a, 12345);
	dlld_rng_seed(&b, 12345);
	dlld_rng_seed(&c, 12346);
	for (int i = 0; i < 100; i++)
		CHECK(dlld_rng_u64(&a) == dlld_rng_u64(&b));
	CHECK(dlld_rng_u64(&a) != dlld_rng_u64(&c));
	for (int i = 0; i < n; i++) {
		double x = dlld_rng_normal(&a);
		sum += x;
		sum2 += x * x;
		counts[dlld_rng_below(&b, 7)]++;
		double u = dlld_rng_uniform(&c);
		CHECK(u >= 0.0 && u < 1.0);
	}
	/* mean 0 ± 5 SE, variance 1 ± 5 SE */
	CHECK_NEAR(sum / n, 0.0, 5.0 / sqrt(n));
	CHECK_NEAR(sum2 / n, 1.0, 5.0 * sqrt(2.0 / n));
	for (int k = 0; k < 7; k++)
		CHECK_NEAR(counts[k], n / 7.0, 5.0 * sqrt(n / 7.0));
}

static void test_rng_streams_differ(void)
{
	struct dlld_rng s0, s1, s0b;
	dlld_rng_seed_stream(&s0, 7, 0);
	dlld_rng_seed_stream(&s1, 7, 1);
	dlld_rng_seed_stream(&s0b, 7, 0);
	CHECK(dlld_rng_u64(&s0) != dlld_rng_u64(&s1));
	dlld_rng_seed_stream(&s0, 7, 0);
	CHECK(dlld_rng_u64(&s0) == dlld_rng_u64(&s0b));
}

static void test_atomic_write(void)
{
	char path[512], *data;
	size_t size;
	struct dlld_atomic_file af;
	struct dlld_error err;

	snprintf(path, sizeof path, "%s/out.txt", dlld_test_tmpdir());
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_atomic_open(&af, path, &err), DLLD_STATUS_OK);
	fputs("hello", af.fp);
	CHECK(!dlld_path_exists(path)); /* not visible before commit */
	CHECK_INT_EQ(dlld_atomic_commit(&af, &err), DLLD_STATUS_OK);
	CHECK_INT_EQ(dlld_read_file(path, &data, &size, &err), DLLD_STATUS_OK);
	CHECK(size == 5 && strcmp(data, "hello") == 0);
	free(data);
	/* abort keeps the old content and leaves no temp file */
	CHECK_INT_EQ(dlld_atomic_open(&af, path, &err), DLLD_STATUS_OK);
	fputs("half", af.fp);
	dlld_atomic_abort(&af);
	CHECK(!dlld_path_exists(af.tmp_path));
	CHECK_INT_EQ(dlld_read_file(path, &data, &size, &err), DLLD_STATUS_OK);
	CHECK_STR_EQ(data, "hello");
	free(data);
}

static void test_atomic_temp_keeps_extension(void)
{
	char tmp[256];
	CHECK_INT_EQ(dlld_atomic_temp_name("dir/a/ct.nii.gz", tmp, sizeof tmp, NULL), 0);
	CHECK(strncmp(tmp, "dir/a/.tmp-", 11) == 0);
	CHECK(strlen(tmp) > 10 && strcmp(tmp + strlen(tmp) - 10, "-ct.nii.gz") == 0);
	CHECK_INT_EQ(dlld_atomic_temp_name("dir/", tmp, sizeof tmp, NULL), DLLD_STATUS_WRITE);
}

static void test_write_into_missing_folder_fails(void)
{
	struct dlld_error err;
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_write_file_atomic("/nonexistent-dir/x.txt", "a", 1, &err),
		     DLLD_STATUS_WRITE);
	CHECK(strstr(err.file, "x.txt") != NULL);
}

static void test_read_missing_file(void)
{
	char *data;
	size_t size;
	struct dlld_error err;
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_read_file("/nonexistent/file", &data, &size, &err), DLLD_STATUS_NOT_FOUND);
	CHECK_STR_EQ(err.file, "/nonexistent/file");
}

static void test_mkdir_p(void)
{
	char path[512];
	snprintf(path, sizeof path, "%s/a/b/c", dlld_test_tmpdir());
	CHECK_INT_EQ(dlld_mkdir_p(path, NULL), DLLD_STATUS_OK);
	CHECK(dlld_path_is_dir(path));
	CHECK_INT_EQ(dlld_mkdir_p(path, NULL), DLLD_STATUS_OK);
}

struct sum_ctx {
	double partial[8];
	int max_worker;
};

static void add_square(void *p, size_t task, int worker)
{
	struct sum_ctx *ctx = p;
	ctx->partial[worker] += (double)task * (double)task;
	if (worker > ctx->max_worker)
		ctx->max_worker = worker;
}

static void test_pool_runs_every_task(void)
{
	for (int threads = 1; threads <= 3; threads++) {
		struct dlld_pool *pool = dlld_pool_create(threads, NULL);
		CHECK(pool != NULL);
		if (!pool)
			return;
		CHECK_INT_EQ(dlld_pool_threads(pool), threads);
		for (int rep = 0; rep < 20; rep++) {
			struct sum_ctx ctx = {{0}, 0};
			double total = 0.0;
			dlld_pool_run(pool, 1000, add_square, &ctx);
			for (int w = 0; w < 8; w++)
				total += ctx.partial[w];
			/* sum of k^2 for k < 1000 */
			CHECK_NEAR(total, 999.0 * 1000.0 * 1999.0 / 6.0, 0.0);
			CHECK(ctx.max_worker < threads);
		}
		dlld_pool_destroy(pool);
	}
	dlld_pool_destroy(NULL);
}

static void test_progress_rate_and_format(void)
{
	struct dlld_progress p;
	char buf[256];

	dlld_progress_begin(&p, "render", "slices", 40);
	p.t_start -= 10.0; /* pretend 10 s have passed */
	p.t_last_report = 0.0;
	dlld_progress_update(&p, 10);
	CHECK_NEAR(p.rate, 1.0, 0.01);
	CHECK_NEAR(p.eta_s, 30.0, 0.5);
	dlld_progress_format(&p, buf, sizeof buf);
	CHECK(strstr(buf, "render 10/40 slices") != NULL);
	CHECK(strstr(buf, "ETA 30s") != NULL);
	dlld_progress_end(&p);
	CHECK(p.finished && p.done == 40);
}

int main(void)
{
	dlld_test_run("status names and exit-code values", test_status_names);
	dlld_test_run("error: first failure wins, formatting", test_error_first_failure_wins);
	dlld_test_run("checked size arithmetic", test_size_arithmetic);
	dlld_test_run("aligned allocation", test_aligned_alloc);
	dlld_test_run("whole-string number parsing", test_parse_numbers);
	dlld_test_run("rng reproducible, normal and uniform", test_rng_reproducible_and_uniform);
	dlld_test_run("rng streams", test_rng_streams_differ);
	dlld_test_run("atomic write commit and abort", test_atomic_write);
	dlld_test_run("atomic temp name keeps extension", test_atomic_temp_keeps_extension);
	dlld_test_run("write into missing folder", test_write_into_missing_folder_fails);
	dlld_test_run("read missing file", test_read_missing_file);
	dlld_test_run("mkdir -p", test_mkdir_p);
	dlld_test_run("pool runs every task once", test_pool_runs_every_task);
	dlld_test_run("progress rate, ETA and format", test_progress_rate_and_format);
	return dlld_test_finish();
}

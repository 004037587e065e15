/*
 * tests/eval/test_bootstrap.c — the stratified patient bootstrap: replaying
 * --bootstrap-indices gives the hand-computed replicate FOMs, summaries use
 * R's type-7 quantiles, draws are stratified and identical for a seed
 * whatever the thread count, and bad index files are refused with file:line.
 */
#include "eval/stages.h"
#include "eval_fixture.h"
#include "harness.h"

#include <string.h>

#define TINY "tests/eval/data/eval-tiny"

static const char *const replay =
	"replicate,slot1,slot2,slot3,slot4,slot5,slot6,slot7,slot8\n"
	"1,N1,N2,N3,N4,D1,D2,D3,D4\n"
	"2,N1,N1,N3,N3,D3,D3,D4,D4\n";

static const char *write_indices(const char *name, const char *text)
{
	static char path[EVAL_TEST_PATH_MAX];
	CHECK(write_text(dlld_test_tmpdir(), name, text) &&
	      join_path(path, sizeof path, dlld_test_tmpdir(), name));
	return path;
}

static void test_replay_by_hand(void)
{
	struct dlld_eval_study *s = NULL;
	struct dlld_eval_resamples rs;
	struct dlld_eval_fom_table t[4];
	struct dlld_pool *pool;
	struct dlld_error err;
	double *theta = NULL;

	CHECK_INT_EQ(load_study_dir(TINY, &s, &err), DLLD_STATUS_OK);
	if (!s)
		return;
	CHECK_INT_EQ(dlld_eval_resamples_read(s, write_indices("replay.csv", replay), &rs, &err),
		     DLLD_STATUS_OK);
	CHECK_INT_EQ(rs.replicates, 2);
	for (size_t r = 0; r < 4; r++)
		CHECK_INT_EQ(dlld_eval_fom_table_init(&t[r], s, r, &err), DLLD_STATUS_OK);
	pool = dlld_pool_create(2, &err);
	CHECK_INT_EQ(dlld_eval_bootstrap_foms(t, 4, &rs, pool, &theta, &err), DLLD_STATUS_OK);
	if (theta) {
		/* replicate 1 is the study itself */
		CHECK(theta[0] == 18.5 / 28);
		/* replicate 2, AI: normal slots N1 (30) ×2, N3 (−∞) ×2; lesions D3 {99, −∞, 70}
		 * ×2 and D4 {88} ×2: N1 slots 2 × (2·2 + 2) = 12, N3 slots 2 × (2·2.5 + 2) = 14
		 * → 26/32; wAFROC (N1: 2·2/3 + 2, N3: 2·2.5/3 + 2, each ×2) / 16 = 14/16 */
		CHECK(theta[8] == 26.0 / 32);
		CHECK_NEAR(theta[9], 14.0 / 16, 1e-15);
		/* R1: N1 −∞, N3 3; D3 {5, −∞, 3}, D4 {5}: N1 slots 2 × (2·2.5 + 2) = 14,
		 * N3 slots 2 × (2·1.5 + 2) = 10 → 24/32 */
		CHECK(theta[10] == 24.0 / 32);
	}
	free(theta);
	dlld_pool_destroy(pool);
	for (size_t r = 0; r < 4; r++)
		dlld_eval_fom_table_free(&t[r]);
	dlld_eval_resamples_free(&rs);
	dlld_eval_study_destroy(s);
}

static void test_replay_summary(void)
{
	struct dlld_eval_study *s = NULL;
	struct dlld_eval_result *res = NULL;
	struct dlld_eval_options opt;
	struct dlld_error err;

	CHECK_INT_EQ(load_study_dir(TINY, &s, &err), DLLD_STATUS_OK);
	if (!s)
		return;
	dlld_eval_options_default(&opt);
	opt.bootstrap_indices = write_indices("replay2.csv", replay);
	CHECK_INT_EQ(dlld_eval_run(s, &opt, &res, &err), DLLD_STATUS_OK);
	if (res) {
		const struct dlld_eval_boot *b = &res->readers[0].boot_afroc;
		double lo = 18.5 / 28, hi = 26.0 / 32;
		CHECK_INT_EQ(b->replicates, 2);
		/* type 7 with B = 2: x1 + q (x2 − x1) */
		CHECK_NEAR(b->ci_percentile.lo, lo + 0.025 * (hi - lo), 1e-15);
		CHECK_NEAR(b->ci_percentile.hi, lo + 0.975 * (hi - lo), 1e-15);
		CHECK_NEAR(b->se, (hi - lo) / sqrt(2.0), 1e-15);
		CHECK(isnan(b->p_two_sided));
		const struct dlld_eval_boot *d = &res->comparisons[0].afroc_difference;
		CHECK_NEAR(d->observed, res->readers[0].fom[DLLD_EVAL_FOM_AFROC] -
						(res->readers[1].fom[0] + res->readers[2].fom[0] +
						 res->readers[3].fom[0]) / 3,
			   1e-15);
		CHECK(d->p_two_sided >= 0 && d->p_two_sided <= 1);
	}
	dlld_eval_result_destroy(res);
	dlld_eval_study_destroy(s);
}

static void test_quantile7(void)
{
	/* R: quantile(1:4, c(0.1, 0.5, 0.975), type = 7) = 1.3, 2.5, 3.925 */
	const double v[4] = {1, 2, 3, 4};
	CHECK_NEAR(dlld_eval_quantile7(v, 4, 0.1), 1.3, 1e-15);
	CHECK_NEAR(dlld_eval_quantile7(v, 4, 0.5), 2.5, 1e-15);
	CHECK_NEAR(dlld_eval_quantile7(v, 4, 0.975), 3.925, 1e-15);
	CHECK(dlld_eval_quantile7(v, 1, 0.3) == 1);
	CHECK(isnan(dlld_eval_quantile7(v, 0, 0.5)));
}

static void test_draws(void)
{
	struct dlld_eval_study *s = NULL;
	struct dlld_eval_resamples a, b, c;
	struct dlld_error err;

	CHECK_INT_EQ(load_study_dir("tests/eval/data/random", &s, &err), DLLD_STATUS_OK);
	if (!s)
		return;
	CHECK_INT_EQ(dlld_eval_resamples_draw(s, 200, 42, &a, &err), DLLD_STATUS_OK);
	CHECK_INT_EQ(dlld_eval_resamples_draw(s, 200, 42, &b, &err), DLLD_STATUS_OK);
	CHECK_INT_EQ(dlld_eval_resamples_draw(s, 200, 43, &c, &err), DLLD_STATUS_OK);
	CHECK(memcmp(a.index, b.index, 200 * s->n_patients * sizeof(size_t)) == 0);
	CHECK(memcmp(a.index, c.index, 200 * s->n_patients * sizeof(size_t)) != 0);
	size_t *seen = calloc(s->n_patients, sizeof *seen);
	bool stratified = true;
	for (size_t r = 0; r < 200; r++)
		for (size_t i = 0; i < s->n_patients; i++) {
			size_t k = a.index[r * s->n_patients + i];
			stratified &= s->patients[k].diseased == (i >= s->n_normal);
			seen[k]++;
		}
	CHECK(stratified);
	for (size_t k = 0; k < s->n_patients; k++) /* 200 draws of 1/14 or 1/11 each */
		CHECK_MSG(seen[k] > 100 && seen[k] < 400, "patient %zu drawn %zu times", k, seen[k]);
	free(seen);
	dlld_eval_resamples_free(&a);
	dlld_eval_resamples_free(&b);
	dlld_eval_resamples_free(&c);
	dlld_eval_study_destroy(s);
}

/* The same seed gives bit-identical bootstrap results on 1 and 2 threads. */
static void test_seed_threads(void)
{
	struct dlld_eval_study *s = NULL;
	struct dlld_eval_result *r1 = NULL, *r2 = NULL;
	struct dlld_eval_options opt;
	struct dlld_error err;

	CHECK_INT_EQ(load_study_dir("tests/eval/data/random", &s, &err), DLLD_STATUS_OK);
	if (!s)
		return;
	dlld_eval_options_default(&opt);
	opt.bootstrap_replicates = 300;
	opt.seed = 9;
	opt.threads = 1;
	CHECK_INT_EQ(dlld_eval_run(s, &opt, &r1, &err), DLLD_STATUS_OK);
	opt.threads = 2;
	CHECK_INT_EQ(dlld_eval_run(s, &opt, &r2, &err), DLLD_STATUS_OK);
	if (r1 && r2) {
		for (size_t r = 0; r < r1->n_readers; r++) {
			CHECK(memcmp(&r1->readers[r].boot_afroc, &r2->readers[r].boot_afroc,
				     sizeof r1->readers[r].boot_afroc) == 0);
			CHECK(r1->readers[r].boot_wafroc.se > 0);
			CHECK(r1->readers[r].boot_afroc.ci_percentile.lo <=
			      r1->readers[r].fom[DLLD_EVAL_FOM_AFROC] + 0.1);
		}
		CHECK(memcmp(&r1->comparisons[1].wafroc_difference,
			     &r2->comparisons[1].wafroc_difference,
			     sizeof r1->comparisons[1].wafroc_difference) == 0);
	}
	dlld_eval_result_destroy(r1);
	dlld_eval_result_destroy(r2);
	dlld_eval_study_destroy(s);
}

static void test_bad_indices(void)
{
	static const struct {
		const char *text;
		enum dlld_status status;
		long line;
	} bad[] = {
		{"replicate,slot1,slot2\n1,N1,D1\n", DLLD_STATUS_INCONSISTENT, 1},
		{"replicate,slot1,slot2,slot3,slot4,slot5,slot6,slot7,slot8\n"
		 "1,N1,N2,N3,N4,D1,D2,D3,D4\n2,N1,N2,N3,D4,D1,D2,D3,D4\n",
		 DLLD_STATUS_INCONSISTENT, 3},
		{"replicate,slot1,slot2,slot3,slot4,slot5,slot6,slot7,slot8\n"
		 "1,N1,N2,N3,N4,D1,D2,D3,X4\n",
		 DLLD_STATUS_INCONSISTENT, 2},
		{"replicate,slot1,slot2,slot3,slot4,slot5,slot6,slot7,slotX\n"
		 "1,N1,N2,N3,N4,D1,D2,D3,D4\n",
		 DLLD_STATUS_MALFORMED, 1},
	};
	struct dlld_eval_study *s = NULL;
	struct dlld_error err;

	CHECK_INT_EQ(load_study_dir(TINY, &s, &err), DLLD_STATUS_OK);
	if (!s)
		return;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct dlld_eval_resamples rs;
		dlld_error_clear(&err);
		enum dlld_status st = dlld_eval_resamples_read(s, write_indices("bad.csv", bad[i].text),
							       &rs, &err);
		CHECK_MSG(st == bad[i].status, "case %zu: status %d", i, (int)st);
		CHECK_MSG(err.line == bad[i].line, "case %zu: line %ld", i, err.line);
		CHECK(rs.index == NULL);
	}
	dlld_eval_study_destroy(s);
}

int main(void)
{
	dlld_test_run("replayed resamples give the hand-computed FOMs", test_replay_by_hand);
	dlld_test_run("replay summaries: type-7 CI, SE, difference", test_replay_summary);
	dlld_test_run("type-7 quantiles match R", test_quantile7);
	dlld_test_run("draws: seeded, stratified, uniform-ish", test_draws);
	dlld_test_run("same seed, 1 or 2 threads: identical", test_seed_threads);
	dlld_test_run("bad --bootstrap-indices files", test_bad_indices);
	return dlld_test_finish();
}

/*
 * tests/eval/test_gee.c — the GEE against R geepack (fixtures written by
 * tools/ref_gee.R: the rows in gee_data.csv, the fits in gee_expected.csv),
 * row-order invariance, closed forms and degenerate data.
 */
#include "eval/stats.h"
#include "eval_fixture.h"
#include "harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TOL_GEE 1e-6

/* One data set from gee_data.csv, design [n][2] = (1, g). */
struct gee_set {
	size_t n;
	double *x;
	double *y;
	long *cluster;
};

static void set_free(struct gee_set *s)
{
	free(s->x);
	free(s->y);
	free(s->cluster);
	memset(s, 0, sizeof *s);
}

/* Fills s with the rows of `dataset`; returns false when it has none. */
static bool set_load(const struct dlld_csv *data, const char *dataset, struct gee_set *s)
{
	size_t rows = dlld_csv_rows(data), n = 0;
	int dcol = dlld_csv_column(data, "dataset");

	memset(s, 0, sizeof *s);
	s->x = calloc(2 * rows, sizeof *s->x);
	s->y = calloc(rows, sizeof *s->y);
	s->cluster = calloc(rows, sizeof *s->cluster);
	if (!s->x || !s->y || !s->cluster)
		return false;
	for (size_t r = 0; r < rows; r++) {
		if (strcmp(dlld_csv_cell(data, r, dcol), dataset) != 0)
			continue;
		s->x[2 * n] = 1.0;
		s->x[2 * n + 1] = cell(data, r, "g");
		s->y[n] = cell(data, r, "y");
		s->cluster[n] = (long)cell(data, r, "cluster");
		n++;
	}
	s->n = n;
	return n > 0;
}

static void check_value(double got, double want, const char *what, long line)
{
	if (isnan(want)) {
		CHECK_MSG(isnan(got), "line %ld %s: want NA, got %.17g", line, what, got);
		return;
	}
	CHECK_MSG(fabs(got - want) <= TOL_GEE * fmax(1.0, fabs(want)),
		  "line %ld %s: got %.17g want %.17g", line, what, got, want);
}

static const struct {
	const char *name;
	enum dlld_gee_family family;
} family_table[] = { { "binomial", DLLD_GEE_FAMILY_BINOMIAL },
		     { "poisson", DLLD_GEE_FAMILY_POISSON } };

static enum dlld_gee_family family_of(const char *name)
{
	for (size_t i = 0; i < sizeof family_table / sizeof *family_table; i++)
		if (strcmp(family_table[i].name, name) == 0)
			return family_table[i].family;
	CHECK_MSG(false, "unknown family %s", name);
	return DLLD_GEE_FAMILY_BINOMIAL;
}

/* Fits one expected row on s and compares everything. */
static void check_fit(const struct dlld_csv *want, size_t r, const struct gee_set *s)
{
	int c_family = dlld_csv_column(want, "family"), c_design = dlld_csv_column(want, "design");
	int c_corstr = dlld_csv_column(want, "corstr");
	bool group = strcmp(dlld_csv_cell(want, r, c_design), "group") == 0;
	struct dlld_gee_options opt = {
		.family = family_of(dlld_csv_cell(want, r, c_family)),
		.corstr = strcmp(dlld_csv_cell(want, r, c_corstr), "exchangeable") == 0
				  ? DLLD_GEE_CORSTR_EXCHANGEABLE
				  : DLLD_GEE_CORSTR_INDEPENDENCE,
	};
	struct dlld_gee_data data = { .n = s->n, .p = group ? 2 : 1, .y = s->y,
				      .cluster = s->cluster };
	struct dlld_gee_result res;
	struct dlld_error err;
	long line = dlld_csv_line(want, r);
	static const char *const beta_names[2] = { "beta0", "beta1" };
	static const char *const se_names[2] = { "se0", "se1" };
	static const char *const p_names[2] = { "p0", "p1" };

	data.x = group ? s->x : NULL;
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_stats_gee_fit(&data, &opt, &res, &err), DLLD_STATUS_OK);
	CHECK_MSG(res.defined == (cell(want, r, "defined") == 1.0), "line %ld: defined %d", line,
		  res.defined);
	for (size_t j = 0; j < 2; j++) {
		check_value(j < res.p ? res.beta[j] : NAN, cell(want, r, beta_names[j]),
			    beta_names[j], line);
		check_value(j < res.p ? res.se_robust[j] : NAN, cell(want, r, se_names[j]),
			    se_names[j], line);
		check_value(j < res.p ? res.p_wald[j] : NAN, cell(want, r, p_names[j]), p_names[j],
			    line);
	}
	check_value(res.alpha, cell(want, r, "alpha"), "alpha", line);
	check_value(res.phi, cell(want, r, "phi"), "phi", line);
}

static void test_against_geepack(void)
{
	struct dlld_csv *data = fixture("gee_data.csv");
	struct dlld_csv *want = fixture("gee_expected.csv");

	if (data && want) {
		int dcol = dlld_csv_column(want, "dataset");
		CHECK(dlld_csv_rows(want) >= 30);
		for (size_t r = 0; r < dlld_csv_rows(want); r++) {
			struct gee_set s;
			CHECK(set_load(data, dlld_csv_cell(want, r, dcol), &s));
			if (s.n > 0)
				check_fit(want, r, &s);
			set_free(&s);
		}
	}
	dlld_csv_destroy(data);
	dlld_csv_destroy(want);
}

/* Shuffles whole rows with a seeded RNG. */
static void shuffle(struct gee_set *s, uint64_t seed)
{
	struct dlld_rng rng;
	dlld_rng_seed(&rng, seed);
	for (size_t i = s->n; i > 1; i--) {
		size_t j = (size_t)dlld_rng_below(&rng, i);
		double tx0 = s->x[2 * (i - 1)], tx1 = s->x[2 * (i - 1) + 1], ty = s->y[i - 1];
		long tc = s->cluster[i - 1];
		s->x[2 * (i - 1)] = s->x[2 * j];
		s->x[2 * (i - 1) + 1] = s->x[2 * j + 1];
		s->y[i - 1] = s->y[j];
		s->cluster[i - 1] = s->cluster[j];
		s->x[2 * j] = tx0;
		s->x[2 * j + 1] = tx1;
		s->y[j] = ty;
		s->cluster[j] = tc;
	}
}

/* Unsorted rows (clusters interleaved) give the same fit as R's sorted ones. */
static void test_row_order(void)
{
	struct dlld_csv *data = fixture("gee_data.csv");
	struct dlld_csv *want = fixture("gee_expected.csv");

	if (data && want) {
		int dcol = dlld_csv_column(want, "dataset");
		for (size_t r = 0; r < dlld_csv_rows(want); r++) {
			struct gee_set s;
			if (set_load(data, dlld_csv_cell(want, r, dcol), &s)) {
				shuffle(&s, 1000 + r);
				check_fit(want, r, &s);
			}
			set_free(&s);
		}
	}
	dlld_csv_destroy(data);
	dlld_csv_destroy(want);
}

/* Intercept-only logistic GEE, independence: β = logit(x/N) and the
 * sandwich variance Σ_i (Σ_j (y_ij − p))² / (N p (1 − p))². */
static void test_intercept_closed_form(void)
{
	static const double y[] = { 1, 1, 0, 1, 0, 0, 1, 1, 1, 1, 0, 1 };
	static const long cl[] = { 1, 1, 1, 2, 3, 3, 4, 4, 4, 4, 5, 6 };
	struct dlld_gee_data data = { .n = 12, .p = 1, .y = y, .cluster = cl };
	struct dlld_gee_options opt = { .family = DLLD_GEE_FAMILY_BINOMIAL };
	struct dlld_gee_result res;
	struct dlld_error err;
	double p = 8.0 / 12.0, meat = 0.0;
	/* cluster residual sums: 2−3p, 1−p, −2p, 4−4p, −p, 1−p */
	double sums[] = { 2 - 3 * p, 1 - p, -2 * p, 4 - 4 * p, -p, 1 - p };

	for (size_t i = 0; i < 6; i++)
		meat += sums[i] * sums[i];
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_stats_gee_fit(&data, &opt, &res, &err), DLLD_STATUS_OK);
	CHECK(res.converged && res.defined);
	CHECK_INT_EQ(res.n_clusters, 6);
	CHECK_INT_EQ(res.max_cluster_size, 4);
	CHECK_NEAR(res.beta[0], log(2.0), 1e-12);
	CHECK_NEAR(res.se_robust[0], sqrt(meat) / (12.0 * p * (1 - p)), 1e-12);
	CHECK(isnan(res.alpha));
}

/* One row per patient: the Poisson GEE is dlld_stats_rate's closed form
 * (the paper's 113 FPs over 85 patients, Σ y² = 333). */
static void test_rate_matches_gee(void)
{
	double y[85];
	long cl[85];
	size_t k = 0;
	static const int count_of[6] = { 41, 6, 16, 14, 7, 1 };
	for (int v = 0; v < 6; v++)
		for (int c = 0; c < count_of[v]; c++, k++) {
			y[k] = v;
			cl[k] = (long)(84 - k);
		}
	struct dlld_gee_data data = { .n = 85, .p = 1, .y = y, .cluster = cl };
	struct dlld_gee_options opt = { .family = DLLD_GEE_FAMILY_POISSON };
	struct dlld_gee_result res;
	struct dlld_stats_rate rate;
	struct dlld_error err;

	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_stats_gee_fit(&data, &opt, &res, &err), DLLD_STATUS_OK);
	CHECK_INT_EQ(dlld_stats_rate(85, 113.0, 333.0, 0.95, &rate, &err), DLLD_STATUS_OK);
	CHECK_NEAR(exp(res.beta[0]), rate.mean, 1e-12);
	CHECK_NEAR(res.se_robust[0], rate.se_log_robust, 1e-12);
	struct dlld_ci ci = dlld_stats_ci_exp_wald(res.beta[0], res.se_robust[0], 0.95);
	CHECK_NEAR(ci.lo, 1.0515272296516784, 1e-9);
	CHECK_NEAR(ci.hi, 1.6807321677478992, 1e-9);
}

static void test_degenerate(void)
{
	static const double zeros[] = { 0, 0, 0, 0 }, ys[] = { 1, 0, 1, 1 };
	static const long cl[] = { 7, 7, 9, 9 };
	static const double x_empty[] = { 1, 0, 1, 0, 1, 0, 1, 0 };
	struct dlld_gee_data data = { .n = 4, .p = 1, .y = zeros, .cluster = cl };
	struct dlld_gee_options opt = { .family = DLLD_GEE_FAMILY_POISSON,
					.corstr = DLLD_GEE_CORSTR_EXCHANGEABLE };
	struct dlld_gee_result res;
	struct dlld_error err;

	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_stats_gee_fit(&data, &opt, &res, &err), DLLD_STATUS_OK);
	CHECK(!res.defined && isnan(res.beta[0]) && isnan(res.se_robust[0]) && isnan(res.p_wald[0]));
	/* A group column with no observations: singular, NA. */
	data = (struct dlld_gee_data){ .n = 4, .p = 2, .x = x_empty, .y = ys, .cluster = cl };
	opt.family = DLLD_GEE_FAMILY_BINOMIAL;
	CHECK_INT_EQ(dlld_stats_gee_fit(&data, &opt, &res, &err), DLLD_STATUS_OK);
	CHECK(!res.defined && isnan(res.beta[0]) && isnan(res.beta[1]));
	/* Equal counts: β defined, no variance → SE, z, p NA. */
	static const double twos[] = { 2, 2, 2, 2 };
	data = (struct dlld_gee_data){ .n = 4, .p = 1, .y = twos, .cluster = cl };
	opt = (struct dlld_gee_options){ .family = DLLD_GEE_FAMILY_POISSON };
	CHECK_INT_EQ(dlld_stats_gee_fit(&data, &opt, &res, &err), DLLD_STATUS_OK);
	CHECK_NEAR(res.beta[0], log(2.0), 1e-12);
	CHECK(isnan(res.se_robust[0]) && isnan(res.p_wald[0]));
}

static void test_usage_errors(void)
{
	static const double y[] = { 1, 2 }, x_bad[] = { 1, NAN };
	static const long cl[] = { 1, 2 };
	struct dlld_gee_data data = { .n = 2, .p = 1, .y = y, .cluster = cl };
	struct dlld_gee_options opt = { .family = DLLD_GEE_FAMILY_BINOMIAL };
	struct dlld_gee_result res;
	struct dlld_error err;

	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_stats_gee_fit(&data, &opt, &res, &err), DLLD_STATUS_USAGE);
	CHECK(strstr(err.reason, "row 1") != NULL);
	dlld_error_clear(&err);
	data.p = 2;
	CHECK_INT_EQ(dlld_stats_gee_fit(&data, &opt, &res, &err), DLLD_STATUS_USAGE);
	dlld_error_clear(&err);
	data.x = x_bad;
	data.p = 1;
	opt.family = DLLD_GEE_FAMILY_POISSON;
	CHECK_INT_EQ(dlld_stats_gee_fit(&data, &opt, &res, &err), DLLD_STATUS_USAGE);
	dlld_error_clear(&err);
	data = (struct dlld_gee_data){ .n = 0, .p = 1, .y = y, .cluster = cl };
	CHECK_INT_EQ(dlld_stats_gee_fit(&data, &opt, &res, &err), DLLD_STATUS_USAGE);
	CHECK_STR_EQ(dlld_gee_corstr_names[DLLD_GEE_CORSTR_EXCHANGEABLE], "exchangeable");
}

int main(void)
{
	dlld_test_run("GEE matches R geepack (38 fits, 1e-6)", test_against_geepack);
	dlld_test_run("GEE does not depend on row order", test_row_order);
	dlld_test_run("intercept-only logistic GEE closed form", test_intercept_closed_form);
	dlld_test_run("Poisson GEE equals the rate closed form (paper FPP)", test_rate_matches_gee);
	dlld_test_run("degenerate data gives NA, never numbers", test_degenerate);
	dlld_test_run("bad GEE input is a usage error", test_usage_errors);
	return dlld_test_finish();
}

/*
 * tests/eval/test_stats.c — special functions, proportion CIs and count
 * rates against scipy/statsmodels (fixtures written by tools/ref_stats.py),
 * plus the paper's printed intervals and hand-computed cases.
 */
#include "eval/stats.h"
#include "eval_fixture.h"
#include "harness.h"

#include <math.h>
#include <string.h>

#define TOL_CLOSED 1e-9

/* NA must match NA; numbers must agree to tol relative to max(1, |want|). */
static void check_value(double got, double want, double tol, const char *what, long line)
{
	if (isnan(want)) {
		CHECK_MSG(isnan(got), "line %ld %s: want NA, got %.17g", line, what, got);
		return;
	}
	CHECK_MSG(fabs(got - want) <= tol * fmax(1.0, fabs(want)),
		  "line %ld %s: got %.17g want %.17g", line, what, got, want);
}

static double special(const char *func, double a, double b, double x)
{
	if (strcmp(func, "norm_cdf") == 0)
		return dlld_stats_norm_cdf(x);
	if (strcmp(func, "norm_quantile") == 0)
		return dlld_stats_norm_quantile(x);
	if (strcmp(func, "beta_inc") == 0)
		return dlld_stats_beta_inc(a, b, x);
	if (strcmp(func, "beta_inc_inv") == 0)
		return dlld_stats_beta_inc_inv(a, b, x);
	if (strcmp(func, "gamma_inc") == 0)
		return dlld_stats_gamma_inc(a, x);
	if (strcmp(func, "gamma_inc_inv") == 0)
		return dlld_stats_gamma_inc_inv(a, x);
	if (strcmp(func, "chisq_quantile") == 0)
		return dlld_stats_chisq_quantile(x, a);
	return NAN;
}

static void test_special_functions(void)
{
	struct dlld_csv *csv = fixture("stats_special.csv");
	if (!csv)
		return;
	int fcol = dlld_csv_column(csv, "func");
	for (size_t r = 0; r < dlld_csv_rows(csv); r++) {
		const char *func = dlld_csv_cell(csv, r, fcol);
		double want = cell(csv, r, "expected");
		double got = special(func, cell(csv, r, "a"), cell(csv, r, "b"), cell(csv, r, "x"));
		/* Relative accuracy: the normal to ~1e-14, the rest to 1e-10. */
		double tol = strncmp(func, "norm", 4) == 0 ? 1e-13 : 1e-10;
		CHECK_MSG(fabs(got - want) <= tol * fmax(fabs(want), 1e-300),
			  "line %ld %s: got %.17g want %.17g", dlld_csv_line(csv, r), func, got, want);
	}
	dlld_csv_destroy(csv);
}

static void test_special_edges(void)
{
	CHECK(dlld_stats_norm_quantile(0.0) == -INFINITY);
	CHECK(dlld_stats_norm_quantile(1.0) == INFINITY);
	CHECK(isnan(dlld_stats_norm_quantile(1.5)));
	CHECK(isnan(dlld_stats_norm_quantile(NAN)));
	CHECK_NEAR(dlld_stats_z_for_level(0.95), 1.959963984540054, 1e-15);
	CHECK_NEAR(dlld_stats_p_two_sided(1.959963984540054), 0.05, 1e-15);
	CHECK(isnan(dlld_stats_p_two_sided(NAN)));
	CHECK(dlld_stats_p_two_sided(INFINITY) == 0.0);
	CHECK(isnan(dlld_stats_beta_inc(0.0, 1.0, 0.5)));
	CHECK(isnan(dlld_stats_gamma_inc(1.0, -1.0)));
	/* I_x(1, 1) = x; P(1, x) = 1 − e^−x: exact forms. */
	CHECK_NEAR(dlld_stats_beta_inc_inv(1.0, 1.0, 0.3), 0.3, 1e-15);
	CHECK_NEAR(dlld_stats_gamma_inc(1.0, 2.0), 1.0 - exp(-2.0), 1e-15);
	CHECK_NEAR(dlld_stats_expit(dlld_stats_logit(0.875)), 0.875, 1e-15);
	CHECK(dlld_stats_expit(-800.0) == 0.0 && dlld_stats_expit(800.0) == 1.0);
}

static void test_proportions(void)
{
	struct dlld_csv *csv = fixture("stats_proportion.csv");
	if (!csv)
		return;
	for (size_t r = 0; r < dlld_csv_rows(csv); r++) {
		struct dlld_stats_proportion pr;
		struct dlld_error err;
		long line = dlld_csv_line(csv, r);
		long x = (long)cell(csv, r, "x"), n = (long)cell(csv, r, "n");

		dlld_error_clear(&err);
		CHECK_INT_EQ(dlld_stats_proportion(x, n, cell(csv, r, "level"), &pr, &err),
			     DLLD_STATUS_OK);
		check_value(pr.p, cell(csv, r, "p"), TOL_CLOSED, "p", line);
		check_value(pr.se_logit, cell(csv, r, "se_logit"), TOL_CLOSED, "se_logit", line);
		check_value(pr.wilson.lo, cell(csv, r, "wilson_lo"), TOL_CLOSED, "wilson lo", line);
		check_value(pr.wilson.hi, cell(csv, r, "wilson_hi"), TOL_CLOSED, "wilson hi", line);
		check_value(pr.clopper_pearson.lo, cell(csv, r, "cp_lo"), TOL_CLOSED, "cp lo", line);
		check_value(pr.clopper_pearson.hi, cell(csv, r, "cp_hi"), TOL_CLOSED, "cp hi", line);
		check_value(pr.logit_wald.lo, cell(csv, r, "logit_lo"), TOL_CLOSED, "logit lo", line);
		check_value(pr.logit_wald.hi, cell(csv, r, "logit_hi"), TOL_CLOSED, "logit hi", line);
	}
	dlld_csv_destroy(csv);
}

/* The paper's printed per-patient intervals (percent, two decimals shown,
 * evidently rounded to one): naive logit Wald reproduces both; Wilson and
 * Clopper–Pearson do not. Hand check 35/40: logit 1.945910, se
 * sqrt(1/35 + 1/5) = 0.478091, expit(1.945910 ∓ 1.959964·0.478091). */
static void test_paper_patient_intervals(void)
{
	struct dlld_ci sens = dlld_stats_ci_logit_wald(35, 40, 0.95);
	struct dlld_ci spec = dlld_stats_ci_logit_wald(10, 45, 0.95);
	struct dlld_ci wilson = dlld_stats_ci_wilson(35, 40, 0.95);

	CHECK_NEAR(round(sens.lo * 1000.0) / 10.0, 73.30, 1e-9);
	CHECK_NEAR(round(sens.hi * 1000.0) / 10.0, 94.70, 1e-9);
	CHECK_NEAR(round(spec.lo * 1000.0) / 10.0, 12.40, 1e-9);
	CHECK_NEAR(round(spec.hi * 1000.0) / 10.0, 36.60, 1e-9);
	CHECK_NEAR(sens.lo, dlld_stats_expit(log(7.0) - 1.959963984540054 * sqrt(1.0 / 35 + 0.2)),
		   1e-15);
	CHECK(fabs(round(wilson.lo * 1000.0) / 10.0 - 73.3) > 0.05);
}

static void test_proportion_edges(void)
{
	struct dlld_stats_proportion pr;
	struct dlld_error err;

	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_stats_proportion(0, 0, 0.95, &pr, &err), DLLD_STATUS_OK);
	CHECK(isnan(pr.p) && isnan(pr.wilson.lo) && isnan(pr.clopper_pearson.hi) &&
	      isnan(pr.logit_wald.lo));
	CHECK_INT_EQ(dlld_stats_proportion(5, 4, 0.95, &pr, &err), DLLD_STATUS_USAGE);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_stats_proportion(-1, 4, 0.95, &pr, &err), DLLD_STATUS_USAGE);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_stats_proportion(1, 4, 1.0, &pr, &err), DLLD_STATUS_USAGE);
	CHECK(isnan(dlld_stats_ci_expit_wald(0.0, 0.0, 0.95).lo));
	CHECK(isnan(dlld_stats_ci_exp_wald(NAN, 0.1, 0.95).hi));
	CHECK(isnan(dlld_stats_ci_exp_wald(0.0, INFINITY, 0.95).hi));
}

static void test_rates(void)
{
	struct dlld_csv *csv = fixture("stats_rate.csv");
	if (!csv)
		return;
	for (size_t r = 0; r < dlld_csv_rows(csv); r++) {
		struct dlld_stats_rate rate;
		struct dlld_error err;
		long line = dlld_csv_line(csv, r);

		dlld_error_clear(&err);
		CHECK_INT_EQ(dlld_stats_rate((long)cell(csv, r, "n"), cell(csv, r, "sum_y"),
					     cell(csv, r, "sum_y2"), cell(csv, r, "level"), &rate, &err),
			     DLLD_STATUS_OK);
		check_value(rate.mean, cell(csv, r, "mean"), TOL_CLOSED, "mean", line);
		/* statsmodels' GEE stops at its own tolerance: 1e-8 there. */
		check_value(rate.se_log_robust, cell(csv, r, "se_log"), 1e-8, "se_log", line);
		check_value(rate.gee_robust.lo, cell(csv, r, "gee_lo"), 1e-8, "gee lo", line);
		check_value(rate.gee_robust.hi, cell(csv, r, "gee_hi"), 1e-8, "gee hi", line);
		check_value(rate.exact.lo, cell(csv, r, "exact_lo"), TOL_CLOSED, "exact lo", line);
		check_value(rate.exact.hi, cell(csv, r, "exact_hi"), TOL_CLOSED, "exact hi", line);
	}
	dlld_csv_destroy(csv);
}

/* The paper: 113 FPs over 85 patients, Σ FP² = 333 → 1.052–1.681 (GEE
 * Poisson, robust SE, no n/(n−1) factor; with the factor it would be
 * 1.050–1.683). Hand: se² = (333 − 113²/85) / 113² = 0.0143141. */
static void test_paper_fpp(void)
{
	struct dlld_stats_rate rate;
	struct dlld_error err;

	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_stats_rate(85, 113.0, 333.0, 0.95, &rate, &err), DLLD_STATUS_OK);
	CHECK_NEAR(rate.se_log_robust * rate.se_log_robust, (333.0 - 113.0 * 113.0 / 85.0) / 12769.0,
		   1e-15);
	CHECK_NEAR(round(rate.gee_robust.lo * 1000.0) / 1000.0, 1.052, 1e-12);
	CHECK_NEAR(round(rate.gee_robust.hi * 1000.0) / 1000.0, 1.681, 1e-12);
}

static void test_rate_edges(void)
{
	struct dlld_stats_rate rate;
	struct dlld_error err;

	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_stats_rate(0, 0.0, 0.0, 0.95, &rate, &err), DLLD_STATUS_OK);
	CHECK(isnan(rate.mean) && isnan(rate.exact.hi) && isnan(rate.gee_robust.lo));
	CHECK_INT_EQ(dlld_stats_rate(10, 5.0, 1.0, 0.95, &rate, &err), DLLD_STATUS_USAGE);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_stats_rate(10, -1.0, 1.0, 0.95, &rate, &err), DLLD_STATUS_USAGE);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_stats_rate(0, 3.0, 9.0, 0.95, &rate, &err), DLLD_STATUS_USAGE);
}

int main(void)
{
	dlld_test_run("special functions match scipy", test_special_functions);
	dlld_test_run("special functions at their edges", test_special_edges);
	dlld_test_run("proportion CIs match statsmodels", test_proportions);
	dlld_test_run("paper per-patient CIs are logit Wald", test_paper_patient_intervals);
	dlld_test_run("proportion edge cases are NA or usage errors", test_proportion_edges);
	dlld_test_run("count rates match scipy and statsmodels GEE", test_rates);
	dlld_test_run("paper FPP CI from sufficient statistics", test_paper_fpp);
	dlld_test_run("count rate edge cases", test_rate_edges);
	return dlld_test_finish();
}

/*
 * tests/eval/test_kappa.c — Fleiss' κ against statsmodels (fixtures from
 * tools/ref_stats.py), the Fleiss (1971) worked example and the closed form
 * of the H0 SE for two categories, √(2 / (N m (m − 1))).
 */
#include "eval/stats.h"
#include "eval_fixture.h"
#include "harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CELLS 4096

static void check_value(double got, double want, double tol, const char *what)
{
	if (isnan(want))
		CHECK_MSG(isnan(got), "%s: want NA, got %.17g", what, got);
	else
		CHECK_MSG(fabs(got - want) <= tol * fmax(1.0, fabs(want)), "%s: got %.17g want %.17g",
			  what, got, want);
}

/* Fills counts [n][k] for `dataset` from kappa_data.csv (long format). */
static void load_table(const struct dlld_csv *data, const char *dataset, size_t n, size_t k,
		       long *counts)
{
	int dcol = dlld_csv_column(data, "dataset");
	for (size_t r = 0; r < dlld_csv_rows(data); r++) {
		if (strcmp(dlld_csv_cell(data, r, dcol), dataset) != 0)
			continue;
		size_t i = (size_t)cell(data, r, "subject"), j = (size_t)cell(data, r, "category");
		CHECK(i < n && j < k);
		if (i < n && j < k)
			counts[i * k + j] = (long)cell(data, r, "count");
	}
}

static void test_fixtures(void)
{
	struct dlld_csv *data = fixture("kappa_data.csv");
	struct dlld_csv *want = fixture("kappa_expected.csv");
	long *counts = calloc(MAX_CELLS, sizeof *counts);

	if (data && want && counts) {
		int dcol = dlld_csv_column(want, "dataset");
		for (size_t r = 0; r < dlld_csv_rows(want); r++) {
			const char *name = dlld_csv_cell(want, r, dcol);
			size_t n = (size_t)cell(want, r, "n_subjects");
			size_t k = (size_t)cell(want, r, "n_categories");
			struct dlld_stats_kappa kp;
			struct dlld_error err;

			CHECK(n * k <= MAX_CELLS);
			if (n * k > MAX_CELLS)
				continue;
			memset(counts, 0, MAX_CELLS * sizeof *counts);
			load_table(data, name, n, k, counts);
			dlld_error_clear(&err);
			CHECK_INT_EQ(dlld_stats_fleiss_kappa(counts, n, k, &kp, &err), DLLD_STATUS_OK);
			CHECK_INT_EQ(kp.n_raters, (long)cell(want, r, "n_raters"));
			check_value(kp.kappa, cell(want, r, "kappa"), 1e-12, name);
			check_value(kp.se0, cell(want, r, "se0"), 1e-12, name);
			check_value(kp.z, cell(want, r, "z"), 1e-10, name);
			check_value(kp.p, cell(want, r, "p"), 1e-12, name);
		}
	}
	free(counts);
	dlld_csv_destroy(data);
	dlld_csv_destroy(want);
}

/* Fleiss (1971) Table 1 as used in the literature: 10 subjects, 14 raters,
 * 5 categories; P̄ = 0.378, P̄e = 0.213, κ = 0.210. */
static void test_fleiss_example(void)
{
	static const long table[10 * 5] = {
		0, 0, 0, 0, 14, 0, 2, 6, 4, 2, 0, 0, 3, 5, 6, 0, 3, 9, 2, 0, 2, 2, 8, 1, 1,
		7, 7, 0, 0, 0,  3, 2, 6, 3, 0, 2, 5, 3, 2, 2, 6, 5, 2, 1, 0, 0, 2, 2, 3, 7,
	};
	struct dlld_stats_kappa kp;
	struct dlld_error err;

	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_stats_fleiss_kappa(table, 10, 5, &kp, &err), DLLD_STATUS_OK);
	CHECK_NEAR(kp.kappa, 0.210, 5e-4);
	CHECK_INT_EQ(kp.n_raters, 14);
}

/* Two categories: Σ p q (q − p) = 0, so se0 = √(2 / (N m (m − 1))). */
static void test_binary_closed_form(void)
{
	static const long table[4 * 2] = { 3, 1, 0, 4, 2, 2, 4, 0 };
	struct dlld_stats_kappa kp;
	struct dlld_error err;

	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_stats_fleiss_kappa(table, 4, 2, &kp, &err), DLLD_STATUS_OK);
	CHECK_NEAR(kp.se0, sqrt(2.0 / (4.0 * 4.0 * 3.0)), 1e-15);
	/* P̄ = (6 + 12 + 4 + 12) / 48, p = (9/16, 7/16): κ by hand. */
	double pbar = 34.0 / 48.0, pe = (81.0 + 49.0) / 256.0;
	CHECK_NEAR(kp.kappa, (pbar - pe) / (1.0 - pe), 1e-15);
	CHECK_NEAR(kp.p, dlld_stats_p_two_sided(kp.kappa / kp.se0), 1e-15);
}

static void test_bad_tables(void)
{
	static const long ragged[3 * 2] = { 2, 1, 3, 0, 1, 1 };
	static const long negative[2 * 2] = { 3, -1, 1, 1 };
	static const long one_rater[2 * 2] = { 1, 0, 0, 1 };
	struct dlld_stats_kappa kp;
	struct dlld_error err;

	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_stats_fleiss_kappa(ragged, 3, 2, &kp, &err), DLLD_STATUS_USAGE);
	CHECK(strstr(err.reason, "subject 2") != NULL);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_stats_fleiss_kappa(negative, 2, 2, &kp, &err), DLLD_STATUS_USAGE);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_stats_fleiss_kappa(one_rater, 2, 2, &kp, &err), DLLD_STATUS_USAGE);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_stats_fleiss_kappa(ragged, 0, 2, &kp, &err), DLLD_STATUS_USAGE);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_stats_fleiss_kappa(ragged, 6, 1, &kp, &err), DLLD_STATUS_USAGE);
}

int main(void)
{
	dlld_test_run("Fleiss kappa matches statsmodels and the FNL H0 SE", test_fixtures);
	dlld_test_run("Fleiss 1971 worked example", test_fleiss_example);
	dlld_test_run("binary kappa SE closed form", test_binary_closed_form);
	dlld_test_run("malformed tables are usage errors", test_bad_tables);
	return dlld_test_finish();
}

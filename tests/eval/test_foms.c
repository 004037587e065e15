/*
 * tests/eval/test_foms.c — figures of merit: the hand-computed AFROC of
 * eval-tiny, and every FOM, jackknife SE, CPM and detection count against
 * tools/ref_foms.py's independent pair enumeration (tests/eval/data/foms_expected.csv),
 * and the groups' Fleiss kappa against statsmodels.
 */
#include "eval/foms.h"
#include "eval_fixture.h"
#include "harness.h"

#include <string.h>

#define DATA "tests/eval/data"

static void test_tiny_afroc_by_hand(void)
{
	struct dlld_eval_study *s;
	struct dlld_eval_fom_table t;
	struct dlld_error err;
	double fom[DLLD_EVAL_FOM_COUNT];

	CHECK_INT_EQ(load_study_dir(DATA "/eval-tiny", &s, &err), DLLD_STATUS_OK);
	if (!s)
		return;
	CHECK_INT_EQ(dlld_eval_fom_table_init(&t, s, 0, &err), DLLD_STATUS_OK);
	dlld_eval_fom_weighted(&t, NULL, fom);
	/* normal FPs 30, 70, -inf, 60; lesions 95, 99, 88 beat all four (12), 70 ties
	 * 70 and beats 30, -inf, 60 (3.5), 45 beats 30 and -inf (2), the two
	 * unmarked lesions tie N3's -inf (0.5 each): 18.5 of 7 × 4 pairs */
	CHECK(fom[DLLD_EVAL_FOM_AFROC] == 18.5 / 28.0);
	/* the HrAuc of the AI: D1 95, D2 45, D3 99, D4 88 vs 30, 70, -inf, 60 → 14/16 */
	CHECK(fom[DLLD_EVAL_FOM_HR_AUC] == 14.0 / 16.0);
	CHECK(fom[DLLD_EVAL_FOM_MAX_NLF] == 4.0 / 4.0);
	CHECK(fom[DLLD_EVAL_FOM_MAX_NLF_ALL_CASES] == 6.0 / 8.0);
	dlld_eval_fom_table_free(&t);
	dlld_eval_study_destroy(s);
}

/* Looks up (dataset, reader, quantity) in the expected table; NAN if absent. */
static bool expected(const struct dlld_csv *csv, const char *dataset, const char *reader,
		     const char *quantity, double *value)
{
	for (size_t i = 0; i < dlld_csv_rows(csv); i++)
		if (!strcmp(dlld_csv_cell(csv, i, 0), dataset) &&
		    !strcmp(dlld_csv_cell(csv, i, 1), reader) &&
		    !strcmp(dlld_csv_cell(csv, i, 2), quantity))
			return dlld_parse_double(dlld_csv_cell(csv, i, 3), value) ||
			       (!strcmp(dlld_csv_cell(csv, i, 3), "nan") && (*value = NAN, true));
	return false;
}

static int n_compared;

static void compare(const struct dlld_csv *csv, const char *ds, const char *reader,
		    const char *quantity, double got)
{
	double want;
	if (!expected(csv, ds, reader, quantity, &want)) {
		CHECK_MSG(false, "%s/%s/%s missing from the fixture", ds, reader, quantity);
		return;
	}
	n_compared++;
	if (isnan(want))
		CHECK_MSG(isnan(got), "%s/%s/%s: %.17g, want NaN", ds, reader, quantity, got);
	else
		CHECK_MSG(fabs(got - want) <= 1e-12, "%s/%s/%s: %.17g, want %.17g", ds, reader,
			  quantity, got, want);
}

static void compare_reader(const struct dlld_csv *csv, const char *ds,
			   const struct dlld_eval_reader_result *r)
{
	char q[64];
	for (int f = 0; f < DLLD_EVAL_FOM_COUNT; f++)
		compare(csv, ds, r->name, dlld_eval_fom_name((enum dlld_eval_fom)f), r->fom[f]);
	compare(csv, ds, r->name, "jackknife_AFROC", r->jackknife_se_afroc);
	compare(csv, ds, r->name, "jackknife_wAFROC", r->jackknife_se_wafroc);
	for (int i = 0; i < DLLD_EVAL_CPM_POINTS; i++) {
		snprintf(q, sizeof q, "cpm_at_%g", dlld_eval_cpm_fpp[i]);
		compare(csv, ds, r->name, q, r->cpm_sensitivity[i]);
	}
	compare(csv, ds, r->name, "cpm", r->cpm);
	compare(csv, ds, r->name, "lesion_x", (double)r->lesion_sensitivity.x);
	compare(csv, ds, r->name, "lesion_n", (double)r->lesion_sensitivity.n);
	compare(csv, ds, r->name, "lt10_x", (double)r->lesion_sensitivity_by_size[0].x);
	compare(csv, ds, r->name, "lt10_n", (double)r->lesion_sensitivity_by_size[0].n);
	compare(csv, ds, r->name, "ge10_x", (double)r->lesion_sensitivity_by_size[1].x);
	compare(csv, ds, r->name, "ge10_n", (double)r->lesion_sensitivity_by_size[1].n);
	compare(csv, ds, r->name, "fp", (double)r->fpp.fp);
	compare(csv, ds, r->name, "fp_sq", r->fpp.sum_fp_squared);
	compare(csv, ds, r->name, "patient_sens_x", (double)r->patient_sensitivity.x);
	compare(csv, ds, r->name, "patient_any_x", (double)r->patient_sensitivity_anymark.x);
	compare(csv, ds, r->name, "patient_spec_x", (double)r->patient_specificity.x);
}

static void test_fixtures(void)
{
	static const char *const sets[] = {"eval-tiny", "edge", "random"};
	struct dlld_csv *csv = NULL;
	struct dlld_error err;
	struct dlld_eval_options opt;

	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_csv_read(DATA "/foms_expected.csv", &csv, &err), DLLD_STATUS_OK);
	if (!csv)
		return;
	dlld_eval_options_default(&opt);
	opt.bootstrap_replicates = 0;
	for (size_t d = 0; d < sizeof sets / sizeof sets[0]; d++) {
		char dir[256];
		struct dlld_eval_study *s = NULL;
		struct dlld_eval_result *res = NULL;
		CHECK(join_path(dir, sizeof dir, DATA, sets[d]));
		CHECK_INT_EQ(load_study_dir(dir, &s, &err), DLLD_STATUS_OK);
		if (s)
			CHECK_INT_EQ(dlld_eval_run(s, &opt, &res, &err), DLLD_STATUS_OK);
		for (size_t r = 0; res && r < res->n_readers; r++)
			compare_reader(csv, sets[d], &res->readers[r]);
		for (size_t g = 0; res && g < res->n_groups; g++) {
			const struct dlld_eval_group_result *gr = &res->groups[g];
			if (!gr->has_kappa)
				continue;
			/* statsmodels' fleiss_kappa(method="fleiss") */
			compare(csv, sets[d], gr->name, "kappa_lesion", gr->kappa_lesion.kappa);
			compare(csv, sets[d], gr->name, "kappa_patient", gr->kappa_patient.kappa);
		}
		dlld_eval_result_destroy(res);
		dlld_eval_study_destroy(s);
	}
	CHECK_INT_EQ(n_compared, (long long)dlld_csv_rows(csv));
	dlld_csv_destroy(csv);
}

/* The trapezoidal area under the empirical AFROC (to (1,1)) is the AFROC FOM. */
static void test_afroc_area(void)
{
	struct dlld_eval_study *s;
	struct dlld_error err;
	struct dlld_eval_curve afroc, froc;

	CHECK_INT_EQ(load_study_dir(DATA "/random", &s, &err), DLLD_STATUS_OK);
	if (!s)
		return;
	for (size_t r = 0; r < 5; r++) {
		struct dlld_eval_fom_table t;
		double fom[DLLD_EVAL_FOM_COUNT], area = 0;
		CHECK_INT_EQ(dlld_eval_fom_table_init(&t, s, r, &err), DLLD_STATUS_OK);
		dlld_eval_fom_weighted(&t, NULL, fom);
		CHECK_INT_EQ(dlld_eval_curves(s, r, &afroc, &froc, &err), DLLD_STATUS_OK);
		for (size_t i = 1; i < afroc.n; i++)
			area += (afroc.x[i] - afroc.x[i - 1]) * (afroc.y[i] + afroc.y[i - 1]) / 2;
		CHECK_NEAR(area, fom[DLLD_EVAL_FOM_AFROC], 1e-12);
		CHECK(afroc.x[0] == 0 && afroc.y[0] == 0 && afroc.x[afroc.n - 1] == 1);
		CHECK(froc.n >= 1 && froc.x[0] == 0);
		for (size_t i = 1; i < froc.n; i++)
			CHECK(froc.x[i] >= froc.x[i - 1] && froc.y[i] >= froc.y[i - 1]);
		free(afroc.x);
		free(afroc.y);
		free(froc.x);
		free(froc.y);
		dlld_eval_fom_table_free(&t);
	}
	dlld_eval_study_destroy(s);
}

int main(void)
{
	dlld_test_run("AI AFROC on eval-tiny is 18.5/28 (hand)", test_tiny_afroc_by_hand);
	dlld_test_run("FOMs, jackknife, CPM, counts = tools/ref_foms.py", test_fixtures);
	dlld_test_run("AFROC trapezoid area = AFROC FOM", test_afroc_area);
	return dlld_test_finish();
}

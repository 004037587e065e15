/* tests/lesion/test_fp_model.c — the learned false-positive model: its fit
 * against statsmodels' Logit (tools/ref_fp_model.py wrote the fixtures), its
 * features on hand lesions, its place in model.json (round trip, malformed
 * entries refused) and its filter step (drops below the threshold, records
 * every lesion's probability, does nothing without a model). */
#include "dlld/lesion.h"
#include "harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIXTURES "tests/lesion/fixtures/"

static struct dlld_csv *fixture(const char *name)
{
	struct dlld_csv *csv = NULL;
	struct dlld_error err;
	char path[256];
	snprintf(path, sizeof path, "%s%s", FIXTURES, name);
	dlld_error_clear(&err);
	CHECK_MSG(dlld_csv_read(path, &csv, &err) == DLLD_STATUS_OK, "%s: %s", path, err.reason);
	return csv;
}

static void test_fit_matches_statsmodels(void)
{
	struct dlld_csv *data = fixture("fp_model_data.csv"), *want = fixture("fp_model_expected.csv");
	if (!data || !want) {
		dlld_csv_destroy(data), dlld_csv_destroy(want);
		return;
	}
	size_t n = dlld_csv_rows(data);
	double *x = malloc(n * DLLD_FP_MODEL_FEATURES * sizeof *x);
	unsigned char *y = malloc(n);
	CHECK(x && y && n == 300);
	for (size_t r = 0; x && y && r < n; r++) {
		double v;
		for (int f = 0; f < DLLD_FP_MODEL_FEATURES; f++)
			CHECK_INT_EQ(dlld_csv_double(data, r, f, &x[r * DLLD_FP_MODEL_FEATURES + (size_t)f],
						     NULL), 0);
		CHECK_INT_EQ(dlld_csv_double(data, r, DLLD_FP_MODEL_FEATURES, &v, NULL), 0);
		y[r] = v > 0.5;
	}
	struct dlld_fp_model m = {0};
	int it = 0;
	CHECK_INT_EQ(dlld_fp_model_fit(x, y, n, &m, &it, NULL), 0);
	CHECK(it > 2 && it < 30);
	double v;
	CHECK_INT_EQ(dlld_csv_double(want, 0, 1, &v, NULL), 0);
	CHECK_NEAR(m.intercept, v, 1e-4 * (1 + fabs(v)));
	for (int f = 0; f < DLLD_FP_MODEL_FEATURES; f++) {
		CHECK_INT_EQ(dlld_csv_double(want, (size_t)f + 1, 1, &v, NULL), 0);
		CHECK_NEAR(m.coef[f], v, 1e-4 * (1 + fabs(v)));
	}
	/* The score equations hold at the fit: Σ (y - p) = 0 and Σ (y - p) x = 0. */
	double g[DLLD_FP_MODEL_FEATURES + 1] = {0};
	for (size_t r = 0; r < n; r++) {
		double res = y[r] - dlld_fp_model_probability(&m, &x[r * DLLD_FP_MODEL_FEATURES]);
		g[0] += res;
		for (int f = 0; f < DLLD_FP_MODEL_FEATURES; f++)
			g[f + 1] += res * x[r * DLLD_FP_MODEL_FEATURES + (size_t)f];
	}
	for (int f = 0; f <= DLLD_FP_MODEL_FEATURES; f++)
		CHECK_NEAR(g[f], 0.0, 1e-3);
	/* One outcome only: refused. */
	memset(y, 1, n);
	y[0] = 0;
	CHECK_INT_EQ(dlld_fp_model_fit(x, y, n, &m, NULL, NULL), DLLD_STATUS_INCONSISTENT);
	free(x), free(y);
	dlld_csv_destroy(data), dlld_csv_destroy(want);
}

static void test_features(void)
{
	struct dlld_lesion L = {.diameter_mm = 10.0, .first_slice = 4, .last_slice = 7};
	double x[DLLD_FP_MODEL_FEATURES];
	L.p[DLLD_LESION_CLASS_METASTASIS] = 0.8;
	L.p[DLLD_LESION_CLASS_CYST] = 0.2;
	L.p[DLLD_LESION_CLASS_HEMANGIOMA] = 0.0; /* clamped to 1e-4 */
	dlld_fp_model_features(&L, 5.0, x);      /* 4 slices of 5 mm: 20 mm tall */
	CHECK_NEAR(x[0], log(4.0), 1e-12);
	CHECK_NEAR(x[1], -log(4.0), 1e-12);
	CHECK_NEAR(x[2], log(1e-4 / (1 - 1e-4)), 1e-12);
	CHECK_NEAR(x[3], log(10.0), 1e-12);
	CHECK_NEAR(x[4], log(2.0), 1e-12);
	CHECK_NEAR(x[5], log(2.0) * log(2.0), 1e-12);
	dlld_fp_model_features(&L, 2.5, x); /* 10 mm tall: as tall as wide */
	CHECK_NEAR(x[4], 0.0, 1e-12);
	struct dlld_fp_model m = {.intercept = 0.5, .coef = {1, 0, 0, 0, 0, 0}};
	CHECK_NEAR(dlld_fp_model_probability(&m, (double[6]){-0.5, 9, 9, 9, 9, 9}), 0.5, 1e-15);
}

static const char *write_text(const char *name, const char *text)
{
	static char path[2][600];
	static int next;
	char *p = path[next++ % 2];
	snprintf(p, 600, "%s/%s", dlld_test_tmpdir(), name);
	FILE *f = fopen(p, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	return p;
}

static void test_model_json(void)
{
	struct dlld_fp_model m = {.present = true, .intercept = -1.25, .threshold = 0.375,
				  .coef = {0.5, -0.25, 1e-3, 2.0, 3.0, -4.0}}, r;
	struct dlld_error err;
	const char *path = write_text("model.json", "{\"name\": \"x\", \"thresholds\": {\"confidence\": "
						    "0.05, \"nms_iou\": 0.45, \"score\": 84}}\n");
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_fp_model_read(path, &r, &err), 0);
	CHECK(!r.present); /* absent: fine */
	CHECK_INT_EQ(dlld_fp_model_write(path, &m, "{\"cohort\": \"t\"}", 0.0, &err), 0);
	CHECK_INT_EQ(dlld_fp_model_read(path, &r, &err), 0);
	CHECK(r.present && r.intercept == m.intercept && r.threshold == m.threshold);
	for (int f = 0; f < DLLD_FP_MODEL_FEATURES; f++)
		CHECK(r.coef[f] == m.coef[f]);
	char *text;
	size_t size;
	CHECK_INT_EQ(dlld_read_file(path, &text, &size, NULL), 0);
	if (text) { /* the rest of model.json kept, score replaced */
		CHECK(strstr(text, "\"name\":\t\"x\"") && strstr(text, "\"score\":\t0") &&
		      strstr(text, "\"cohort\":\t\"t\"") && !strstr(text, "84"));
		free(text);
	}
	/* Malformed entries: status 3 naming the file. */
	const char *bad[] = {
		"{\"fp_model\": {\"features\": [\"a\",\"b\",\"c\",\"d\",\"e\",\"f\"], \"coefficients\": "
		"[1,2,3,4,5,6], \"intercept\": 0, \"threshold\": 0.5}}",
		"{\"fp_model\": {\"features\": [\"logit_p_metastasis\"], \"coefficients\": [1], "
		"\"intercept\": 0, \"threshold\": 0.5}}",
		"{\"fp_model\": {\"features\": [\"logit_p_metastasis\", \"logit_p_cyst\", "
		"\"logit_p_hemangioma\", \"log_diameter_mm\", \"log_extent_ratio\", "
		"\"log_extent_ratio_squared\"], \"coefficients\": [1,2,3,4,5,6], \"intercept\": 0, "
		"\"threshold\": 1.5}}",
		"{\"fp_model\": 3",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		path = write_text("bad.json", bad[i]);
		dlld_error_clear(&err);
		CHECK_INT_EQ(dlld_fp_model_read(path, &r, &err), DLLD_STATUS_MALFORMED);
		CHECK(!r.present && strstr(err.file, "bad.json"));
	}
}

/* Two lesions on a 2-mm grid: a 10-mm one on 5 slices (as tall as wide)
 * and a 10-mm one on one slice; a model that likes tall-as-wide lesions
 * keeps the first and drops the second. */
static void test_filter_step(void)
{
	struct dlld_geometry g;
	const int32_t dims[3] = {64, 64, 12};
	const double sp[3] = {1.0, 1.0, 2.0}, origin[3] = {0, 0, 0};
	dlld_geometry_init(&g, dims, sp, origin);
	struct dlld_voxel_box b[6];
	for (int k = 0; k < 6; k++) {
		bool round = k < 5;
		b[k] = (struct dlld_voxel_box){.k = round ? 2 + k : 9, .i0 = round ? 5 : 40, .j0 = 5,
					       .i1 = round ? 15 : 50, .j1 = 15, .objectness = 1.0f,
					       .confidence = 0.9f};
		b[k].prob[DLLD_LESION_CLASS_METASTASIS] = 0.9f;
	}
	struct dlld_fp_options o;
	struct dlld_lesion_set set;
	size_t removed[DLLD_FP_STEP_COUNT];
	dlld_fp_options_default(&o);
	o.enable[DLLD_FP_STEP_SPAN] = false; /* the flat one would fail the span rule too */
	CHECK(!o.model.present && o.enable[DLLD_FP_STEP_MODEL]);
	CHECK_INT_EQ(dlld_lesion_link(&g, b, 6, NULL, &set, NULL), 0);
	CHECK_INT_EQ(set.n_lesions, 2);
	CHECK_INT_EQ(dlld_fp_filter(&o, NULL, NULL, &set, removed, NULL), 0);
	CHECK_INT_EQ(removed[DLLD_FP_STEP_MODEL], 0); /* no model: keeps all */
	for (size_t l = 0; l < set.n_lesions; l++)
		CHECK(isnan(set.lesions[l].p_real));
	dlld_lesion_set_free(&set);

	o.model = (struct dlld_fp_model){.present = true, .intercept = 2.0, .threshold = 0.5};
	o.model.coef[5] = -8.0; /* r² */
	struct dlld_volume *ct = dlld_volume_create(&g, NULL);
	CHECK(ct != NULL);
	CHECK_INT_EQ(dlld_lesion_link(&g, b, 6, NULL, &set, NULL), 0);
	CHECK_INT_EQ(dlld_fp_filter(&o, ct, NULL, &set, removed, NULL), 0);
	CHECK_INT_EQ(removed[DLLD_FP_STEP_MODEL], 1);
	for (size_t l = 0; l < set.n_lesions; l++) {
		const struct dlld_lesion *L = &set.lesions[l];
		bool tall = L->n_slices == 5;
		double r = log((tall ? 10.0 : 2.0) / 10.0);
		CHECK_NEAR(L->p_real, 1.0 / (1.0 + exp(-(2.0 - 8.0 * r * r))), 1e-9);
		CHECK_INT_EQ(L->dropped_by, tall ? -1 : DLLD_FP_STEP_MODEL);
	}
	dlld_lesion_set_free(&set);
	/* The threshold is a setting by name; 0 keeps everything. */
	CHECK_INT_EQ(dlld_fp_options_set(&o, "model_threshold", 0.0, NULL), 0);
	CHECK_INT_EQ(dlld_lesion_link(&g, b, 6, NULL, &set, NULL), 0);
	CHECK_INT_EQ(dlld_fp_filter(&o, ct, NULL, &set, removed, NULL), 0);
	CHECK_INT_EQ(removed[DLLD_FP_STEP_MODEL], 0);
	CHECK_INT_EQ(dlld_fp_options_set(&o, "model_threshold", 1.5, NULL), DLLD_STATUS_USAGE);
	dlld_lesion_set_free(&set);
	dlld_volume_destroy(ct);
}

int main(void)
{
	dlld_test_run("fp model: fit equals statsmodels Logit (1e-4), score equations hold",
		      test_fit_matches_statsmodels);
	dlld_test_run("fp model: features of hand lesions", test_features);
	dlld_test_run("fp model: model.json round trip, malformed entries refused", test_model_json);
	dlld_test_run("fp model: filter step drops below threshold, records p_real", test_filter_step);
	return dlld_test_finish();
}

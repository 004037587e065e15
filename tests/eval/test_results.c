/*
 * tests/eval/test_results.c — whole-study results: every GEE CI, β, SE, p and
 * α that dlld_eval_run reports against R geepack fitted on the same tables
 * (tools/ref_eval_gee.R → tests/eval/data/gee_study_expected.csv), and the
 * JSON document: the schema's keys, full precision, null (never 0) for
 * undefined values; the PNG plots decoded back.
 */
#include "eval/stats.h"
#include "eval_fixture.h"
#include "harness.h"

#include "dlld/image.h"

#include <cjson/cJSON.h>
#include <png.h>
#include <string.h>

#define DATA "tests/eval/data"

static const struct dlld_eval_reader_result *find_reader(const struct dlld_eval_result *r,
							 const char *name)
{
	for (size_t i = 0; i < r->n_readers; i++)
		if (!strcmp(r->readers[i].name, name))
			return &r->readers[i];
	return NULL;
}

static size_t find_group(const struct dlld_eval_result *r, const char *name)
{
	for (size_t g = 0; g < r->n_groups; g++)
		if (!strcmp(r->groups[g].name, name))
			return g;
	return (size_t)-1;
}

static double pick(struct dlld_eval_interval iv, const char *end)
{
	return !strcmp(end, "lo") ? iv.lo : iv.hi;
}

/* Returns the value named by key ("reader:R1:lt10:lo", "cmp:senior:sens:exchangeable:alpha", ...). */
static bool lookup(const struct dlld_eval_result *r, char *key, double *out)
{
	char *save, *kind = strtok_r(key, ":", &save), *name = strtok_r(NULL, ":", &save);
	char *what = strtok_r(NULL, ":", &save), *end = strtok_r(NULL, ":", &save);
	char *field = strtok_r(NULL, ":", &save);
	if (!kind || !name || !what || !end)
		return false;
	if (!strcmp(kind, "reader")) {
		const struct dlld_eval_reader_result *x = find_reader(r, name);
		if (!x)
			return false;
		*out = !strcmp(what, "lesion") ? pick(x->lesion_sensitivity.gee_logit, end)
		       : !strcmp(what, "lt10") ? pick(x->lesion_sensitivity_by_size[0].gee_logit, end)
		       : !strcmp(what, "ge10") ? pick(x->lesion_sensitivity_by_size[1].gee_logit, end)
					       : pick(x->fpp.gee_poisson, end);
		return true;
	}
	size_t g = find_group(r, name);
	if (g == (size_t)-1)
		return false;
	if (!strcmp(kind, "group")) {
		const struct dlld_eval_group_result *x = &r->groups[g];
		*out = !strcmp(what, "lesion") ? pick(x->lesion_sensitivity.gee_logit, end)
		       : !strcmp(what, "psens") ? pick(x->patient_sensitivity.gee_logit, end)
		       : !strcmp(what, "pany")  ? pick(x->patient_sensitivity_anymark.gee_logit, end)
		       : !strcmp(what, "pspec") ? pick(x->patient_specificity.gee_logit, end)
						: pick(x->fpp.gee_poisson, end);
		return true;
	}
	if (!field || g == 0)
		return false;
	const struct dlld_eval_comparison *c = &r->comparisons[g - 1];
	const struct dlld_eval_gee_fit *f =
		&(!strcmp(what, "sens") ? c->sensitivity : c->fpp)[strcmp(end, "independence") ? 1 : 0];
	*out = !strcmp(field, "beta_ai")   ? f->beta_ai
	       : !strcmp(field, "se_robust") ? f->se_robust
	       : !strcmp(field, "p_wald")    ? f->p_wald
	       : !strcmp(field, "intercept") ? f->intercept
					     : f->alpha;
	return true;
}

static void check_dataset(const struct dlld_csv *csv, const char *ds, int *compared)
{
	char dir[256];
	struct dlld_eval_study *s = NULL;
	struct dlld_eval_result *res = NULL;
	struct dlld_eval_options opt;
	struct dlld_error err;

	CHECK(join_path(dir, sizeof dir, DATA, ds));
	dlld_eval_options_default(&opt);
	opt.bootstrap_replicates = 0;
	CHECK_INT_EQ(load_study_dir(dir, &s, &err), DLLD_STATUS_OK);
	if (s)
		CHECK_INT_EQ(dlld_eval_run(s, &opt, &res, &err), DLLD_STATUS_OK);
	for (size_t i = 0; res && i < dlld_csv_rows(csv); i++) {
		char key[256];
		double got, want;
		const char *v = dlld_csv_cell(csv, i, 2);
		if (strcmp(dlld_csv_cell(csv, i, 0), ds))
			continue;
		CHECK(snprintf(key, sizeof key, "%s", dlld_csv_cell(csv, i, 1)) < (int)sizeof key);
		if (!lookup(res, key, &got)) {
			CHECK_MSG(false, "%s: unknown quantity %s", ds, dlld_csv_cell(csv, i, 1));
			continue;
		}
		(*compared)++;
		if (!strcmp(v, "NA")) {
			CHECK_MSG(isnan(got), "%s %s: %.17g, geepack has no estimate", ds,
				  dlld_csv_cell(csv, i, 1), got);
		} else if (dlld_parse_double(v, &want)) {
			CHECK_MSG(fabs(got - want) <= 1e-6 * fmax(1, fabs(want)),
				  "%s %s: %.17g, geepack %.17g", ds, dlld_csv_cell(csv, i, 1), got,
				  want);
		}
	}
	dlld_eval_result_destroy(res);
	dlld_eval_study_destroy(s);
}

static void test_geepack(void)
{
	struct dlld_csv *csv = NULL;
	struct dlld_error err;
	int compared = 0;

	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_csv_read(DATA "/gee_study_expected.csv", &csv, &err), DLLD_STATUS_OK);
	if (!csv)
		return;
	check_dataset(csv, "eval-tiny", &compared);
	check_dataset(csv, "random", &compared);
	CHECK_INT_EQ(compared, (long long)dlld_csv_rows(csv));
	dlld_csv_destroy(csv);
}

/* ---- JSON ---------------------------------------------------------------------- */
/* Checks that obj has exactly the keys listed (comma-separated). */
static void check_keys(const cJSON *obj, const char *what, const char *keys)
{
	char buf[512];
	size_t want = 0, have = 0;
	CHECK(snprintf(buf, sizeof buf, "%s", keys) < (int)sizeof buf);
	for (char *save, *k = strtok_r(buf, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
		want++;
		CHECK_MSG(cJSON_HasObjectItem(obj, k), "%s lacks key %s", what, k);
	}
	for (const cJSON *c = obj ? obj->child : NULL; c; c = c->next)
		have++;
	CHECK_MSG(have == want, "%s has %zu keys, the schema %zu", what, have, want);
}

static cJSON *tiny_json(void)
{
	struct dlld_eval_study *s = NULL;
	struct dlld_eval_result *res = NULL;
	struct dlld_eval_options opt;
	struct dlld_error err;
	char path[EVAL_TEST_PATH_MAX], *text = NULL;
	size_t size;
	cJSON *doc = NULL;

	dlld_eval_options_default(&opt);
	opt.bootstrap_replicates = 200;
	if (join_path(path, sizeof path, dlld_test_tmpdir(), "tiny.json") &&
	    !load_study_dir(DATA "/eval-tiny", &s, &err) && !dlld_eval_run(s, &opt, &res, &err) &&
	    !dlld_eval_write_json(res, path, &err) && !dlld_read_file(path, &text, &size, &err))
		doc = cJSON_Parse(text);
	free(text);
	dlld_eval_result_destroy(res);
	dlld_eval_study_destroy(s);
	return doc;
}

static void test_json(void)
{
	cJSON *doc = tiny_json();
	CHECK(doc != NULL);
	if (!doc)
		return;
	check_keys(doc, "root", "n_patients,n_normal,n_diseased,n_lesions,readers,groups,comparisons");
	const cJSON *ai = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "readers"), "AI");
	check_keys(ai, "reader", "group,threshold,lesion_sensitivity,lesion_sensitivity_by_size,fpp,"
		       "patient_sensitivity,patient_sensitivity_anymark,patient_specificity,foms,"
		       "jackknife_se,froc_cpm,bootstrap");
	check_keys(cJSON_GetObjectItem(ai, "lesion_sensitivity"), "lesion_sensitivity",
		   "x,n,p,ci_gee_logit_indep_robust,se_logit_gee_robust,ci_wilson,"
		   "ci_clopper_pearson,ci_logit_wald");
	check_keys(cJSON_GetObjectItem(ai, "fpp"), "fpp",
		   "fp,patients,mean,ci_gee_poisson_indep_robust,se_log_gee_robust,"
		   "ci_poisson_exact,sum_fp_squared");
	check_keys(cJSON_GetObjectItem(ai, "foms"), "foms",
		   "AFROC,wAFROC,AFROC1,wAFROC1,HrAuc,HrSe,HrSp,MaxLLF,MaxNLF,MaxNLFAllCases");
	/* full precision: the parsed AFROC is exactly 18.5/28 */
	CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(ai, "foms"), "AFROC")->valuedouble ==
	      18.5 / 28);
	/* the AI found no lesion < 10 mm: 0/3 has no logit CI — null, not 0 */
	const cJSON *lt10 = cJSON_GetObjectItem(cJSON_GetObjectItem(ai, "lesion_sensitivity_by_size"),
						"lt10");
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(lt10, "ci_logit_wald")));
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(lt10, "se_logit_gee_robust")));
	CHECK(cJSON_GetObjectItem(lt10, "x")->valueint == 0);
	const cJSON *groups = cJSON_GetObjectItem(doc, "groups");
	const cJSON *rad = cJSON_GetObjectItem(groups, "radiologist");
	check_keys(rad, "group", "readers,lesion_sensitivity_pooled,lesion_sensitivity_pooled_by_size,"
		       "fpp_pooled,mean_foms,fleiss_kappa_lesion_detection,"
		       "fleiss_kappa_patient_positive");
	check_keys(cJSON_GetObjectItem(rad, "fpp_pooled"), "fpp_pooled",
		   "fp,patient_reads,mean,ci_gee_poisson_indep_robust");
	CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(rad, "fpp_pooled"), "patient_reads")->valueint ==
	      24);
	/* a one-reader group has no kappa: nulls */
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(
		cJSON_GetObjectItem(cJSON_GetObjectItem(groups, "AI"), "fleiss_kappa_lesion_detection"),
		"kappa")));
	const cJSON *cmp = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "comparisons"), 0);
	check_keys(cmp, "comparison", "ai_readers,group,group_readers,sensitivity_gee_logit,"
		       "fpp_gee_poisson,bootstrap_AFROC_difference,bootstrap_wAFROC_difference");
	const cJSON *ind = cJSON_GetObjectItem(cJSON_GetObjectItem(cmp, "sensitivity_gee_logit"),
					       "independence");
	check_keys(ind, "fit", "beta_ai,se_robust,p_wald,intercept,alpha");
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(ind, "alpha")));
	const cJSON *diff = cJSON_GetObjectItem(cmp, "bootstrap_AFROC_difference");
	check_keys(diff, "difference", "observed,B,ci_percentile,se_boot,p_two_sided_boot");
	CHECK(cJSON_GetObjectItem(diff, "B")->valueint == 200);
	cJSON_Delete(doc);
}

/* Returns new RGB pixels of the 480×480 PNG at path, or NULL. */
static uint8_t *read_plot_png(const char *path)
{
	png_image img;
	uint8_t *px = NULL;

	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_file(&img, path))
		return NULL;
	img.format = PNG_FORMAT_RGB;
	if (img.width == 480 && img.height == 480 && (px = malloc(PNG_IMAGE_SIZE(img))) &&
	    !png_image_finish_read(&img, NULL, px, 0, NULL)) {
		free(px);
		px = NULL;
	}
	png_image_free(&img);
	return px;
}

static bool pixel_is(const uint8_t *px, int x, int y, uint8_t r, uint8_t g, uint8_t b)
{
	const uint8_t *p = px + 3 * (480 * y + x);
	return p[0] == r && p[1] == g && p[2] == b;
}

/* The PNGs decode; the AI's AFROC runs from the plot's (0, 0) corner to its
 * (1, 1) corner, (64, 424) and (464, 40) in pixels, in the first palette
 * colour on white; the title band is the title in the 5×7 font at scale 2,
 * centred, lower case included. */
static void test_png(void)
{
	struct dlld_eval_study *s = NULL;
	struct dlld_eval_result *res = NULL;
	struct dlld_eval_options opt;
	struct dlld_error err;
	char dir[EVAL_TEST_PATH_MAX], path[EVAL_TEST_PATH_MAX];
	uint8_t *ai = NULL, *all = NULL;
	struct dlld_image *want = dlld_image_create(480, 480, &err);

	dlld_eval_options_default(&opt);
	opt.bootstrap_replicates = 0;
	CHECK(join_path(dir, sizeof dir, dlld_test_tmpdir(), "plots"));
	CHECK(want && !load_study_dir(DATA "/eval-tiny", &s, &err) &&
	      !dlld_eval_run(s, &opt, &res, &err) && !dlld_eval_write_plots(res, dir, &err));
	CHECK(join_path(path, sizeof path, dir, "reader_AI_afroc.png") &&
	      (ai = read_plot_png(path)) != NULL);
	CHECK(join_path(path, sizeof path, dir, "all_afroc.png") &&
	      (all = read_plot_png(path)) != NULL);
	if (ai && all && want) {
		CHECK(pixel_is(ai, 64, 424, 213, 94, 0) && pixel_is(ai, 464, 40, 213, 94, 0));
		CHECK(pixel_is(ai, 470, 470, 255, 255, 255) && pixel_is(ai, 300, 300, 255, 255, 255));
		const char *title = "AFROC: all readers";
		dlld_image_fill(want, (struct dlld_rgb){255, 255, 255});
		dlld_image_text(want, (480 - dlld_image_text_width(title, 2)) / 2, 10, title,
				(struct dlld_rgb){0, 0, 0}, 2);
		CHECK(!memcmp(all, want->rgb, 3 * 480 * 24)); /* rows 0..23: the title only */
	}
	free(ai);
	free(all);
	dlld_image_destroy(want);
	dlld_eval_result_destroy(res);
	dlld_eval_study_destroy(s);
}

int main(void)
{
	dlld_test_run("GEE CIs, comparisons, alpha = R geepack (1e-6)", test_geepack);
	dlld_test_run("JSON: schema keys, precision, nulls", test_json);
	dlld_test_run("PNG plots: curve corners, background, lower-case title", test_png);
	return dlld_test_finish();
}

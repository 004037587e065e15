/*
 * eval/json.c — the `dlld eval --json` document (docs/eval-json.md) with cJSON.
 *
 * Numbers are written with cJSON's shortest round-tripping format (up to 17
 * significant digits, i.e. full double precision). NaN (undefined) is always
 * written as an explicit null; a CI with both ends undefined is null, one
 * undefined end is null inside the pair.
 */
#include "eval/stages.h"
#include "eval/stats.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* cJSON reports allocation failure by returning NULL; every builder below
 * tolerates a NULL parent, and the document is checked once when printed. */
static void num(cJSON *obj, const char *key, double v)
{
	cJSON_AddItemToObject(obj, key, isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull());
}

static cJSON *number_or_null(double v)
{
	return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

static void ci(cJSON *obj, const char *key, struct dlld_eval_interval iv)
{
	if (isnan(iv.lo) && isnan(iv.hi)) {
		cJSON_AddItemToObject(obj, key, cJSON_CreateNull());
		return;
	}
	cJSON *pair = cJSON_AddArrayToObject(obj, key);
	cJSON_AddItemToArray(pair, number_or_null(iv.lo));
	cJSON_AddItemToArray(pair, number_or_null(iv.hi));
}

static void lesion_proportion(cJSON *parent, const char *key, const struct dlld_eval_proportion *p)
{
	cJSON *o = cJSON_AddObjectToObject(parent, key);
	num(o, "x", (double)p->x);
	num(o, "n", (double)p->n);
	num(o, "p", p->p);
	ci(o, "ci_gee_logit_indep_robust", p->gee_logit);
	num(o, "se_logit_gee_robust", p->se_logit_gee);
	ci(o, "ci_wilson", p->wilson);
	ci(o, "ci_clopper_pearson", p->clopper_pearson);
	ci(o, "ci_logit_wald", p->logit_wald);
}

static void by_size(cJSON *parent, const char *key, const struct dlld_eval_proportion *p)
{
	cJSON *o = cJSON_AddObjectToObject(parent, key);
	lesion_proportion(o, "lt10", &p[DLLD_EVAL_SIZE_LT10]);
	lesion_proportion(o, "ge10", &p[DLLD_EVAL_SIZE_GE10]);
}

static void patient_proportion(cJSON *parent, const char *key,
			       const struct dlld_eval_proportion *p)
{
	cJSON *o = cJSON_AddObjectToObject(parent, key);
	num(o, "x", (double)p->x);
	num(o, "n", (double)p->n);
	num(o, "p", p->p);
	ci(o, "ci_logit_wald", p->logit_wald);
	ci(o, "ci_wilson", p->wilson);
	ci(o, "ci_clopper_pearson", p->clopper_pearson);
}

static void fpp(cJSON *parent, const struct dlld_eval_fpp *f)
{
	cJSON *o = cJSON_AddObjectToObject(parent, "fpp");
	num(o, "fp", (double)f->fp);
	num(o, "patients", (double)f->units);
	num(o, "mean", f->mean);
	ci(o, "ci_gee_poisson_indep_robust", f->gee_poisson);
	num(o, "se_log_gee_robust", f->se_log_gee);
	ci(o, "ci_poisson_exact", f->poisson_exact);
	num(o, "sum_fp_squared", f->sum_fp_squared);
}

static void boot_ci(cJSON *parent, const char *key, const struct dlld_eval_boot *b)
{
	cJSON *o = cJSON_AddObjectToObject(parent, key);
	ci(o, "ci_percentile", b->ci_percentile);
	num(o, "se_boot", b->se);
}

static void foms_and_curves(cJSON *o, const struct dlld_eval_reader_result *r)
{
	cJSON *f = cJSON_AddObjectToObject(o, "foms");
	for (int i = 0; i < DLLD_EVAL_FOM_COUNT; i++)
		num(f, dlld_eval_fom_name((enum dlld_eval_fom)i), r->fom[i]);
	cJSON *jk = cJSON_AddObjectToObject(o, "jackknife_se");
	num(jk, "AFROC", r->jackknife_se_afroc);
	num(jk, "wAFROC", r->jackknife_se_wafroc);
	cJSON *cpm = cJSON_AddObjectToObject(o, "froc_cpm");
	cJSON_AddItemToObject(cpm, "fp_per_patient_points",
			      cJSON_CreateDoubleArray(dlld_eval_cpm_fpp, DLLD_EVAL_CPM_POINTS));
	cJSON *at = cJSON_AddArrayToObject(cpm, "sensitivity_at");
	for (int i = 0; i < DLLD_EVAL_CPM_POINTS; i++)
		cJSON_AddItemToArray(at, number_or_null(r->cpm_sensitivity[i]));
	num(cpm, "cpm", r->cpm);
	cJSON *b = cJSON_AddObjectToObject(o, "bootstrap");
	boot_ci(b, "AFROC", &r->boot_afroc);
	boot_ci(b, "wAFROC", &r->boot_wafroc);
}

static void reader(cJSON *readers, const struct dlld_eval_result *res,
		   const struct dlld_eval_reader_result *r)
{
	cJSON *o = cJSON_AddObjectToObject(readers, r->name);
	cJSON_AddStringToObject(o, "group", res->groups[r->group].name);
	num(o, "threshold", r->threshold);
	lesion_proportion(o, "lesion_sensitivity", &r->lesion_sensitivity);
	by_size(o, "lesion_sensitivity_by_size", r->lesion_sensitivity_by_size);
	fpp(o, &r->fpp);
	patient_proportion(o, "patient_sensitivity", &r->patient_sensitivity);
	patient_proportion(o, "patient_sensitivity_anymark", &r->patient_sensitivity_anymark);
	patient_proportion(o, "patient_specificity", &r->patient_specificity);
	foms_and_curves(o, r);
}

static cJSON *reader_names(const struct dlld_eval_result *res, const size_t *idx, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(res->readers[idx[i]].name));
	return a;
}

static void kappa(cJSON *parent, const char *key, const struct dlld_eval_kappa *k)
{
	cJSON *o = cJSON_AddObjectToObject(parent, key);
	num(o, "kappa", k->kappa);
	num(o, "se0", k->se0);
	num(o, "z", k->z);
	num(o, "p", k->p);
}

static void group(cJSON *groups, const struct dlld_eval_result *res,
		  const struct dlld_eval_group_result *g)
{
	static const struct dlld_eval_kappa none = {NAN, NAN, NAN, NAN};
	cJSON *o = cJSON_AddObjectToObject(groups, g->name);
	cJSON_AddItemToObject(o, "readers", reader_names(res, g->readers, g->n_readers));
	lesion_proportion(o, "lesion_sensitivity_pooled", &g->lesion_sensitivity);
	by_size(o, "lesion_sensitivity_pooled_by_size", g->lesion_sensitivity_by_size);
	cJSON *f = cJSON_AddObjectToObject(o, "fpp_pooled");
	num(f, "fp", (double)g->fpp.fp);
	num(f, "patient_reads", (double)g->fpp.units);
	num(f, "mean", g->fpp.mean);
	ci(f, "ci_gee_poisson_indep_robust", g->fpp.gee_poisson);
	cJSON *m = cJSON_AddObjectToObject(o, "mean_foms");
	num(m, "AFROC", g->mean_afroc);
	num(m, "wAFROC", g->mean_wafroc);
	kappa(o, "fleiss_kappa_lesion_detection", g->has_kappa ? &g->kappa_lesion : &none);
	kappa(o, "fleiss_kappa_patient_positive", g->has_kappa ? &g->kappa_patient : &none);
}

static void fits(cJSON *parent, const char *key, const struct dlld_eval_gee_fit *f)
{
	cJSON *o = cJSON_AddObjectToObject(parent, key);
	for (int c = 0; c < DLLD_GEE_CORSTR_COUNT; c++) {
		cJSON *x = cJSON_AddObjectToObject(o, dlld_gee_corstr_names[c]);
		num(x, "beta_ai", f[c].beta_ai);
		num(x, "se_robust", f[c].se_robust);
		num(x, "p_wald", f[c].p_wald);
		num(x, "intercept", f[c].intercept);
		num(x, "alpha", f[c].alpha);
	}
}

static void difference(cJSON *parent, const char *key, const struct dlld_eval_boot *b)
{
	cJSON *o = cJSON_AddObjectToObject(parent, key);
	num(o, "observed", b->observed);
	num(o, "B", (double)b->replicates);
	ci(o, "ci_percentile", b->ci_percentile);
	num(o, "se_boot", b->se);
	num(o, "p_two_sided_boot", b->p_two_sided);
}

static void comparison(cJSON *list, const struct dlld_eval_result *res,
		       const struct dlld_eval_comparison *c)
{
	const struct dlld_eval_group_result *ai = &res->groups[0], *g = &res->groups[c->group];
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToArray(list, o);
	cJSON_AddItemToObject(o, "ai_readers", reader_names(res, ai->readers, ai->n_readers));
	cJSON_AddStringToObject(o, "group", g->name);
	cJSON_AddItemToObject(o, "group_readers", reader_names(res, g->readers, g->n_readers));
	fits(o, "sensitivity_gee_logit", c->sensitivity);
	fits(o, "fpp_gee_poisson", c->fpp);
	difference(o, "bootstrap_AFROC_difference", &c->afroc_difference);
	difference(o, "bootstrap_wAFROC_difference", &c->wafroc_difference);
}

/* Returns the new document (NULL when out of memory). */
static cJSON *document(const struct dlld_eval_result *res)
{
	cJSON *root = cJSON_CreateObject();
	num(root, "n_patients", (double)res->n_patients);
	num(root, "n_normal", (double)res->n_normal);
	num(root, "n_diseased", (double)res->n_diseased);
	num(root, "n_lesions", (double)res->n_lesions);
	cJSON *readers = cJSON_AddObjectToObject(root, "readers");
	for (size_t r = 0; r < res->n_readers; r++)
		reader(readers, res, &res->readers[r]);
	cJSON *groups = cJSON_AddObjectToObject(root, "groups");
	for (size_t g = 0; g < res->n_groups; g++)
		group(groups, res, &res->groups[g]);
	cJSON *list = cJSON_AddArrayToObject(root, "comparisons");
	for (size_t c = 0; c < res->n_comparisons; c++)
		comparison(list, res, &res->comparisons[c]);
	return root;
}

enum dlld_status dlld_eval_write_json(const struct dlld_eval_result *res, const char *path,
				      struct dlld_error *err)
{
	cJSON *root = document(res);
	char *text = root ? cJSON_Print(root) : NULL;
	enum dlld_status st;

	cJSON_Delete(root);
	if (!text)
		return dlld_error_set(err, DLLD_STATUS_NO_MEMORY, path, "building the JSON document");
	size_t n = strlen(text);
	text[n] = '\n'; /* replaces the terminator; the length is passed explicitly */
	st = dlld_write_file_atomic(path, text, n + 1, err);
	free(text);
	return st;
}

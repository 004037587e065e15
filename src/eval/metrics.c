/*
 * eval/metrics.c — detection statistics per reader and per pooled group, the
 * algorithm-vs-group GEE comparisons and Fleiss' kappa (docs/eval.md).
 *
 * Everything is phrased as rows for the GEE of stats.h: one row per
 * (reader, lesion) read with y = detected (a positive mark on the lesion), or
 * per (reader, patient) read with y = false positives (positive NL marks),
 * clustered by patient, with an optional 0/1 algorithm column.
 */
#include "eval/stages.h"
#include "eval/stats.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static_assert((int)DLLD_EVAL_CORSTR_INDEPENDENCE == (int)DLLD_GEE_CORSTR_INDEPENDENCE &&
		      (int)DLLD_EVAL_CORSTR_EXCHANGEABLE == (int)DLLD_GEE_CORSTR_EXCHANGEABLE &&
		      (int)DLLD_EVAL_CORSTR_COUNT == (int)DLLD_GEE_CORSTR_COUNT,
	      "public and GEE correlation structures agree");

/* Lesion size filter: all lesions or one subgroup. */
#define SIZE_ALL DLLD_EVAL_SIZE_COUNT

struct rows {
	size_t n, cap;
	double *x; /* [n][2]: intercept, algorithm indicator */
	double *y;
	long *cluster;
};

static enum dlld_status rows_reserve(struct rows *rw, size_t cap, struct dlld_error *err)
{
	size_t cap2;
	memset(rw, 0, sizeof *rw);
	if (!dlld_size_mul(cap, 2, &cap2))
		return dlld_error_set(err, DLLD_STATUS_NO_MEMORY, NULL, "too many GEE rows");
	rw->cap = cap;
	rw->x = dlld_calloc(cap2 + 1, sizeof(double), "GEE design", err);
	rw->y = dlld_calloc(cap + 1, sizeof(double), "GEE responses", err);
	rw->cluster = dlld_calloc(cap + 1, sizeof(long), "GEE clusters", err);
	return rw->x && rw->y && rw->cluster ? DLLD_STATUS_OK : DLLD_STATUS_NO_MEMORY;
}

static void rows_free(struct rows *rw)
{
	free(rw->x);
	free(rw->y);
	free(rw->cluster);
}

static void rows_add(struct rows *rw, double y, size_t patient, double ai)
{
	rw->x[2 * rw->n] = 1.0;
	rw->x[2 * rw->n + 1] = ai;
	rw->y[rw->n] = y;
	rw->cluster[rw->n] = (long)patient;
	rw->n++;
}

static bool size_matches(double diameter_mm, int size)
{
	if (size == SIZE_ALL)
		return true;
	return (diameter_mm >= 10.0) == (size == DLLD_EVAL_SIZE_GE10);
}

/* Appends one detection row per (reader, lesion of the size class). */
static void add_lesion_rows(const struct dlld_eval_study *s, const size_t *readers, size_t n_r,
			    double ai, int size, struct rows *rw)
{
	for (size_t i = 0; i < n_r; i++)
		for (size_t l = 0; l < s->n_lesions; l++)
			if (size_matches(s->lesions[l].diameter_mm, size))
				rows_add(rw, s->ll_positive[readers[i] * s->n_lesions + l],
					 s->lesions[l].patient, ai);
}

/* Appends one false-positive count row per (reader, patient). */
static void add_patient_rows(const struct dlld_eval_study *s, const size_t *readers, size_t n_r,
			     double ai, struct rows *rw)
{
	for (size_t i = 0; i < n_r; i++)
		for (size_t k = 0; k < s->n_patients; k++)
			rows_add(rw, (double)s->nl_positive[readers[i] * s->n_patients + k], k, ai);
}

static struct dlld_eval_interval interval(struct dlld_ci ci)
{
	return (struct dlld_eval_interval){ci.lo, ci.hi};
}

static const struct dlld_eval_interval no_interval = {NAN, NAN};

/* Fits an intercept-only (p = 1) or intercept + algorithm (p = 2) GEE on rw. */
static enum dlld_status fit(const struct rows *rw, size_t p, enum dlld_gee_family family,
			    enum dlld_gee_corstr corstr, struct dlld_gee_result *out,
			    struct dlld_error *err)
{
	struct dlld_gee_data data = {rw->n, p, p == 2 ? rw->x : NULL, rw->y, rw->cluster};
	struct dlld_gee_options opt = {.family = family, .corstr = corstr};

	return dlld_stats_gee_fit(&data, &opt, out, err);
}

/* Fills a lesion proportion (x/n, GEE logit robust CI and the simple CIs) from rows. */
static enum dlld_status proportion_from_rows(const struct rows *rw,
					     struct dlld_eval_proportion *out,
					     struct dlld_error *err)
{
	struct dlld_stats_proportion sp;
	struct dlld_gee_result g;
	long x = 0;
	enum dlld_status st;

	for (size_t i = 0; i < rw->n; i++)
		x += rw->y[i] > 0;
	if ((st = dlld_stats_proportion(x, (long)rw->n, DLLD_EVAL_LEVEL, &sp, err)))
		return st;
	*out = (struct dlld_eval_proportion){
		.x = x, .n = (long)rw->n, .p = sp.p, .se_logit_gee = NAN,
		.gee_logit = no_interval, .wilson = interval(sp.wilson),
		.clopper_pearson = interval(sp.clopper_pearson),
		.logit_wald = interval(sp.logit_wald),
	};
	if (rw->n == 0)
		return DLLD_STATUS_OK;
	if ((st = fit(rw, 1, DLLD_GEE_FAMILY_BINOMIAL, DLLD_GEE_CORSTR_INDEPENDENCE, &g, err)))
		return st;
	if (g.defined) {
		out->se_logit_gee = g.se_robust[0];
		out->gee_logit =
			interval(dlld_stats_ci_expit_wald(g.beta[0], g.se_robust[0], DLLD_EVAL_LEVEL));
	}
	return DLLD_STATUS_OK;
}

/* Fills the overall and by-size lesion sensitivity of the readers together. */
static enum dlld_status lesion_sensitivity(const struct dlld_eval_study *s, const size_t *readers,
					   size_t n_r, struct dlld_eval_proportion *all,
					   struct dlld_eval_proportion *by_size,
					   struct dlld_error *err)
{
	struct rows rw;
	size_t cap;
	enum dlld_status st;

	if (!dlld_size_mul(n_r, s->n_lesions, &cap))
		return dlld_error_set(err, DLLD_STATUS_NO_MEMORY, NULL, "too many reads");
	if ((st = rows_reserve(&rw, cap, err)))
		goto done;
	for (int size = 0; size <= SIZE_ALL && !st; size++) {
		rw.n = 0;
		add_lesion_rows(s, readers, n_r, 0.0, size, &rw);
		st = proportion_from_rows(&rw, size == SIZE_ALL ? all : &by_size[size], err);
	}
done:
	rows_free(&rw);
	return st;
}

/* ---- per-patient outcomes ------------------------------------------------------ */
enum outcome {
	OUTCOME_SENSITIVITY, /* diseased: >= 1 positive mark on a target lesion */
	OUTCOME_ANYMARK,     /* diseased: any positive mark */
	OUTCOME_SPECIFICITY, /* normal: no positive mark */
	OUTCOME_COUNT
};

static bool lesion_positive(const struct dlld_eval_study *s, size_t reader, size_t k)
{
	const struct dlld_eval_patient *p = &s->patients[k];
	for (size_t l = 0; l < p->n_lesions; l++)
		if (s->ll_positive[reader * s->n_lesions + p->first_lesion + l])
			return true;
	return false;
}

static bool any_positive(const struct dlld_eval_study *s, size_t reader, size_t k)
{
	return s->nl_positive[reader * s->n_patients + k] > 0 || lesion_positive(s, reader, k);
}

/* Returns whether patient k counts for outcome o, and fills *y with its 0/1 value. */
static bool outcome(const struct dlld_eval_study *s, size_t reader, size_t k, enum outcome o,
		    double *y)
{
	if (s->patients[k].diseased != (o != OUTCOME_SPECIFICITY))
		return false;
	*y = o == OUTCOME_SENSITIVITY ? lesion_positive(s, reader, k)
	     : o == OUTCOME_ANYMARK   ? any_positive(s, reader, k)
				      : !any_positive(s, reader, k);
	return true;
}

/* Fills the three patient-level proportions of the readers together: one row
 * per (reader, patient) read, clustered by patient. A single reader's rows
 * are one per patient, so its GEE equals the binomial model (the primary CI
 * of a single reader is the logit Wald, as in the paper). */
static enum dlld_status patient_metrics(const struct dlld_eval_study *s, const size_t *readers,
					size_t n_r, struct dlld_eval_proportion *out,
					struct dlld_error *err)
{
	struct rows rw;
	size_t cap;
	enum dlld_status st;

	if (!dlld_size_mul(n_r, s->n_patients, &cap))
		return dlld_error_set(err, DLLD_STATUS_NO_MEMORY, NULL, "too many reads");
	if ((st = rows_reserve(&rw, cap, err)))
		goto done;
	for (int o = 0; o < OUTCOME_COUNT && !st; o++) {
		double y;
		rw.n = 0;
		for (size_t i = 0; i < n_r; i++)
			for (size_t k = 0; k < s->n_patients; k++)
				if (outcome(s, readers[i], k, (enum outcome)o, &y))
					rows_add(&rw, y, k, 0.0);
		st = proportion_from_rows(&rw, &out[o], err);
	}
done:
	rows_free(&rw);
	return st;
}

enum dlld_status dlld_eval_reader_metrics(const struct dlld_eval_study *s, size_t reader,
					  struct dlld_eval_reader_result *r,
					  struct dlld_error *err)
{
	struct dlld_stats_rate rate;
	double sum = 0, sum2 = 0;
	enum dlld_status st;

	if ((st = lesion_sensitivity(s, &reader, 1, &r->lesion_sensitivity,
				     r->lesion_sensitivity_by_size, err)))
		return st;
	for (size_t k = 0; k < s->n_patients; k++) {
		double y = (double)s->nl_positive[reader * s->n_patients + k];
		sum += y;
		sum2 += y * y;
	}
	if ((st = dlld_stats_rate((long)s->n_patients, sum, sum2, DLLD_EVAL_LEVEL, &rate, err)))
		return st;
	r->fpp = (struct dlld_eval_fpp){
		.fp = (long)sum, .units = (long)s->n_patients, .mean = rate.mean,
		.se_log_gee = rate.se_log_robust, .sum_fp_squared = sum2,
		.gee_poisson = interval(rate.gee_robust), .poisson_exact = interval(rate.exact),
	};
	struct dlld_eval_proportion pat[OUTCOME_COUNT];
	if ((st = patient_metrics(s, &reader, 1, pat, err)))
		return st;
	r->patient_sensitivity = pat[OUTCOME_SENSITIVITY];
	r->patient_sensitivity_anymark = pat[OUTCOME_ANYMARK];
	r->patient_specificity = pat[OUTCOME_SPECIFICITY];
	return DLLD_STATUS_OK;
}

/* Fills the pooled FPP of the readers: every (reader, patient) read is a row. */
static enum dlld_status pooled_fpp(const struct dlld_eval_study *s, const size_t *readers,
				   size_t n_r, struct dlld_eval_fpp *out, struct dlld_error *err)
{
	struct rows rw;
	struct dlld_gee_result g;
	size_t cap;
	double sum = 0, sum2 = 0;
	enum dlld_status st;

	*out = (struct dlld_eval_fpp){.mean = NAN, .se_log_gee = NAN, .gee_poisson = no_interval,
				      .poisson_exact = no_interval};
	if (!dlld_size_mul(n_r, s->n_patients, &cap))
		return dlld_error_set(err, DLLD_STATUS_NO_MEMORY, NULL, "too many reads");
	if ((st = rows_reserve(&rw, cap, err)))
		goto done;
	add_patient_rows(s, readers, n_r, 0.0, &rw);
	for (size_t i = 0; i < rw.n; i++) {
		sum += rw.y[i];
		sum2 += rw.y[i] * rw.y[i];
	}
	out->fp = (long)sum;
	out->units = (long)rw.n;
	out->sum_fp_squared = sum2;
	if (rw.n == 0)
		goto done;
	out->mean = sum / (double)rw.n;
	if ((st = fit(&rw, 1, DLLD_GEE_FAMILY_POISSON, DLLD_GEE_CORSTR_INDEPENDENCE, &g, err)))
		goto done;
	if (g.defined) {
		out->se_log_gee = g.se_robust[0];
		out->gee_poisson =
			interval(dlld_stats_ci_exp_wald(g.beta[0], g.se_robust[0], DLLD_EVAL_LEVEL));
	}
done:
	rows_free(&rw);
	return st;
}

static const struct dlld_eval_kappa no_kappa = {NAN, NAN, NAN, NAN};

/* Returns Fleiss' kappa on binary subjects, yes[i] of the m raters saying
 * "yes" for subject i (no kappa when undefined); counts: scratch of
 * 2 × n_subjects. */
static struct dlld_eval_kappa binary_kappa(const long *yes, size_t n_subjects, long m,
					   long *counts)
{
	struct dlld_stats_kappa k;
	struct dlld_error local;

	for (size_t i = 0; i < n_subjects; i++) {
		counts[2 * i] = yes[i];
		counts[2 * i + 1] = m - yes[i];
	}
	dlld_error_clear(&local);
	if (n_subjects == 0 || dlld_stats_fleiss_kappa(counts, n_subjects, 2, &k, &local))
		return no_kappa;
	return (struct dlld_eval_kappa){k.kappa, k.se0, k.z, k.p};
}

/* Fills g's kappas on lesion detection and on patient positivity (any positive mark). */
static enum dlld_status group_kappa(const struct dlld_eval_study *s,
				   const struct dlld_eval_group *grp,
				   struct dlld_eval_group_result *g, struct dlld_error *err)
{
	size_t n = s->n_lesions > s->n_patients ? s->n_lesions : s->n_patients;
	long *yes = dlld_calloc(n + 1, sizeof(long), "kappa subjects", err);
	long *counts = dlld_calloc(2 * n + 2, sizeof(long), "kappa counts", err);
	long m = (long)grp->n_readers;

	if (!yes || !counts) {
		free(yes);
		free(counts);
		return DLLD_STATUS_NO_MEMORY;
	}
	for (size_t i = 0; i < grp->n_readers; i++)
		for (size_t l = 0; l < s->n_lesions; l++)
			yes[l] += s->ll_positive[grp->readers[i] * s->n_lesions + l];
	g->kappa_lesion = binary_kappa(yes, s->n_lesions, m, counts);
	memset(yes, 0, (n + 1) * sizeof *yes);
	for (size_t i = 0; i < grp->n_readers; i++)
		for (size_t k = 0; k < s->n_patients; k++)
			yes[k] += any_positive(s, grp->readers[i], k);
	g->kappa_patient = binary_kappa(yes, s->n_patients, m, counts);
	free(yes);
	free(counts);
	return DLLD_STATUS_OK;
}

enum dlld_status dlld_eval_group_metrics(const struct dlld_eval_study *s, size_t group,
					 struct dlld_eval_group_result *g, struct dlld_error *err)
{
	const struct dlld_eval_group *grp = &s->groups[group];
	enum dlld_status st;

	g->name = grp->name;
	g->n_readers = grp->n_readers;
	g->readers = grp->readers;
	g->kappa_lesion = g->kappa_patient = no_kappa;
	if ((st = lesion_sensitivity(s, grp->readers, grp->n_readers, &g->lesion_sensitivity,
				     g->lesion_sensitivity_by_size, err)) ||
	    (st = pooled_fpp(s, grp->readers, grp->n_readers, &g->fpp, err)))
		return st;
	struct dlld_eval_proportion pat[OUTCOME_COUNT];
	if ((st = patient_metrics(s, grp->readers, grp->n_readers, pat, err)))
		return st;
	g->patient_sensitivity = pat[OUTCOME_SENSITIVITY];
	g->patient_sensitivity_anymark = pat[OUTCOME_ANYMARK];
	g->patient_specificity = pat[OUTCOME_SPECIFICITY];
	g->has_kappa = grp->n_readers >= 2;
	return g->has_kappa ? group_kappa(s, grp, g, err) : DLLD_STATUS_OK;
}

/* Fills fits[corstr] for the algorithm indicator on rows rw. */
static enum dlld_status compare_fits(const struct rows *rw, enum dlld_gee_family family,
				     struct dlld_eval_gee_fit *fits, struct dlld_error *err)
{
	for (int c = 0; c < DLLD_GEE_CORSTR_COUNT; c++) {
		struct dlld_gee_result g;
		enum dlld_status st = fit(rw, 2, family, (enum dlld_gee_corstr)c, &g, err);
		if (st)
			return st;
		fits[c] = (struct dlld_eval_gee_fit){NAN, NAN, NAN, NAN, NAN};
		if (g.defined)
			fits[c] = (struct dlld_eval_gee_fit){g.beta[1], g.se_robust[1], g.p_wald[1],
							     g.beta[0], g.alpha};
	}
	return DLLD_STATUS_OK;
}

enum dlld_status dlld_eval_compare_groups(const struct dlld_eval_study *s,
					  struct dlld_eval_comparison *c, struct dlld_error *err)
{
	const struct dlld_eval_group *ai = &s->groups[0], *other = &s->groups[c->group];
	size_t n_r = ai->n_readers + other->n_readers, cap, per;
	struct rows rw;
	enum dlld_status st;

	per = s->n_lesions > s->n_patients ? s->n_lesions : s->n_patients;
	if (!dlld_size_mul(n_r, per, &cap))
		return dlld_error_set(err, DLLD_STATUS_NO_MEMORY, NULL, "too many reads");
	if ((st = rows_reserve(&rw, cap, err)))
		goto done;
	add_lesion_rows(s, ai->readers, ai->n_readers, 1.0, SIZE_ALL, &rw);
	add_lesion_rows(s, other->readers, other->n_readers, 0.0, SIZE_ALL, &rw);
	if (rw.n && (st = compare_fits(&rw, DLLD_GEE_FAMILY_BINOMIAL, c->sensitivity, err)))
		goto done;
	rw.n = 0;
	add_patient_rows(s, ai->readers, ai->n_readers, 1.0, &rw);
	add_patient_rows(s, other->readers, other->n_readers, 0.0, &rw);
	if (rw.n)
		st = compare_fits(&rw, DLLD_GEE_FAMILY_POISSON, c->fpp, err);
done:
	rows_free(&rw);
	return st;
}

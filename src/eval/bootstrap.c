/*
 * eval/bootstrap.c — the stratified patient bootstrap of AFROC and wAFROC
 * (docs/eval.md): resamples drawn or replayed from --bootstrap-indices, the
 * replicate FOMs through the per-reader pair tables (a replicate only changes
 * patient multiplicities), percentile CIs with type-7 quantiles, SEs and the
 * two-sided bootstrap p of algorithm − mean(group readers).
 */
#include "eval/stages.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum dlld_status resamples_alloc(struct dlld_eval_resamples *rs, size_t replicates,
					size_t n_patients, struct dlld_error *err)
{
	size_t cells;
	rs->replicates = replicates;
	rs->n_patients = n_patients;
	if (!dlld_size_mul(replicates, n_patients, &cells))
		return dlld_error_set(err, DLLD_STATUS_NO_MEMORY, NULL, "too many resamples");
	rs->index = dlld_calloc(cells + 1, sizeof(size_t), "resamples", err);
	return rs->index ? DLLD_STATUS_OK : DLLD_STATUS_NO_MEMORY;
}

void dlld_eval_resamples_free(struct dlld_eval_resamples *rs)
{
	free(rs->index);
	memset(rs, 0, sizeof *rs);
}

enum dlld_status dlld_eval_resamples_draw(const struct dlld_eval_study *s, size_t replicates,
					  uint64_t seed, struct dlld_eval_resamples *rs,
					  struct dlld_error *err)
{
	enum dlld_status st = resamples_alloc(rs, replicates, s->n_patients, err);
	if (st)
		return st;
	for (size_t b = 0; b < replicates; b++) {
		struct dlld_rng rng;
		size_t *row = rs->index + b * s->n_patients;
		dlld_rng_seed_stream(&rng, seed, b);
		for (size_t i = 0; i < s->n_normal; i++)
			row[i] = s->normal[dlld_rng_below(&rng, s->n_normal)];
		for (size_t j = 0; j < s->n_diseased; j++)
			row[s->n_normal + j] = s->diseased[dlld_rng_below(&rng, s->n_diseased)];
	}
	return DLLD_STATUS_OK;
}

/* Checks the header: replicate, slot1..slotK in that order, nothing else. */
static enum dlld_status check_header(const struct dlld_csv *csv, size_t K, int *cols,
				     struct dlld_error *err)
{
	char name[32];
	enum dlld_status st = dlld_csv_require(csv, "replicate", &cols[0], err);

	if (st)
		return st;
	if (dlld_csv_columns(csv) != K + 1)
		return dlld_error_set_line(err, DLLD_STATUS_INCONSISTENT, dlld_csv_name(csv), 1,
					   "%zu slot columns, but the study has %zu patients",
					   dlld_csv_columns(csv) - 1, K);
	for (size_t i = 0; i < K; i++) {
		snprintf(name, sizeof name, "slot%zu", i + 1);
		if ((st = dlld_csv_require(csv, name, &cols[i + 1], err)))
			return st;
	}
	return DLLD_STATUS_OK;
}

/* Fills row b of rs from CSV row b. */
static enum dlld_status read_row(const struct dlld_eval_study *s, const struct dlld_csv *csv,
				 size_t b, const int *cols, size_t *row, struct dlld_error *err)
{
	for (size_t i = 0; i < s->n_patients; i++) {
		const char *id = dlld_csv_cell(csv, b, cols[i + 1]);
		size_t k = dlld_eval_study_find_patient(s, id);
		bool want_diseased = i >= s->n_normal;
		if (k == (size_t)-1)
			return dlld_error_set_line(err, DLLD_STATUS_INCONSISTENT, dlld_csv_name(csv),
						   dlld_csv_line(csv, b),
						   "slot%zu: patient '%s' is not in cases.csv", i + 1,
						   id);
		if (s->patients[k].diseased != want_diseased)
			return dlld_error_set_line(
				err, DLLD_STATUS_INCONSISTENT, dlld_csv_name(csv),
				dlld_csv_line(csv, b),
				"slot%zu: patient '%s' is %s, but slots 1-%zu hold the normal "
				"patients and the rest the diseased ones",
				i + 1, id, want_diseased ? "normal" : "diseased", s->n_normal);
		row[i] = k;
	}
	return DLLD_STATUS_OK;
}

enum dlld_status dlld_eval_resamples_read(const struct dlld_eval_study *s, const char *path,
					  struct dlld_eval_resamples *rs,
					  struct dlld_error *err)
{
	struct dlld_csv *csv = NULL;
	int *cols = NULL;
	enum dlld_status st;

	memset(rs, 0, sizeof *rs);
	if ((st = dlld_csv_read(path, &csv, err)))
		return st;
	if (!(cols = dlld_calloc(s->n_patients + 1, sizeof *cols, "slot columns", err))) {
		st = DLLD_STATUS_NO_MEMORY;
		goto done;
	}
	if ((st = check_header(csv, s->n_patients, cols, err)) ||
	    (st = resamples_alloc(rs, dlld_csv_rows(csv), s->n_patients, err)))
		goto done;
	if (rs->replicates == 0)
		st = dlld_error_set_line(err, DLLD_STATUS_MALFORMED, path, 1, "no replicates");
	for (size_t b = 0; b < rs->replicates && !st; b++)
		st = read_row(s, csv, b, cols, rs->index + b * s->n_patients, err);
done:
	if (st)
		dlld_eval_resamples_free(rs);
	free(cols);
	dlld_csv_destroy(csv);
	return st;
}

/* ---- replicate FOMs ---------------------------------------------------------- */
struct boot_job {
	const struct dlld_eval_fom_table *tables;
	size_t n_readers, n_patients, first; /* first: replicate of task 0 */
	const struct dlld_eval_resamples *rs;
	double *m;     /* [workers][n_patients] multiplicities */
	double *theta; /* [replicates][n_readers][2] */
};

static void boot_task(void *ctx, size_t task, int worker)
{
	struct boot_job *job = ctx;
	size_t b = job->first + task;
	double *m = job->m + (size_t)worker * job->n_patients;
	const size_t *row = job->rs->index + b * job->n_patients;

	memset(m, 0, job->n_patients * sizeof *m);
	for (size_t i = 0; i < job->n_patients; i++)
		m[row[i]] += 1.0;
	for (size_t r = 0; r < job->n_readers; r++) {
		double *out = job->theta + (b * job->n_readers + r) * 2;
		dlld_eval_fom_afroc_pair(&job->tables[r], m, &out[0], &out[1]);
	}
}

enum dlld_status dlld_eval_bootstrap_foms(const struct dlld_eval_fom_table *tables,
					  size_t n_readers,
					  const struct dlld_eval_resamples *rs,
					  struct dlld_pool *pool, double **theta,
					  struct dlld_error *err)
{
	size_t n_theta, n_m;
	struct boot_job job = {tables, n_readers, rs->n_patients, 0, rs, NULL, NULL};
	struct dlld_progress progress;
	const size_t chunk = 256; /* replicates per parallel run, between progress reports */
	int workers = dlld_pool_threads(pool);

	*theta = NULL;
	if (!dlld_size_mul3(rs->replicates, n_readers, 2, &n_theta) ||
	    !dlld_size_mul((size_t)workers, rs->n_patients, &n_m))
		return dlld_error_set(err, DLLD_STATUS_NO_MEMORY, NULL, "bootstrap too large");
	job.theta = dlld_calloc(n_theta + 1, sizeof(double), "bootstrap replicates", err);
	job.m = dlld_calloc(n_m + 1, sizeof(double), "bootstrap weights", err);
	if (!job.theta || !job.m) {
		free(job.theta);
		free(job.m);
		return DLLD_STATUS_NO_MEMORY;
	}
	dlld_progress_begin(&progress, "bootstrap", "resamples", rs->replicates);
	for (job.first = 0; job.first < rs->replicates; job.first += chunk) {
		size_t n = rs->replicates - job.first < chunk ? rs->replicates - job.first : chunk;
		dlld_pool_run(pool, n, boot_task, &job);
		dlld_progress_update(&progress, job.first + n);
	}
	dlld_progress_end(&progress);
	free(job.m);
	*theta = job.theta;
	return DLLD_STATUS_OK;
}

/* ---- summaries ------------------------------------------------------------------ */
double dlld_eval_quantile7(const double *sorted, size_t n, double prob)
{
	if (n == 0)
		return NAN;
	double h = (double)(n - 1) * prob;
	size_t lo = (size_t)floor(h);
	if (lo + 1 >= n)
		return sorted[n - 1];
	return sorted[lo] + (h - (double)lo) * (sorted[lo + 1] - sorted[lo]);
}

/* Fills *out from the B replicate values v (reordered in place). */
static void summarize(double observed, double *v, size_t B, bool with_p,
		      struct dlld_eval_boot *out)
{
	double mean = 0, ss = 0;
	size_t below = 0, above = 0;

	*out = (struct dlld_eval_boot){observed, (long)B, {NAN, NAN}, NAN, NAN};
	for (size_t b = 0; b < B; b++) {
		if (isnan(v[b]))
			return; /* an undefined replicate leaves everything undefined */
		mean += v[b];
		below += v[b] <= 0;
		above += v[b] >= 0;
	}
	if (B == 0)
		return;
	mean /= (double)B;
	for (size_t b = 0; b < B; b++)
		ss += (v[b] - mean) * (v[b] - mean);
	qsort(v, B, sizeof *v, dlld_compare_double);
	out->ci_percentile.lo = dlld_eval_quantile7(v, B, (1 - DLLD_EVAL_LEVEL) / 2);
	out->ci_percentile.hi = dlld_eval_quantile7(v, B, (1 + DLLD_EVAL_LEVEL) / 2);
	out->se = B > 1 ? sqrt(ss / (double)(B - 1)) : NAN;
	if (with_p) {
		double p = 2.0 * (double)(below < above ? below : above) / (double)B;
		out->p_two_sided = p < 1 ? p : 1;
	}
}

/* Returns the mean of FOM f over the group's readers in replicate row th. */
static double group_mean(const struct dlld_eval_group *g, const double *th, int f)
{
	double sum = 0;
	for (size_t i = 0; i < g->n_readers; i++)
		sum += th[g->readers[i] * 2 + (size_t)f];
	return g->n_readers ? sum / (double)g->n_readers : NAN;
}

void dlld_eval_bootstrap_summarize(const struct dlld_eval_study *s, const double *theta,
				   size_t replicates, double *v, struct dlld_eval_result *res)
{
	size_t R = s->n_readers;

	for (size_t r = 0; r < R; r++) {
		struct dlld_eval_reader_result *rr = &res->readers[r];
		for (int f = 0; f < 2; f++) {
			for (size_t b = 0; b < replicates; b++)
				v[b] = theta[(b * R + r) * 2 + (size_t)f];
			summarize(rr->fom[f == 0 ? DLLD_EVAL_FOM_AFROC : DLLD_EVAL_FOM_WAFROC], v,
				  replicates, false, f == 0 ? &rr->boot_afroc : &rr->boot_wafroc);
		}
	}
	for (size_t c = 0; c < res->n_comparisons; c++) {
		struct dlld_eval_comparison *cmp = &res->comparisons[c];
		const struct dlld_eval_group *ai = &s->groups[0], *g = &s->groups[cmp->group];
		for (int f = 0; f < 2; f++) {
			double obs = f == 0 ? res->groups[0].mean_afroc - res->groups[cmp->group].mean_afroc
					    : res->groups[0].mean_wafroc -
						      res->groups[cmp->group].mean_wafroc;
			for (size_t b = 0; b < replicates; b++) {
				const double *th = theta + b * R * 2;
				v[b] = group_mean(ai, th, f) - group_mean(g, th, f);
			}
			summarize(obs, v, replicates, true,
				  f == 0 ? &cmp->afroc_difference : &cmp->wafroc_difference);
		}
	}
}

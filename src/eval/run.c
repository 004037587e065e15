/*
 * eval/run.c — dlld_eval_run: every statistic of DESIGN §7 for a loaded study,
 * in order: per-reader FOMs/curves/jackknife and detection statistics, pooled
 * groups and kappa, algorithm-vs-group GEE comparisons, then the bootstrap.
 */
#include "eval/stages.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void dlld_eval_options_default(struct dlld_eval_options *opt)
{
	*opt = (struct dlld_eval_options){.bootstrap_replicates = 1000, .seed = 1,
					  .bootstrap_indices = NULL, .threads = 0};
}

static const struct dlld_eval_boot no_boot = {NAN, 0, {NAN, NAN}, NAN, NAN};
static const struct dlld_eval_gee_fit no_fit = {NAN, NAN, NAN, NAN, NAN};

/* Fills reader r's FOMs, jackknife SEs, curves and CPM from its pair table. */
static enum dlld_status reader_foms(const struct dlld_eval_study *s, size_t reader,
				    const struct dlld_eval_fom_table *t, double *scratch,
				    struct dlld_eval_reader_result *r, struct dlld_error *err)
{
	double se[2];
	enum dlld_status st;

	dlld_eval_fom_weighted(t, NULL, r->fom);
	dlld_eval_fom_jackknife(t, scratch, se);
	r->jackknife_se_afroc = se[0];
	r->jackknife_se_wafroc = se[1];
	if ((st = dlld_eval_curves(s, reader, &r->afroc, &r->froc, err)))
		return st;
	r->cpm = dlld_eval_froc_cpm(&r->froc, r->cpm_sensitivity);
	r->boot_afroc = r->boot_wafroc = no_boot;
	return DLLD_STATUS_OK;
}

static enum dlld_status readers_stage(const struct dlld_eval_study *s,
				      struct dlld_eval_fom_table *tables,
				      struct dlld_eval_result *res, struct dlld_error *err)
{
	double *scratch = dlld_calloc(3 * s->n_patients + 1, sizeof(double), "jackknife", err);
	enum dlld_status st = scratch ? DLLD_STATUS_OK : DLLD_STATUS_NO_MEMORY;

	for (size_t i = 0; i < s->n_readers && !st; i++) {
		struct dlld_eval_reader_result *r = &res->readers[i];
		r->name = s->readers[i].name;
		r->group = s->readers[i].group;
		r->threshold = s->readers[i].threshold;
		if (!(st = dlld_eval_fom_table_init(&tables[i], s, i, err)) &&
		    !(st = reader_foms(s, i, &tables[i], scratch, r, err)))
			st = dlld_eval_reader_metrics(s, i, r, err);
	}
	free(scratch);
	return st;
}

static enum dlld_status groups_stage(const struct dlld_eval_study *s,
				     struct dlld_eval_result *res, struct dlld_error *err)
{
	enum dlld_status st = DLLD_STATUS_OK;

	for (size_t g = 0; g < s->n_groups && !st; g++) {
		struct dlld_eval_group_result *gr = &res->groups[g];
		double a = 0, w = 0;
		st = dlld_eval_group_metrics(s, g, gr, err);
		for (size_t i = 0; i < gr->n_readers; i++) {
			a += res->readers[gr->readers[i]].fom[DLLD_EVAL_FOM_AFROC];
			w += res->readers[gr->readers[i]].fom[DLLD_EVAL_FOM_WAFROC];
		}
		gr->mean_afroc = a / (double)gr->n_readers;
		gr->mean_wafroc = w / (double)gr->n_readers;
	}
	for (size_t c = 0; c < res->n_comparisons && !st; c++) {
		struct dlld_eval_comparison *cmp = &res->comparisons[c];
		cmp->group = c + 1;
		for (int k = 0; k < DLLD_EVAL_CORSTR_COUNT; k++)
			cmp->sensitivity[k] = cmp->fpp[k] = no_fit;
		cmp->afroc_difference = cmp->wafroc_difference = no_boot;
		st = dlld_eval_compare_groups(s, cmp, err);
	}
	return st;
}

static enum dlld_status bootstrap_stage(const struct dlld_eval_study *s,
					const struct dlld_eval_options *opt,
					const struct dlld_eval_fom_table *tables,
					struct dlld_eval_result *res, struct dlld_error *err)
{
	struct dlld_eval_resamples rs = {0, 0, NULL};
	struct dlld_pool *pool = NULL;
	double *theta = NULL, *scratch = NULL;
	enum dlld_status st;

	if (opt->bootstrap_indices)
		st = dlld_eval_resamples_read(s, opt->bootstrap_indices, &rs, err);
	else if (opt->bootstrap_replicates > 0)
		st = dlld_eval_resamples_draw(s, (size_t)opt->bootstrap_replicates, opt->seed, &rs,
					      err);
	else
		return DLLD_STATUS_OK;
	if (!st && !(pool = dlld_pool_create(opt->threads, err)))
		st = err->status;
	if (!st)
		st = dlld_eval_bootstrap_foms(tables, s->n_readers, &rs, pool, &theta, err);
	if (!st && !(scratch = dlld_calloc(rs.replicates + 1, sizeof(double), "bootstrap", err)))
		st = DLLD_STATUS_NO_MEMORY;
	if (!st)
		dlld_eval_bootstrap_summarize(s, theta, rs.replicates, scratch, res);
	free(scratch);
	free(theta);
	dlld_pool_destroy(pool);
	dlld_eval_resamples_free(&rs);
	return st;
}

enum dlld_status dlld_eval_run(const struct dlld_eval_study *s,
			       const struct dlld_eval_options *opt,
			       struct dlld_eval_result **out, struct dlld_error *err)
{
	struct dlld_eval_result *res;
	struct dlld_eval_fom_table *tables;
	enum dlld_status st;

	*out = NULL;
	res = dlld_calloc(1, sizeof *res, "result", err);
	tables = dlld_calloc(s->n_readers, sizeof *tables, "FOM tables", err);
	if (!res || !tables) {
		free(res);
		free(tables);
		return DLLD_STATUS_NO_MEMORY;
	}
	res->n_patients = s->n_patients;
	res->n_normal = s->n_normal;
	res->n_diseased = s->n_diseased;
	res->n_lesions = s->n_lesions;
	res->n_readers = s->n_readers;
	res->n_groups = s->n_groups;
	res->n_comparisons = s->n_groups - 1;
	res->readers = dlld_calloc(s->n_readers, sizeof *res->readers, "reader results", err);
	res->groups = dlld_calloc(s->n_groups, sizeof *res->groups, "group results", err);
	res->comparisons = dlld_calloc(s->n_groups, sizeof *res->comparisons, "comparisons", err);
	st = res->readers && res->groups && res->comparisons ? DLLD_STATUS_OK
							      : DLLD_STATUS_NO_MEMORY;
	if (!st && !(st = readers_stage(s, tables, res, err)) &&
	    !(st = groups_stage(s, res, err)))
		st = bootstrap_stage(s, opt, tables, res, err);
	for (size_t r = 0; r < s->n_readers; r++)
		dlld_eval_fom_table_free(&tables[r]);
	free(tables);
	if (st) {
		dlld_eval_result_destroy(res);
		return st;
	}
	*out = res;
	return DLLD_STATUS_OK;
}

void dlld_eval_result_destroy(struct dlld_eval_result *res)
{
	if (!res)
		return;
	for (size_t r = 0; res->readers && r < res->n_readers; r++) {
		free(res->readers[r].afroc.x);
		free(res->readers[r].afroc.y);
		free(res->readers[r].froc.x);
		free(res->readers[r].froc.y);
	}
	free(res->readers);
	free(res->groups);
	free(res->comparisons);
	free(res);
}

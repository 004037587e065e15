/*
 * eval/stages.h — the stages dlld_eval_run chains (internal to src/eval):
 * detection statistics (metrics.c) and the bootstrap (bootstrap.c).
 */
#ifndef DLLD_EVAL_STAGES_H
#define DLLD_EVAL_STAGES_H

#include "eval/foms.h"

/* Two-sided confidence level of every interval DLLD reports. */
#define DLLD_EVAL_LEVEL 0.95

/* Fills r's lesion, FPP and patient statistics for reader `reader`. */
enum dlld_status dlld_eval_reader_metrics(const struct dlld_eval_study *s, size_t reader,
					  struct dlld_eval_reader_result *r,
					  struct dlld_error *err);
/* Fills g's pooled statistics and Fleiss' kappa for group `group`. */
enum dlld_status dlld_eval_group_metrics(const struct dlld_eval_study *s, size_t group,
					 struct dlld_eval_group_result *g, struct dlld_error *err);
/* Fills c's GEE fits of group 0 (the algorithm) against c->group. */
enum dlld_status dlld_eval_compare_groups(const struct dlld_eval_study *s,
					  struct dlld_eval_comparison *c, struct dlld_error *err);

/* Resamples: B rows of n_patients patient indices each (normal slots first). */
struct dlld_eval_resamples {
	size_t replicates, n_patients;
	size_t *index; /* [replicates][n_patients] */
};

/* Fills rs with a new table of B stratified resamples drawn from seed
 * (replicate b uses RNG stream b, so the draw does not depend on the thread
 * count); free it with dlld_eval_resamples_free. */
enum dlld_status dlld_eval_resamples_draw(const struct dlld_eval_study *s, size_t replicates,
					  uint64_t seed, struct dlld_eval_resamples *rs,
					  struct dlld_error *err);
/* Fills rs with a new table read from a --bootstrap-indices CSV
 * (replicate,slot1..slotK of patient ids, normal patients first); errors
 * name file:line and leave rs empty. */
enum dlld_status dlld_eval_resamples_read(const struct dlld_eval_study *s, const char *path,
					  struct dlld_eval_resamples *rs,
					  struct dlld_error *err);
/* Frees rs's table and zeroes rs (an empty rs is fine). */
void dlld_eval_resamples_free(struct dlld_eval_resamples *rs);

/* Fills *theta with a new array (free()) of the replicate values
 * theta[(b * n_readers + r) * 2 + f], f = 0 AFROC, 1 wAFROC, computed on the
 * pool; borrows the tables and resamples. */
enum dlld_status dlld_eval_bootstrap_foms(const struct dlld_eval_fom_table *tables,
					  size_t n_readers,
					  const struct dlld_eval_resamples *rs,
					  struct dlld_pool *pool, double **theta,
					  struct dlld_error *err);
/* Fills res's per-reader bootstrap summaries and comparisons' differences
 * from the replicate values theta; v: scratch of `replicates` doubles. */
void dlld_eval_bootstrap_summarize(const struct dlld_eval_study *s, const double *theta,
				   size_t replicates, double *v, struct dlld_eval_result *res);

/* Returns the type-7 quantile (R's default) of sorted[0..n); NaN when n = 0. */
double dlld_eval_quantile7(const double *sorted, size_t n, double prob);

#endif

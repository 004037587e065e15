/*
 * eval/foms.h — RJafroc's empirical figures of merit on patient weights
 * (internal to src/eval and its tests).
 *
 * Every FOM is a ratio of sums over (case, diseased case) pairs, so giving each
 * patient a multiplicity m[k] (1 = the study as read, 0 = left out, c = drawn c
 * times) covers the point estimate, the jackknife and the bootstrap with one
 * precomputed per-reader table:
 *
 *   A[k][j] = Σ_l ψ(fp_k, LL_jl)          k over all patients, j over diseased
 *   W[k][j] = Σ_l ψ(fp_k, LL_jl) / L_j    (wAFROC weights 1/lesions-per-patient)
 *   H[k][j] = ψ(fp_k, hr_j)               hr_j = highest mark of any kind on j
 *
 * where fp_k is the highest non-lesion rating on patient k (-inf if none) and
 * ψ(x, y) = 1 if y > x, ½ if y == x (−∞ == −∞ too), else 0.
 */
#ifndef DLLD_EVAL_FOMS_H
#define DLLD_EVAL_FOMS_H

#include "eval/study.h"

struct dlld_eval_fom_table {
	size_t n_patients, n_diseased;
	const struct dlld_eval_study *study; /* borrowed */
	double *a, *w, *h;                   /* [n_patients][n_diseased] */
	double *n_lesions;                   /* [n_patients]: L_k (0 for normal cases) */
	double *ll_marked;                   /* [n_patients]: lesions with a mark */
	double *nl_marks;                    /* [n_patients]: NL marks (any rating) */
	unsigned char *fp_marked;            /* [n_patients]: fp_k > -inf */
	unsigned char *hr_marked;            /* [n_patients]: any mark on the case */
};

/* Fills t with reader r's table in new arrays (free with
 * dlld_eval_fom_table_free); t borrows s. */
enum dlld_status dlld_eval_fom_table_init(struct dlld_eval_fom_table *t,
					  const struct dlld_eval_study *s, size_t reader,
					  struct dlld_error *err);
/* Frees t's arrays and zeroes t (a zeroed or partly filled t is fine). */
void dlld_eval_fom_table_free(struct dlld_eval_fom_table *t);

/* Fills fom[DLLD_EVAL_FOM_COUNT] for patient multiplicities m (NULL = all 1);
 * a FOM whose denominator is 0 is NaN. */
void dlld_eval_fom_weighted(const struct dlld_eval_fom_table *t, const double *m, double *fom);

/* Fills *afroc and *wafroc only (the bootstrap's fast path). */
void dlld_eval_fom_afroc_pair(const struct dlld_eval_fom_table *t, const double *m,
			      double *afroc, double *wafroc);

/* Fills se[0] (AFROC) and se[1] (wAFROC) with the leave-one-patient-out
 * jackknife SE sqrt((K-1)/K Σ (θ_(k) − θ̄)²); NaN when a θ_(k) is undefined.
 * scratch: 3 × n_patients doubles. */
void dlld_eval_fom_jackknife(const struct dlld_eval_fom_table *t, double *scratch, double se[2]);

/* Fills the empirical AFROC (FPF, LLF; from (0,0) to (1,1)) and FROC
 * (NLF over all patients, LLF; from (0,0)) curves of reader r: new arrays in
 * the curves (free x and y). Empty curves when undefined. */
enum dlld_status dlld_eval_curves(const struct dlld_eval_study *s, size_t reader,
				  struct dlld_eval_curve *afroc, struct dlld_eval_curve *froc,
				  struct dlld_error *err);

/* Fills sens[DLLD_EVAL_CPM_POINTS] with the FROC sensitivity at each of
 * dlld_eval_cpm_fpp: the LLF of the last operating point whose NLF <= x.
 * Returns their mean (NaN for an empty curve). */
double dlld_eval_froc_cpm(const struct dlld_eval_curve *froc, double *sens);

#endif

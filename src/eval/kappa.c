/*
 * src/eval/kappa.c — Fleiss' κ for m raters, with its SE under H0.
 *
 * κ = (P̄ − P̄e) / (1 − P̄e), P̄ the mean per-subject agreement
 * Σ_j n_ij (n_ij − 1) / (m (m − 1)), P̄e = Σ_j p_j², p_j the share of all
 * ratings in category j (Fleiss 1971). The SE under κ = 0 is Fleiss, Nee &
 * Landis (1979):
 *   se0 = √2 / (Σ p_j q_j · √(N m (m − 1))) · √((Σ p_j q_j)² − Σ p_j q_j (q_j − p_j)),
 * q_j = 1 − p_j — the statistic R's irr::kappam.fleiss reports as z.
 * Reference values: tools/ref_stats.py (statsmodels fleiss_kappa).
 */
#include "eval/stats.h"

#include <math.h>

/* Checks the table; fills *m with the raters per subject. */
static enum dlld_status check_table(const long *counts, size_t n_subjects, size_t k, long *m,
				    struct dlld_error *err)
{
	if (n_subjects == 0 || k < 2 || k > 1000)
		return dlld_error_set(err, DLLD_STATUS_USAGE, NULL,
				      "Fleiss kappa: need subjects and 2..1000 categories (%zu, %zu)",
				      n_subjects, k);
	*m = 0;
	for (size_t i = 0; i < n_subjects; i++) {
		long row = 0;
		for (size_t j = 0; j < k; j++) {
			long c = counts[i * k + j];
			if (c < 0 || c > 1000000)
				return dlld_error_set(err, DLLD_STATUS_USAGE, NULL,
						      "Fleiss kappa: subject %zu has count %ld", i, c);
			row += c;
		}
		if (i == 0)
			*m = row;
		if (row != *m)
			return dlld_error_set(err, DLLD_STATUS_USAGE, NULL,
					      "Fleiss kappa: subject %zu has %ld ratings, subject 0 has %ld",
					      i, row, *m);
	}
	if (*m < 2)
		return dlld_error_set(err, DLLD_STATUS_USAGE, NULL,
				      "Fleiss kappa: need at least 2 raters, got %ld", *m);
	return DLLD_STATUS_OK;
}

enum dlld_status dlld_stats_fleiss_kappa(const long *counts, size_t n_subjects, size_t k,
					 struct dlld_stats_kappa *out, struct dlld_error *err)
{
	long m = 0;
	enum dlld_status status = check_table(counts, n_subjects, k, &m, err);
	if (status != DLLD_STATUS_OK)
		return status;

	double dm = (double)m, dn = (double)n_subjects;
	double agree = 0.0, pe = 0.0, pq = 0.0, pqqp = 0.0;
	for (size_t i = 0; i < n_subjects; i++)
		for (size_t j = 0; j < k; j++) {
			double c = (double)counts[i * k + j];
			agree += c * (c - 1.0);
		}
	agree /= dn * dm * (dm - 1.0);
	for (size_t j = 0; j < k; j++) {
		double total = 0.0;
		for (size_t i = 0; i < n_subjects; i++)
			total += (double)counts[i * k + j];
		double pj = total / (dn * dm), qj = 1.0 - pj;
		pe += pj * pj;
		pq += pj * qj;
		pqqp += pj * qj * (qj - pj);
	}

	*out = (struct dlld_stats_kappa){ .kappa = NAN, .se0 = NAN, .z = NAN, .p = NAN,
					  .n_subjects = n_subjects, .n_raters = (size_t)m,
					  .n_categories = k };
	if (!(pq > 0.0))
		return DLLD_STATUS_OK; /* every rating in one category: κ undefined */
	out->kappa = (agree - pe) / (1.0 - pe);
	out->se0 = M_SQRT2 / (pq * sqrt(dn * dm * (dm - 1.0))) * sqrt(fmax(pq * pq - pqqp, 0.0));
	if (out->se0 > 0.0) {
		out->z = out->kappa / out->se0;
		out->p = dlld_stats_p_two_sided(out->z);
	}
	return DLLD_STATUS_OK;
}

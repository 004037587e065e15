/*
 * eval/study.h — the loaded reader study (internal to src/eval and its tests).
 *
 * Patients are kept in cases.csv order; target lesions grouped by patient in
 * lesions.csv order; readers in readers.csv order; groups in order of first
 * appearance (group 0 is the algorithm's). Every rating table is dense:
 *
 *   ll_rating[r * n_lesions + l]   highest rating reader r gave lesion l, or -INFINITY
 *   ll_positive[r * n_lesions + l] 1 when that (collapsed) mark is positive
 *   nl_max[r * n_patients + k]     highest non-lesion rating on patient k, or -INFINITY
 *   nl_count[r * n_patients + k]   number of non-lesion marks (all ratings)
 *   nl_positive[r * n_patients + k] number of positive non-lesion marks (= false positives)
 *
 * plus every non-lesion mark's rating (nl_ratings[nl_first[r] .. nl_first[r+1]))
 * for the FROC curve.
 */
#ifndef DLLD_EVAL_STUDY_H
#define DLLD_EVAL_STUDY_H

#include "dlld/eval.h"

struct dlld_eval_patient {
	char *id;
	bool diseased;
	size_t first_lesion; /* index of its first lesion */
	size_t n_lesions;
	long line;           /* cases.csv line */
};

struct dlld_eval_lesion {
	char *id;
	size_t patient;
	double diameter_mm;
};

struct dlld_eval_reader {
	char *name;
	size_t group;
	double threshold;
};

struct dlld_eval_group {
	char *name;
	size_t n_readers;
	size_t *readers; /* indices into readers, readers.csv order */
};

struct dlld_eval_study {
	size_t n_patients, n_normal, n_diseased, n_lesions, n_readers, n_groups;
	struct dlld_eval_patient *patients;
	struct dlld_eval_lesion *lesions;
	struct dlld_eval_reader *readers;
	struct dlld_eval_group *groups;
	size_t *by_id;    /* patient indices sorted by id (for lookups) */
	size_t *normal;   /* patient indices of the normal cases, cases.csv order */
	size_t *diseased; /* ... and of the diseased ones */

	double *ll_rating;
	unsigned char *ll_positive;
	double *nl_max;
	long *nl_count;
	long *nl_positive;
	size_t *nl_first;   /* n_readers + 1 offsets into nl_ratings */
	double *nl_ratings; /* every NL mark's rating, by reader */
};

/* Returns the patient index of id (binary search), or (size_t)-1. */
size_t dlld_eval_study_find_patient(const struct dlld_eval_study *s, const char *id);

#endif

/*
 * lesion/match.c — detections or readers' location marks → lesion marks
 * against a cohort's truth (DESIGN §6).
 */
#include "dlld/lesion.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Returns the cohort lesion index of instance label `label` of patient p
 * (lesion_id "L<label>"), or -1. */
static long lesion_of_label(const struct dlld_cohort *c, size_t p, unsigned label)
{
	char id[32];
	snprintf(id, sizeof id, "L%u", label);
	const struct dlld_cohort_patient *P = &c->patients[p];
	for (size_t l = P->first_lesion; l < P->first_lesion + P->n_lesions; l++)
		if (strcmp(c->lesions[l].lesion_id, id) == 0)
			return (long)l;
	return -1;
}

/* Returns the lesion whose centroid is nearest to lps within its radius, or -1. */
static long lesion_by_radius(const struct dlld_cohort *c, size_t p, const double lps[3])
{
	const struct dlld_cohort_patient *P = &c->patients[p];
	long best = -1;
	double best_d = INFINITY;
	for (size_t l = P->first_lesion; l < P->first_lesion + P->n_lesions; l++) {
		const double *q = c->lesions[l].centroid_lps;
		double d = sqrt((lps[0] - q[0]) * (lps[0] - q[0]) + (lps[1] - q[1]) * (lps[1] - q[1]) +
				(lps[2] - q[2]) * (lps[2] - q[2]));
		if (d <= 0.5 * c->lesions[l].diameter_mm && d < best_d)
			best = (long)l, best_d = d;
	}
	return best;
}

/* Finds the truth lesion under a mark: fills *lesion (-1: none). */
static enum dlld_status locate(const struct dlld_cohort *c, size_t p, const struct dlld_labelmap *mask,
			       const double lps[3], long *lesion, struct dlld_error *err)
{
	*lesion = -1;
	if (!mask) {
		*lesion = lesion_by_radius(c, p, lps);
		return DLLD_STATUS_OK;
	}
	double ijk[3];
	int32_t q[3];
	if (!dlld_geometry_from_lps(&mask->geom, lps, ijk))
		return dlld_error_set(err, DLLD_STATUS_INCONSISTENT, c->patients[p].lesions_path,
				      "singular voxel-to-LPS affine");
	for (int d = 0; d < 3; d++) {
		double r = floor(ijk[d] + 0.5);
		if (!(r >= 0 && r < mask->geom.dims[d]))
			return DLLD_STATUS_OK; /* outside the scan: hits no lesion */
		q[d] = (int32_t)r;
	}
	unsigned label = mask->label[dlld_voxel_index(&mask->geom, q[0], q[1], q[2])];
	if (label == 0)
		return DLLD_STATUS_OK;
	*lesion = lesion_of_label(c, p, label);
	if (*lesion < 0)
		return dlld_error_set(err, DLLD_STATUS_INCONSISTENT, c->patients[p].lesions_path,
				      "instance label %u has no lesion L%u of patient %s in lesions.csv",
				      label, label, c->patients[p].id);
	return DLLD_STATUS_OK;
}

/* Returns the index of an earlier result of the same reader on the same
 * lesion, or -1. */
static long find_duplicate(const struct dlld_match_result *r, size_t n, const struct dlld_match_result *m)
{
	if (!m->lesion_id[0])
		return -1;
	for (size_t i = 0; i < n; i++)
		if (strcmp(r[i].lesion_id, m->lesion_id) == 0 && strcmp(r[i].patient_id, m->patient_id) == 0 &&
		    strcmp(r[i].reader, m->reader) == 0)
			return (long)i;
	return -1;
}

/* Fills patient[m] (index in the cohort) and lesion[m] (-1: no lesion) for
 * every mark, patient by patient, each instance mask read once. */
static enum dlld_status locate_marks(const struct dlld_cohort *c, const struct dlld_match_mark *marks,
				     size_t n_marks, long *patient, long *lesion, struct dlld_error *err)
{
	for (size_t m = 0; m < n_marks; m++) {
		lesion[m] = -1;
		patient[m] = dlld_cohort_find_patient(c, marks[m].patient_id);
		if (patient[m] < 0)
			return dlld_error_set(err, DLLD_STATUS_INCONSISTENT, c->dir,
					      "mark %zu%s%s%s names patient '%s', not in cases.csv",
					      m + 1, marks[m].reader[0] ? " (reader " : "", marks[m].reader,
					      marks[m].reader[0] ? ")" : "", marks[m].patient_id);
	}
	enum dlld_status st = DLLD_STATUS_OK;
	for (size_t p = 0; !st && p < c->n_patients; p++) {
		struct dlld_labelmap *mask = NULL;
		bool any = false;
		for (size_t m = 0; m < n_marks && !any; m++)
			any = patient[m] == (long)p;
		if (!any)
			continue;
		if (c->patients[p].lesions_path[0])
			st = dlld_nifti_read_labels(c->patients[p].lesions_path, &mask, err);
		for (size_t m = 0; !st && m < n_marks; m++)
			if (patient[m] == (long)p)
				st = locate(c, p, mask, marks[m].lps, &lesion[m], err);
		dlld_labelmap_destroy(mask);
	}
	return st;
}

/* Adds mark m, located on truth lesion `lesion` (-1: none), to res[0..*n_res):
 * a second mark of the same reader on the same metastasis keeps the higher
 * rating. */
static void add_result(const struct dlld_cohort *c, const struct dlld_match_mark *m, long lesion,
		       struct dlld_match_result *res, size_t *n_res)
{
	struct dlld_match_result r = {.rating = m->rating, .positive = m->positive};
	snprintf(r.reader, sizeof r.reader, "%s", m->reader);
	snprintf(r.patient_id, sizeof r.patient_id, "%s", m->patient_id);
	if (lesion >= 0 && c->lesions[lesion].cls == DLLD_LESION_CLASS_METASTASIS)
		snprintf(r.lesion_id, sizeof r.lesion_id, "%s", c->lesions[lesion].lesion_id);
	long dup = find_duplicate(res, *n_res, &r);
	if (dup < 0) {
		res[(*n_res)++] = r;
	} else if (r.rating > res[dup].rating) {
		res[dup] = r;
	} else if (r.rating == res[dup].rating && r.positive > res[dup].positive) {
		res[dup].positive = r.positive;
	}
}

enum dlld_status dlld_match(const struct dlld_cohort *cohort, const struct dlld_match_mark *marks,
			    size_t n_marks, struct dlld_match_result **out, size_t *n_out,
			    struct dlld_error *err)
{
	*out = NULL;
	*n_out = 0;
	long *patient = dlld_calloc(n_marks ? n_marks : 1, sizeof(long), "mark patients", err);
	long *lesion = dlld_calloc(n_marks ? n_marks : 1, sizeof(long), "mark lesions", err);
	struct dlld_match_result *res = dlld_calloc(n_marks ? n_marks : 1, sizeof(*res), "marks", err);
	if (!patient || !lesion || !res) {
		free(patient), free(lesion), free(res);
		return DLLD_STATUS_NO_MEMORY;
	}
	enum dlld_status st = locate_marks(cohort, marks, n_marks, patient, lesion, err);
	/* Patient by patient, marks in input order. */
	size_t n_res = 0;
	for (size_t p = 0; !st && p < cohort->n_patients; p++)
		for (size_t m = 0; m < n_marks; m++)
			if (patient[m] == (long)p)
				add_result(cohort, &marks[m], lesion[m], res, &n_res);
	free(patient), free(lesion);
	if (st) {
		free(res);
		return st;
	}
	*out = res;
	*n_out = n_res;
	return DLLD_STATUS_OK;
}

enum dlld_status dlld_match_lesions(const struct dlld_cohort *cohort,
				    const struct dlld_match_mark *marks, size_t n_marks, long *lesion,
				    struct dlld_error *err)
{
	long *patient = dlld_calloc(n_marks ? n_marks : 1, sizeof(long), "mark patients", err);
	if (!patient)
		return DLLD_STATUS_NO_MEMORY;
	enum dlld_status st = locate_marks(cohort, marks, n_marks, patient, lesion, err);
	free(patient);
	return st;
}

/* detect/cohort.c — the cohort directory of DESIGN §4: cases, lesions, files. */
#include "dlld/detect.h"

#include <stdlib.h>
#include <string.h>

void dlld_cohort_destroy(struct dlld_cohort *cohort)
{
	if (!cohort)
		return;
	free(cohort->patients);
	free(cohort->lesions);
	free(cohort);
}

long dlld_cohort_find_patient(const struct dlld_cohort *cohort, const char *id)
{
	for (size_t p = 0; p < cohort->n_patients; p++)
		if (strcmp(cohort->patients[p].id, id) == 0)
			return (long)p;
	return -1;
}

/* Fills out with "<dir>/<id>/<name>" when that exists, else "". */
static bool find_file(const char *dir, const char *id, const char *name, char *out, size_t size)
{
	int n = snprintf(out, size, "%s/%s/%s", dir, id, name);
	if (n < 0 || (size_t)n >= size || !dlld_path_exists(out)) {
		out[0] = '\0';
		return false;
	}
	return true;
}

static enum dlld_status copy_id(char *dst, size_t size, const char *src, const char *what,
				const struct dlld_csv *csv, size_t row, struct dlld_error *err)
{
	if (!src[0] || strlen(src) >= size || strchr(src, '/'))
		return dlld_error_set_line(err, DLLD_STATUS_MALFORMED, dlld_csv_name(csv),
					   dlld_csv_line(csv, row),
					   "%s '%s' is empty, longer than %zu characters or has a '/'",
					   what, src, size - 1);
	memcpy(dst, src, strlen(src) + 1);
	return DLLD_STATUS_OK;
}

static enum dlld_status read_cases(struct dlld_cohort *c, const struct dlld_csv *csv,
				   struct dlld_error *err)
{
	int col_id, col_dis;
	enum dlld_status st;

	if ((st = dlld_csv_require(csv, "patient_id", &col_id, err)) ||
	    (st = dlld_csv_require(csv, "diseased", &col_dis, err)))
		return st;
	c->n_patients = dlld_csv_rows(csv);
	c->patients = dlld_calloc(c->n_patients, sizeof *c->patients, "cohort patients", err);
	if (!c->patients)
		return DLLD_STATUS_NO_MEMORY;
	for (size_t r = 0; r < c->n_patients; r++) {
		struct dlld_cohort_patient *p = &c->patients[r];
		long diseased;

		st = copy_id(p->id, sizeof p->id, dlld_csv_cell(csv, r, col_id), "patient_id", csv,
			     r, err);
		if (st)
			return st;
		if ((st = dlld_csv_long(csv, r, col_dis, &diseased, err)))
			return st;
		if (diseased != 0 && diseased != 1)
			return dlld_error_set_line(err, DLLD_STATUS_MALFORMED, dlld_csv_name(csv),
						   dlld_csv_line(csv, r), "diseased must be 0 or 1");
		p->diseased = diseased == 1;
		for (size_t q = 0; q < r; q++)
			if (strcmp(c->patients[q].id, p->id) == 0)
				return dlld_error_set_line(err, DLLD_STATUS_MALFORMED,
							   dlld_csv_name(csv), dlld_csv_line(csv, r),
							   "patient '%s' listed twice", p->id);
		if (!find_file(c->dir, p->id, "ct.nii.gz", p->ct_path, sizeof p->ct_path) &&
		    !find_file(c->dir, p->id, "ct.nii", p->ct_path, sizeof p->ct_path) &&
		    !find_file(c->dir, p->id, "dicom", p->ct_path, sizeof p->ct_path))
			return dlld_error_set(err, DLLD_STATUS_NOT_FOUND, c->dir,
					      "patient '%s' has no ct.nii.gz, ct.nii or dicom/",
					      p->id);
		find_file(c->dir, p->id, "lesions.nii.gz", p->lesions_path, sizeof p->lesions_path);
		find_file(c->dir, p->id, "liver.nii.gz", p->liver_path, sizeof p->liver_path);
	}
	return DLLD_STATUS_OK;
}

enum lesion_column {
	COL_PATIENT, COL_LESION, COL_CLASS, COL_DIAMETER, COL_X, COL_Y, COL_Z,
	COL_VOLUME, COL_FIRST, COL_LAST, COL_COUNT
};
static const char *const lesion_columns[COL_COUNT] = {
	"patient_id", "lesion_id", "class", "diameter_mm", "x_mm", "y_mm", "z_mm",
	"volume_ml", "first_slice", "last_slice",
};

static enum dlld_status read_lesion_row(struct dlld_cohort *c, const struct dlld_csv *csv,
					size_t r, const int col[COL_COUNT],
					struct dlld_cohort_lesion *l, struct dlld_error *err)
{
	const char *pid = dlld_csv_cell(csv, r, col[COL_PATIENT]);
	const char *cls = dlld_csv_cell(csv, r, col[COL_CLASS]);
	long patient = dlld_cohort_find_patient(c, pid);
	enum dlld_status st;

	if (patient < 0)
		return dlld_error_set_line(err, DLLD_STATUS_INCONSISTENT, dlld_csv_name(csv),
					   dlld_csv_line(csv, r), "patient '%s' is not in cases.csv",
					   pid);
	l->patient = (size_t)patient;
	st = copy_id(l->lesion_id, sizeof l->lesion_id, dlld_csv_cell(csv, r, col[COL_LESION]),
		     "lesion_id", csv, r, err);
	if (st)
		return st;
	if (!dlld_lesion_class_parse(cls, &l->cls))
		return dlld_error_set_line(err, DLLD_STATUS_MALFORMED, dlld_csv_name(csv),
					   dlld_csv_line(csv, r),
					   "class '%s' is not metastasis, cyst or hemangioma", cls);
	if ((st = dlld_csv_double(csv, r, col[COL_DIAMETER], &l->diameter_mm, err)) ||
	    (st = dlld_csv_double(csv, r, col[COL_X], &l->centroid_lps[0], err)) ||
	    (st = dlld_csv_double(csv, r, col[COL_Y], &l->centroid_lps[1], err)) ||
	    (st = dlld_csv_double(csv, r, col[COL_Z], &l->centroid_lps[2], err)) ||
	    (st = dlld_csv_double(csv, r, col[COL_VOLUME], &l->volume_ml, err)) ||
	    (st = dlld_csv_long(csv, r, col[COL_FIRST], &l->first_slice, err)) ||
	    (st = dlld_csv_long(csv, r, col[COL_LAST], &l->last_slice, err)))
		return st;
	if (l->diameter_mm <= 0.0 || l->first_slice < 0 || l->last_slice < l->first_slice)
		return dlld_error_set_line(err, DLLD_STATUS_MALFORMED, dlld_csv_name(csv),
					   dlld_csv_line(csv, r),
					   "lesion '%s': diameter must be > 0 and 0 <= first_slice <= last_slice",
					   l->lesion_id);
	return DLLD_STATUS_OK;
}

/* Lesions are stored grouped by patient (a stable counting sort by patient). */
static enum dlld_status read_lesions(struct dlld_cohort *c, const struct dlld_csv *csv,
				     struct dlld_error *err)
{
	int col[COL_COUNT];
	size_t n = dlld_csv_rows(csv), *next = NULL;
	struct dlld_cohort_lesion *rows;
	enum dlld_status st = DLLD_STATUS_OK;

	for (int k = 0; k < COL_COUNT; k++)
		if ((st = dlld_csv_require(csv, lesion_columns[k], &col[k], err)))
			return st;
	rows = dlld_calloc(n, sizeof *rows, "cohort lesions", err);
	c->lesions = dlld_calloc(n, sizeof *c->lesions, "cohort lesions", err);
	next = dlld_calloc(c->n_patients + 1, sizeof *next, "cohort lesions", err);
	if (!rows || !c->lesions || !next) {
		st = DLLD_STATUS_NO_MEMORY;
		goto done;
	}
	for (size_t r = 0; r < n && !st; r++)
		st = read_lesion_row(c, csv, r, col, &rows[r], err);
	for (size_t r = 0; r < n && !st; r++) {
		for (size_t q = 0; q < r; q++) {
			if (rows[q].patient == rows[r].patient &&
			    strcmp(rows[q].lesion_id, rows[r].lesion_id) == 0) {
				st = dlld_error_set_line(err, DLLD_STATUS_MALFORMED,
							 dlld_csv_name(csv), dlld_csv_line(csv, r),
							 "lesion '%s' of patient '%s' listed twice",
							 rows[r].lesion_id,
							 c->patients[rows[r].patient].id);
				break;
			}
		}
	}
	if (st)
		goto done;
	for (size_t r = 0; r < n; r++)
		c->patients[rows[r].patient].n_lesions++;
	for (size_t p = 0, start = 0; p < c->n_patients; p++) {
		c->patients[p].first_lesion = start;
		next[p] = start;
		start += c->patients[p].n_lesions;
	}
	for (size_t r = 0; r < n; r++)
		c->lesions[next[rows[r].patient]++] = rows[r];
	c->n_lesions = n;
done:
	free(rows);
	free(next);
	return st;
}

static enum dlld_status check_diseased(const struct dlld_cohort *c, const char *cases_path,
				       struct dlld_error *err)
{
	for (size_t p = 0; p < c->n_patients; p++) {
		const struct dlld_cohort_patient *pt = &c->patients[p];
		size_t mets = 0;

		for (size_t l = 0; l < pt->n_lesions; l++)
			mets += c->lesions[pt->first_lesion + l].cls == DLLD_LESION_CLASS_METASTASIS;
		if (pt->diseased != (mets > 0))
			return dlld_error_set(err, DLLD_STATUS_INCONSISTENT, cases_path,
					      "patient '%s' has diseased=%d but %zu metastases in lesions.csv",
					      pt->id, pt->diseased, mets);
	}
	return DLLD_STATUS_OK;
}

enum dlld_status dlld_cohort_read(const char *dir, struct dlld_cohort **out,
				  struct dlld_error *err)
{
	struct dlld_cohort *c;
	struct dlld_csv *cases = NULL, *lesions = NULL;
	char path[1100];
	enum dlld_status st;

	*out = NULL;
	if (!dlld_path_is_dir(dir))
		return dlld_error_set(err, DLLD_STATUS_NOT_FOUND, dir, "cohort folder not found");
	c = dlld_calloc(1, sizeof *c, "cohort", err);
	if (!c)
		return DLLD_STATUS_NO_MEMORY;
	snprintf(c->dir, sizeof c->dir, "%s", dir);
	snprintf(path, sizeof path, "%s/cases.csv", dir);
	if ((st = dlld_csv_read(path, &cases, err)) || (st = read_cases(c, cases, err)))
		goto done;
	snprintf(path, sizeof path, "%s/lesions.csv", dir);
	if ((st = dlld_csv_read(path, &lesions, err)) || (st = read_lesions(c, lesions, err)))
		goto done;
	snprintf(path, sizeof path, "%s/cases.csv", dir);
	st = check_diseased(c, path, err);
done:
	dlld_csv_destroy(cases);
	dlld_csv_destroy(lesions);
	if (st) {
		dlld_cohort_destroy(c);
		return st;
	}
	*out = c;
	return DLLD_STATUS_OK;
}

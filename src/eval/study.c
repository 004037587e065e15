/*
 * eval/study.c — reads cases/lesions/readers/marks (DESIGN §7) into the dense
 * tables of study.h and checks them against each other.
 *
 * Conventions (docs/eval.md): duplicate marks on one lesion collapse to the
 * highest rating (its positive flag; at equal ratings positive if either is);
 * a mark is positive when rating >= the reader's threshold unless a non-empty
 * `positive` cell (0/1) says otherwise; unmarked lesions rate -INFINITY.
 */
#include "eval/study.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- sorted name lookup ---------------------------------------------------- */
struct key {
	size_t major; /* patient index for lesions, 0 otherwise */
	const char *name;
	size_t index;
};

static int key_compare(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	if (x->major != y->major)
		return x->major < y->major ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Returns the index stored under (major, name), or (size_t)-1. */
static size_t key_find(const struct key *keys, size_t n, size_t major, const char *name)
{
	struct key probe = {major, name, 0};
	const struct key *hit = n ? bsearch(&probe, keys, n, sizeof *keys, key_compare) : NULL;
	return hit ? hit->index : (size_t)-1;
}

/* Sorts keys; returns the index of the second of the first duplicate pair, or (size_t)-1. */
static size_t key_sort(struct key *keys, size_t n)
{
	size_t dup = (size_t)-1;
	qsort(keys, n, sizeof *keys, key_compare);
	for (size_t i = 1; i < n; i++)
		if (key_compare(&keys[i - 1], &keys[i]) == 0) {
			size_t later = keys[i].index > keys[i - 1].index ? keys[i].index
									 : keys[i - 1].index;
			if (dup == (size_t)-1 || later < dup)
				dup = later;
		}
	return dup;
}

/* ---- building --------------------------------------------------------------- */
struct loader {
	struct dlld_eval_study *s;
	struct key *patient_keys, *lesion_keys, *reader_keys;
	struct dlld_error *err;
};

/* Returns malformed (file:line) when the cell is empty. */
static enum dlld_status nonempty(const struct dlld_csv *csv, size_t row, int col,
				 const char *what, struct dlld_error *err)
{
	if (dlld_csv_cell(csv, row, col)[0] == '\0')
		return dlld_error_set_line(err, DLLD_STATUS_MALFORMED, dlld_csv_name(csv),
					   dlld_csv_line(csv, row), "empty %s", what);
	return DLLD_STATUS_OK;
}

/* Fills *out from a 0/1 cell; anything else is malformed. */
static enum dlld_status read_flag(const struct dlld_csv *csv, size_t row, int col,
				  const char *what, bool *out, struct dlld_error *err)
{
	long v;
	enum dlld_status st = dlld_csv_long(csv, row, col, &v, err);
	if (st)
		return st;
	if (v != 0 && v != 1)
		return dlld_error_set_line(err, DLLD_STATUS_MALFORMED, dlld_csv_name(csv),
					   dlld_csv_line(csv, row), "%s must be 0 or 1, not %ld", what, v);
	*out = v == 1;
	return DLLD_STATUS_OK;
}

/* Fills *out from a finite number cell; anything else is malformed. */
static enum dlld_status read_finite(const struct dlld_csv *csv, size_t row, int col,
				    const char *what, double *out, struct dlld_error *err)
{
	enum dlld_status st = dlld_csv_double(csv, row, col, out, err);
	if (!st && !isfinite(*out))
		st = dlld_error_set_line(err, DLLD_STATUS_MALFORMED, dlld_csv_name(csv),
					 dlld_csv_line(csv, row), "column '%s': %s is not finite", what,
					 dlld_csv_cell(csv, row, col));
	return st;
}

/* Fills the study's patients (owned ids), the normal/diseased lists and the
 * sorted id index from cases.csv; a repeated id is inconsistent. */
static enum dlld_status load_cases(struct loader *ld, const struct dlld_csv *csv)
{
	struct dlld_eval_study *s = ld->s;
	int c_id, c_dis;
	enum dlld_status st;

	if ((st = dlld_csv_require(csv, "patient_id", &c_id, ld->err)) ||
	    (st = dlld_csv_require(csv, "diseased", &c_dis, ld->err)))
		return st;
	s->n_patients = dlld_csv_rows(csv);
	s->patients = dlld_calloc(s->n_patients + 1, sizeof *s->patients, "patients", ld->err);
	ld->patient_keys = dlld_calloc(s->n_patients + 1, sizeof *ld->patient_keys, "patient index",
				       ld->err);
	if (!s->patients || !ld->patient_keys)
		return DLLD_STATUS_NO_MEMORY;
	for (size_t i = 0; i < s->n_patients; i++) {
		struct dlld_eval_patient *p = &s->patients[i];
		if ((st = nonempty(csv, i, c_id, "patient_id", ld->err)) ||
		    (st = read_flag(csv, i, c_dis, "diseased", &p->diseased, ld->err)))
			return st;
		if (!(p->id = dlld_strdup(dlld_csv_cell(csv, i, c_id), ld->err)))
			return DLLD_STATUS_NO_MEMORY;
		p->line = dlld_csv_line(csv, i);
		ld->patient_keys[i] = (struct key){0, p->id, i};
		if (p->diseased)
			s->n_diseased++;
		else
			s->n_normal++;
	}
	size_t dup = key_sort(ld->patient_keys, s->n_patients);
	if (dup != (size_t)-1)
		return dlld_error_set_line(ld->err, DLLD_STATUS_INCONSISTENT, dlld_csv_name(csv),
					   s->patients[dup].line, "patient '%s' is listed twice",
					   s->patients[dup].id);
	s->by_id = dlld_calloc(s->n_patients + 1, sizeof(size_t), "patient order", ld->err);
	s->normal = dlld_calloc(s->n_normal + 1, sizeof(size_t), "normal cases", ld->err);
	s->diseased = dlld_calloc(s->n_diseased + 1, sizeof(size_t), "diseased cases", ld->err);
	if (!s->by_id || !s->normal || !s->diseased)
		return DLLD_STATUS_NO_MEMORY;
	for (size_t i = 0; i < s->n_patients; i++)
		s->by_id[i] = ld->patient_keys[i].index;
	for (size_t i = 0, a = 0, b = 0; i < s->n_patients; i++) {
		if (s->patients[i].diseased)
			s->diseased[b++] = i;
		else
			s->normal[a++] = i;
	}
	return DLLD_STATUS_OK;
}

/* Finds the patient named in column col of row; unknown → inconsistent. */
static enum dlld_status row_patient(struct loader *ld, const struct dlld_csv *csv, size_t row,
				    int col, size_t *out)
{
	const char *id = dlld_csv_cell(csv, row, col);
	*out = key_find(ld->patient_keys, ld->s->n_patients, 0, id);
	if (*out == (size_t)-1)
		return dlld_error_set_line(ld->err, DLLD_STATUS_INCONSISTENT, dlld_csv_name(csv),
					   dlld_csv_line(csv, row),
					   "patient '%s' is not in cases.csv", id);
	return DLLD_STATUS_OK;
}

/* Checks every patient's diseased flag against its lesion count. */
static enum dlld_status check_flags(struct loader *ld, const char *cases_name)
{
	for (size_t i = 0; i < ld->s->n_patients; i++) {
		const struct dlld_eval_patient *p = &ld->s->patients[i];
		if (p->diseased != (p->n_lesions > 0))
			return dlld_error_set_line(
				ld->err, DLLD_STATUS_INCONSISTENT, cases_name, p->line,
				"patient '%s' has diseased=%d but %zu target lesions in lesions.csv",
				p->id, p->diseased ? 1 : 0, p->n_lesions);
	}
	return DLLD_STATUS_OK;
}

/* Reads lesion row i into *l (id borrowed from the table for now). */
static enum dlld_status lesion_row(struct loader *ld, const struct dlld_csv *csv, size_t i,
				   const int col[3], struct dlld_eval_lesion *l)
{
	enum dlld_status st;

	if ((st = row_patient(ld, csv, i, col[0], &l->patient)) ||
	    (st = nonempty(csv, i, col[1], "lesion_id", ld->err)) ||
	    (st = read_finite(csv, i, col[2], "diameter_mm", &l->diameter_mm, ld->err)))
		return st;
	if (l->diameter_mm < 0)
		return dlld_error_set_line(ld->err, DLLD_STATUS_MALFORMED, dlld_csv_name(csv),
					   dlld_csv_line(csv, i), "negative diameter_mm %g",
					   l->diameter_mm);
	if (!ld->s->patients[l->patient].diseased)
		return dlld_error_set_line(ld->err, DLLD_STATUS_INCONSISTENT, dlld_csv_name(csv),
					   dlld_csv_line(csv, i),
					   "lesion '%s' on patient '%s', who has diseased=0 in cases.csv",
					   dlld_csv_cell(csv, i, col[1]),
					   ld->s->patients[l->patient].id);
	l->id = (char *)dlld_csv_cell(csv, i, col[1]);
	return DLLD_STATUS_OK;
}

/* Places lesion rows grouped by patient (cases.csv order), file order within a
 * patient; fills first_lesion/n_lesions, owned ids and the lookup keys. */
static enum dlld_status place_lesions(struct loader *ld, const struct dlld_csv *csv,
				      const struct dlld_eval_lesion *rows)
{
	struct dlld_eval_study *s = ld->s;
	size_t *slot_row = dlld_calloc(s->n_lesions + 1, sizeof *slot_row, "lesion order", ld->err);
	enum dlld_status st = DLLD_STATUS_OK;

	if (!slot_row)
		return DLLD_STATUS_NO_MEMORY;
	for (size_t i = 0; i < s->n_lesions; i++)
		s->patients[rows[i].patient].n_lesions++;
	for (size_t k = 0, next = 0; k < s->n_patients; k++) {
		s->patients[k].first_lesion = next;
		next += s->patients[k].n_lesions;
		s->patients[k].n_lesions = 0;
	}
	for (size_t i = 0; i < s->n_lesions; i++) {
		struct dlld_eval_patient *p = &s->patients[rows[i].patient];
		size_t slot = p->first_lesion + p->n_lesions++;
		s->lesions[slot] = rows[i];
		slot_row[slot] = i;
		if (!(s->lesions[slot].id = dlld_strdup(rows[i].id, ld->err)))
			st = DLLD_STATUS_NO_MEMORY;
	}
	for (size_t i = 0; i < s->n_lesions && !st; i++)
		ld->lesion_keys[i] = (struct key){s->lesions[i].patient, s->lesions[i].id, i};
	if (!st) {
		size_t dup = key_sort(ld->lesion_keys, s->n_lesions);
		if (dup != (size_t)-1)
			st = dlld_error_set_line(ld->err, DLLD_STATUS_INCONSISTENT,
						 dlld_csv_name(csv),
						 dlld_csv_line(csv, slot_row[dup]),
						 "lesion '%s' of patient '%s' is listed twice",
						 s->lesions[dup].id,
						 s->patients[s->lesions[dup].patient].id);
	}
	free(slot_row);
	return st;
}

/* Fills the study's lesions from lesions.csv (see place_lesions). */
static enum dlld_status load_lesions(struct loader *ld, const struct dlld_csv *csv)
{
	struct dlld_eval_study *s = ld->s;
	int col[3];
	enum dlld_status st;
	struct dlld_eval_lesion *rows;

	if ((st = dlld_csv_require(csv, "patient_id", &col[0], ld->err)) ||
	    (st = dlld_csv_require(csv, "lesion_id", &col[1], ld->err)) ||
	    (st = dlld_csv_require(csv, "diameter_mm", &col[2], ld->err)))
		return st;
	s->n_lesions = dlld_csv_rows(csv);
	s->lesions = dlld_calloc(s->n_lesions + 1, sizeof *s->lesions, "lesions", ld->err);
	ld->lesion_keys = dlld_calloc(s->n_lesions + 1, sizeof *ld->lesion_keys, "lesion index",
				      ld->err);
	rows = dlld_calloc(s->n_lesions + 1, sizeof *rows, "lesion rows", ld->err);
	if (!s->lesions || !ld->lesion_keys || !rows) {
		free(rows);
		return DLLD_STATUS_NO_MEMORY;
	}
	for (size_t i = 0; i < s->n_lesions && !st; i++)
		st = lesion_row(ld, csv, i, col, &rows[i]);
	if (!st)
		st = place_lesions(ld, csv, rows);
	free(rows);
	return st;
}

/* Returns the group index named `name`, adding it when new; (size_t)-1 on no memory. */
static size_t group_of(struct dlld_eval_study *s, const char *name, struct dlld_error *err)
{
	for (size_t g = 0; g < s->n_groups; g++)
		if (strcmp(s->groups[g].name, name) == 0)
			return g;
	if (!(s->groups[s->n_groups].name = dlld_strdup(name, err)))
		return (size_t)-1;
	return s->n_groups++;
}

/* Fills each group's new list of its readers, readers.csv order. */
static enum dlld_status fill_groups(struct dlld_eval_study *s, struct dlld_error *err)
{
	for (size_t g = 0; g < s->n_groups; g++) {
		struct dlld_eval_group *gr = &s->groups[g];
		gr->readers = dlld_calloc(s->n_readers, sizeof(size_t), "group readers", err);
		if (!gr->readers)
			return DLLD_STATUS_NO_MEMORY;
		for (size_t r = 0; r < s->n_readers; r++)
			if (s->readers[r].group == g)
				gr->readers[gr->n_readers++] = r;
	}
	return DLLD_STATUS_OK;
}

/* Fills the study's readers (owned names) and groups from readers.csv. */
static enum dlld_status load_readers(struct loader *ld, const struct dlld_csv *csv)
{
	struct dlld_eval_study *s = ld->s;
	int c_r, c_g, c_t;
	enum dlld_status st;

	if ((st = dlld_csv_require(csv, "reader", &c_r, ld->err)) ||
	    (st = dlld_csv_require(csv, "group", &c_g, ld->err)) ||
	    (st = dlld_csv_require(csv, "threshold", &c_t, ld->err)))
		return st;
	s->n_readers = dlld_csv_rows(csv);
	if (s->n_readers == 0)
		return dlld_error_set_line(ld->err, DLLD_STATUS_MALFORMED, dlld_csv_name(csv), 1,
					   "no readers");
	s->readers = dlld_calloc(s->n_readers, sizeof *s->readers, "readers", ld->err);
	s->groups = dlld_calloc(s->n_readers, sizeof *s->groups, "groups", ld->err);
	ld->reader_keys = dlld_calloc(s->n_readers, sizeof *ld->reader_keys, "reader index",
				      ld->err);
	if (!s->readers || !s->groups || !ld->reader_keys)
		return DLLD_STATUS_NO_MEMORY;
	for (size_t i = 0; i < s->n_readers; i++) {
		struct dlld_eval_reader *r = &s->readers[i];
		if ((st = nonempty(csv, i, c_r, "reader", ld->err)) ||
		    (st = nonempty(csv, i, c_g, "group", ld->err)) ||
		    (st = read_finite(csv, i, c_t, "threshold", &r->threshold, ld->err)))
			return st;
		if (!(r->name = dlld_strdup(dlld_csv_cell(csv, i, c_r), ld->err)))
			return DLLD_STATUS_NO_MEMORY;
		r->group = group_of(s, dlld_csv_cell(csv, i, c_g), ld->err);
		if (r->group == (size_t)-1)
			return DLLD_STATUS_NO_MEMORY;
		ld->reader_keys[i] = (struct key){0, r->name, i};
	}
	size_t dup = key_sort(ld->reader_keys, s->n_readers);
	if (dup != (size_t)-1)
		return dlld_error_set_line(ld->err, DLLD_STATUS_INCONSISTENT, dlld_csv_name(csv),
					   dlld_csv_line(csv, dup), "reader '%s' is listed twice",
					   s->readers[dup].name);
	return fill_groups(s, ld->err);
}

/* ---- marks ------------------------------------------------------------------- */
struct mark {
	size_t reader, patient, lesion; /* lesion (size_t)-1 for an NL mark */
	double rating;
	bool positive;
};

/* Fills *m from marks row `row` (col: reader, patient_id, lesion_id, rating,
 * positive or -1); an unknown reader, patient or lesion is inconsistent. */
static enum dlld_status parse_mark(struct loader *ld, const struct dlld_csv *csv, size_t row,
				   const int col[5], struct mark *m)
{
	struct dlld_eval_study *s = ld->s;
	const char *name = dlld_csv_name(csv);
	long line = dlld_csv_line(csv, row);
	const char *reader = dlld_csv_cell(csv, row, col[0]);
	const char *lesion = dlld_csv_cell(csv, row, col[2]);
	enum dlld_status st;

	m->reader = key_find(ld->reader_keys, s->n_readers, 0, reader);
	if (m->reader == (size_t)-1)
		return dlld_error_set_line(ld->err, DLLD_STATUS_INCONSISTENT, name, line,
					   "reader '%s' has no row in readers.csv", reader);
	if ((st = row_patient(ld, csv, row, col[1], &m->patient)) ||
	    (st = read_finite(csv, row, col[3], "rating", &m->rating, ld->err)))
		return st;
	m->lesion = (size_t)-1;
	if (lesion[0]) {
		m->lesion = key_find(ld->lesion_keys, s->n_lesions, m->patient, lesion);
		if (m->lesion == (size_t)-1)
			return dlld_error_set_line(ld->err, DLLD_STATUS_INCONSISTENT, name, line,
						   "lesion '%s' is not a target lesion of patient "
						   "'%s' in lesions.csv",
						   lesion, s->patients[m->patient].id);
	}
	m->positive = m->rating >= s->readers[m->reader].threshold;
	if (col[4] >= 0 && dlld_csv_cell(csv, row, col[4])[0])
		return read_flag(csv, row, col[4], "positive", &m->positive, ld->err);
	return DLLD_STATUS_OK;
}

/* Adds m to the dense tables of study.h (duplicates collapse as the file
 * comment says); an NL rating goes to its reader's next nl_ratings slot. */
static void add_mark(struct dlld_eval_study *s, const struct mark *m)
{
	if (m->lesion != (size_t)-1) {
		size_t at = m->reader * s->n_lesions + m->lesion;
		double old = s->ll_rating[at];
		if (m->rating > old)
			s->ll_positive[at] = m->positive;
		else if (m->rating == old)
			s->ll_positive[at] |= m->positive;
		if (m->rating >= old)
			s->ll_rating[at] = m->rating;
		return;
	}
	size_t at = m->reader * s->n_patients + m->patient;
	if (m->rating > s->nl_max[at])
		s->nl_max[at] = m->rating;
	s->nl_count[at]++;
	s->nl_positive[at] += m->positive;
	s->nl_ratings[s->nl_first[m->reader + 1]++] = m->rating;
}

/* Allocates the dense rating tables for n_marks marks, unmarked = -INFINITY. */
static enum dlld_status alloc_ratings(struct dlld_eval_study *s, size_t n_marks,
				      struct dlld_error *err)
{
	size_t n_ll, n_nl;
	if (!dlld_size_mul(s->n_readers, s->n_lesions, &n_ll) ||
	    !dlld_size_mul(s->n_readers, s->n_patients, &n_nl))
		return dlld_error_set(err, DLLD_STATUS_NO_MEMORY, NULL, "study too large");
	s->ll_rating = dlld_calloc(n_ll + 1, sizeof(double), "lesion ratings", err);
	s->ll_positive = dlld_calloc(n_ll + 1, 1, "lesion flags", err);
	s->nl_max = dlld_calloc(n_nl + 1, sizeof(double), "NL maxima", err);
	s->nl_count = dlld_calloc(n_nl + 1, sizeof(long), "NL counts", err);
	s->nl_positive = dlld_calloc(n_nl + 1, sizeof(long), "FP counts", err);
	s->nl_first = dlld_calloc(s->n_readers + 1, sizeof(size_t), "NL offsets", err);
	s->nl_ratings = dlld_calloc(n_marks + 1, sizeof(double), "NL ratings", err);
	if (!s->ll_rating || !s->ll_positive || !s->nl_max || !s->nl_count || !s->nl_positive ||
	    !s->nl_first || !s->nl_ratings)
		return DLLD_STATUS_NO_MEMORY;
	for (size_t i = 0; i < n_ll; i++)
		s->ll_rating[i] = -INFINITY;
	for (size_t i = 0; i < n_nl; i++)
		s->nl_max[i] = -INFINITY;
	return DLLD_STATUS_OK;
}

/* Fills the rating tables from marks.csv: parses every row first, then lays
 * out the NL offsets and adds the marks. */
static enum dlld_status load_marks(struct loader *ld, const struct dlld_csv *csv)
{
	struct dlld_eval_study *s = ld->s;
	size_t n = dlld_csv_rows(csv);
	int col[5];
	enum dlld_status st;
	struct mark *marks;

	if ((st = dlld_csv_require(csv, "reader", &col[0], ld->err)) ||
	    (st = dlld_csv_require(csv, "patient_id", &col[1], ld->err)) ||
	    (st = dlld_csv_require(csv, "lesion_id", &col[2], ld->err)) ||
	    (st = dlld_csv_require(csv, "rating", &col[3], ld->err)))
		return st;
	col[4] = dlld_csv_column(csv, "positive");
	if ((st = alloc_ratings(s, n, ld->err)))
		return st;
	if (!(marks = dlld_calloc(n + 1, sizeof *marks, "marks", ld->err)))
		return DLLD_STATUS_NO_MEMORY;
	for (size_t i = 0; i < n && !st; i++) {
		st = parse_mark(ld, csv, i, col, &marks[i]);
		if (!st && marks[i].lesion == (size_t)-1)
			s->nl_first[marks[i].reader + 1]++;
	}
	if (!st) {
		/* offsets: nl_first[r] = start of reader r; the +1 slots refill in add_mark */
		for (size_t r = 0; r < s->n_readers; r++)
			s->nl_first[r + 1] += s->nl_first[r];
		for (size_t r = s->n_readers; r > 0; r--)
			s->nl_first[r] = s->nl_first[r - 1];
		for (size_t i = 0; i < n; i++)
			add_mark(s, &marks[i]);
	}
	free(marks);
	return st;
}

/* ---- public -------------------------------------------------------------------- */
size_t dlld_eval_study_find_patient(const struct dlld_eval_study *s, const char *id)
{
	size_t lo = 0, hi = s->n_patients;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->patients[s->by_id[mid]].id, id);
		if (c == 0)
			return s->by_id[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (size_t)-1;
}

typedef enum dlld_status (*table_loader)(struct loader *ld, const struct dlld_csv *csv);

/* Reads the CSV at path and hands it to fn; returns fn's status. */
static enum dlld_status load_table(struct loader *ld, const char *path, table_loader fn)
{
	struct dlld_csv *csv = NULL;
	enum dlld_status st = dlld_csv_read(path, &csv, ld->err);
	if (!st)
		st = fn(ld, csv);
	dlld_csv_destroy(csv);
	return st;
}

enum dlld_status dlld_eval_study_load(const struct dlld_eval_inputs *in,
				      struct dlld_eval_study **out, struct dlld_error *err)
{
	struct loader ld = {.err = err};
	enum dlld_status st;

	*out = NULL;
	if (!(ld.s = dlld_calloc(1, sizeof *ld.s, "study", err)))
		return DLLD_STATUS_NO_MEMORY;
	if (!(st = load_table(&ld, in->cases, load_cases)) &&
	    !(st = load_table(&ld, in->lesions, load_lesions)) &&
	    !(st = check_flags(&ld, in->cases)) &&
	    !(st = load_table(&ld, in->readers, load_readers)))
		st = load_table(&ld, in->marks, load_marks);
	free(ld.patient_keys);
	free(ld.lesion_keys);
	free(ld.reader_keys);
	if (st) {
		dlld_eval_study_destroy(ld.s);
		return st;
	}
	*out = ld.s;
	return DLLD_STATUS_OK;
}

void dlld_eval_study_destroy(struct dlld_eval_study *s)
{
	if (!s)
		return;
	for (size_t i = 0; s->patients && i < s->n_patients; i++)
		free(s->patients[i].id);
	for (size_t i = 0; s->lesions && i < s->n_lesions; i++)
		free(s->lesions[i].id);
	for (size_t i = 0; s->readers && i < s->n_readers; i++)
		free(s->readers[i].name);
	for (size_t g = 0; s->groups && g < s->n_groups; g++) {
		free(s->groups[g].name);
		free(s->groups[g].readers);
	}
	free(s->patients);
	free(s->lesions);
	free(s->readers);
	free(s->groups);
	free(s->by_id);
	free(s->normal);
	free(s->diseased);
	free(s->ll_rating);
	free(s->ll_positive);
	free(s->nl_max);
	free(s->nl_count);
	free(s->nl_positive);
	free(s->nl_first);
	free(s->nl_ratings);
	free(s);
}

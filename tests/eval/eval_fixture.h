/*
 * tests/eval/eval_fixture.h — shared helpers of the eval tests: load a study
 * directory (cases/lesions/readers/marks.csv), write small CSV files, join
 * paths with a checked snprintf, read reference tables from
 * tests/eval/fixtures (written by tools/ref_*.py and tools/ref_*.R).
 */
#ifndef DLLD_TEST_EVAL_FIXTURE_H
#define DLLD_TEST_EVAL_FIXTURE_H

#include "dlld/eval.h"
#include "harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVAL_TEST_PATH_MAX 4096
#define FIXTURES "tests/eval/fixtures"

/* Fills out[size] with dir/name; returns false (out truncated) when it does not fit. */
static inline bool join_path(char *out, size_t size, const char *dir, const char *name)
{
	int n = snprintf(out, size, "%s/%s", dir, name);
	return n >= 0 && (size_t)n < size;
}

/* Loads dir/{cases,lesions,readers,marks}.csv; fills err; returns the status. */
static inline enum dlld_status load_study_dir(const char *dir, struct dlld_eval_study **out,
					      struct dlld_error *err)
{
	char p[4][EVAL_TEST_PATH_MAX];
	static const char *const names[4] = {"cases.csv", "lesions.csv", "readers.csv", "marks.csv"};
	dlld_error_clear(err);
	for (int i = 0; i < 4; i++)
		if (!join_path(p[i], sizeof p[i], dir, names[i]))
			return dlld_error_set(err, DLLD_STATUS_USAGE, dir, "study path too long");
	struct dlld_eval_inputs in = {p[0], p[1], p[2], p[3]};
	return dlld_eval_study_load(&in, out, err);
}

/* Writes text to dir/name; returns false on failure. */
static inline bool write_text(const char *dir, const char *name, const char *text)
{
	char path[EVAL_TEST_PATH_MAX];
	if (!join_path(path, sizeof path, dir, name))
		return false;
	FILE *fp = fopen(path, "w");
	if (!fp)
		return false;
	fputs(text, fp);
	return fclose(fp) == 0;
}

/* Returns the new table tests/eval/fixtures/<name> (NULL after a failed CHECK). */
static inline struct dlld_csv *fixture(const char *name)
{
	struct dlld_error err;
	struct dlld_csv *csv = NULL;
	char path[EVAL_TEST_PATH_MAX];

	dlld_error_clear(&err);
	CHECK(join_path(path, sizeof path, FIXTURES, name));
	CHECK_MSG(dlld_csv_read(path, &csv, &err) == DLLD_STATUS_OK, "%s: %s", path, err.reason);
	return csv;
}

/* Returns the cell of column `name` as a double; "NA" is NAN; a missing
 * column or a bad number fails a CHECK. */
static inline double cell(const struct dlld_csv *csv, size_t row, const char *name)
{
	int col = dlld_csv_column(csv, name);
	double v = NAN;

	CHECK_MSG(col >= 0, "column %s missing", name);
	if (col < 0)
		return NAN;
	const char *s = dlld_csv_cell(csv, row, col);
	if (strcmp(s, "NA") == 0)
		return NAN;
	CHECK_MSG(dlld_parse_double(s, &v), "%s line %ld: bad %s '%s'", dlld_csv_name(csv),
		  dlld_csv_line(csv, row), name, s);
	return v;
}

#endif

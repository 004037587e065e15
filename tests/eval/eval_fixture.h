/*
 * tests/eval/eval_fixture.h — shared helpers of the eval tests: load a study
 * directory (cases/lesions/readers/marks.csv), write small CSV files, join
 * paths with a checked snprintf.
 */
#ifndef DLLD_TEST_EVAL_FIXTURE_H
#define DLLD_TEST_EVAL_FIXTURE_H

#include "dlld/eval.h"

#include <stdio.h>
#include <stdlib.h>

#define EVAL_TEST_PATH_MAX 4096

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

#endif

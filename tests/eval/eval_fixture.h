/*
 * tests/eval/eval_fixture.h — shared helpers of the eval tests: load a study
 * directory (cases/lesions/readers/marks.csv), write small CSV files.
 */
#ifndef DLLD_TEST_EVAL_FIXTURE_H
#define DLLD_TEST_EVAL_FIXTURE_H

#include "dlld/eval.h"

#include <stdio.h>
#include <stdlib.h>

/* Loads dir/{cases,lesions,readers,marks}.csv; fills err; returns the status. */
static inline enum dlld_status load_study_dir(const char *dir, struct dlld_eval_study **out,
					      struct dlld_error *err)
{
	char p[4][1100];
	static const char *const names[4] = {"cases", "lesions", "readers", "marks"};
	for (int i = 0; i < 4; i++)
		snprintf(p[i], sizeof p[i], "%s/%s.csv", dir, names[i]);
	struct dlld_eval_inputs in = {p[0], p[1], p[2], p[3]};
	dlld_error_clear(err);
	return dlld_eval_study_load(&in, out, err);
}

/* Writes text to dir/name; returns false on failure. */
static inline bool write_text(const char *dir, const char *name, const char *text)
{
	char path[1100];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *fp = fopen(path, "w");
	if (!fp)
		return false;
	fputs(text, fp);
	return fclose(fp) == 0;
}

#endif

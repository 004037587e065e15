/*
 * cli/cmd_match.c — `dlld match`: detections or readers' location marks →
 * marks.csv for `dlld eval` (DESIGN §6).
 */
#include "cli/cli.h"
#include "dlld/lesion.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
	"usage: dlld match --truth COHORT (--detections DETECTIONS.csv | --locations MARKS.csv)\n"
	"                  -o marks.csv [--reader NAME] [--eval-dir DIR] [--force] [--quiet]\n"
	"\n"
	"Matches marks to the metastases of COHORT (cases.csv, lesions.csv, <id>/lesions.nii.gz):\n"
	"a mark is a lesion localisation of L when its point lies inside L's instance mask (or,\n"
	"without a mask, within L's radius of its centroid); marks on cysts, hemangiomas or no\n"
	"lesion are non-lesion localisations (empty lesion_id). A lesion marked several times by\n"
	"one reader keeps the highest rating.\n"
	"\n"
	"  --truth COHORT        cohort directory (DESIGN §4)\n"
	"  --detections FILE     dlld detect's detections.csv: rating = 100 x p_metastasis,\n"
	"                        positive = decided class is metastasis\n"
	"  --locations FILE      readers' marks: reader,patient_id,x_mm,y_mm,z_mm,rating (LPS mm)\n"
	"  -o, --output FILE     marks.csv: reader,patient_id,lesion_id,rating[,positive]\n"
	"  --reader NAME         reader name of the detections (default AI)\n"
	"  --eval-dir DIR        also write DIR/cases.csv and DIR/lesions.csv (metastases) for dlld eval\n"
	"  --force               overwrite existing outputs\n"
	"  --quiet               no progress or log lines\n"
	"\n"
	"Exit codes: 0 ok, 1 usage, 2 input not found, 3 malformed CSV/NIfTI, 4 marks of unknown\n"
	"patients or masks that disagree with lesions.csv, 5 output not written, 6 out of memory.\n";

enum { OPT_TRUTH = 256, OPT_DETECTIONS, OPT_LOCATIONS, OPT_READER, OPT_EVAL_DIR, OPT_FORCE,
       OPT_QUIET, OPT_HELP };

static const struct option options[] = {
	{"truth", required_argument, NULL, OPT_TRUTH},
	{"detections", required_argument, NULL, OPT_DETECTIONS},
	{"locations", required_argument, NULL, OPT_LOCATIONS},
	{"output", required_argument, NULL, 'o'},
	{"reader", required_argument, NULL, OPT_READER},
	{"eval-dir", required_argument, NULL, OPT_EVAL_DIR},
	{"force", no_argument, NULL, OPT_FORCE},
	{"quiet", no_argument, NULL, OPT_QUIET},
	{"help", no_argument, NULL, OPT_HELP},
	{NULL, 0, NULL, 0},
};

struct match_args {
	const char *truth, *detections, *locations, *output, *reader, *eval_dir;
	bool force, quiet;
};

static int parse(int argc, char **argv, struct match_args *a)
{
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:", options, NULL)) != -1) {
		switch (c) {
		case OPT_TRUTH: a->truth = optarg; break;
		case OPT_DETECTIONS: a->detections = optarg; break;
		case OPT_LOCATIONS: a->locations = optarg; break;
		case 'o': a->output = optarg; break;
		case OPT_READER: a->reader = optarg; break;
		case OPT_EVAL_DIR: a->eval_dir = optarg; break;
		case OPT_FORCE: a->force = true; break;
		case OPT_QUIET: a->quiet = true; break;
		case OPT_HELP: return dlld_cli_help(help);
		default: return dlld_cli_usage_error("unknown option");
		}
	}
	if (optind < argc)
		return dlld_cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (!a->truth || !a->output)
		return dlld_cli_usage_error("--truth and -o are required");
	if (!a->detections == !a->locations)
		return dlld_cli_usage_error("give exactly one of --detections and --locations");
	if (a->locations && a->reader)
		return dlld_cli_usage_error("--reader names detections; location marks carry their own");
	if (!a->reader)
		a->reader = "AI";
	if (strlen(a->reader) >= sizeof(((struct dlld_match_mark *)0)->reader) || !a->reader[0])
		return dlld_cli_usage_error("--reader: empty or longer than 63 characters");
	return -1;
}

/* Copies a CSV cell into a fixed field; an empty or too long one is malformed. */
static enum dlld_status copy_cell(const struct dlld_csv *csv, size_t row, int col, char *dst,
				  size_t size, const char *what, struct dlld_error *err)
{
	const char *s = dlld_csv_cell(csv, row, col);
	if (!s[0] || strlen(s) >= size)
		return dlld_error_set_line(err, DLLD_STATUS_MALFORMED, dlld_csv_name(csv),
					   dlld_csv_line(csv, row), "%s '%s' is empty or too long",
					   what, s);
	snprintf(dst, size, "%s", s);
	return DLLD_STATUS_OK;
}

/* Reads marks from a detections.csv (detections) or a readers' marks file. */
static enum dlld_status read_marks(const struct match_args *a, struct dlld_match_mark **out,
				   size_t *n, struct dlld_error *err)
{
	const char *path = a->detections ? a->detections : a->locations;
	struct dlld_csv *csv = NULL;
	int col[7] = {-1, -1, -1, -1, -1, -1, -1};
	static const char *const det_cols[7] = {"patient_id", "x_mm", "y_mm", "z_mm",
						"p_metastasis", "class", NULL};
	static const char *const loc_cols[7] = {"patient_id", "x_mm", "y_mm", "z_mm",
						"rating", "reader", NULL};
	const char *const *cols = a->detections ? det_cols : loc_cols;
	enum dlld_status st = dlld_csv_read(path, &csv, err);
	for (int c = 0; !st && cols[c]; c++)
		st = dlld_csv_require(csv, cols[c], &col[c], err);
	size_t rows = st ? 0 : dlld_csv_rows(csv);
	struct dlld_match_mark *m = st ? NULL : dlld_calloc(rows ? rows : 1, sizeof(*m), "marks", err);
	if (!st && !m)
		st = DLLD_STATUS_NO_MEMORY;
	for (size_t r = 0; !st && r < rows; r++) {
		st = copy_cell(csv, r, col[0], m[r].patient_id, sizeof m[r].patient_id, "patient_id", err);
		for (int d = 0; !st && d < 3; d++)
			st = dlld_csv_double(csv, r, col[1 + d], &m[r].lps[d], err);
		if (!st)
			st = dlld_csv_double(csv, r, col[4], &m[r].rating, err);
		if (st)
			break;
		if (a->detections) {
			enum dlld_lesion_class cls;
			const char *name = dlld_csv_cell(csv, r, col[5]);
			if (!dlld_lesion_class_parse(name, &cls) || !(m[r].rating >= 0 && m[r].rating <= 1))
				st = dlld_error_set_line(err, DLLD_STATUS_MALFORMED, path, dlld_csv_line(csv, r),
							 "class '%s' unknown or p_metastasis outside [0, 1]", name);
			m[r].rating *= 100.0;
			m[r].positive = cls == DLLD_LESION_CLASS_METASTASIS;
			snprintf(m[r].reader, sizeof m[r].reader, "%s", a->reader);
		} else {
			m[r].positive = -1;
			st = copy_cell(csv, r, col[5], m[r].reader, sizeof m[r].reader, "reader", err);
		}
	}
	dlld_csv_destroy(csv);
	if (st) {
		free(m);
		return st;
	}
	*out = m;
	*n = rows;
	return DLLD_STATUS_OK;
}

static enum dlld_status write_marks(const char *path, const struct dlld_match_result *r, size_t n,
				    bool with_positive, struct dlld_error *err)
{
	struct dlld_atomic_file af;
	enum dlld_status st = dlld_atomic_open(&af, path, err);
	if (st)
		return st;
	fprintf(af.fp, "reader,patient_id,lesion_id,rating%s\n", with_positive ? ",positive" : "");
	for (size_t i = 0; i < n; i++) {
		dlld_csv_write_cell(af.fp, r[i].reader);
		fputc(',', af.fp);
		dlld_csv_write_cell(af.fp, r[i].patient_id);
		fputc(',', af.fp);
		dlld_csv_write_cell(af.fp, r[i].lesion_id);
		fprintf(af.fp, ",%.17g", r[i].rating);
		if (with_positive)
			fprintf(af.fp, ",%d", r[i].positive > 0);
		fputc('\n', af.fp);
	}
	return dlld_atomic_commit(&af, err);
}

/* DIR/cases.csv and DIR/lesions.csv (metastases) for dlld eval. */
static enum dlld_status write_eval_inputs(const char *dir, const struct dlld_cohort *c,
					  struct dlld_error *err)
{
	char path[1200];
	struct dlld_atomic_file af;
	enum dlld_status st = dlld_mkdir_p(dir, err);
	snprintf(path, sizeof path, "%s/cases.csv", dir);
	if (!st)
		st = dlld_atomic_open(&af, path, err);
	if (st)
		return st;
	fprintf(af.fp, "patient_id,diseased\n");
	for (size_t p = 0; p < c->n_patients; p++) {
		dlld_csv_write_cell(af.fp, c->patients[p].id);
		fprintf(af.fp, ",%d\n", c->patients[p].diseased ? 1 : 0);
	}
	if ((st = dlld_atomic_commit(&af, err)))
		return st;
	snprintf(path, sizeof path, "%s/lesions.csv", dir);
	if ((st = dlld_atomic_open(&af, path, err)))
		return st;
	fprintf(af.fp, "patient_id,lesion_id,diameter_mm\n");
	for (size_t l = 0; l < c->n_lesions; l++) {
		const struct dlld_cohort_lesion *L = &c->lesions[l];
		if (L->cls != DLLD_LESION_CLASS_METASTASIS)
			continue;
		dlld_csv_write_cell(af.fp, c->patients[L->patient].id);
		fputc(',', af.fp);
		dlld_csv_write_cell(af.fp, L->lesion_id);
		fprintf(af.fp, ",%.17g\n", L->diameter_mm);
	}
	return dlld_atomic_commit(&af, err);
}

int dlld_cmd_match(int argc, char **argv)
{
	struct match_args a = {0};
	struct dlld_cohort *cohort = NULL;
	struct dlld_match_mark *marks = NULL;
	struct dlld_match_result *res = NULL;
	size_t n_marks = 0, n_res = 0;
	struct dlld_error err;
	char path[1200];
	int rc;

	if ((rc = parse(argc, argv, &a)) >= 0)
		return rc;
	dlld_cli_setup("match", a.quiet);
	if ((rc = dlld_cli_check_output(a.output, a.force)))
		return rc;
	for (int i = 0; a.eval_dir && i < 2; i++) {
		snprintf(path, sizeof path, "%s/%s", a.eval_dir, i ? "lesions.csv" : "cases.csv");
		if ((rc = dlld_cli_check_output(path, a.force)))
			return rc;
	}
	dlld_error_clear(&err);
	if (dlld_cohort_read(a.truth, &cohort, &err) || read_marks(&a, &marks, &n_marks, &err) ||
	    dlld_match(cohort, marks, n_marks, &res, &n_res, &err) ||
	    write_marks(a.output, res, n_res, a.detections != NULL, &err) ||
	    (a.eval_dir && write_eval_inputs(a.eval_dir, cohort, &err))) {
		rc = dlld_cli_fail(&err);
	} else {
		size_t ll = 0;
		for (size_t i = 0; i < n_res; i++)
			ll += res[i].lesion_id[0] != 0;
		dlld_log(DLLD_LOG_LEVEL_INFO, "%zu marks: %zu lesion localisations, %zu non-lesion",
			 n_res, ll, n_res - ll);
		rc = 0;
	}
	free(res);
	free(marks);
	dlld_cohort_destroy(cohort);
	return rc;
}

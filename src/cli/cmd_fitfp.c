/*
 * cli/cmd_fitfp.c — `dlld fit-fp`: fits the learned false-positive model
 * (lesion/fp_model.c) on a tuning cohort's detections and chooses its
 * operating threshold; writes both into MODEL/model.json.
 */
#include "cli/cli.h"
#include "dlld/lesion.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
	"usage: dlld fit-fp --truth COHORT --detections DIR --model MODEL [--max-fpp F]\n"
	"                   [--dry-run] [--quiet]\n"
	"\n"
	"Fits the learned false-positive model: a logistic model of \"this lesion is a real\n"
	"lesion\" (of any class) on the logits of its three averaged class confidences, its\n"
	"log diameter and r = log(craniocaudal extent / diameter) with r² (docs/linking.md).\n"
	"The lesions are DIR/detections.csv of `dlld detect --min-score 0 --filter-off model`\n"
	"on COHORT (a tuning cohort, never the one you evaluate on); a lesion is real when its\n"
	"centroid lies in a truth lesion (as dlld match locates it). The threshold is the\n"
	"lowest probability at which the false positives per patient of the metastasis task\n"
	"(decided metastasis, no metastasis hit) stay <= F on COHORT. Writes \"fp_model\" into\n"
	"MODEL/model.json and sets thresholds.score to 0: the model's threshold becomes the\n"
	"operating point (the score it replaces is recorded in fp_model.fit). An fp_model\n"
	"already there is replaced, also one with other features.\n"
	"\n"
	"  --truth COHORT       the tuning cohort (DESIGN §4)\n"
	"  --detections DIR     dlld detect's output folder for COHORT\n"
	"  --model MODEL        model directory whose model.json is updated\n"
	"  --max-fpp F          false positives per patient allowed (default 0.35)\n"
	"  --dry-run            print the fit, change nothing\n"
	"  --quiet              no log lines\n"
	"\n"
	"Exit codes: 0 ok, 1 usage (detections made with the score or model step on), 2 not\n"
	"found, 3 malformed CSV/JSON, 4 detections of unknown patients, too few real or false\n"
	"lesions, no convergence, 5 model.json not written, 6 out of memory.\n";

enum { OPT_TRUTH = 256, OPT_DETECTIONS, OPT_MODEL, OPT_MAX_FPP, OPT_DRY_RUN, OPT_QUIET, OPT_HELP };

static const struct option options[] = {
	{"truth", required_argument, NULL, OPT_TRUTH},
	{"detections", required_argument, NULL, OPT_DETECTIONS},
	{"model", required_argument, NULL, OPT_MODEL},
	{"max-fpp", required_argument, NULL, OPT_MAX_FPP},
	{"dry-run", no_argument, NULL, OPT_DRY_RUN},
	{"quiet", no_argument, NULL, OPT_QUIET},
	{"help", no_argument, NULL, OPT_HELP},
	{NULL, 0, NULL, 0},
};

struct fit_args {
	const char *truth, *detections, *model;
	double max_fpp;
	bool dry_run, quiet;
};

/* One detected lesion: what the model sees and what the truth says. */
struct candidate {
	struct dlld_lesion lesion;
	double x[DLLD_FP_MODEL_FEATURES];
	double p;            /* fitted probability */
	long truth;          /* cohort lesion under it, or -1 */
	long patient;
};

static int parse(int argc, char **argv, struct fit_args *a)
{
	int c;
	optind = 1;
	a->max_fpp = 0.35;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case OPT_TRUTH: a->truth = optarg; break;
		case OPT_DETECTIONS: a->detections = optarg; break;
		case OPT_MODEL: a->model = optarg; break;
		case OPT_MAX_FPP:
			if (!dlld_cli_double("--max-fpp", optarg, 0.0, 1000.0, &a->max_fpp))
				return 1;
			break;
		case OPT_DRY_RUN: a->dry_run = true; break;
		case OPT_QUIET: a->quiet = true; break;
		case OPT_HELP: return dlld_cli_help(help);
		default: return dlld_cli_usage_error("unknown option");
		}
	}
	if (optind < argc)
		return dlld_cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (!a->truth || !a->detections || !a->model)
		return dlld_cli_usage_error("--truth, --detections and --model are required");
	return -1;
}

/* Reads DIR/<id>.json: the slice step, and whether the score or model step
 * was on when it was made (1 = usage error, message printed). */
static int patient_slice_mm(const char *dir, const char *id, double *slice_mm,
			    struct dlld_error *err)
{
	char path[1200], *text;
	size_t size;
	snprintf(path, sizeof path, "%s/%s.json", dir, id);
	if (dlld_read_file(path, &text, &size, err))
		return dlld_cli_fail(err);
	cJSON *root = cJSON_ParseWithLength(text, size);
	free(text);
	const cJSON *sp = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(root, "geometry"), "spacing_mm");
	const cJSON *filter = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(root, "pipeline"), "filter");
	const cJSON *enabled = cJSON_GetObjectItemCaseSensitive(filter, "enabled");
	const cJSON *min_score = cJSON_GetObjectItemCaseSensitive(filter, "min_score");
	const cJSON *z = cJSON_GetArrayItem(sp, 2), *e;
	int rc = 0;
	if (!cJSON_IsNumber(z) || !(z->valuedouble > 0) || !cJSON_IsArray(enabled) ||
	    !cJSON_IsNumber(min_score)) {
		dlld_error_set(err, DLLD_STATUS_MALFORMED, path,
			       "no geometry.spacing_mm or pipeline.filter (not dlld detect's)");
		rc = dlld_cli_fail(err);
	} else {
		bool had_model = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(filter, "fp_model"));
		bool on = min_score->valuedouble > 0;
		*slice_mm = z->valuedouble;
		cJSON_ArrayForEach(e, enabled)
			if (had_model && cJSON_IsString(e) && strcmp(e->valuestring, "model") == 0)
				on = true;
		if (on)
			rc = dlld_cli_usage_error("%s: made with the score or model step on; rerun "
						  "dlld detect with --min-score 0 --filter-off model", path);
	}
	cJSON_Delete(root);
	return rc;
}

/* Reads DIR/detections.csv into candidates (features filled). */
static int read_candidates(const struct fit_args *a, const struct dlld_cohort *cohort,
			   struct candidate **out, size_t *n, struct dlld_error *err)
{
	static const char *const cols[] = {"patient_id", "p_metastasis", "p_cyst", "p_hemangioma",
					   "x_mm", "y_mm", "z_mm", "diameter_mm", "first_slice",
					   "last_slice"};
	enum { NC = sizeof cols / sizeof cols[0] };
	char path[1200], last_id[64] = "";
	int col[NC];
	double slice_mm = 0;
	struct dlld_csv *csv = NULL;
	snprintf(path, sizeof path, "%s/detections.csv", a->detections);
	enum dlld_status st = dlld_csv_read(path, &csv, err);
	for (int c = 0; !st && c < NC; c++)
		st = dlld_csv_require(csv, cols[c], &col[c], err);
	if (st) {
		dlld_csv_destroy(csv);
		return dlld_cli_fail(err);
	}
	size_t rows = dlld_csv_rows(csv);
	struct candidate *cand = dlld_calloc(rows ? rows : 1, sizeof(*cand), "lesions", err);
	int rc = cand ? 0 : dlld_cli_fail(err);
	for (size_t r = 0; !rc && r < rows; r++) {
		struct candidate *C = &cand[r];
		struct dlld_lesion *L = &C->lesion;
		const char *id = dlld_csv_cell(csv, r, col[0]);
		double v[NC];
		C->patient = dlld_cohort_find_patient(cohort, id);
		if (C->patient < 0) {
			dlld_error_set_line(err, DLLD_STATUS_INCONSISTENT, path, dlld_csv_line(csv, r),
					    "patient '%s' is not in %s/cases.csv", id, a->truth);
			rc = dlld_cli_fail(err);
			break;
		}
		for (int c = 1; !st && c < NC; c++)
			st = dlld_csv_double(csv, r, col[c], &v[c], err);
		if (st) {
			rc = dlld_cli_fail(err);
			break;
		}
		if (strcmp(id, last_id) != 0) {
			if ((rc = patient_slice_mm(a->detections, id, &slice_mm, err)))
				break;
			snprintf(last_id, sizeof last_id, "%s", id);
		}
		L->p[DLLD_LESION_CLASS_METASTASIS] = v[1];
		L->p[DLLD_LESION_CLASS_CYST] = v[2];
		L->p[DLLD_LESION_CLASS_HEMANGIOMA] = v[3];
		L->cls = DLLD_LESION_CLASS_METASTASIS;
		for (int k = 1; k < DLLD_LESION_CLASS_COUNT; k++)
			if (L->p[k] > L->p[L->cls])
				L->cls = (enum dlld_lesion_class)k;
		memcpy(L->centroid_lps, &v[4], sizeof L->centroid_lps);
		L->diameter_mm = v[7];
		L->first_slice = (int32_t)v[8];
		L->last_slice = (int32_t)v[9];
		dlld_fp_model_features(L, slice_mm, C->x);
	}
	dlld_csv_destroy(csv);
	if (rc) {
		free(cand);
		return rc;
	}
	*out = cand;
	*n = rows;
	return 0;
}

/* Sensitivity and FPP of the metastasis task when lesions with p >= t are
 * kept; hit is scratch for the cohort's lesions. */
static void operate(const struct candidate *c, size_t n, const struct dlld_cohort *cohort, double t,
		    bool *hit, double *sens, double *fpp)
{
	size_t tp = 0, fp = 0, mets = 0;
	memset(hit, 0, cohort->n_lesions * sizeof(*hit));
	for (size_t i = 0; i < n; i++) {
		if (c[i].p < t || c[i].lesion.cls != DLLD_LESION_CLASS_METASTASIS)
			continue;
		long l = c[i].truth;
		if (l >= 0 && cohort->lesions[l].cls == DLLD_LESION_CLASS_METASTASIS) {
			tp += !hit[l];
			hit[l] = true;
		} else {
			fp++;
		}
	}
	for (size_t l = 0; l < cohort->n_lesions; l++)
		mets += cohort->lesions[l].cls == DLLD_LESION_CLASS_METASTASIS;
	*sens = mets ? (double)tp / (double)mets : NAN;
	*fpp = (double)fp / (double)cohort->n_patients;
}

static int compare_p_desc(const void *a, const void *b)
{
	double pa = *(const double *)a, pb = *(const double *)b;
	return (pa < pb) - (pa > pb);
}

/* The lowest threshold (midway to the next lower probability) whose FPP is
 * at most max_fpp; fills *sens, *fpp at it. */
static double choose_threshold(const struct candidate *c, size_t n, const struct dlld_cohort *cohort,
			       double max_fpp, bool *hit, double *ps, double *sens, double *fpp)
{
	double best = 1.0;
	*sens = 0, *fpp = 0;
	for (size_t i = 0; i < n; i++)
		ps[i] = c[i].p;
	qsort(ps, n, sizeof *ps, compare_p_desc);
	for (size_t i = 0; i < n; i++) {
		double s, f;
		if (i + 1 < n && ps[i + 1] == ps[i])
			continue;
		operate(c, n, cohort, ps[i], hit, &s, &f);
		if (f > max_fpp)
			break;
		best = 0.5 * (ps[i] + (i + 1 < n ? ps[i + 1] : 0.0));
		*sens = s, *fpp = f;
	}
	return best;
}

int dlld_cmd_fit_fp(int argc, char **argv)
{
	struct fit_args a = {0};
	struct dlld_cohort *cohort = NULL;
	struct candidate *cand = NULL;
	struct dlld_match_mark *marks = NULL;
	long *truth = NULL;
	double *x = NULL, *ps = NULL;
	unsigned char *y = NULL;
	bool *hit = NULL;
	struct dlld_fp_model m = {0};
	struct dlld_error err;
	size_t n = 0;
	int rc, iterations = 0;

	if ((rc = parse(argc, argv, &a)) >= 0)
		return rc;
	dlld_cli_setup("fit-fp", a.quiet);
	dlld_error_clear(&err);
	if (dlld_cohort_read(a.truth, &cohort, &err))
		return dlld_cli_fail(&err);
	if ((rc = read_candidates(&a, cohort, &cand, &n, &err)))
		goto done;
	marks = dlld_calloc(n ? n : 1, sizeof(*marks), "marks", &err);
	truth = dlld_calloc(n ? n : 1, sizeof(*truth), "marks", &err);
	x = dlld_calloc(n ? n * DLLD_FP_MODEL_FEATURES : 1, sizeof(*x), "features", &err);
	y = dlld_calloc(n ? n : 1, 1, "outcomes", &err);
	ps = dlld_calloc(n ? n : 1, sizeof(*ps), "probabilities", &err);
	hit = dlld_calloc(cohort->n_lesions ? cohort->n_lesions : 1, sizeof(*hit), "lesions", &err);
	if (!marks || !truth || !x || !y || !ps || !hit) {
		rc = dlld_cli_fail(&err);
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(marks[i].patient_id, sizeof marks[i].patient_id, "%s",
			 cohort->patients[cand[i].patient].id);
		memcpy(marks[i].lps, cand[i].lesion.centroid_lps, sizeof marks[i].lps);
	}
	if (dlld_match_lesions(cohort, marks, n, truth, &err)) {
		rc = dlld_cli_fail(&err);
		goto done;
	}
	size_t real = 0;
	for (size_t i = 0; i < n; i++) {
		cand[i].truth = truth[i];
		y[i] = truth[i] >= 0;
		real += y[i];
		memcpy(&x[i * DLLD_FP_MODEL_FEATURES], cand[i].x, sizeof cand[i].x);
	}
	if (dlld_fp_model_fit(x, y, n, &m, &iterations, &err)) {
		rc = dlld_cli_fail(&err);
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		cand[i].p = dlld_fp_model_probability(&m, cand[i].x);
	double sens, fpp, score_sens, score_fpp;
	m.threshold = choose_threshold(cand, n, cohort, a.max_fpp, hit, ps, &sens, &fpp);
	m.present = true;
	/* The score alone as the operating point, for comparison. */
	for (size_t i = 0; i < n; i++)
		cand[i].p = cand[i].lesion.p[cand[i].lesion.cls];
	double score_t = choose_threshold(cand, n, cohort, a.max_fpp, hit, ps, &score_sens, &score_fpp);

	dlld_log(DLLD_LOG_LEVEL_INFO, "%zu lesions of %zu patients: %zu real, %zu false; fit in %d iterations",
		 n, cohort->n_patients, real, n - real, iterations);
	printf("feature,coefficient\nintercept,%.6g\n", m.intercept);
	for (int f = 0; f < DLLD_FP_MODEL_FEATURES; f++)
		printf("%s,%.6g\n", dlld_fp_model_feature_name(f), m.coef[f]);
	printf("at FPP <= %g on %s: fp_model threshold %.4f -> sensitivity %.1f %% at %.3f FPP; "
	       "score alone (>= %.2f) -> %.1f %% at %.3f FPP\n", a.max_fpp, a.truth, m.threshold,
	       100 * sens, fpp, 100 * score_t, 100 * score_sens, score_fpp);
	if (!a.dry_run) {
		char path[1200], *fit;
		snprintf(path, sizeof path, "%s/model.json", a.model);
		double replaced = 0;
		struct dlld_model *model = NULL;
		/* MODEL must be a whole model (its network too); the fp_model it
		 * has, if any, is not read: the refit replaces it, also one a
		 * build with other features wrote. */
		if (dlld_model_load(a.model, 1, &model, &err)) {
			rc = dlld_cli_fail(&err);
			goto done;
		}
		replaced = model->thresholds.score;
		dlld_model_destroy(model);
		cJSON *rec = cJSON_CreateObject();
		cJSON_AddStringToObject(rec, "cohort", cohort->dir);
		cJSON_AddNumberToObject(rec, "patients", (double)cohort->n_patients);
		cJSON_AddNumberToObject(rec, "lesions", (double)n);
		cJSON_AddNumberToObject(rec, "real", (double)real);
		cJSON_AddNumberToObject(rec, "iterations", iterations);
		cJSON_AddNumberToObject(rec, "max_fpp", a.max_fpp);
		cJSON_AddNumberToObject(rec, "sensitivity", sens);
		cJSON_AddNumberToObject(rec, "fpp", fpp);
		cJSON_AddNumberToObject(rec, "replaced_score", replaced);
		fit = cJSON_PrintUnformatted(rec);
		cJSON_Delete(rec);
		enum dlld_status st = fit ? dlld_fp_model_write(path, &m, fit, 0.0, &err) :
					    dlld_error_set(&err, DLLD_STATUS_NO_MEMORY, path, "out of memory");
		free(fit);
		if (st) {
			rc = dlld_cli_fail(&err);
			goto done;
		}
		dlld_log(DLLD_LOG_LEVEL_INFO, "wrote fp_model into %s", path);
	}
done:
	free(cand), free(marks), free(truth), free(x), free(y), free(ps), free(hit);
	dlld_cohort_destroy(cohort);
	return rc;
}

/* cli/cmd_detect.c — `dlld detect`: CT studies → liver lesions (DESIGN §5). */
#include "cli/cli.h"
#include "lesion/study.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char detect_help[] =
	"usage: dlld detect --model MODEL -o OUT [options] PATH...\n"
	"\n"
	"Finds liver lesions (metastasis, cyst, hemangioma; score 0-100) on CT:\n"
	"automatic liver mask, slice detection, 3D linking, false-positive filter.\n"
	"PATH is a DICOM folder or file, a NIfTI file, or a cohort folder (DESIGN\n"
	"section 4: every patient in cases.csv). Writes OUT/detections.csv (one row\n"
	"per lesion), OUT/<patient>.json (lesions with their slice boxes, model and\n"
	"geometry), OUT/<patient>/overlay_L<n>.png and OUT/<patient>/liver.nii.gz.\n"
	"Patients already in OUT are skipped (see --force); a study that fails is\n"
	"reported and the others go on.\n"
	"\n"
	"  --model MODEL        model folder (e.g. models/dlld-tiny)\n"
	"  -o, --output OUT     output folder\n"
	"  --min-score S        drop lesions scored below S (0-100; default: the model's\n"
	"                       operating score, thresholds.score in MODEL/model.json;\n"
	"                       0 keeps every score, e.g. for FROC curves)\n"
	"  --no-filter          keep every linked lesion (all filter steps off)\n"
	"  --filter-off STEP[,STEP...]  switch false-positive filter steps off\n"
	"  --filter-on STEP[,STEP...]   switch steps on (after --no-filter: only these)\n"
	"  --filter-set NAME=V[,NAME=V...]  change a filter setting\n"
	"  --no-overlays        do not write overlay PNGs\n"
	"  --threads N          compute threads (default: all CPUs)\n"
	"  --force              redo patients already in OUT\n"
	"  --quiet              no progress line\n"
	"  -h, --help           this text\n"
	"\n"
	"False-positive filter (docs/linking.md), steps in the order they run, all on\n"
	"by default but parenchyma, with their settings (defaults):\n"
	"  outside_liver  liver_margin_mm (5), min_inside_fraction (0.5)\n"
	"  size           min_diameter_mm (3), max_diameter_mm (200)\n"
	"  span           min_span_mm (3), span_exempt_diameter_mm (10)\n"
	"  score          min_score (the model's operating score)\n"
	"  diaphragm      diaphragm_max_diameter_mm (15), diaphragm_probe_mm (10),\n"
	"                 diaphragm_air_fraction (0.25)\n"
	"  vessel         vessel_elongation (3), vessel_hu_above_liver (20)\n"
	"  parenchyma     parenchyma_contrast_sd (2.5), parenchyma_max_contrast_hu (10);\n"
	"                 off by default (see docs/linking.md)\n"
	"  model          model_threshold (the threshold of MODEL/model.json's fp_model,\n"
	"                 the learned false-positive model `dlld fit-fp` writes; without\n"
	"                 one the step keeps everything)\n"
	"Step names may be written with '-' for '_'. Options apply in the order given;\n"
	"the settings used are recorded in OUT/<patient>.json (pipeline.filter).\n"
	"\n"
	"Exit codes: 0 ok, 1 usage, 2 not found, 3 malformed, 4 inconsistent, 5 write,\n"
	"6 memory (the first failing study's code when some fail).\n";

enum { OPT_MODEL = 256, OPT_MIN_SCORE, OPT_NO_FILTER, OPT_FILTER_OFF, OPT_FILTER_ON,
       OPT_FILTER_SET, OPT_NO_OVERLAYS, OPT_THREADS, OPT_FORCE, OPT_QUIET };

static const struct option detect_options[] = {
	{"model", required_argument, NULL, OPT_MODEL},
	{"output", required_argument, NULL, 'o'},
	{"min-score", required_argument, NULL, OPT_MIN_SCORE},
	{"no-filter", no_argument, NULL, OPT_NO_FILTER},
	{"filter-off", required_argument, NULL, OPT_FILTER_OFF},
	{"filter-on", required_argument, NULL, OPT_FILTER_ON},
	{"filter-set", required_argument, NULL, OPT_FILTER_SET},
	{"no-overlays", no_argument, NULL, OPT_NO_OVERLAYS},
	{"threads", required_argument, NULL, OPT_THREADS},
	{"force", no_argument, NULL, OPT_FORCE},
	{"quiet", no_argument, NULL, OPT_QUIET},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* Fills id (size bytes) with s, cut to fit. */
static void copy_id(char *id, size_t size, const char *s)
{
	size_t n = strlen(s);

	if (n >= size)
		n = size - 1;
	memcpy(id, s, n);
	id[n] = '\0';
}

/* Applies one comma-separated --filter-off / --filter-on / --filter-set
 * value to fp; false (after a usage message) on a bad item. */
static bool filter_option(const char *option, const char *arg, struct dlld_fp_options *fp)
{
	char list[512], *item, *save = NULL;
	bool set = strcmp(option, "--filter-set") == 0;

	if (strlen(arg) >= sizeof list || !*arg) {
		dlld_cli_usage_error("%s: '%s' is empty or too long", option, arg);
		return false;
	}
	memcpy(list, arg, strlen(arg) + 1);
	for (item = strtok_r(list, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		if (set) {
			char *eq = strchr(item, '='), label[160];
			struct dlld_error err;
			double v;
			if (!eq) {
				dlld_cli_usage_error("%s: '%s' is not NAME=VALUE", option, item);
				return false;
			}
			*eq = '\0';
			snprintf(label, sizeof label, "%s %s", option, item);
			dlld_error_clear(&err);
			if (!dlld_cli_double(label, eq + 1, -1e300, 1e300, &v))
				return false;
			if (dlld_fp_options_set(fp, item, v, &err)) {
				dlld_cli_usage_error("%s: %s", option, err.reason);
				return false;
			}
			continue;
		}
		int step = dlld_fp_step_from_name(item);
		if (step < 0) {
			char names[256] = "";
			for (int s = 0; s < DLLD_FP_STEP_COUNT; s++)
				snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
					 s ? ", " : "", dlld_fp_step_name((enum dlld_fp_step)s));
			dlld_cli_usage_error("%s: no filter step called '%s' (steps: %s)", option, item,
					     names);
			return false;
		}
		fp->enable[step] = strcmp(option, "--filter-on") == 0;
	}
	return true;
}

/* One study to run. */
struct job {
	char id[64];
	char path[1024];
};

struct job_list {
	struct job *items;
	size_t n, cap;
};

static bool add_job(struct job_list *l, const char *id, const char *path)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct job *p = realloc(l->items, cap * sizeof *p);
		if (!p)
			return false;
		l->items = p;
		l->cap = cap;
	}
	copy_id(l->items[l->n].id, sizeof l->items[l->n].id, id);
	copy_id(l->items[l->n].path, sizeof l->items[l->n].path, path);
	l->n++;
	return true;
}

/* Fills id with path's last component without .nii / .nii.gz / .dcm. */
static void study_id(const char *path, char *id, size_t size)
{
	char buf[1024];
	size_t n;
	const char *base;
	static const char *const ext[] = {".nii.gz", ".nii", ".dcm"};

	snprintf(buf, sizeof buf, "%s", path);
	n = strlen(buf);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	base = strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf;
	copy_id(id, size, base);
	for (size_t e = 0; e < sizeof ext / sizeof ext[0]; e++) {
		size_t le = strlen(ext[e]), li = strlen(id);
		if (li > le && strcmp(id + li - le, ext[e]) == 0) {
			id[li - le] = '\0';
			break;
		}
	}
	/* COHORT/<patient>/ct.nii.gz: the patient is the folder */
	if (strcmp(id, "ct") == 0 && base != buf) {
		buf[base - buf - 1] = '\0';
		base = strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf;
		copy_id(id, size, base);
	}
}

/* Adds the studies of PATH (a cohort's patients, or PATH itself). */
static int collect(const char *path, struct job_list *jobs)
{
	char cases[1100], id[64];
	struct dlld_cohort *c = NULL;
	struct dlld_error err;

	snprintf(cases, sizeof cases, "%s/cases.csv", path);
	if (dlld_path_is_dir(path) && dlld_path_exists(cases)) {
		dlld_error_clear(&err);
		if (dlld_cohort_read(path, &c, &err))
			return dlld_cli_fail(&err);
		for (size_t p = 0; p < c->n_patients; p++)
			if (!add_job(jobs, c->patients[p].id, c->patients[p].ct_path))
				return DLLD_STATUS_NO_MEMORY;
		dlld_cohort_destroy(c);
		return 0;
	}
	if (!dlld_path_exists(path)) {
		fprintf(stderr, "dlld detect: error: %s: not found\n", path);
		return DLLD_STATUS_NOT_FOUND;
	}
	study_id(path, id, sizeof id);
	return add_job(jobs, id, path) ? 0 : DLLD_STATUS_NO_MEMORY;
}

/* Writes OUT/detections.csv from the patients' own files, in job order. */
static int merge_rows(const char *out, const struct job_list *jobs)
{
	struct dlld_atomic_file af;
	struct dlld_error err;
	char path[1200];

	dlld_error_clear(&err);
	snprintf(path, sizeof path, "%s/detections.csv", out);
	if (dlld_atomic_open(&af, path, &err))
		return dlld_cli_fail(&err);
	fputs(dlld_detections_header, af.fp);
	for (size_t j = 0; j < jobs->n; j++) {
		char part[1200], *text, *body;
		size_t size;
		snprintf(part, sizeof part, "%s/%s/detections.csv", out, jobs->items[j].id);
		if (dlld_read_file(part, &text, &size, NULL))
			continue; /* a failed study has no rows */
		body = strchr(text, '\n');
		if (body)
			fputs(body + 1, af.fp);
		free(text);
	}
	return dlld_atomic_commit(&af, &err) ? dlld_cli_fail(&err) : 0;
}

/* Runs every job; returns the first failure's exit code (0 when none). */
static int run_jobs(struct dlld_model *model, const struct job_list *jobs, const char *out,
		    const struct dlld_study_options *o, struct dlld_pool *pool, bool force)
{
	struct dlld_progress progress;
	int first_failure = 0;

	dlld_progress_begin(&progress, "detect", "studies", jobs->n);
	for (size_t j = 0; j < jobs->n; j++) {
		const struct job *job = &jobs->items[j];
		struct dlld_study_result r;
		struct dlld_error err;
		char done[1200];
		size_t mets = 0;

		snprintf(done, sizeof done, "%s/%s/detections.csv", out, job->id);
		if (!force && dlld_path_exists(done)) {
			dlld_log(DLLD_LOG_LEVEL_INFO, "%s: already done, skipped", job->id);
			dlld_progress_update(&progress, j + 1);
			continue;
		}
		dlld_error_clear(&err);
		if (dlld_study_run(model, job->path, job->id, out, o, pool, &r, &err)) {
			char msg[2048];
			dlld_log(DLLD_LOG_LEVEL_ERROR, "%s: %s", job->id,
				 dlld_error_format(&err, msg, sizeof msg));
			if (!first_failure)
				first_failure = (int)err.status;
		} else {
			for (size_t l = 0; l < r.lesions.n_lesions; l++)
				mets += r.lesions.lesions[l].cls == DLLD_LESION_CLASS_METASTASIS;
			dlld_log(DLLD_LOG_LEVEL_INFO,
				 "%s: %zu lesions (%zu metastases) from %zu slice boxes; liver %.0f ml; "
				 "%.1f s (read %.1f, liver %.1f, detect %.1f, post %.2f, write %.1f)",
				 job->id, r.lesions.n_lesions, mets, r.n_boxes, r.liver.volume_ml,
				 r.seconds_read + r.seconds_liver + r.seconds_detect + r.seconds_post +
					 r.seconds_write,
				 r.seconds_read, r.seconds_liver, r.seconds_detect, r.seconds_post,
				 r.seconds_write);
		}
		dlld_study_result_free(&r);
		dlld_progress_update(&progress, j + 1);
	}
	dlld_progress_end(&progress);
	return first_failure;
}

int dlld_cmd_detect(int argc, char **argv)
{
	struct dlld_study_options o;
	struct dlld_model *model = NULL;
	struct dlld_pool *pool = NULL;
	struct job_list jobs = {0};
	struct dlld_error err;
	const char *model_dir = NULL, *out = NULL;
	bool force = false, quiet = false, score_from_model;
	long threads = 0;
	int c, rc = 0;

	dlld_study_options_default(&o);
	o.fp.min_score = -1; /* unset: the model's operating score, once it is loaded */
	o.fp.model.threshold = -1; /* unset: the threshold of the model's fp_model */
	dlld_error_clear(&err);
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", detect_options, NULL)) != -1) {
		switch (c) {
		case 'h':
			return dlld_cli_help(detect_help);
		case 'o':
			out = optarg;
			break;
		case OPT_MODEL:
			model_dir = optarg;
			break;
		case OPT_MIN_SCORE:
			if (!dlld_cli_double("--min-score", optarg, 0.0, 100.0, &o.fp.min_score))
				return DLLD_STATUS_USAGE;
			break;
		case OPT_NO_FILTER:
			for (int s = 0; s < DLLD_FP_STEP_COUNT; s++)
				o.fp.enable[s] = false;
			break;
		case OPT_FILTER_OFF:
			if (!filter_option("--filter-off", optarg, &o.fp))
				return DLLD_STATUS_USAGE;
			break;
		case OPT_FILTER_ON:
			if (!filter_option("--filter-on", optarg, &o.fp))
				return DLLD_STATUS_USAGE;
			break;
		case OPT_FILTER_SET:
			if (!filter_option("--filter-set", optarg, &o.fp))
				return DLLD_STATUS_USAGE;
			break;
		case OPT_NO_OVERLAYS:
			o.overlays = false;
			break;
		case OPT_THREADS:
			if (!dlld_cli_long("--threads", optarg, 1, 256, &threads))
				return DLLD_STATUS_USAGE;
			break;
		case OPT_FORCE:
			force = true;
			break;
		case OPT_QUIET:
			quiet = true;
			break;
		default:
			return dlld_cli_usage_error("bad option");
		}
	}
	if (!model_dir || !out)
		return dlld_cli_usage_error("--model MODEL and -o OUT are required");
	score_from_model = o.fp.min_score < 0;
	if (score_from_model)
		o.fp.min_score = 0;
	double fp_threshold = o.fp.model.threshold;
	if (fp_threshold < 0)
		o.fp.model.threshold = 0;
	if (dlld_fp_options_check(&o.fp, &err))
		return dlld_cli_usage_error("%s", err.reason);
	if (optind >= argc)
		return dlld_cli_usage_error("no CT study given");
	dlld_cli_setup(argv[0], quiet);
	for (int a = optind; a < argc && !rc; a++)
		rc = collect(argv[a], &jobs);
	if (rc)
		goto done;
	if (dlld_model_load(model_dir, 0, &model, &err) || dlld_mkdir_p(out, &err)) {
		rc = dlld_cli_fail(&err);
		goto done;
	}
	if (score_from_model)
		o.fp.min_score = model->thresholds.score;
	{
		char json[1100];
		snprintf(json, sizeof json, "%s/model.json", model_dir);
		if (dlld_fp_model_read(json, &o.fp.model, &err)) {
			rc = dlld_cli_fail(&err);
			goto done;
		}
		if (fp_threshold >= 0)
			o.fp.model.threshold = fp_threshold;
	}
	o.liver.threads = (int)threads;
	pool = dlld_pool_create((int)threads, &err);
	if (!pool) {
		rc = dlld_cli_fail(&err);
		goto done;
	}
	rc = run_jobs(model, &jobs, out, &o, pool, force);
	{
		int merge = merge_rows(out, &jobs);
		rc = rc ? rc : merge;
	}
done:
	dlld_pool_destroy(pool);
	dlld_model_destroy(model);
	free(jobs.items);
	return rc;
}

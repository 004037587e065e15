/* cli/cmd_demo.c — `dlld demo`: the whole study on a small synthetic cohort:
 * synth → detect (shipped model) → match → eval → report, in one folder. */
#include "cli/cli.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char demo_help[] =
	"usage: dlld demo [-o DIR] [options]\n"
	"\n"
	"Runs DLLD end to end on a small synthetic validation cohort, the way the\n"
	"paper's study was run: DIR/cohort (dlld synth), DIR/detect (dlld detect with\n"
	"the shipped model: detections.csv, per-patient JSON, overlays, liver masks),\n"
	"DIR/eval (dlld match: marks.csv, cases.csv, lesions.csv, readers.csv) and\n"
	"DIR/report (dlld eval: report.md, results.json, AFROC/FROC plots).\n"
	"\n"
	"  -o, --output DIR     demo folder (default dlld-demo)\n"
	"  --model MODEL        model folder (default: models/dlld-tiny next to the\n"
	"                       binary's ../models, or ./models/dlld-tiny)\n"
	"  --patients N         patients in the cohort (default 12)\n"
	"  --seed S             cohort seed (default 20211; never used for training)\n"
	"  --bootstrap B        bootstrap resamples of the evaluation (default 1000)\n"
	"  --force              reuse/overwrite an existing DIR\n"
	"  --quiet              no progress lines\n"
	"  -h, --help           this text\n"
	"\n"
	"Exit codes: those of the step that failed (see docs/exit-codes.md).\n";

enum { OPT_MODEL = 256, OPT_PATIENTS, OPT_SEED, OPT_BOOT, OPT_FORCE, OPT_QUIET };

static const struct option demo_options[] = {
	{"output", required_argument, NULL, 'o'},
	{"model", required_argument, NULL, OPT_MODEL},
	{"patients", required_argument, NULL, OPT_PATIENTS},
	{"seed", required_argument, NULL, OPT_SEED},
	{"bootstrap", required_argument, NULL, OPT_BOOT},
	{"force", no_argument, NULL, OPT_FORCE},
	{"quiet", no_argument, NULL, OPT_QUIET},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* Fills model with the default model folder. */
static void default_model(char *model, size_t size)
{
	char exe[PATH_MAX - 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	if (n > 0) {
		char *slash;
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(model, size, "%s/../models/dlld-tiny", exe);
			if (dlld_path_is_dir(model))
				return;
		}
	}
	snprintf(model, size, "models/dlld-tiny");
}

/* Runs one step: the command fn with the NULL-terminated argument list. */
static int step(const char *title, int (*fn)(int, char **), char **args, bool quiet)
{
	int argc = 0, rc;

	while (args[argc])
		argc++;
	if (!quiet)
		fprintf(stderr, "dlld demo: %s\n", title);
	rc = fn(argc, args);
	if (rc)
		fprintf(stderr, "dlld demo: step '%s' failed (exit %d)\n", title, rc);
	return rc;
}

int dlld_cmd_demo(int argc, char **argv)
{
	char model[PATH_MAX], cohort[1100], detect[1100], eval[1100], report[1100];
	char detections[1200], marks[1200], readers[1200], json[1200], md[1200], plots[1200];
	char patients[32] = "12", seed[32] = "20211", boot[32] = "1000";
	const char *dir = "dlld-demo";
	bool force = false, quiet = false;
	struct dlld_error err;
	long v;
	int c, rc;

	default_model(model, sizeof model);
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", demo_options, NULL)) != -1) {
		if (c == 'h')
			return dlld_cli_help(demo_help);
		else if (c == 'o')
			dir = optarg;
		else if (c == OPT_MODEL)
			snprintf(model, sizeof model, "%s", optarg);
		else if (c == OPT_PATIENTS && dlld_cli_long("--patients", optarg, 2, 1000, &v))
			snprintf(patients, sizeof patients, "%ld", v);
		else if (c == OPT_SEED && dlld_cli_long("--seed", optarg, 0, LONG_MAX, &v))
			snprintf(seed, sizeof seed, "%ld", v);
		else if (c == OPT_BOOT && dlld_cli_long("--bootstrap", optarg, 0, 100000, &v))
			snprintf(boot, sizeof boot, "%ld", v);
		else if (c == OPT_FORCE)
			force = true;
		else if (c == OPT_QUIET)
			quiet = true;
		else
			return c == '?' ? dlld_cli_usage_error("bad option") : DLLD_STATUS_USAGE;
	}
	if (optind < argc)
		return dlld_cli_usage_error("unexpected argument '%s'", argv[optind]);
	dlld_cli_setup(argv[0], quiet);
	if (!dlld_path_is_dir(model)) {
		fprintf(stderr, "dlld demo: error: %s: model folder not found (see --model)\n", model);
		return DLLD_STATUS_NOT_FOUND;
	}
	if (!force && dlld_path_exists(dir))
		return dlld_cli_check_output(dir, false);
	snprintf(cohort, sizeof cohort, "%s/cohort", dir);
	snprintf(detect, sizeof detect, "%s/detect", dir);
	snprintf(eval, sizeof eval, "%s/eval", dir);
	snprintf(report, sizeof report, "%s/report", dir);
	snprintf(detections, sizeof detections, "%s/detections.csv", detect);
	snprintf(marks, sizeof marks, "%s/marks.csv", eval);
	snprintf(readers, sizeof readers, "%s/readers.csv", eval);
	snprintf(json, sizeof json, "%s/results.json", report);
	snprintf(md, sizeof md, "%s/report.md", report);
	snprintf(plots, sizeof plots, "%s/plots", report);
	dlld_error_clear(&err);
	if (dlld_mkdir_p(eval, &err) || dlld_mkdir_p(report, &err))
		return dlld_cli_fail(&err);
	{
		char *q = quiet ? "--quiet" : NULL;
		char *synth[] = {"synth", "--preset", "validation", "--patients", patients, "--size",
				 "256", "--seed", seed, "-o", cohort, "--force", q, NULL};
		char *det[] = {"detect", "--model", model, "-o", detect, cohort, q, NULL};
		char *match[] = {"match", "--truth", cohort, "--detections", detections, "-o", marks,
				 "--eval-dir", eval, "--force", q, NULL};
		char *ev[] = {"eval", "--study", eval, "--json", json, "--report", md, "--plots",
			      plots, "--bootstrap", boot, "--force", q, NULL};
		static const char readers_csv[] = "reader,group,threshold\nAI,AI,50\n";

		if ((rc = step("1/4 synthetic validation cohort", dlld_cmd_synth, synth, quiet)) ||
		    (rc = step("2/4 detection with the shipped model", dlld_cmd_detect, det, quiet)) ||
		    (rc = step("3/4 matching detections to the truth", dlld_cmd_match, match, quiet)))
			return rc;
		if (dlld_write_file_atomic(readers, readers_csv, sizeof readers_csv - 1, &err))
			return dlld_cli_fail(&err);
		if ((rc = step("4/4 evaluation", dlld_cmd_eval, ev, quiet)))
			return rc;
	}
	printf("DLLD demo finished in %s:\n"
	       "  report      %s\n"
	       "  results     %s\n"
	       "  plots       %s/\n"
	       "  detections  %s (overlays: %s/<patient>/overlay_L<n>.png)\n",
	       dir, md, json, plots, detections, detect);
	return 0;
}

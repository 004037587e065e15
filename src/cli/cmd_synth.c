/* cli/cmd_synth.c — `dlld synth`: write a synthetic portal-venous CT cohort
 * (docs/synth.md). */
#include "cli/cli.h"
#include "dlld/synth.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>

static const char synth_help[] =
	"usage: dlld synth -o COHORT [options]\n"
	"\n"
	"Writes a synthetic portal-venous abdominal CT cohort with ground truth:\n"
	"COHORT/cases.csv, COHORT/lesions.csv and per patient ct.nii.gz (int16 HU),\n"
	"lesions.nii.gz (instance mask), liver.nii.gz and vessels.nii.gz (1 portal,\n"
	"2 hepatic veins). The same seed gives identical files.\n"
	"\n"
	"  -o, --output COHORT      cohort folder (refused if not empty, see --force)\n"
	"      --preset NAME        validation (85 patients: 40 with 99 metastases, 229\n"
	"                           cysts, 21 hemangiomas; default), training (502\n"
	"                           patients, 612:990:153 lesions), small (4 patients,\n"
	"                           128x128, for tests)\n"
	"      --patients N         number of patients (lesion counts scale with N)\n"
	"      --seed S             random seed (default 1)\n"
	"      --size N             in-plane matrix, 32-2048 (default 512; small: 128)\n"
	"      --slice-thickness MM contiguous slice thickness, 0.5-10 (default 5)\n"
	"      --dicom              also write COHORT/<patient>/dicom/ (one CT series)\n"
	"      --threads N          worker threads (default: all CPUs)\n"
	"      --force              write into a non-empty COHORT\n"
	"      --quiet              no progress line\n"
	"  -h, --help               this text\n"
	"\n"
	"Exit codes: 0 ok, 1 usage, 5 cannot write, 6 out of memory.\n";

/* True when path exists and is not an empty folder. */
static bool occupied(const char *path)
{
	DIR *d;
	struct dirent *e;
	bool any = false;

	if (!dlld_path_exists(path))
		return false;
	d = opendir(path);
	if (!d)
		return true;
	while (!any && (e = readdir(d)) != NULL)
		any = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return any;
}

enum { OPT_PRESET = 256, OPT_PATIENTS, OPT_SEED, OPT_SIZE, OPT_THICKNESS, OPT_DICOM,
       OPT_THREADS, OPT_FORCE, OPT_QUIET };

static const struct option synth_options[] = {
	{"output", required_argument, NULL, 'o'},
	{"preset", required_argument, NULL, OPT_PRESET},
	{"patients", required_argument, NULL, OPT_PATIENTS},
	{"seed", required_argument, NULL, OPT_SEED},
	{"size", required_argument, NULL, OPT_SIZE},
	{"slice-thickness", required_argument, NULL, OPT_THICKNESS},
	{"dicom", no_argument, NULL, OPT_DICOM},
	{"threads", required_argument, NULL, OPT_THREADS},
	{"force", no_argument, NULL, OPT_FORCE},
	{"quiet", no_argument, NULL, OPT_QUIET},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* Parses one option into o; returns false after printing a usage error. */
static bool parse_option(int c, const char *arg, struct dlld_synth_options *o)
{
	long v;

	switch (c) {
	case OPT_PRESET:
		if (dlld_synth_preset_parse(arg, &o->preset))
			return true;
		dlld_cli_usage_error("--preset: unknown preset '%s' (validation, training, small)",
				     arg);
		return false;
	case OPT_PATIENTS:
		if (!dlld_cli_long("--patients", arg, 1, 100000, &v))
			return false;
		o->n_patients = v;
		return true;
	case OPT_SEED:
		return dlld_cli_u64("--seed", arg, &o->seed);
	case OPT_SIZE:
		if (!dlld_cli_long("--size", arg, 32, 2048, &v))
			return false;
		o->matrix = (int32_t)v;
		return true;
	case OPT_THICKNESS:
		return dlld_cli_double("--slice-thickness", arg, 0.5, 10.0, &o->slice_thickness_mm);
	case OPT_THREADS:
		if (!dlld_cli_long("--threads", arg, 1, 256, &v))
			return false;
		o->threads = (int)v;
		return true;
	default:
		return false;
	}
}

int dlld_cmd_synth(int argc, char **argv)
{
	struct dlld_synth_options opts;
	struct dlld_synth_plan *plan = NULL;
	struct dlld_error err;
	const char *out = NULL;
	bool force = false, quiet = false;
	int c, rc;

	dlld_synth_options_default(&opts);
	dlld_error_clear(&err);
	dlld_cli_setup(argv[0], false);
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", synth_options, NULL)) != -1) {
		if (c == 'h')
			return dlld_cli_help(synth_help);
		if (c == 'o')
			out = optarg;
		else if (c == OPT_DICOM)
			opts.dicom = true;
		else if (c == OPT_FORCE)
			force = true;
		else if (c == OPT_QUIET)
			quiet = true;
		else if (c == '?' || !parse_option(c, optarg, &opts))
			return c == '?' ? dlld_cli_usage_error("bad option") : DLLD_STATUS_USAGE;
	}
	if (optind < argc)
		return dlld_cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (!out)
		return dlld_cli_usage_error("missing -o COHORT");
	dlld_cli_setup(argv[0], quiet);
	if (occupied(out) && (rc = dlld_cli_check_output(out, force)) != 0)
		return rc;
	if (dlld_synth_plan_create(&opts, &plan, &err))
		return dlld_cli_fail(&err);
	rc = dlld_synth_write_cohort(plan, out, &err) ? dlld_cli_fail(&err) : 0;
	if (rc == 0 && !quiet)
		fprintf(stderr, "dlld synth: wrote %s: %zu patients, %zu lesions\n", out,
			plan->n_patients, plan->n_lesions);
	dlld_synth_plan_destroy(plan);
	return rc;
}

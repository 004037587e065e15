/* cli/cmd_eval.c — `dlld eval`: reader-study statistics (DESIGN §7, docs/eval.md). */
#include "cli/cli.h"
#include "dlld/eval.h"

#include <stdio.h>
#include <string.h>

static const char help[] =
	"usage: dlld eval --cases F --lesions F --readers F --marks F [outputs] [options]\n"
	"       dlld eval --study DIR [outputs] [options]   (DIR/cases.csv, lesions.csv, ...)\n"
	"\n"
	"Evaluates the algorithm (first group of readers.csv) and human readers:\n"
	"per-lesion and per-patient sensitivity, specificity, false positives per\n"
	"patient (GEE, Wilson, Clopper-Pearson, logit and Poisson CIs), size subgroups,\n"
	"RJafroc figures of merit (AFROC, wAFROC, ...), FROC CPM, jackknife and\n"
	"stratified bootstrap CIs, GEE comparisons and Fleiss' kappa. See docs/eval.md.\n"
	"\n"
	"inputs:\n"
	"  --cases F        patient_id,diseased\n"
	"  --lesions F      patient_id,lesion_id,diameter_mm   (target lesions)\n"
	"  --readers F      reader,group,threshold   (first row's group = the algorithm)\n"
	"  --marks F        reader,patient_id,lesion_id,rating[,positive]  (empty lesion_id = NL)\n"
	"  --study DIR      the four files above in DIR\n"
	"outputs (without any, a summary goes to stdout):\n"
	"  --json F         every result, full precision, schema in docs/eval-json.md\n"
	"  --report F.md    markdown tables laid out like the paper's Tables 2-5\n"
	"  --plots DIR      AFROC and FROC curves per reader and group (SVG, PNG, CSV)\n"
	"  --force          overwrite existing outputs\n"
	"options:\n"
	"  --bootstrap B    patient resamples, stratified normal/diseased (default 1000; 0 = none)\n"
	"  --seed S         bootstrap seed (default 1)\n"
	"  --bootstrap-indices F  replay resamples: replicate,slot1..slotK of patient ids,\n"
	"                   normal patients first (overrides --bootstrap/--seed)\n"
	"  --decimals N     decimals of percentages in the report (default 1)\n"
	"  --threads N      worker threads (default: all CPUs)\n"
	"  --quiet          no progress or info messages\n"
	"  --help           this text\n"
	"exit codes: 0 ok, 1 usage, 2 input not found, 3 malformed input,\n"
	"4 inconsistent input (e.g. marks for unknown patients), 5 cannot write, 6 memory\n";

enum opt_id {
	OPT_CASES = 'c',
	OPT_LESIONS = 'l',
	OPT_READERS = 'r',
	OPT_MARKS = 'm',
	OPT_STUDY = 's',
	OPT_JSON = 'j',
	OPT_REPORT = 'o',
	OPT_PLOTS = 'p',
	OPT_FORCE = 'f',
	OPT_BOOT = 'b',
	OPT_SEED = 'S',
	OPT_INDICES = 'i',
	OPT_DECIMALS = 'd',
	OPT_THREADS = 't',
	OPT_QUIET = 'q',
	OPT_HELP = 'h',
};

static const struct option options[] = {
	{"cases", required_argument, NULL, OPT_CASES},
	{"lesions", required_argument, NULL, OPT_LESIONS},
	{"readers", required_argument, NULL, OPT_READERS},
	{"marks", required_argument, NULL, OPT_MARKS},
	{"study", required_argument, NULL, OPT_STUDY},
	{"json", required_argument, NULL, OPT_JSON},
	{"report", required_argument, NULL, OPT_REPORT},
	{"plots", required_argument, NULL, OPT_PLOTS},
	{"force", no_argument, NULL, OPT_FORCE},
	{"bootstrap", required_argument, NULL, OPT_BOOT},
	{"seed", required_argument, NULL, OPT_SEED},
	{"bootstrap-indices", required_argument, NULL, OPT_INDICES},
	{"decimals", required_argument, NULL, OPT_DECIMALS},
	{"threads", required_argument, NULL, OPT_THREADS},
	{"quiet", no_argument, NULL, OPT_QUIET},
	{"help", no_argument, NULL, OPT_HELP},
	{NULL, 0, NULL, 0},
};

struct eval_args {
	struct dlld_eval_inputs in;
	struct dlld_eval_options opt;
	char study_paths[4][1024];
	const char *study, *json, *report, *plots;
	long decimals;
	bool force, quiet;
};

/* Parses argv into a; returns -1 to go on, else the exit code. */
static int parse(int argc, char **argv, struct eval_args *a)
{
	long v;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case OPT_CASES: a->in.cases = optarg; break;
		case OPT_LESIONS: a->in.lesions = optarg; break;
		case OPT_READERS: a->in.readers = optarg; break;
		case OPT_MARKS: a->in.marks = optarg; break;
		case OPT_STUDY: a->study = optarg; break;
		case OPT_JSON: a->json = optarg; break;
		case OPT_REPORT: a->report = optarg; break;
		case OPT_PLOTS: a->plots = optarg; break;
		case OPT_FORCE: a->force = true; break;
		case OPT_QUIET: a->quiet = true; break;
		case OPT_INDICES: a->opt.bootstrap_indices = optarg; break;
		case OPT_BOOT:
			if (!dlld_cli_long("--bootstrap", optarg, 0, 10000000, &a->opt.bootstrap_replicates))
				return DLLD_STATUS_USAGE;
			break;
		case OPT_SEED:
			if (!dlld_cli_u64("--seed", optarg, &a->opt.seed))
				return DLLD_STATUS_USAGE;
			break;
		case OPT_DECIMALS:
			if (!dlld_cli_long("--decimals", optarg, 0, 6, &a->decimals))
				return DLLD_STATUS_USAGE;
			break;
		case OPT_THREADS:
			if (!dlld_cli_long("--threads", optarg, 1, 1024, &v))
				return DLLD_STATUS_USAGE;
			a->opt.threads = (int)v;
			break;
		case OPT_HELP: return dlld_cli_help(help);
		default: return dlld_cli_usage_error("unknown option");
		}
	}
	if (optind < argc)
		return dlld_cli_usage_error("unexpected argument '%s'", argv[optind]);
	return -1;
}

/* Fills the input paths from --study DIR where not given one by one. */
static int resolve_inputs(struct eval_args *a)
{
	static const char *const names[4] = {"cases", "lesions", "readers", "marks"};
	const char **slots[4] = {&a->in.cases, &a->in.lesions, &a->in.readers, &a->in.marks};

	for (int i = 0; i < 4; i++) {
		if (!*slots[i] && a->study) {
			snprintf(a->study_paths[i], sizeof a->study_paths[i], "%s/%s.csv", a->study,
				 names[i]);
			*slots[i] = a->study_paths[i];
		}
		if (!*slots[i])
			return dlld_cli_usage_error("--%s (or --study DIR) is required", names[i]);
	}
	return -1;
}

static void print_summary(const struct dlld_eval_result *r)
{
	printf("%zu patients (%zu normal, %zu diseased), %zu lesions\n", r->n_patients,
	       r->n_normal, r->n_diseased, r->n_lesions);
	printf("%-16s %-14s %14s %10s %9s %9s\n", "reader", "group", "lesion sens", "FPP",
	       "AFROC", "wAFROC");
	for (size_t i = 0; i < r->n_readers; i++) {
		const struct dlld_eval_reader_result *x = &r->readers[i];
		printf("%-16s %-14s %7ld/%-6ld %10.3f %9.4f %9.4f\n", x->name,
		       r->groups[x->group].name, x->lesion_sensitivity.x, x->lesion_sensitivity.n,
		       x->fpp.mean, x->fom[DLLD_EVAL_FOM_AFROC], x->fom[DLLD_EVAL_FOM_WAFROC]);
	}
}

static enum dlld_status write_outputs(const struct eval_args *a, const struct dlld_eval_result *r,
				      struct dlld_error *err)
{
	enum dlld_status st = DLLD_STATUS_OK;
	if (a->json && !st)
		st = dlld_eval_write_json(r, a->json, err);
	if (a->report && !st)
		st = dlld_eval_write_report(r, a->report, (int)a->decimals, err);
	if (a->plots && !st)
		st = dlld_eval_write_plots(r, a->plots, err);
	if (!a->json && !a->report && !a->plots)
		print_summary(r);
	return st;
}

int dlld_cmd_eval(int argc, char **argv)
{
	struct eval_args a = {.decimals = 1};
	struct dlld_eval_study *study = NULL;
	struct dlld_eval_result *result = NULL;
	struct dlld_error err;
	int rc;

	dlld_eval_options_default(&a.opt);
	if ((rc = parse(argc, argv, &a)) >= 0 || (rc = resolve_inputs(&a)) >= 0)
		return rc;
	dlld_cli_setup("eval", a.quiet);
	if ((a.json && (rc = dlld_cli_check_output(a.json, a.force))) ||
	    (a.report && (rc = dlld_cli_check_output(a.report, a.force))) ||
	    (a.plots && (rc = dlld_cli_check_output(a.plots, a.force))))
		return rc;
	dlld_error_clear(&err);
	double t0 = dlld_time_now();
	if (dlld_eval_study_load(&a.in, &study, &err) || dlld_eval_run(study, &a.opt, &result, &err) ||
	    write_outputs(&a, result, &err)) {
		rc = dlld_cli_fail(&err);
	} else {
		if (!a.quiet)
			dlld_log(DLLD_LOG_LEVEL_INFO, "evaluated %zu readers in %.3f s",
				 result->n_readers, dlld_time_now() - t0);
		rc = 0;
	}
	dlld_eval_result_destroy(result);
	dlld_eval_study_destroy(study);
	return rc;
}

/* cli/cmd_train.c — `dlld train`: train the detector on cohorts (docs/training.md). */
#include "cli/cli.h"
#include "dlld/detect.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char train_help[] =
	"usage: dlld train --data COHORT[,COHORT2...] --cfg CFG -o MODEL [options]\n"
	"\n"
	"Trains a YOLOv3-family detector (darknet cfg, 3 classes: metastasis, cyst,\n"
	"hemangioma) on the axial slices of cohort directories (DESIGN section 4)\n"
	"and writes the model directory MODEL (net.cfg, weights, model.json) with\n"
	"MODEL/checkpoint/, MODEL/train_log.csv and MODEL/train_curves.png.\n"
	"Ctrl-C writes a checkpoint first; --resume continues it exactly.\n"
	"\n"
	"  --data LIST            cohort folders, comma-separated\n"
	"  --cfg CFG              darknet cfg (e.g. models/dlld-tiny.cfg)\n"
	"  -o, --output MODEL     model folder\n"
	"  --epochs N             passes over the training slices (default: the cfg's\n"
	"                         max_batches iterations)\n"
	"  --iterations N         exact number of iterations (overrides --epochs)\n"
	"  --resume               continue MODEL/checkpoint\n"
	"  --seed S               random seed (default 1)\n"
	"  --init WEIGHTS         start from darknet or DLLD weights (transfer learning)\n"
	"  --init-layers N        take only the first N layers of --init\n"
	"  --size N               network input, pixels (default 416; a multiple of 32)\n"
	"  --pixel-mm MM          in-plane resolution of the input (default 0.8)\n"
	"  --window W/L           HU window (default 350/60)\n"
	"  --val-fraction F       patients held out for validation (default 0.1)\n"
	"  --checkpoint-every N   iterations between checkpoints (default 100)\n"
	"  --validate-every N     iterations between validation passes (default 200)\n"
	"  --cosine               cosine learning-rate decay instead of the cfg's policy\n"
	"  --threads N            compute threads (default: all CPUs)\n"
	"  --force                overwrite an existing MODEL\n"
	"  --quiet                no progress line\n"
	"  -h, --help             this text\n"
	"\n"
	"Exit codes: 0 ok, 1 usage, 2 not found, 3 malformed, 4 inconsistent, 5 write, 6 memory.\n";

enum { OPT_DATA = 256, OPT_CFG, OPT_EPOCHS, OPT_ITER, OPT_RESUME, OPT_SEED, OPT_INIT,
       OPT_INIT_LAYERS, OPT_SIZE, OPT_PIXEL, OPT_WINDOW, OPT_VAL, OPT_CKPT, OPT_VALIDATE,
       OPT_COSINE, OPT_THREADS, OPT_FORCE, OPT_QUIET };

static const struct option train_options[] = {
	{"data", required_argument, NULL, OPT_DATA},
	{"cfg", required_argument, NULL, OPT_CFG},
	{"output", required_argument, NULL, 'o'},
	{"epochs", required_argument, NULL, OPT_EPOCHS},
	{"iterations", required_argument, NULL, OPT_ITER},
	{"resume", no_argument, NULL, OPT_RESUME},
	{"seed", required_argument, NULL, OPT_SEED},
	{"init", required_argument, NULL, OPT_INIT},
	{"init-layers", required_argument, NULL, OPT_INIT_LAYERS},
	{"size", required_argument, NULL, OPT_SIZE},
	{"pixel-mm", required_argument, NULL, OPT_PIXEL},
	{"window", required_argument, NULL, OPT_WINDOW},
	{"val-fraction", required_argument, NULL, OPT_VAL},
	{"checkpoint-every", required_argument, NULL, OPT_CKPT},
	{"validate-every", required_argument, NULL, OPT_VALIDATE},
	{"cosine", no_argument, NULL, OPT_COSINE},
	{"threads", required_argument, NULL, OPT_THREADS},
	{"force", no_argument, NULL, OPT_FORCE},
	{"quiet", no_argument, NULL, OPT_QUIET},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Parses "W/L" into every window of spec. */
static bool parse_window(const char *arg, struct dlld_input_spec *spec)
{
	float w, l;

	if (!dlld_ct_parse_window(arg, &w, &l)) {
		dlld_cli_usage_error("--window: '%s' is not W/L (e.g. 350/60)", arg);
		return false;
	}
	for (int c = 0; c < DLLD_MAX_CHANNELS; c++) {
		spec->window_width[c] = w;
		spec->window_level[c] = l;
	}
	return true;
}

/* Parses one valued option into o. */
static bool parse_option(int c, const char *arg, struct dlld_train_options *o)
{
	long v;

	switch (c) {
	case OPT_EPOCHS:
		return dlld_cli_double("--epochs", arg, 1e-3, 1e6, &o->epochs);
	case OPT_ITER:
		return dlld_cli_long("--iterations", arg, 1, 100000000, &o->iterations);
	case OPT_SEED:
		return dlld_cli_u64("--seed", arg, &o->seed);
	case OPT_INIT_LAYERS:
		if (!dlld_cli_long("--init-layers", arg, 1, 100000, &v))
			return false;
		o->init_layers = (int)v;
		return true;
	case OPT_SIZE:
		if (!dlld_cli_long("--size", arg, 32, 2048, &v))
			return false;
		if (v % 32)
			return dlld_cli_usage_error("--size: %ld is not a multiple of 32", v), false;
		o->data.spec.size = (int)v;
		return true;
	case OPT_PIXEL:
		return dlld_cli_double("--pixel-mm", arg, 0.1, 10.0, &o->data.spec.pixel_mm);
	case OPT_WINDOW:
		return parse_window(arg, &o->data.spec);
	case OPT_VAL:
		return dlld_cli_double("--val-fraction", arg, 0.0, 0.9, &o->val_fraction);
	case OPT_CKPT:
		if (!dlld_cli_long("--checkpoint-every", arg, 0, 100000000, &v))
			return false;
		o->checkpoint_every = (int)v;
		return true;
	case OPT_VALIDATE:
		if (!dlld_cli_long("--validate-every", arg, 0, 100000000, &v))
			return false;
		o->validate_every = (int)v;
		return true;
	case OPT_THREADS:
		if (!dlld_cli_long("--threads", arg, 1, 256, &v))
			return false;
		o->threads = (int)v;
		return true;
	default:
		return false;
	}
}

/* Reads every cohort of the comma-separated list. Fills cohorts[*n]. */
static int read_cohorts(const char *list, struct dlld_cohort **cohorts, size_t max, size_t *n)
{
	char buf[4096];
	struct dlld_error err;

	*n = 0;
	snprintf(buf, sizeof buf, "%s", list);
	for (char *save = NULL, *dir = strtok_r(buf, ",", &save); dir;
	     dir = strtok_r(NULL, ",", &save)) {
		if (*n == max)
			return dlld_cli_usage_error("--data: more than %zu cohorts", max);
		dlld_error_clear(&err);
		if (dlld_cohort_read(dir, &cohorts[*n], &err))
			return dlld_cli_fail(&err);
		(*n)++;
	}
	return *n ? 0 : dlld_cli_usage_error("--data: no cohort given");
}

int dlld_cmd_train(int argc, char **argv)
{
	struct dlld_train_options o;
	struct dlld_train_result r;
	struct dlld_cohort *cohorts[16] = {NULL};
	struct dlld_error err;
	const char *data = NULL;
	char json[1100];
	bool force = false, quiet = false;
	size_t n = 0;
	int c, rc;

	dlld_train_options_default(&o);
	dlld_error_clear(&err);
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", train_options, NULL)) != -1) {
		if (c == 'h')
			return dlld_cli_help(train_help);
		else if (c == 'o')
			o.model_dir = optarg;
		else if (c == OPT_DATA)
			data = optarg;
		else if (c == OPT_CFG)
			o.cfg_path = optarg;
		else if (c == OPT_INIT)
			o.init_weights = optarg;
		else if (c == OPT_RESUME)
			o.resume = true;
		else if (c == OPT_COSINE)
			o.cosine = true;
		else if (c == OPT_FORCE)
			force = true;
		else if (c == OPT_QUIET)
			quiet = true;
		else if (c == '?' || !parse_option(c, optarg, &o))
			return c == '?' ? dlld_cli_usage_error("bad option") : DLLD_STATUS_USAGE;
	}
	if (optind < argc)
		return dlld_cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (!data || !o.cfg_path || !o.model_dir)
		return dlld_cli_usage_error("--data, --cfg and -o MODEL are required");
	dlld_cli_setup(argv[0], quiet);
	snprintf(json, sizeof json, "%s/model.json", o.model_dir);
	if (!o.resume && (rc = dlld_cli_check_output(json, force)) != 0)
		return rc;
	if ((rc = read_cohorts(data, cohorts, sizeof cohorts / sizeof cohorts[0], &n)) != 0)
		goto done;
	o.data_description = data;
	o.stop = &interrupted;
	signal(SIGINT, on_interrupt);
	signal(SIGTERM, on_interrupt);
	rc = dlld_train((const struct dlld_cohort *const *)cohorts, n, &o, &r, &err)
		     ? dlld_cli_fail(&err)
		     : 0;
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (rc == 0 && r.stopped)
		fprintf(stderr, "dlld train: interrupted after iteration %ld; its model and checkpoint "
				"are in %s (continue with --resume)\n", r.iterations, o.model_dir);
	else if (rc == 0)
		fprintf(stderr, "dlld train: %ld iterations, loss %.4g, validation slice recall %.3f "
				"precision %.3f; model in %s\n", r.iterations, r.last_loss, r.val_recall,
			r.val_precision, o.model_dir);
done:
	for (size_t k = 0; k < n; k++)
		dlld_cohort_destroy(cohorts[k]);
	return rc;
}

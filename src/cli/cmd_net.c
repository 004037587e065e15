/* cli/cmd_net.c — `dlld net info|forward|init|convert`: the nn engine on
 * the command line (darknet-style summaries, raw float32 parity runs,
 * random and converted weights). Formats: docs/nn.md. */
#include "cli/cli.h"
#include "dlld/nn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char net_help[] =
	"usage: dlld net info CFG [--width W] [--height H] [--channels C] [--batch N] [--params]\n"
	"       dlld net forward --cfg CFG --weights W --input IN.f32 -o OUT.f32 [options]\n"
	"       dlld net init --cfg CFG -o WEIGHTS [--seed S] [--input IN.f32] [--format darknet|dlld]\n"
	"       dlld net convert --cfg CFG --weights W -o WEIGHTS --format darknet|dlld\n"
	"\n"
	"info     prints the layers as darknet does (index, kind, filters, size/stride,\n"
	"         input and output w x h x c, BFLOPs), then parameters, BFLOPs and the\n"
	"         network's memory for inference; --params adds a parameter column.\n"
	"forward  runs the network (batch norm folded) on IN.f32, raw float32\n"
	"         little-endian NCHW of the input shape, and writes every yolo layer's\n"
	"         output, one after the other in layer order, to OUT.f32 (--all-layers:\n"
	"         every layer's). Prints one line per tensor written: layer, kind,\n"
	"         NxCxHxW, float offset.\n"
	"init     writes random weights (docs/nn.md: dlld_net_init_weights); with\n"
	"         --input, batch norm statistics are set from that input.\n"
	"convert  rewrites weights in another format. Weights are read in either\n"
	"         format (recognised by content).\n"
	"\n"
	"  --cfg FILE           darknet cfg\n"
	"  --weights FILE       darknet .weights or DLLD weights\n"
	"  --input FILE         float32 input\n"
	"  -o, --output FILE    output file\n"
	"  --width W, --height H, --channels C   override [net]\n"
	"  --batch N            images per forward (default 1)\n"
	"  --threads N          worker threads (default: all cores)\n"
	"  --no-fold            keep batch norm unfolded\n"
	"  --all-layers         forward: write every layer's output\n"
	"  --seed S             init: random seed (default 1)\n"
	"  --format F           darknet (default for init) or dlld\n"
	"  --force              overwrite an existing output\n"
	"  --quiet              no progress line\n"
	"  -h, --help           this text\n"
	"\n"
	"Exit codes: 0 ok, 1 usage, 2 not found, 3 malformed cfg/weights/input,\n"
	"4 inconsistent (weights or input do not fit the cfg), 5 cannot write, 6 memory.\n";

struct net_args {
	const char *cfg, *weights, *input, *output;
	struct dlld_net_options opts;
	long threads;
	uint64_t seed;
	enum dlld_weights_format format;
	bool format_given, no_fold, all_layers, params, force, quiet;
};

enum { OPT_CFG = 256, OPT_WEIGHTS, OPT_INPUT, OPT_WIDTH, OPT_HEIGHT, OPT_CHANNELS, OPT_BATCH,
       OPT_THREADS, OPT_NO_FOLD, OPT_ALL_LAYERS, OPT_SEED, OPT_FORMAT, OPT_PARAMS, OPT_FORCE,
       OPT_QUIET };

static const struct option net_options[] = {
	{"cfg", required_argument, NULL, OPT_CFG},
	{"weights", required_argument, NULL, OPT_WEIGHTS},
	{"input", required_argument, NULL, OPT_INPUT},
	{"output", required_argument, NULL, 'o'},
	{"width", required_argument, NULL, OPT_WIDTH},
	{"height", required_argument, NULL, OPT_HEIGHT},
	{"channels", required_argument, NULL, OPT_CHANNELS},
	{"batch", required_argument, NULL, OPT_BATCH},
	{"threads", required_argument, NULL, OPT_THREADS},
	{"no-fold", no_argument, NULL, OPT_NO_FOLD},
	{"all-layers", no_argument, NULL, OPT_ALL_LAYERS},
	{"seed", required_argument, NULL, OPT_SEED},
	{"format", required_argument, NULL, OPT_FORMAT},
	{"params", no_argument, NULL, OPT_PARAMS},
	{"force", no_argument, NULL, OPT_FORCE},
	{"quiet", no_argument, NULL, OPT_QUIET},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static bool int_option(const char *name, const char *arg, long hi, int *out)
{
	long v;

	if (!dlld_cli_long(name, arg, 1, hi, &v))
		return false;
	*out = (int)v;
	return true;
}

static bool parse_format(const char *arg, struct net_args *a)
{
	for (int f = 0; f < DLLD_WEIGHTS_FORMAT_COUNT; f++)
		if (strcmp(arg, dlld_weights_format_name((enum dlld_weights_format)f)) == 0) {
			a->format = (enum dlld_weights_format)f;
			a->format_given = true;
			return true;
		}
	dlld_cli_usage_error("--format: '%s' is not darknet or dlld", arg);
	return false;
}

/* Parses one option c into a; false on a bad value (already reported). */
static bool take_option(int c, struct net_args *a)
{
	switch (c) {
	case OPT_CFG: a->cfg = optarg; return true;
	case OPT_WEIGHTS: a->weights = optarg; return true;
	case OPT_INPUT: a->input = optarg; return true;
	case 'o': a->output = optarg; return true;
	case OPT_WIDTH: return int_option("--width", optarg, 65536, &a->opts.width);
	case OPT_HEIGHT: return int_option("--height", optarg, 65536, &a->opts.height);
	case OPT_CHANNELS: return int_option("--channels", optarg, 4096, &a->opts.channels);
	case OPT_BATCH: return int_option("--batch", optarg, 4096, &a->opts.batch);
	case OPT_THREADS: return dlld_cli_long("--threads", optarg, 1, 1024, &a->threads);
	case OPT_NO_FOLD: a->no_fold = true; return true;
	case OPT_ALL_LAYERS: a->all_layers = true; return true;
	case OPT_SEED: return dlld_cli_u64("--seed", optarg, &a->seed);
	case OPT_FORMAT: return parse_format(optarg, a);
	case OPT_PARAMS: a->params = true; return true;
	case OPT_FORCE: a->force = true; return true;
	case OPT_QUIET: a->quiet = true; return true;
	default: dlld_cli_usage_error("bad option"); return false;
	}
}

/* Parses argv (after the subcommand); returns -1 to go on, else the code. */
static int parse_args(int argc, char **argv, struct net_args *a)
{
	int c;

	a->seed = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", net_options, NULL)) != -1) {
		if (c == 'h')
			return dlld_cli_help(net_help);
		if (!take_option(c, a))
			return DLLD_STATUS_USAGE;
	}
	if (!a->cfg && optind == argc - 1)
		a->cfg = argv[optind++];
	if (optind != argc)
		return dlld_cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (!a->cfg)
		return dlld_cli_usage_error("no cfg given");
	if (!a->opts.batch)
		a->opts.batch = 1; /* inference, as darknet's detector sets it */
	dlld_cli_setup("net", a->quiet);
	return -1;
}

static int need(const char *value, const char *option)
{
	return value ? -1 : dlld_cli_usage_error("%s is required", option);
}

static int net_info(struct net_args *a)
{
	struct dlld_network *net = NULL;
	struct dlld_error err;

	dlld_error_clear(&err);
	if (dlld_net_create_from_cfg(a->cfg, &a->opts, &net, &err))
		return dlld_cli_fail(&err);
	printf("layer     filters    size              input                output\n");
	for (int i = 0; i < dlld_net_layer_count(net); i++) {
		struct dlld_layer_info info;
		dlld_net_layer_info(net, i, &info);
		if (a->params)
			printf("%5d %-86s %10zu\n", i, info.summary, info.n_params);
		else
			printf("%5d %s\n", i, info.summary);
	}
	struct dlld_shape in = dlld_net_input_shape(net);
	printf("input %d x %d x %d x %d (NCHW); %zu parameters; %.3f BFLOPs per image; "
	       "inference memory %.1f MiB\n",
	       in.n, in.c, in.h, in.w, dlld_net_param_count(net), dlld_net_bflops(net),
	       (double)dlld_net_peak_memory(net) / (1024.0 * 1024.0));
	dlld_net_destroy(net);
	return 0;
}

/* Reads IN.f32, which must hold exactly n floats. */
static enum dlld_status read_input(const char *path, size_t n, float **out,
				   struct dlld_error *err)
{
	char *data = NULL;
	size_t size;
	enum dlld_status st = dlld_read_file(path, &data, &size, err);

	*out = NULL;
	if (st != DLLD_STATUS_OK)
		return st;
	if (size != n * sizeof(float)) {
		free(data);
		return dlld_error_set(err, DLLD_STATUS_INCONSISTENT, path,
				      "holds %zu bytes; the network input needs %zu floats (%zu bytes)",
				      size, n, n * sizeof(float));
	}
	*out = (float *)dlld_alloc_aligned(n + 1, sizeof(float), "input", err);
	if (*out)
		memcpy(*out, data, size);
	free(data);
	return *out ? DLLD_STATUS_OK : DLLD_STATUS_NO_MEMORY;
}

/* Writes the chosen layers' outputs to the open file, listing them. */
static bool write_outputs(struct dlld_network *net, bool all, FILE *fp)
{
	size_t offset = 0;

	for (int i = 0; i < dlld_net_layer_count(net); i++) {
		struct dlld_layer_info info;
		struct dlld_shape s;
		const float *y;
		dlld_net_layer_info(net, i, &info);
		if (!all && info.kind != DLLD_LAYER_KIND_YOLO)
			continue;
		y = dlld_net_output(net, i, &s);
		if (fwrite(y, sizeof(float), dlld_shape_count(s), fp) != dlld_shape_count(s))
			return false;
		printf("layer %d %s %dx%dx%dx%d offset %zu\n", i, dlld_layer_kind_name(info.kind),
		       s.n, s.c, s.h, s.w, offset);
		offset += dlld_shape_count(s);
	}
	return true;
}

static int net_forward(struct net_args *a)
{
	struct dlld_network *net = NULL;
	struct dlld_pool *pool = NULL;
	struct dlld_atomic_file af;
	struct dlld_error err;
	float *input = NULL;
	int code = need(a->weights, "--weights");

	if (code < 0)
		code = need(a->input, "--input");
	if (code < 0)
		code = need(a->output, "-o");
	if (code >= 0)
		return code;
	if (dlld_cli_check_output(a->output, a->force))
		return DLLD_STATUS_WRITE;
	dlld_error_clear(&err);
	a->opts.keep_outputs = a->all_layers;
	if (dlld_net_create_from_cfg(a->cfg, &a->opts, &net, &err) ||
	    dlld_net_load_weights(net, a->weights, 0, &err) ||
	    read_input(a->input, dlld_shape_count(dlld_net_input_shape(net)), &input, &err) ||
	    !(pool = dlld_pool_create((int)a->threads, &err)))
		goto fail;
	if (!a->no_fold)
		dlld_net_fold_batchnorm(net);
	if (dlld_net_pack_weights(net, &err))
		goto fail;
	dlld_net_forward(net, pool, input);
	if (dlld_atomic_open(&af, a->output, &err))
		goto fail;
	if (!write_outputs(net, a->all_layers, af.fp)) {
		dlld_atomic_abort(&af);
		dlld_error_set(&err, DLLD_STATUS_WRITE, a->output, "write failed");
		goto fail;
	}
	if (dlld_atomic_commit(&af, &err))
		goto fail;
	code = 0;
	goto out;
fail:
	code = dlld_cli_fail(&err);
out:
	dlld_free_aligned(input);
	dlld_pool_destroy(pool);
	dlld_net_destroy(net);
	return code;
}

/* init --input: batch norm statistics from that input. Returns the exit code. */
static int calibrate(struct dlld_network *net, const char *path, struct dlld_error *err)
{
	float *input = NULL;

	if (read_input(path, dlld_shape_count(dlld_net_input_shape(net)), &input, err))
		return dlld_cli_fail(err);
	dlld_net_calibrate_batchnorm(net, NULL, input);
	dlld_free_aligned(input);
	return 0;
}

/* init (random) and convert (load, then save in a->format). */
static int net_write_weights(struct net_args *a, bool random)
{
	struct dlld_network *net = NULL;
	struct dlld_error err;
	int code = need(a->output, "-o");

	if (code < 0 && !random)
		code = need(a->weights, "--weights");
	if (code < 0 && !random && !a->format_given)
		code = dlld_cli_usage_error("--format is required");
	if (code >= 0)
		return code;
	if (dlld_cli_check_output(a->output, a->force))
		return DLLD_STATUS_WRITE;
	dlld_error_clear(&err);
	code = 0;
	if (dlld_net_create_from_cfg(a->cfg, &a->opts, &net, &err))
		code = dlld_cli_fail(&err);
	if (!code && random)
		dlld_net_init_weights(net, a->seed);
	if (!code && random && a->input)
		code = calibrate(net, a->input, &err);
	if (!code && !random && dlld_net_load_weights(net, a->weights, 0, &err))
		code = dlld_cli_fail(&err);
	if (!code && dlld_net_save_weights(net, a->output, a->format, &err))
		code = dlld_cli_fail(&err);
	dlld_net_destroy(net);
	return code;
}

static int net_init(struct net_args *a)
{
	return net_write_weights(a, true);
}

static int net_convert(struct net_args *a)
{
	return net_write_weights(a, false);
}

static const struct {
	const char *name;
	int (*run)(struct net_args *a);
} subcommands[] = {
	{"info", net_info},
	{"forward", net_forward},
	{"init", net_init},
	{"convert", net_convert},
};

int dlld_cmd_net(int argc, char **argv)
{
	struct net_args a;
	int code;

	memset(&a, 0, sizeof a);
	if (argc < 2)
		return dlld_cli_usage_error("no subcommand (info, forward, init, convert)");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		return dlld_cli_help(net_help);
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++) {
		if (strcmp(argv[1], subcommands[i].name) != 0)
			continue;
		code = parse_args(argc - 1, argv + 1, &a);
		return code >= 0 ? code : subcommands[i].run(&a);
	}
	return dlld_cli_usage_error("unknown subcommand '%s'", argv[1]);
}

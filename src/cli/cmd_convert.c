/* cli/cmd_convert.c — `dlld convert PATH -o OUT.nii.gz` (DICOM or NIfTI →
 * NIfTI in HU) and `--png DIR` (windowed axial slices). */
#include "cli/cli.h"
#include "dlld/ct.h"
#include "dlld/image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char convert_help[] =
	"usage: dlld convert PATH (-o OUT.nii[.gz] | --png DIR) [options]\n"
	"\n"
	"Reads a CT study (DICOM folder or file, or NIfTI) in Hounsfield units and\n"
	"writes it as NIfTI (RAS sform and qform, int16 HU by default) and/or as\n"
	"windowed 8-bit PNG slices DIR/slice_0000.png ... (slice 0 = lowest along\n"
	"the slice normal, i.e. the most inferior for axial CT; image rows top to\n"
	"bottom = DICOM rows). Outputs are written atomically.\n"
	"\n"
	"  -o, --output FILE   NIfTI output (.nii or .nii.gz)\n"
	"      --float         store float32 instead of int16 (rounded, clamped)\n"
	"      --png DIR       write windowed PNG slices into DIR\n"
	"      --window W/L    PNG window width/level in HU (default 400/40)\n"
	"      --series UID    DICOM series to read (default: automatic choice)\n"
	"      --allow-tilt    resample a gantry-tilted series onto an orthogonal grid\n"
	"      --allow-uneven  resample uneven slice steps to the median step\n"
	"      --force         overwrite existing outputs\n"
	"      --quiet         no progress line\n"
	"  -h, --help          this text\n"
	"\n"
	"Exit codes: 0 ok, 1 usage, 2 not found, 3 malformed input, 4 inconsistent\n"
	"series (tilt, uneven spacing, mixed sizes...), 5 cannot write, 6 out of memory.\n";

struct convert_options {
	const char *input, *output, *png_dir;
	bool as_float, force, quiet;
	float width, level;
	struct dlld_ct_load_options load;
};

/* Writes every slice as DIR/slice_NNNN.png. */
static enum dlld_status write_pngs(const struct dlld_volume *v, const struct convert_options *o,
				   struct dlld_error *err)
{
	size_t plane = (size_t)v->geom.dims[0] * (size_t)v->geom.dims[1];
	uint8_t *gray = dlld_calloc(plane, 1, "PNG slice", err);
	struct dlld_progress progress;
	enum dlld_status st;

	if (!gray)
		return err->status;
	st = dlld_mkdir_p(o->png_dir, err);
	dlld_progress_begin(&progress, "writing PNG", "slices", (uint64_t)v->geom.dims[2]);
	for (int32_t k = 0; k < v->geom.dims[2] && !st; k++) {
		char path[1200];
		snprintf(path, sizeof path, "%s/slice_%04d.png", o->png_dir, k);
		if (!o->force && dlld_path_exists(path))
			st = dlld_error_set(err, DLLD_STATUS_WRITE, path,
					    "exists; not overwriting it (use --force)");
		if (!st) {
			dlld_ct_window_slice_u8(v, k, o->width, o->level, gray);
			st = dlld_png_write_gray(path, v->geom.dims[0], v->geom.dims[1], gray, err);
		}
		dlld_progress_update(&progress, (uint64_t)k + 1);
	}
	dlld_progress_end(&progress);
	free(gray);
	return st;
}

enum { OPT_FLOAT = 256, OPT_PNG, OPT_WINDOW, OPT_SERIES, OPT_ALLOW_TILT, OPT_ALLOW_UNEVEN,
       OPT_FORCE, OPT_QUIET };

static const struct option convert_options_table[] = {
	{"output", required_argument, NULL, 'o'},
	{"float", no_argument, NULL, OPT_FLOAT},
	{"png", required_argument, NULL, OPT_PNG},
	{"window", required_argument, NULL, OPT_WINDOW},
	{"series", required_argument, NULL, OPT_SERIES},
	{"allow-tilt", no_argument, NULL, OPT_ALLOW_TILT},
	{"allow-uneven", no_argument, NULL, OPT_ALLOW_UNEVEN},
	{"force", no_argument, NULL, OPT_FORCE},
	{"quiet", no_argument, NULL, OPT_QUIET},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* Parses argv into o; returns -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, struct convert_options *o)
{
	int c;

	o->width = 400.0f;
	o->level = 40.0f;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", convert_options_table, NULL)) != -1) {
		switch (c) {
		case 'o': o->output = optarg; break;
		case OPT_FLOAT: o->as_float = true; break;
		case OPT_PNG: o->png_dir = optarg; break;
		case OPT_WINDOW:
			if (!dlld_ct_parse_window(optarg, &o->width, &o->level))
				return dlld_cli_usage_error("--window: '%s' is not W/L (e.g. 400/40)", optarg);
			break;
		case OPT_SERIES: o->load.series_uid = optarg; break;
		case OPT_ALLOW_TILT: o->load.allow_tilt = true; break;
		case OPT_ALLOW_UNEVEN: o->load.allow_uneven = true; break;
		case OPT_FORCE: o->force = true; break;
		case OPT_QUIET: o->quiet = true; break;
		case 'h': return dlld_cli_help(convert_help);
		default: return dlld_cli_usage_error("bad option");
		}
	}
	if (optind != argc - 1)
		return dlld_cli_usage_error(optind >= argc ? "no PATH given" : "one PATH only");
	o->input = argv[optind];
	if (!o->output && !o->png_dir)
		return dlld_cli_usage_error("nothing to write: give -o FILE.nii[.gz] and/or --png DIR");
	if (o->output && !dlld_ct_path_is_nifti(o->output))
		return dlld_cli_usage_error("-o: '%s' must end in .nii or .nii.gz", o->output);
	return -1;
}

int dlld_cmd_convert(int argc, char **argv)
{
	struct convert_options o = {0};
	struct dlld_volume *v = NULL;
	struct dlld_error err;
	int code = parse_args(argc, argv, &o);

	if (code >= 0)
		return code;
	dlld_cli_setup("convert", o.quiet);
	if (o.output && dlld_cli_check_output(o.output, o.force))
		return DLLD_STATUS_WRITE;
	dlld_error_clear(&err);
	if (dlld_ct_load(o.input, &o.load, &v, &err))
		return dlld_cli_fail(&err);
	if (o.output &&
	    dlld_nifti_write_volume(v, o.output,
				    o.as_float ? DLLD_NIFTI_TYPE_FLOAT32 : DLLD_NIFTI_TYPE_INT16, &err)) {
		dlld_volume_destroy(v);
		return dlld_cli_fail(&err);
	}
	if (o.png_dir && write_pngs(v, &o, &err)) {
		dlld_volume_destroy(v);
		return dlld_cli_fail(&err);
	}
	if (!o.quiet)
		fprintf(stderr, "dlld convert: %s: %d x %d x %d voxels%s%s%s%s\n", o.input,
			v->geom.dims[0], v->geom.dims[1], v->geom.dims[2], o.output ? " → " : "",
			o.output ? o.output : "", o.png_dir ? " → PNG " : "",
			o.png_dir ? o.png_dir : "");
	dlld_volume_destroy(v);
	return 0;
}

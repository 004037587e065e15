/* cli/cmd_info.c — `dlld info PATH...`: the series a DICOM folder holds, or
 * a NIfTI volume: geometry, HU range, provenance; text or --json. */
#include "cli/cli.h"
#include "dlld/ct.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char info_help[] =
	"usage: dlld info [options] PATH...\n"
	"\n"
	"Describes each PATH: a DICOM folder (scanned recursively; every series is\n"
	"listed, the one `dlld convert` would pick is marked [auto]), a DICOM file,\n"
	"or a NIfTI volume (.nii, .nii.gz): size, spacing, voxel→LPS affine, slice\n"
	"steps, gantry tilt, HU range and provenance.\n"
	"\n"
	"      --json          one JSON document on stdout\n"
	"      --series UID    only this DICOM series\n"
	"      --allow-tilt    load tilted series (resampled) for their HU range\n"
	"      --allow-uneven  load series with uneven slice steps (resampled)\n"
	"      --quiet         no progress line\n"
	"  -h, --help          this text\n"
	"\n"
	"Exit codes: 0 ok, 1 usage, 2 not found, 3 malformed, 4 inconsistent (the\n"
	"first failing PATH decides; the others are still described).\n";

struct info_options {
	bool json, quiet;
	struct dlld_ct_load_options load;
};

static cJSON *json_numbers(const double *x, int n)
{
	return cJSON_CreateDoubleArray(x, n);
}

/* Returns a new JSON object for a loaded volume (geometry, HU, provenance). */
static cJSON *volume_json(const struct dlld_volume *v)
{
	cJSON *o = cJSON_CreateObject(), *aff = cJSON_CreateArray(), *prov = cJSON_CreateObject();
	double dims[3] = {v->geom.dims[0], v->geom.dims[1], v->geom.dims[2]};
	double lo = INFINITY, hi = -INFINITY, sum = 0;
	size_t n;

	dlld_geometry_voxels(&v->geom, &n);
	for (size_t i = 0; i < n; i++) {
		lo = fmin(lo, v->hu[i]);
		hi = fmax(hi, v->hu[i]);
		sum += v->hu[i];
	}
	cJSON_AddItemToObject(o, "dims", json_numbers(dims, 3));
	cJSON_AddItemToObject(o, "spacing_mm", json_numbers(v->geom.spacing_mm, 3));
	for (int r = 0; r < 4; r++)
		cJSON_AddItemToArray(aff, json_numbers(v->geom.affine[r], 4));
	cJSON_AddItemToObject(o, "affine_lps", aff);
	cJSON_AddNumberToObject(o, "hu_min", lo);
	cJSON_AddNumberToObject(o, "hu_max", hi);
	cJSON_AddNumberToObject(o, "hu_mean", sum / (double)n);
	cJSON_AddStringToObject(prov, "source_path", v->prov.source_path);
	cJSON_AddStringToObject(prov, "study_uid", v->prov.study_uid);
	cJSON_AddStringToObject(prov, "series_uid", v->prov.series_uid);
	cJSON_AddStringToObject(prov, "modality", v->prov.modality);
	cJSON_AddStringToObject(prov, "series_description", v->prov.series_description);
	cJSON_AddStringToObject(prov, "original_datatype", v->prov.original_datatype);
	cJSON_AddNumberToObject(prov, "slice_thickness_mm", v->prov.slice_thickness_mm);
	cJSON_AddNumberToObject(prov, "window_center", v->prov.window_center);
	cJSON_AddNumberToObject(prov, "window_width", v->prov.window_width);
	cJSON_AddNumberToObject(prov, "gantry_tilt_deg", v->prov.gantry_tilt_deg);
	cJSON_AddBoolToObject(prov, "uneven_spacing", v->prov.uneven_spacing);
	cJSON_AddItemToObject(o, "provenance", prov);
	return o;
}

static void print_volume(const struct dlld_volume *v, const char *indent)
{
	cJSON *o = volume_json(v);
	const struct dlld_geometry *g = &v->geom;

	printf("%s%d x %d x %d voxels, spacing %.4f x %.4f x %.4f mm, datatype %s\n", indent,
	       g->dims[0], g->dims[1], g->dims[2], g->spacing_mm[0], g->spacing_mm[1],
	       g->spacing_mm[2], v->prov.original_datatype);
	printf("%sorigin (LPS mm) %.3f %.3f %.3f; axes i (%.4f %.4f %.4f) j (%.4f %.4f %.4f) k (%.4f %.4f %.4f)\n",
	       indent, g->affine[0][3], g->affine[1][3], g->affine[2][3], g->affine[0][0],
	       g->affine[1][0], g->affine[2][0], g->affine[0][1], g->affine[1][1], g->affine[2][1],
	       g->affine[0][2], g->affine[1][2], g->affine[2][2]);
	printf("%sHU [%g, %g], mean %.1f\n", indent,
	       cJSON_GetObjectItem(o, "hu_min")->valuedouble,
	       cJSON_GetObjectItem(o, "hu_max")->valuedouble,
	       cJSON_GetObjectItem(o, "hu_mean")->valuedouble);
	if (v->prov.window_width > 0)
		printf("%sheader window %g/%g (W/L)\n", indent, v->prov.window_width,
		       v->prov.window_center);
	cJSON_Delete(o);
}

/* Returns a new JSON object describing one series (and its volume). */
static cJSON *series_json(const struct dlld_dicom_series_info *s, const struct dlld_volume *v,
			  const char *load_error)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "series_uid", s->series_uid);
	cJSON_AddStringToObject(o, "study_uid", s->study_uid);
	cJSON_AddStringToObject(o, "modality", s->modality);
	cJSON_AddStringToObject(o, "description", s->description);
	cJSON_AddStringToObject(o, "image_type", s->image_type);
	cJSON_AddStringToObject(o, "patient_id", s->patient_id);
	cJSON_AddStringToObject(o, "transfer_syntax", s->transfer_syntax);
	cJSON_AddStringToObject(o, "first_file", s->first_file);
	cJSON_AddNumberToObject(o, "series_number", (double)s->series_number);
	cJSON_AddNumberToObject(o, "slices", (double)s->n_slices);
	cJSON_AddNumberToObject(o, "rows", s->rows);
	cJSON_AddNumberToObject(o, "columns", s->columns);
	cJSON_AddItemToObject(o, "pixel_spacing_mm", json_numbers(s->pixel_spacing_mm, 2));
	cJSON_AddNumberToObject(o, "slice_step_mm", s->slice_step_mm);
	cJSON_AddNumberToObject(o, "step_min_mm", s->step_min_mm);
	cJSON_AddNumberToObject(o, "step_max_mm", s->step_max_mm);
	cJSON_AddNumberToObject(o, "thickness_mm", s->thickness_mm);
	cJSON_AddNumberToObject(o, "gantry_tilt_deg", s->header_tilt_deg);
	cJSON_AddNumberToObject(o, "shear_deg", s->shear_deg);
	cJSON_AddBoolToObject(o, "tilted", s->tilted);
	cJSON_AddBoolToObject(o, "uneven_spacing", s->uneven_spacing);
	cJSON_AddBoolToObject(o, "auto_selected", s->auto_selected);
	if (s->problem[0])
		cJSON_AddStringToObject(o, "problem", s->problem);
	else
		cJSON_AddNullToObject(o, "problem");
	cJSON_AddItemToObject(o, "volume", v ? volume_json(v) : cJSON_CreateNull());
	if (load_error)
		cJSON_AddStringToObject(o, "load_error", load_error);
	return o;
}

static void print_series(size_t i, const struct dlld_dicom_series_info *s,
			 const struct dlld_volume *v, const char *load_error)
{
	printf("  series %zu%s %s  %s \"%s\" %s\n", i + 1, s->auto_selected ? " [auto]" : "",
	       s->series_uid, s->modality, s->description, s->image_type);
	printf("    %zu slices of %d x %d, pixel %.4f x %.4f mm, step %.4f mm (%.4f..%.4f), thickness %g mm\n",
	       s->n_slices, s->columns, s->rows, s->pixel_spacing_mm[0], s->pixel_spacing_mm[1],
	       s->slice_step_mm, s->step_min_mm, s->step_max_mm, s->thickness_mm);
	printf("    gantry tilt %.2f deg (header), slices %.2f deg off their normal%s%s\n",
	       s->header_tilt_deg, s->shear_deg, s->tilted ? ", TILTED" : "",
	       s->uneven_spacing ? ", UNEVEN SPACING" : "");
	printf("    patient %s, transfer syntax %s, first file %s\n", s->patient_id,
	       s->transfer_syntax, s->first_file);
	if (s->problem[0])
		printf("    problem: %s\n", s->problem);
	if (v)
		print_volume(v, "    ");
	else if (load_error && !s->problem[0])
		printf("    not loaded: %s\n", load_error);
}

/* Describes a DICOM folder or file; adds its JSON to `inputs` when given. */
static enum dlld_status info_dicom(const char *path, const struct info_options *o, cJSON *inputs,
				   struct dlld_error *err)
{
	struct dlld_dicom_scan *scan;
	cJSON *in = NULL, *list = NULL;
	enum dlld_status st = dlld_dicom_scan(path, &scan, err);
	size_t n;

	if (st)
		return st;
	n = dlld_dicom_scan_series_count(scan);
	if (inputs) {
		in = cJSON_CreateObject();
		cJSON_AddStringToObject(in, "path", path);
		cJSON_AddStringToObject(in, "format", "dicom");
		cJSON_AddNumberToObject(in, "skipped_files", (double)dlld_dicom_scan_skipped(scan));
		list = cJSON_AddArrayToObject(in, "series");
		cJSON_AddItemToArray(inputs, in);
	} else {
		printf("%s: DICOM, %zu series (%zu files skipped)\n", path, n,
		       dlld_dicom_scan_skipped(scan));
	}
	for (size_t i = 0; i < n; i++) {
		const struct dlld_dicom_series_info *s = dlld_dicom_scan_series(scan, i);
		struct dlld_volume *v = NULL;
		struct dlld_error lerr;
		char msg[1500];
		if (o->load.series_uid && strcmp(o->load.series_uid, s->series_uid))
			continue;
		dlld_error_clear(&lerr);
		if (!s->problem[0])
			dlld_dicom_scan_load(scan, i, &o->load, &v, &lerr);
		dlld_error_format(&lerr, msg, sizeof msg);
		if (list)
			cJSON_AddItemToArray(list, series_json(s, v, v ? NULL : msg));
		else
			print_series(i, s, v, v ? NULL : msg);
		dlld_volume_destroy(v);
	}
	dlld_dicom_scan_destroy(scan);
	return DLLD_STATUS_OK;
}

static enum dlld_status info_one(const char *path, const struct info_options *o, cJSON *inputs,
				 struct dlld_error *err)
{
	struct dlld_volume *v = NULL;
	enum dlld_status st;

	if (!dlld_path_exists(path))
		return dlld_error_set(err, DLLD_STATUS_NOT_FOUND, path, "no such file or folder");
	if (dlld_path_is_dir(path) || !dlld_ct_path_is_nifti(path))
		return info_dicom(path, o, inputs, err);
	st = dlld_nifti_read_volume(path, &v, err);
	if (st)
		return st;
	if (inputs) {
		cJSON *in = cJSON_CreateObject();
		cJSON_AddStringToObject(in, "path", path);
		cJSON_AddStringToObject(in, "format", "nifti");
		cJSON_AddItemToObject(in, "volume", volume_json(v));
		cJSON_AddItemToArray(inputs, in);
	} else {
		printf("%s: NIfTI\n", path);
		print_volume(v, "  ");
	}
	dlld_volume_destroy(v);
	return DLLD_STATUS_OK;
}

enum { OPT_JSON = 256, OPT_SERIES, OPT_ALLOW_TILT, OPT_ALLOW_UNEVEN, OPT_QUIET };

static const struct option info_options_table[] = {
	{"json", no_argument, NULL, OPT_JSON},
	{"series", required_argument, NULL, OPT_SERIES},
	{"allow-tilt", no_argument, NULL, OPT_ALLOW_TILT},
	{"allow-uneven", no_argument, NULL, OPT_ALLOW_UNEVEN},
	{"quiet", no_argument, NULL, OPT_QUIET},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

int dlld_cmd_info(int argc, char **argv)
{
	struct info_options o = {0};
	cJSON *doc = NULL, *inputs = NULL;
	int c, exit_code = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", info_options_table, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: o.json = true; break;
		case OPT_SERIES: o.load.series_uid = optarg; break;
		case OPT_ALLOW_TILT: o.load.allow_tilt = true; break;
		case OPT_ALLOW_UNEVEN: o.load.allow_uneven = true; break;
		case OPT_QUIET: o.quiet = true; break;
		case 'h': return dlld_cli_help(info_help);
		default: return dlld_cli_usage_error("bad option");
		}
	}
	if (optind >= argc)
		return dlld_cli_usage_error("no PATH given");
	dlld_cli_setup("info", o.quiet);
	if (o.json) {
		doc = cJSON_CreateObject();
		inputs = cJSON_AddArrayToObject(doc, "inputs");
	}
	for (int a = optind; a < argc; a++) {
		struct dlld_error err;
		dlld_error_clear(&err);
		if (info_one(argv[a], &o, inputs, &err)) {
			int code = dlld_cli_fail(&err);
			exit_code = exit_code ? exit_code : code;
		}
	}
	if (doc) {
		char *text = cJSON_Print(doc);
		if (text)
			puts(text);
		free(text);
		cJSON_Delete(doc);
	}
	return exit_code;
}

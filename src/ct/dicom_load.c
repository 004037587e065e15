/*
 * ct/dicom_load.c — one DICOM series → HU volume.
 *
 * Slices come sorted by ImagePositionPatient projected on the slice normal
 * (dicom_scan.c). HU = stored × RescaleSlope + RescaleIntercept, per slice.
 * A regular stack becomes the volume directly. Gantry tilt (slices stacked
 * at an angle to their normal) and non-uniform steps are refused unless the
 * caller allows them; then the stack is resampled onto an orthogonal grid
 * with the median step (docs/ct.md).
 */
#include "ct/dicom_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The slice frame of a series: unit row/column directions and normal. */
struct slice_frame {
	double row[3], col[3], normal[3];
	double sx, sy; /* column spacing (along row), row spacing (along col) */
};

static enum dlld_status slice_frame(const struct dlld_dicom_scan *s,
				    const struct dlld_dicom_series *ser, struct slice_frame *fr,
				    struct dlld_error *err)
{
	const struct dlld_dicom_file *f0 = &s->files[ser->file_index[0]];
	static const double identity[6] = {1, 0, 0, 0, 1, 0};
	const double *iop = f0->info.has_iop ? f0->info.iop : identity;
	double lr = 0, lc = 0, dot = 0;

	for (int a = 0; a < 3; a++) {
		lr += iop[a] * iop[a];
		lc += iop[3 + a] * iop[3 + a];
		dot += iop[a] * iop[3 + a];
	}
	lr = sqrt(lr), lc = sqrt(lc);
	if (lr < 0.5 || lc < 0.5 || fabs(dot) > 0.01 * lr * lc)
		return dlld_error_set_where(err, DLLD_STATUS_MALFORMED, f0->path,
					    "ImageOrientationPatient (0020,0037)", -1,
					    "row and column directions are not orthonormal");
	for (int a = 0; a < 3; a++) {
		fr->row[a] = iop[a] / lr;
		fr->col[a] = iop[3 + a] / lc;
	}
	dlld_dicom_normal((const double[6]){fr->row[0], fr->row[1], fr->row[2], fr->col[0],
					     fr->col[1], fr->col[2]},
			  fr->normal);
	if (!f0->info.has_iop || !f0->info.has_ipp)
		dlld_log(DLLD_LOG_LEVEL_WARNING,
			 "%s: no ImagePositionPatient/ImageOrientationPatient; assuming an axial slice at the origin",
			 f0->path);
	fr->sx = fr->sy = 1.0;
	if (f0->info.has_pixel_spacing && f0->info.pixel_spacing[0] > 0 &&
	    f0->info.pixel_spacing[1] > 0) {
		fr->sx = f0->info.pixel_spacing[1];
		fr->sy = f0->info.pixel_spacing[0];
	} else {
		dlld_log(DLLD_LOG_LEVEL_WARNING, "%s: no valid PixelSpacing; assuming 1 mm", f0->path);
	}
	return DLLD_STATUS_OK;
}

/* Decodes every slice of the series into stack (nx*ny per slice) as HU. */
static enum dlld_status read_stack(const struct dlld_dicom_scan *s,
				   const struct dlld_dicom_series *ser, float *stack,
				   struct dlld_error *err)
{
	size_t plane = (size_t)ser->info.columns * (size_t)ser->info.rows;
	struct dlld_progress progress;
	char reason[256];

	dlld_progress_begin(&progress, "reading DICOM", "slices", ser->n_files);
	for (size_t k = 0; k < ser->n_files; k++) {
		const struct dlld_dicom_file *f = &s->files[ser->file_index[k]];
		struct dlld_rescale rs = {f->info.slope, f->info.intercept};
		if (rs.slope == 0.0) {
			dlld_log(DLLD_LOG_LEVEL_WARNING, "%s: RescaleSlope 0; using 1", f->path);
			rs.slope = 1.0;
		}
		if (dlld_gdcm_read_pixels(f->path, f->info.rows, f->info.columns, rs,
					  stack + k * plane, reason, sizeof reason) != DLLD_GDCM_RESULT_OK)
			return dlld_error_set_where(err, DLLD_STATUS_MALFORMED, f->path,
						    "PixelData (7FE0,0010)", -1, "%s", reason);
		dlld_progress_update(&progress, k + 1);
	}
	dlld_progress_end(&progress);
	return DLLD_STATUS_OK;
}

/* Bilinear sample of slice (nx x ny) at (u, v); fill outside. */
static float bilinear(const float *slice, int32_t nx, int32_t ny, double u, double v, float fill)
{
	if (!(u >= 0 && v >= 0 && u <= nx - 1 && v <= ny - 1))
		return fill;
	int32_t i = (int32_t)u, j = (int32_t)v;
	int32_t i1 = i + 1 < nx ? i + 1 : i, j1 = j + 1 < ny ? j + 1 : j;
	double fu = u - i, fv = v - j;
	double a = slice[(size_t)j * (size_t)nx + (size_t)i] * (1 - fu) +
		   slice[(size_t)j * (size_t)nx + (size_t)i1] * fu;
	double b = slice[(size_t)j1 * (size_t)nx + (size_t)i] * (1 - fu) +
		   slice[(size_t)j1 * (size_t)nx + (size_t)i1] * fu;
	return (float)(a * (1 - fv) + b * fv);
}

/* Resamples the sorted stack onto out's orthogonal grid (origin at the first
 * slice, slice axis = normal, out->geom already set): each output slice is
 * interpolated between the two source slices around it, each source slice
 * shifted in-plane by its offset from the first (the tilt). */
static void resample_stack(const struct dlld_dicom_scan *s, const struct dlld_dicom_series *ser,
			   const struct slice_frame *fr, const float *stack, struct dlld_volume *out)
{
	int32_t nx = out->geom.dims[0], ny = out->geom.dims[1];
	size_t plane = (size_t)nx * (size_t)ny, m = ser->n_files;
	const double *ipp0 = s->files[ser->file_index[0]].info.ipp;
	double pos0 = s->files[ser->file_index[0]].position, step = out->geom.spacing_mm[2];
	float fill = stack[0];
	size_t k = 0;

	for (size_t p = 0; p < plane * m; p++)
		fill = stack[p] < fill ? stack[p] : fill;
	for (int32_t z = 0; z < out->geom.dims[2]; z++) {
		double d = pos0 + z * step, t, du[2], dv[2];
		while (k + 2 < m && s->files[ser->file_index[k + 1]].position <= d)
			k++;
		const struct dlld_dicom_file *a = &s->files[ser->file_index[k]];
		const struct dlld_dicom_file *b = &s->files[ser->file_index[k + 1]];
		t = (d - a->position) / (b->position - a->position);
		t = t < 0 ? 0 : (t > 1 ? 1 : t);
		for (int e = 0; e < 2; e++) {
			const double *ipp = e == 0 ? a->info.ipp : b->info.ipp;
			double off[3] = {ipp0[0] - ipp[0], ipp0[1] - ipp[1], ipp0[2] - ipp[2]};
			du[e] = (off[0] * fr->row[0] + off[1] * fr->row[1] + off[2] * fr->row[2]) / fr->sx;
			dv[e] = (off[0] * fr->col[0] + off[1] * fr->col[1] + off[2] * fr->col[2]) / fr->sy;
		}
		for (int32_t j = 0; j < ny; j++)
			for (int32_t i = 0; i < nx; i++) {
				float va = bilinear(stack + k * plane, nx, ny, i + du[0], j + dv[0], fill);
				float vb = bilinear(stack + (k + 1) * plane, nx, ny, i + du[1], j + dv[1], fill);
				out->hu[dlld_voxel_index(&out->geom, i, j, z)] = (float)((1 - t) * va + t * vb);
			}
	}
}

/* Fills g: in-plane as the first slice, slice axis along the normal. */
static void series_geometry(const struct dlld_dicom_scan *s, const struct dlld_dicom_series *ser,
			    const struct slice_frame *fr, bool resampled, struct dlld_geometry *g)
{
	const struct dlld_dicom_file *f0 = &s->files[ser->file_index[0]];
	const struct dlld_dicom_file *fl = &s->files[ser->file_index[ser->n_files - 1]];
	double extent = fl->position - f0->position, step;
	int32_t nz = (int32_t)ser->n_files;

	if (ser->n_files < 2) {
		step = f0->info.has_slice_thickness && f0->info.slice_thickness > 0
			       ? f0->info.slice_thickness : 1.0;
	} else if (resampled) {
		step = ser->info.slice_step_mm;
		nz = (int32_t)fmin(floor(extent / step + 0.5) + 1.0, 1e8); /* limits checked later */
	} else {
		step = extent / (double)(ser->n_files - 1);
	}
	memset(g, 0, sizeof *g);
	g->dims[0] = ser->info.columns;
	g->dims[1] = ser->info.rows;
	g->dims[2] = nz;
	g->spacing_mm[0] = fr->sx;
	g->spacing_mm[1] = fr->sy;
	g->spacing_mm[2] = step;
	for (int r = 0; r < 3; r++) {
		g->affine[r][0] = fr->row[r] * fr->sx;
		g->affine[r][1] = fr->col[r] * fr->sy;
		g->affine[r][2] = fr->normal[r] * step;
		g->affine[r][3] = f0->info.has_ipp ? f0->info.ipp[r] : 0.0;
	}
	g->affine[3][3] = 1.0;
}

static const char *datatype_name(const struct dlld_dcm_info *h)
{
	static const char *const names[2][3] = {{"uint8", "uint16", "uint32"},
						{"int8", "int16", "int32"}};
	int size = h->bits_allocated <= 8 ? 0 : (h->bits_allocated <= 16 ? 1 : 2);
	return names[h->pixel_representation == 1][size];
}

static void fill_provenance(const struct dlld_dicom_scan *s, const struct dlld_dicom_series *ser,
			    struct dlld_provenance *prov)
{
	const struct dlld_dcm_info *h = &s->files[ser->file_index[0]].info;
	const struct dlld_dicom_series_info *info = &ser->info;

	dlld_ct_provenance_path(prov, s->path);
	snprintf(prov->study_uid, sizeof prov->study_uid, "%s", info->study_uid);
	snprintf(prov->series_uid, sizeof prov->series_uid, "%s", info->series_uid);
	snprintf(prov->modality, sizeof prov->modality, "%.15s", info->modality);
	snprintf(prov->series_description, sizeof prov->series_description, "%s",
		 info->description);
	snprintf(prov->original_datatype, sizeof prov->original_datatype, "%s", datatype_name(h));
	prov->slice_thickness_mm = info->thickness_mm;
	if (h->has_window && h->window_width > 0) {
		prov->window_center = h->window_center;
		prov->window_width = h->window_width;
	}
	prov->gantry_tilt_deg = info->header_tilt_deg != 0.0 ? info->header_tilt_deg
							      : info->shear_deg;
	prov->uneven_spacing = info->uneven_spacing;
}

/* Refuses series that cannot be read as they are, naming the reason. */
static enum dlld_status check_loadable(const struct dlld_dicom_scan *s,
				       const struct dlld_dicom_series_info *info,
				       const struct dlld_ct_load_options *opts,
				       struct dlld_error *err)
{
	enum dlld_status st = DLLD_STATUS_OK;
	size_t used;

	if (info->problem[0])
		st = dlld_error_set(err, DLLD_STATUS_INCONSISTENT, s->path, "series %s: %s",
				    info->series_uid, info->problem);
	else if (info->tilted && !opts->allow_tilt)
		st = dlld_error_set(err, DLLD_STATUS_INCONSISTENT, s->path,
				    "series %s: gantry tilt (slices stacked %.2f deg off their normal, "
				    "GantryDetectorTilt %.2f deg); allow tilt (--allow-tilt) to "
				    "resample onto an orthogonal grid",
				    info->series_uid, info->shear_deg, info->header_tilt_deg);
	else if (info->uneven_spacing && !opts->allow_uneven)
		st = dlld_error_set(err, DLLD_STATUS_INCONSISTENT, s->path,
				    "series %s: non-uniform slice spacing (steps %.3f..%.3f mm, "
				    "median %.3f; missing slices?); allow it (--allow-uneven) to "
				    "resample to the median step",
				    info->series_uid, info->step_min_mm, info->step_max_mm,
				    info->slice_step_mm);
	/* a broken file may be the missing slice: name it */
	if (st && err && s->n_broken) {
		used = strlen(err->reason);
		snprintf(err->reason + used, sizeof err->reason - used,
			 "; %zu unreadable DICOM file(s) skipped, first %s", s->n_broken,
			 s->first_broken);
	}
	return st;
}

enum dlld_status dlld_dicom_scan_load(const struct dlld_dicom_scan *scan, size_t i,
				      const struct dlld_ct_load_options *opts,
				      struct dlld_volume **out, struct dlld_error *err)
{
	static const struct dlld_ct_load_options defaults;
	const struct dlld_dicom_series *ser = &scan->series[i];
	bool resample = ser->n_files > 1 && (ser->info.tilted || ser->info.uneven_spacing);
	struct slice_frame fr;
	struct dlld_geometry g;
	struct dlld_volume *v = NULL;
	float *stack = NULL;
	size_t plane = (size_t)ser->info.columns * (size_t)ser->info.rows, n;
	enum dlld_status st;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	st = check_loadable(scan, &ser->info, opts, err);
	if (!st)
		st = slice_frame(scan, ser, &fr, err);
	if (st)
		return st;
	series_geometry(scan, ser, &fr, resample, &g);
	if (!dlld_geometry_voxels(&g, &n) || n > DLLD_DICOM_MAX_VOXELS ||
	    (size_t)g.dims[2] > 8 * ser->n_files + 8)
		return dlld_error_set(err, DLLD_STATUS_NO_MEMORY, scan->path,
				      "series %s: %d x %d x %d voxels is beyond DLLD's limits",
				      ser->info.series_uid, g.dims[0], g.dims[1], g.dims[2]);
	v = dlld_volume_create(&g, err);
	if (!v)
		return dlld_ct_status(err);
	if (resample) {
		if (!dlld_size_mul(plane, ser->n_files, &n) ||
		    !(stack = dlld_calloc(n, sizeof *stack, "DICOM slice stack", err))) {
			dlld_volume_destroy(v);
			return dlld_error_set(err, DLLD_STATUS_NO_MEMORY, scan->path, "series too large");
		}
	}
	st = read_stack(scan, ser, resample ? stack : v->hu, err);
	if (!st && resample) {
		resample_stack(scan, ser, &fr, stack, v);
		dlld_log(DLLD_LOG_LEVEL_WARNING,
			 "%s: series %s resampled onto an orthogonal grid (%d slices, step %.3f mm)",
			 scan->path, ser->info.series_uid, g.dims[2], g.spacing_mm[2]);
	}
	free(stack);
	if (st) {
		dlld_volume_destroy(v);
		return st;
	}
	fill_provenance(scan, ser, &v->prov);
	*out = v;
	return DLLD_STATUS_OK;
}

enum dlld_status dlld_dicom_load(const char *path, const struct dlld_ct_load_options *opts,
				 struct dlld_volume **out, struct dlld_error *err)
{
	struct dlld_dicom_scan *scan;
	size_t chosen = SIZE_MAX;
	enum dlld_status st;

	*out = NULL;
	st = dlld_dicom_scan(path, &scan, err);
	if (st)
		return st;
	for (size_t j = 0; j < scan->n_series && chosen == SIZE_MAX; j++) {
		const struct dlld_dicom_series_info *info = &scan->series[j].info;
		if (opts && opts->series_uid ? !strcmp(info->series_uid, opts->series_uid)
					     : info->auto_selected)
			chosen = j;
	}
	if (chosen == SIZE_MAX)
		st = dlld_error_set(err, DLLD_STATUS_NOT_FOUND, path,
				    "no series with SeriesInstanceUID %s (%zu series found)",
				    opts->series_uid, scan->n_series);
	else
		st = dlld_dicom_scan_load(scan, chosen, opts, out, err);
	dlld_dicom_scan_destroy(scan);
	return st;
}

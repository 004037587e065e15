/* detect/sample.c — one axial slice as the detector sees it: resampled to the
 * network grid, windowed, 2.5D, augmented; and its lesion boxes. */
#include "dlld/detect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define AIR_HU (-1000.0f)

static const char *const mode_names[] = {
	[DLLD_CHANNEL_MODE_25D] = "2.5d",
	[DLLD_CHANNEL_MODE_WINDOWS] = "windows",
};
_Static_assert(sizeof mode_names / sizeof mode_names[0] == DLLD_CHANNEL_MODE_COUNT,
	       "mode_names must name every enum dlld_channel_mode");

const char *dlld_channel_mode_name(enum dlld_channel_mode mode)
{
	return (unsigned)mode < DLLD_CHANNEL_MODE_COUNT ? mode_names[mode] : "unknown";
}

bool dlld_channel_mode_parse(const char *name, enum dlld_channel_mode *mode)
{
	for (int m = 0; m < DLLD_CHANNEL_MODE_COUNT; m++) {
		if (strcmp(name, mode_names[m]) == 0) {
			*mode = (enum dlld_channel_mode)m;
			return true;
		}
	}
	return false;
}

void dlld_input_spec_default(struct dlld_input_spec *spec)
{
	memset(spec, 0, sizeof *spec);
	spec->size = 416;
	spec->channels = 3;
	spec->mode = DLLD_CHANNEL_MODE_25D;
	spec->pixel_mm = 0.8;
	for (int c = 0; c < DLLD_MAX_CHANNELS; c++) {
		spec->window_width[c] = 350.0f;
		spec->window_level[c] = 60.0f;
	}
}

enum dlld_status dlld_input_spec_check(const struct dlld_input_spec *spec, struct dlld_error *err)
{
	if (spec->size < 8 || spec->size > 4096)
		return dlld_error_set(err, DLLD_STATUS_USAGE, NULL, "input size %d not in [8, 4096]",
				      spec->size);
	if (spec->channels < 1 || spec->channels > DLLD_MAX_CHANNELS)
		return dlld_error_set(err, DLLD_STATUS_USAGE, NULL, "channels %d not in [1, %d]",
				      spec->channels, DLLD_MAX_CHANNELS);
	if (spec->mode == DLLD_CHANNEL_MODE_25D && spec->channels != 3)
		return dlld_error_set(err, DLLD_STATUS_USAGE, NULL, "2.5D input needs 3 channels");
	if ((unsigned)spec->mode >= DLLD_CHANNEL_MODE_COUNT)
		return dlld_error_set(err, DLLD_STATUS_USAGE, NULL, "unknown channel mode");
	if (!(spec->pixel_mm > 0.05 && spec->pixel_mm < 20.0))
		return dlld_error_set(err, DLLD_STATUS_USAGE, NULL, "pixel size %g mm not in (0.05, 20)",
				      spec->pixel_mm);
	for (int c = 0; c < spec->channels; c++)
		if (!(spec->window_width[c] >= 1.0f))
			return dlld_error_set(err, DLLD_STATUS_USAGE, NULL,
					      "window width %g HU must be >= 1",
					      (double)spec->window_width[c]);
	return DLLD_STATUS_OK;
}

void dlld_slice_view_centered(const struct dlld_geometry *g, const struct dlld_input_spec *spec,
			      double ci, double cj, struct dlld_slice_view *view)
{
	double half = 0.5 * (spec->size - 1);

	view->step_u_ij[0] = spec->pixel_mm / g->spacing_mm[0];
	view->step_u_ij[1] = 0.0;
	view->step_v_ij[0] = 0.0;
	view->step_v_ij[1] = spec->pixel_mm / g->spacing_mm[1];
	view->origin_ij[0] = ci - half * view->step_u_ij[0];
	view->origin_ij[1] = cj - half * view->step_v_ij[1];
}

void dlld_slice_view_to_voxel(const struct dlld_slice_view *view, double u, double v, double ij[2])
{
	for (int a = 0; a < 2; a++)
		ij[a] = view->origin_ij[a] + u * view->step_u_ij[a] + v * view->step_v_ij[a];
}

bool dlld_slice_view_to_net(const struct dlld_slice_view *view, double i, double j, double uv[2])
{
	double a = view->step_u_ij[0], b = view->step_v_ij[0];
	double c = view->step_u_ij[1], d = view->step_v_ij[1];
	double det = a * d - b * c;
	double di = i - view->origin_ij[0], dj = j - view->origin_ij[1];

	if (fabs(det) < 1e-12)
		return false;
	uv[0] = (d * di - b * dj) / det;
	uv[1] = (a * dj - c * di) / det;
	return true;
}

void dlld_augment_draw(const struct dlld_augment_range *range, struct dlld_rng *rng,
		       struct dlld_augment *aug)
{
	memset(aug, 0, sizeof *aug);
	aug->flip_u = range->flips && dlld_rng_uniform(rng) < 0.5;
	aug->flip_v = range->flips && dlld_rng_uniform(rng) < 0.5;
	aug->scale = 1.0 + dlld_rng_range(rng, -range->scale_jitter, range->scale_jitter);
	aug->shift_mm[0] = dlld_rng_range(rng, -range->shift_mm, range->shift_mm);
	aug->shift_mm[1] = dlld_rng_range(rng, -range->shift_mm, range->shift_mm);
	aug->window_shift_hu = (float)dlld_rng_range(rng, -range->window_shift_hu,
						     range->window_shift_hu);
	aug->window_scale = 1.0f + (float)dlld_rng_range(rng, -range->window_scale_jitter,
							 range->window_scale_jitter);
	aug->noise_sd = (float)dlld_rng_range(rng, 0.0, range->noise_sd_max);
}

void dlld_slice_view_augment(const struct dlld_geometry *g, const struct dlld_input_spec *spec,
			     const struct dlld_augment *aug, struct dlld_slice_view *view)
{
	double half = 0.5 * (spec->size - 1);
	double scale = aug->scale > 0.0 ? aug->scale : 1.0;
	double su = aug->flip_u ? -scale : scale, sv = aug->flip_v ? -scale : scale;
	double centre[2];

	for (int a = 0; a < 2; a++) {
		centre[a] = view->origin_ij[a] + half * (view->step_u_ij[a] + view->step_v_ij[a]) +
			    aug->shift_mm[a] / g->spacing_mm[a];
		view->step_u_ij[a] *= su;
		view->step_v_ij[a] *= sv;
		view->origin_ij[a] = centre[a] - half * (view->step_u_ij[a] + view->step_v_ij[a]);
	}
}

/* Returns the bilinear HU at continuous voxel (i, j) of slice plane s. */
static float sample_bilinear(const float *s, int32_t nx, int32_t ny, double i, double j)
{
	double fi = floor(i), fj = floor(j);
	int32_t i0 = (int32_t)fi, j0 = (int32_t)fj;
	float wi = (float)(i - fi), wj = (float)(j - fj);
	float v[4];

	if (i < -1.0 || j < -1.0 || i > nx || j > ny)
		return AIR_HU;
	for (int q = 0; q < 4; q++) {
		int32_t ii = i0 + (q & 1), jj = j0 + (q >> 1);
		v[q] = (ii >= 0 && jj >= 0 && ii < nx && jj < ny) ? s[(size_t)jj * (size_t)nx + (size_t)ii]
								  : AIR_HU;
	}
	return (1.0f - wj) * ((1.0f - wi) * v[0] + wi * v[1]) + wj * ((1.0f - wi) * v[2] + wi * v[3]);
}

void dlld_sample_render(const struct dlld_volume *v, int32_t k, const struct dlld_input_spec *spec,
			const struct dlld_slice_view *view, const struct dlld_augment *aug,
			struct dlld_rng *rng, float *out)
{
	int32_t nx = v->geom.dims[0], ny = v->geom.dims[1], nz = v->geom.dims[2];
	size_t plane = (size_t)nx * (size_t)ny, npix = (size_t)spec->size * (size_t)spec->size;
	float level_shift = aug ? aug->window_shift_hu : 0.0f;
	float width_scale = aug && aug->window_scale > 0.0f ? aug->window_scale : 1.0f;
	float noise = aug && rng ? aug->noise_sd : 0.0f;

	for (int ch = 0; ch < spec->channels; ch++) {
		bool is25d = spec->mode == DLLD_CHANNEL_MODE_25D;
		int32_t ks = is25d ? k + ch - 1 : k;
		int w = is25d ? 0 : ch;
		float width = spec->window_width[w] * width_scale;
		float level = spec->window_level[w] + level_shift;
		const float *s;
		float *o = out + (size_t)ch * npix;

		ks = ks < 0 ? 0 : (ks >= nz ? nz - 1 : ks);
		s = v->hu + (size_t)ks * plane;
		for (int pv = 0; pv < spec->size; pv++) {
			for (int pu = 0; pu < spec->size; pu++) {
				double ij[2];
				float x;
				dlld_slice_view_to_voxel(view, pu, pv, ij);
				x = dlld_window01(sample_bilinear(s, nx, ny, ij[0], ij[1]), width, level);
				if (noise > 0.0f)
					x += noise * (float)dlld_rng_normal(rng);
				o[(size_t)pv * (size_t)spec->size + (size_t)pu] = x;
			}
		}
	}
}

struct label_bounds {
	int32_t i0, j0, i1, j1;
	bool present;
};

/* Fills box with the network-pixel extent of voxel rectangle b; false when
 * it falls outside the grid. */
static bool map_box(const struct label_bounds *b, const struct dlld_input_spec *spec,
		    const struct dlld_slice_view *view, struct dlld_sample_box *box)
{
	double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
	double size = spec->size;

	for (int q = 0; q < 4; q++) {
		double i = (q & 1) ? b->i1 + 0.5 : b->i0 - 0.5;
		double j = (q >> 1) ? b->j1 + 0.5 : b->j0 - 0.5;
		double uv[2];
		if (!dlld_slice_view_to_net(view, i, j, uv))
			return false;
		for (int a = 0; a < 2; a++) {
			/* pixel centres are at integer uv: edges lie half a pixel out */
			lo[a] = fmin(lo[a], uv[a] + 0.5);
			hi[a] = fmax(hi[a], uv[a] + 0.5);
		}
	}
	for (int a = 0; a < 2; a++) {
		lo[a] = fmax(lo[a], 0.0);
		hi[a] = fmin(hi[a], size);
		if (hi[a] - lo[a] < 1.0)
			return false;
	}
	box->x0 = (float)lo[0];
	box->y0 = (float)lo[1];
	box->x1 = (float)hi[0];
	box->y1 = (float)hi[1];
	return true;
}

size_t dlld_sample_boxes(const struct dlld_labelmap *m, int32_t k, const struct dlld_input_spec *spec,
			 const struct dlld_slice_view *view,
			 const enum dlld_lesion_class *class_of_label, size_t n_labels,
			 struct dlld_sample_box *boxes, size_t max_boxes, size_t *n_boxes)
{
	int32_t nx = m->geom.dims[0], ny = m->geom.dims[1];
	const uint16_t *s = m->label + (size_t)k * (size_t)nx * (size_t)ny;
	struct label_bounds *b = calloc(n_labels + 1, sizeof *b);
	size_t lesions = 0;

	*n_boxes = 0;
	if (!b || k < 0 || k >= m->geom.dims[2]) {
		free(b);
		return 0;
	}
	for (int32_t j = 0; j < ny; j++) {
		for (int32_t i = 0; i < nx; i++) {
			uint16_t l = s[(size_t)j * (size_t)nx + (size_t)i];
			struct label_bounds *lb = &b[l];
			if (!l || l > n_labels)
				continue;
			if (!lb->present) {
				*lb = (struct label_bounds){i, j, i, j, true};
				continue;
			}
			lb->i0 = i < lb->i0 ? i : lb->i0;
			lb->i1 = i > lb->i1 ? i : lb->i1;
			lb->j1 = j; /* rows are scanned in order */
		}
	}
	for (size_t l = 1; l <= n_labels; l++) {
		struct dlld_sample_box box;
		if (!b[l].present)
			continue;
		lesions++;
		if (*n_boxes >= max_boxes || !map_box(&b[l], spec, view, &box))
			continue;
		box.cls = class_of_label[l - 1];
		box.label = (uint16_t)l;
		boxes[(*n_boxes)++] = box;
	}
	free(b);
	return lesions;
}

bool dlld_liver_box_find(const struct dlld_labelmap *m, struct dlld_liver_box *box)
{
	const struct dlld_geometry *g = &m->geom;
	size_t q = 0;

	for (int a = 0; a < 3; a++) {
		box->lo[a] = INT32_MAX;
		box->hi[a] = -1;
	}
	for (int32_t k = 0; k < g->dims[2]; k++)
		for (int32_t j = 0; j < g->dims[1]; j++)
			for (int32_t i = 0; i < g->dims[0]; i++, q++) {
				int32_t v[3] = {i, j, k};
				if (!m->label[q])
					continue;
				for (int a = 0; a < 3; a++) {
					box->lo[a] = v[a] < box->lo[a] ? v[a] : box->lo[a];
					box->hi[a] = v[a] > box->hi[a] ? v[a] : box->hi[a];
				}
			}
	return box->hi[0] >= 0;
}

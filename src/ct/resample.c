/*
 * ct/resample.c — in-plane resampling to a target pixel size, and windowed
 * slices.
 *
 * Resampling is separable (columns, then rows) with a triangle (linear)
 * kernel whose support widens with the reduction factor, so downsampling
 * averages instead of aliasing; upsampling is plain linear interpolation.
 * Pixel centres follow the usual image convention: output pixel x samples
 * input position (x + 0.5) * scale - 0.5, scale = target / spacing; the
 * affine's origin moves accordingly, slices and slice axis are unchanged.
 */
#include "ct/ct_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Sparse weights: output o takes w[o*taps + t] of input first[o] + t. */
struct kernel {
	int32_t n_out, taps;
	int32_t *first;
	float *w;
};

static void kernel_free(struct kernel *k)
{
	free(k->first);
	free(k->w);
	k->first = NULL;
	k->w = NULL;
}

static enum dlld_status kernel_make(int32_t n_in, int32_t n_out, double scale, struct kernel *k,
				    struct dlld_error *err)
{
	double support = scale > 1.0 ? scale : 1.0;

	k->n_out = n_out;
	k->taps = (int32_t)ceil(2.0 * support) + 1;
	k->first = dlld_calloc((size_t)n_out, sizeof *k->first, "resampling kernel", err);
	k->w = dlld_calloc((size_t)n_out * (size_t)k->taps, sizeof *k->w, "resampling kernel", err);
	if (!k->first || !k->w) {
		kernel_free(k);
		return dlld_ct_status(err);
	}
	for (int32_t o = 0; o < n_out; o++) {
		double c = (o + 0.5) * scale - 0.5, total = 0;
		int32_t lo = (int32_t)floor(c - support) + 1;
		float *w = k->w + (size_t)o * (size_t)k->taps;
		k->first[o] = lo;
		for (int32_t t = 0; t < k->taps; t++) {
			int32_t x = lo + t;
			double d = fabs(x - c) / support;
			double wt = (x >= 0 && x < n_in && d < 1.0) ? 1.0 - d : 0.0;
			w[t] = (float)wt;
			total += wt;
		}
		if (total <= 0) { /* outside the image: nearest edge pixel */
			int32_t x = c < 0 ? 0 : n_in - 1;
			memset(w, 0, (size_t)k->taps * sizeof *w);
			k->first[o] = x;
			w[0] = 1.0f;
			continue;
		}
		for (int32_t t = 0; t < k->taps; t++)
			w[t] = (float)(w[t] / total);
	}
	return DLLD_STATUS_OK;
}

/* dst[n_out values, stride ds] = kernel applied to src[stride ss]. */
static void apply(const struct kernel *k, const float *src, ptrdiff_t ss, float *dst, ptrdiff_t ds)
{
	for (int32_t o = 0; o < k->n_out; o++) {
		const float *w = k->w + (size_t)o * (size_t)k->taps;
		double acc = 0;
		for (int32_t t = 0; t < k->taps; t++)
			if (w[t] != 0.0f)
				acc += w[t] * src[(ptrdiff_t)(k->first[o] + t) * ss];
		dst[(ptrdiff_t)o * ds] = (float)acc;
	}
}

/* Fills g with v's grid at target_mm in-plane; scale[2] = target/spacing. */
static bool inplane_geometry(const struct dlld_geometry *in, double target_mm,
			     struct dlld_geometry *g, double scale[2])
{
	*g = *in;
	for (int a = 0; a < 2; a++) {
		double n = floor(in->dims[a] * in->spacing_mm[a] / target_mm + 0.5);
		if (!(n >= 1.0 && n <= 65535.0))
			return false;
		scale[a] = target_mm / in->spacing_mm[a];
		g->dims[a] = (int32_t)n;
		g->spacing_mm[a] = target_mm;
		for (int r = 0; r < 3; r++) {
			g->affine[r][3] += in->affine[r][a] * (0.5 * scale[a] - 0.5);
			g->affine[r][a] = in->affine[r][a] * scale[a];
		}
	}
	return true;
}

enum dlld_status dlld_ct_resample_inplane(const struct dlld_volume *v, double target_mm,
					  struct dlld_volume **out, struct dlld_error *err)
{
	struct dlld_geometry g;
	struct kernel kx = {0}, ky = {0};
	struct dlld_volume *r;
	double scale[2];
	float *tmp;
	int32_t nx = v->geom.dims[0], ny = v->geom.dims[1];

	*out = NULL;
	if (!(target_mm > 0.0) || !isfinite(target_mm) || !inplane_geometry(&v->geom, target_mm, &g, scale))
		return dlld_error_set(err, DLLD_STATUS_USAGE, NULL,
				      "bad in-plane target spacing %g mm", target_mm);
	r = dlld_volume_create(&g, err);
	tmp = r ? dlld_calloc((size_t)g.dims[0] * (size_t)ny, sizeof *tmp, "resampling buffer", err)
		: NULL;
	if (!tmp || kernel_make(nx, g.dims[0], scale[0], &kx, err) ||
	    kernel_make(ny, g.dims[1], scale[1], &ky, err)) {
		kernel_free(&kx);
		free(tmp);
		dlld_volume_destroy(r);
		return dlld_ct_status(err);
	}
	for (int32_t k = 0; k < g.dims[2]; k++) {
		const float *src = v->hu + (size_t)k * (size_t)nx * (size_t)ny;
		float *dst = r->hu + (size_t)k * (size_t)g.dims[0] * (size_t)g.dims[1];
		for (int32_t j = 0; j < ny; j++) /* rows: along x */
			apply(&kx, src + (size_t)j * (size_t)nx, 1, tmp + (size_t)j * (size_t)g.dims[0], 1);
		for (int32_t i = 0; i < g.dims[0]; i++) /* columns: along y */
			apply(&ky, tmp + i, g.dims[0], dst + i, g.dims[0]);
	}
	kernel_free(&kx);
	kernel_free(&ky);
	free(tmp);
	r->prov = v->prov;
	*out = r;
	return DLLD_STATUS_OK;
}

enum dlld_status dlld_labelmap_resample_inplane(const struct dlld_labelmap *m, double target_mm,
						struct dlld_labelmap **out, struct dlld_error *err)
{
	struct dlld_geometry g;
	struct dlld_labelmap *r;
	double scale[2];

	*out = NULL;
	if (!(target_mm > 0.0) || !isfinite(target_mm) || !inplane_geometry(&m->geom, target_mm, &g, scale))
		return dlld_error_set(err, DLLD_STATUS_USAGE, NULL,
				      "bad in-plane target spacing %g mm", target_mm);
	r = dlld_labelmap_create(&g, err);
	if (!r)
		return dlld_ct_status(err);
	for (int32_t k = 0; k < g.dims[2]; k++)
		for (int32_t j = 0; j < g.dims[1]; j++) {
			double yj = floor((j + 0.5) * scale[1]);
			int32_t sj = (int32_t)fmin(yj, m->geom.dims[1] - 1);
			for (int32_t i = 0; i < g.dims[0]; i++) {
				double xi = floor((i + 0.5) * scale[0]);
				int32_t si = (int32_t)fmin(xi, m->geom.dims[0] - 1);
				r->label[dlld_voxel_index(&g, i, j, k)] =
					m->label[dlld_voxel_index(&m->geom, si, sj, k)];
			}
		}
	*out = r;
	return DLLD_STATUS_OK;
}

void dlld_ct_window_slice01(const struct dlld_volume *v, int32_t k, float width, float level,
			    float *out)
{
	size_t n = (size_t)v->geom.dims[0] * (size_t)v->geom.dims[1];
	const float *src = v->hu + (size_t)k * n;

	for (size_t p = 0; p < n; p++)
		out[p] = dlld_window01(src[p], width, level);
}

bool dlld_ct_parse_window(const char *text, float *width, float *level)
{
	char buf[64];
	char *slash;
	double w, l;

	if (snprintf(buf, sizeof buf, "%s", text) >= (int)sizeof buf)
		return false;
	slash = strchr(buf, '/');
	if (!slash)
		return false;
	*slash = '\0';
	if (!dlld_parse_double(buf, &w) || !dlld_parse_double(slash + 1, &l) || !(w > 0) ||
	    w > 1e6 || fabs(l) > 1e6)
		return false;
	*width = (float)w;
	*level = (float)l;
	return true;
}

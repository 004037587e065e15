/* ct/volume.c — voxel grids, volumes and label maps. */
#include "dlld/ct.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void dlld_geometry_init(struct dlld_geometry *g, const int32_t dims[3],
			const double spacing_mm[3], const double origin_lps[3])
{
	memset(g, 0, sizeof *g);
	for (int a = 0; a < 3; a++) {
		g->dims[a] = dims[a];
		g->spacing_mm[a] = spacing_mm[a];
		g->affine[a][a] = spacing_mm[a];
		g->affine[a][3] = origin_lps[a];
	}
	g->affine[3][3] = 1.0;
}

bool dlld_geometry_voxels(const struct dlld_geometry *g, size_t *count)
{
	*count = 0;
	for (int a = 0; a < 3; a++)
		if (g->dims[a] < 1)
			return false;
	return dlld_size_mul3((size_t)g->dims[0], (size_t)g->dims[1], (size_t)g->dims[2], count);
}

void dlld_geometry_to_lps(const struct dlld_geometry *g, double i, double j, double k,
			  double lps[3])
{
	for (int r = 0; r < 3; r++)
		lps[r] = g->affine[r][0] * i + g->affine[r][1] * j + g->affine[r][2] * k +
			 g->affine[r][3];
}

bool dlld_geometry_from_lps(const struct dlld_geometry *g, const double lps[3], double ijk[3])
{
	const double (*m)[4] = g->affine;
	double d[3] = {lps[0] - m[0][3], lps[1] - m[1][3], lps[2] - m[2][3]};
	double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
		     m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
		     m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
	double inv[3][3];

	if (fabs(det) < 1e-12)
		return false;
	inv[0][0] = (m[1][1] * m[2][2] - m[1][2] * m[2][1]) / det;
	inv[0][1] = (m[0][2] * m[2][1] - m[0][1] * m[2][2]) / det;
	inv[0][2] = (m[0][1] * m[1][2] - m[0][2] * m[1][1]) / det;
	inv[1][0] = (m[1][2] * m[2][0] - m[1][0] * m[2][2]) / det;
	inv[1][1] = (m[0][0] * m[2][2] - m[0][2] * m[2][0]) / det;
	inv[1][2] = (m[0][2] * m[1][0] - m[0][0] * m[1][2]) / det;
	inv[2][0] = (m[1][0] * m[2][1] - m[1][1] * m[2][0]) / det;
	inv[2][1] = (m[0][1] * m[2][0] - m[0][0] * m[2][1]) / det;
	inv[2][2] = (m[0][0] * m[1][1] - m[0][1] * m[1][0]) / det;
	for (int r = 0; r < 3; r++)
		ijk[r] = inv[r][0] * d[0] + inv[r][1] * d[1] + inv[r][2] * d[2];
	return true;
}

bool dlld_geometry_same(const struct dlld_geometry *a, const struct dlld_geometry *b,
			double tol_mm)
{
	for (int r = 0; r < 3; r++) {
		if (a->dims[r] != b->dims[r])
			return false;
		for (int c = 0; c < 4; c++)
			if (fabs(a->affine[r][c] - b->affine[r][c]) > tol_mm)
				return false;
	}
	return true;
}

struct dlld_volume *dlld_volume_create(const struct dlld_geometry *g, struct dlld_error *err)
{
	struct dlld_volume *v;
	size_t n;

	if (!dlld_geometry_voxels(g, &n)) {
		dlld_error_set(err, DLLD_STATUS_MALFORMED, NULL, "bad volume size %d x %d x %d",
			       g->dims[0], g->dims[1], g->dims[2]);
		return NULL;
	}
	v = dlld_calloc(1, sizeof *v, "volume", err);
	if (!v)
		return NULL;
	v->geom = *g;
	v->hu = dlld_calloc(n, sizeof *v->hu, "volume voxels", err);
	if (!v->hu) {
		free(v);
		return NULL;
	}
	return v;
}

void dlld_volume_destroy(struct dlld_volume *v)
{
	if (!v)
		return;
	free(v->hu);
	free(v);
}

struct dlld_labelmap *dlld_labelmap_create(const struct dlld_geometry *g, struct dlld_error *err)
{
	struct dlld_labelmap *m;
	size_t n;

	if (!dlld_geometry_voxels(g, &n)) {
		dlld_error_set(err, DLLD_STATUS_MALFORMED, NULL, "bad label map size %d x %d x %d",
			       g->dims[0], g->dims[1], g->dims[2]);
		return NULL;
	}
	m = dlld_calloc(1, sizeof *m, "label map", err);
	if (!m)
		return NULL;
	m->geom = *g;
	m->label = dlld_calloc(n, sizeof *m->label, "label map voxels", err);
	if (!m->label) {
		free(m);
		return NULL;
	}
	return m;
}

void dlld_labelmap_destroy(struct dlld_labelmap *m)
{
	if (!m)
		return;
	free(m->label);
	free(m);
}

void dlld_ct_window_slice_u8(const struct dlld_volume *v, int32_t k, float width, float level,
			     uint8_t *out)
{
	size_t n = (size_t)v->geom.dims[0] * (size_t)v->geom.dims[1];
	const float *src = v->hu + (size_t)k * n;

	for (size_t p = 0; p < n; p++)
		out[p] = (uint8_t)lrintf(255.0f * dlld_window01(src[p], width, level));
}

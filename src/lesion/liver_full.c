/*
 * lesion/liver_full.c — the coarse liver back on the CT grid: the signed
 * distance to the surface interpolated trilinearly (a smooth surface instead
 * of 2 mm steps), then boundary voxels trimmed where their local HU is
 * outside the liver band (fat and partial volume around the capsule), where
 * they lie against a rib (the diaphragm and intercostal muscle between rib
 * and capsule) or, on an unenhanced scan, where they lie in the body wall
 * and are darker than the liver's mode (wall muscle).
 */
#include "lesion/liver_steps.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The boundary HU is averaged over in-plane voxels within this many mm: a
 * ~2 mm window (3×3 on sub-mm grids) that never reaches a whole voxel into
 * the neighbouring tissue on coarse (>= 2 mm) grids. */
static const double TRIM_WINDOW_MM = 1.0;
/* Between a rib and the liver capsule lie the costal diaphragm and the
 * intercostal muscle, together at least this thick. */
static const double RIB_GAP_MM = 4.0;
/* Body wall (unenhanced scans only, where skeletal muscle has the liver's
 * HU): the lateral and anterior wall muscles (obliques and transversus, or
 * intercostals) with the costal diaphragm lie within WALL_MM of the
 * subcutaneous fat; the layer of them the mask can take in without a fat
 * plane, the diaphragm and transversus against the capsule, is at most
 * WALL_DEPTH_MM thick. There a voxel darker than the liver's mode is taken
 * for muscle: unenhanced muscle is ≈ 10 HU darker than the parenchyma. */
static const double WALL_MM = 15.0;
static const double WALL_DEPTH_MM = 6.0;

struct full_ctx {
	struct liver_work *w;
	struct dlld_labelmap *m;
	int32_t *c0[3];   /* per CT index and axis: lower coarse neighbour */
	double *t[3];     /* ... and the weight of the upper one */
	float *row_max;   /* [K][J]: largest signed distance along coarse row (J, K) */
	float *bone_d2;   /* [g]: squared distance to the nearest bone block, mm² */
	float *wall_d2;   /* [g]: in-plane squared distance to the subcutaneous fat, mm² */
	double wall_depth_mm; /* body-wall zone below the boundary voxels' signed distance; 0: off */
	double trim_mm;   /* trim depth below the boundary voxels' signed distance */
	int32_t window;   /* in-plane half width of the local HU mean, voxels */
};

/* Continuous coarse coordinate of CT voxel index x on an axis with factor f
 * and n coarse voxels: index of the lower neighbour and weight of the upper. */
static void coarse_coord(int32_t x, int32_t f, int32_t n, int32_t *c0, double *t)
{
	double u = ((double)x - 0.5 * (f - 1)) / f;
	if (u < 0)
		u = 0;
	if (u > n - 1)
		u = n - 1;
	*c0 = (int32_t)floor(u);
	if (*c0 >= n - 1)
		*c0 = n > 1 ? n - 2 : 0;
	*t = n > 1 ? u - *c0 : 0.0;
}

/* Trilinear signed distance at CT voxel (i, j, k); -1 at once when every
 * corner lies outside (the voxel is then outside whatever the weights). */
static float sdist_at(const struct full_ctx *c, int32_t i, int32_t j, int32_t k)
{
	const struct liver_work *w = c->w;
	const int32_t *n = w->g.n;
	const int32_t q0[3] = {c->c0[0][i], c->c0[1][j], c->c0[2][k]};
	const double t[3] = {c->t[0][i], c->t[1][j], c->t[2][k]};
	float v[8];
	bool any_in = false;
	for (int corner = 0; corner < 8; corner++) {
		int32_t q[3];
		for (int d = 0; d < 3; d++) {
			q[d] = q0[d] + ((corner >> d) & 1);
			if (q[d] >= n[d])
				q[d] = n[d] - 1;
		}
		v[corner] = w->sdist[((size_t)q[2] * (size_t)n[1] + (size_t)q[1]) * (size_t)n[0] +
				     (size_t)q[0]];
		any_in = any_in || v[corner] > 0;
	}
	if (!any_in)
		return -1.0f;
	double s = 0;
	for (int corner = 0; corner < 8; corner++) {
		double wt = 1;
		for (int d = 0; d < 3; d++)
			wt *= ((corner >> d) & 1) ? t[d] : 1.0 - t[d];
		s += wt * v[corner];
	}
	return (float)s;
}

/* Mean HU of the in-plane neighbourhood of (i, j, k) within r voxels. */
static double local_mean(const struct dlld_volume *ct, int32_t i, int32_t j, int32_t k, int32_t r)
{
	const int32_t *N = ct->geom.dims;
	double s = 0;
	int n = 0;
	for (int32_t b = j - r; b <= j + r; b++)
		for (int32_t a = i - r; a <= i + r; a++)
			if (a >= 0 && b >= 0 && a < N[0] && b < N[1])
				s += ct->hu[dlld_voxel_index(&ct->geom, a, b, k)], n++;
	return s / n;
}

/* True when no coarse row around CT row (j, k) reaches inside the liver. */
static bool row_outside(const struct full_ctx *c, int32_t j, int32_t k)
{
	const int32_t *n = c->w->g.n;
	for (int32_t dk = 0; dk < 2; dk++)
		for (int32_t dj = 0; dj < 2; dj++) {
			int32_t K = c->c0[2][k] + dk, J = c->c0[1][j] + dj;
			K = K < n[2] ? K : n[2] - 1;
			J = J < n[1] ? J : n[1] - 1;
			if (c->row_max[(size_t)K * (size_t)n[1] + (size_t)J] > 0)
				return false;
		}
	return true;
}

static void full_task(void *p, size_t task, int worker)
{
	struct full_ctx *c = p;
	struct liver_work *w = c->w;
	const int32_t *N = w->ct->geom.dims;
	int32_t k = (int32_t)task;
	(void)worker;
	for (int32_t j = 0; j < N[1]; j++) {
		if (row_outside(c, j, k))
			continue;
		for (int32_t i = 0; i < N[0]; i++) {
			float s = sdist_at(c, i, j, k);
			if (s <= 0)
				continue;
			if (s < c->trim_mm) {
				size_t cv = ((size_t)(k / w->f[2]) * (size_t)w->g.n[1] +
					     (size_t)(j / w->f[1])) * (size_t)w->g.n[0] +
					    (size_t)(i / w->f[0]);
				double hu = local_mean(w->ct, i, j, k, c->window);
				if (hu < w->lo || hu > w->hi + w->bright_hu ||
				    c->bone_d2[cv] < RIB_GAP_MM * RIB_GAP_MM)
					continue;
			}
			if (s < c->wall_depth_mm) {
				size_t cv = ((size_t)(k / w->f[2]) * (size_t)w->g.n[1] +
					     (size_t)(j / w->f[1])) * (size_t)w->g.n[0] +
					    (size_t)(i / w->f[0]);
				if (c->wall_d2[cv] < WALL_MM * WALL_MM &&
				    local_mean(w->ct, i, j, k, c->window) < w->mode)
					continue;
			}
			c->m->label[dlld_voxel_index(&w->ct->geom, i, j, k)] = 1;
		}
	}
}

/* Fills the holes of every slice of a uint16 0/1 label map. */
static enum dlld_status fill_slices(struct dlld_labelmap *m, struct dlld_error *err)
{
	struct lesion_grid g = {{m->geom.dims[0], m->geom.dims[1], 1}, {1, 1, 1}};
	size_t nxy = (size_t)g.n[0] * (size_t)g.n[1];
	uint8_t *s = dlld_calloc(nxy, 1, "slice", err);
	if (!s)
		return DLLD_STATUS_NO_MEMORY;
	enum dlld_status st = DLLD_STATUS_OK;
	for (int32_t k = 0; !st && k < m->geom.dims[2]; k++) {
		uint16_t *l = m->label + (size_t)k * nxy;
		for (size_t v = 0; v < nxy; v++)
			s[v] = l[v] != 0;
		st = lesion_fill_holes_2d(&g, s, err);
		for (size_t v = 0; v < nxy; v++)
			l[v] = s[v];
	}
	free(s);
	return st;
}

enum dlld_status liver_to_full(struct liver_work *w, struct dlld_liver_report *rep,
			       struct dlld_labelmap *m, struct dlld_error *err)
{
	struct full_ctx c = {w, m, {NULL}, {NULL}, NULL, NULL, NULL, 0, 0, 0};
	const int32_t *N = w->ct->geom.dims, *gn = w->g.n;
	const double *sp = m->geom.spacing_mm;
	size_t rows = (size_t)gn[1] * (size_t)gn[2];
	/* A boundary voxel's signed distance is the distance to its outside
	 * neighbour's centre: the surface lies half a coarse voxel outside it. */
	c.trim_mm = w->o->trim_mm + 0.5 * fmax(w->g.sp[0], w->g.sp[1]);
	c.window = (int32_t)(TRIM_WINDOW_MM / fmax(sp[0], sp[1]));
	c.row_max = dlld_calloc(rows, sizeof(float), "liver rows", err);
	c.bone_d2 = dlld_calloc(lesion_grid_count(&w->g), sizeof(float), "bone distance", err);
	c.wall_d2 = dlld_calloc(lesion_grid_count(&w->g), sizeof(float), "wall distance", err);
	c.wall_depth_mm = w->unenhanced ? WALL_DEPTH_MM + 0.5 * fmax(w->g.sp[0], w->g.sp[1]) : 0.0;
	enum dlld_status st = c.row_max && c.bone_d2 && c.wall_d2 ? DLLD_STATUS_OK : DLLD_STATUS_NO_MEMORY;
	if (!st)
		st = lesion_edt_sq(&w->g, w->bone, 1, c.bone_d2, w->pool, err);
	if (!st && w->unenhanced)
		st = liver_wall_distance(w, c.wall_d2, err);
	for (size_t r = 0; !st && r < rows; r++) {
		c.row_max[r] = -1.0f;
		for (int32_t I = 0; I < gn[0]; I++)
			c.row_max[r] = fmaxf(c.row_max[r], w->sdist[r * (size_t)gn[0] + (size_t)I]);
	}
	for (int d = 0; d < 3; d++) {
		c.c0[d] = dlld_calloc((size_t)N[d], sizeof(int32_t), "liver resampling", err);
		c.t[d] = dlld_calloc((size_t)N[d], sizeof(double), "liver resampling", err);
		if (!c.c0[d] || !c.t[d])
			st = DLLD_STATUS_NO_MEMORY;
		for (int32_t x = 0; !st && x < N[d]; x++)
			coarse_coord(x, w->f[d], w->g.n[d], &c.c0[d][x], &c.t[d][x]);
	}
	if (!st) {
		dlld_pool_run(w->pool, (size_t)N[2], full_task, &c);
		st = fill_slices(m, err);
	}
	for (int d = 0; d < 3; d++)
		free(c.c0[d]), free(c.t[d]);
	free(c.row_max), free(c.bone_d2), free(c.wall_d2);
	size_t count = 0, n = 0;
	dlld_geometry_voxels(&m->geom, &count);
	for (size_t v = 0; v < count; v++)
		n += m->label[v];
	rep->volume_ml = (double)n * sp[0] * sp[1] * sp[2] / 1000.0;
	return st;
}

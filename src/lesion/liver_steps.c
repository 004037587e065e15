/*
 * lesion/liver_steps.c — the steps of the automatic liver mask; the reasons
 * for every constant are in docs/liver.md.
 */
#include "lesion/liver_steps.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Tissue closer than this to the skin is abdominal wall and fat, not liver. */
static const double SKIN_DEPTH_MM = 20.0;
/* An air component reaching this close to the top of the scan is lung. */
static const double LUNG_TOP_MM = 20.0;
/* Soft tissue HU window the liver's histogram is taken from. */
static const double HIST_LO_HU = 0.0, HIST_HI_HU = 250.0, HIST_BIN_HU = 2.0;
/* Organ cores at least this big compete with the liver's for the voxels
 * between them (smaller ones are noise and vessels). */
static const double OTHER_MIN_ML = 2.0;
/* Closing additions darker than this are fat or air, not liver. */
static const double CLOSE_MIN_HU = -100.0;
/* The band's lower floor (band_below_hu) holds for enhanced liver (mode at
 * or above this); below it, it shrinks in proportion (unenhanced liver is
 * more uniform, and muscle lies closer under it). */
static const double FLOOR_FULL_HU = 100.0;
/* A second histogram peak at least this high (relative to the mode) and at
 * most this far below it is liver too (regional attenuation differences). */
static const double PEAK2_MIN_REL = 0.25, PEAK2_MAX_BELOW_HU = 45.0;
/* Cortical bone (ribs, sternum, spine) is brighter than this on any grid;
 * enhanced blood in the portal-venous phase stays below it. */
static const double BONE_HU = 300.0;
/* Unenhanced liver parenchyma is about this bright: at or below it the
 * vessels are not brighter than the liver, and nothing bright beside the
 * liver is liver (liver_to_full's bright allowance vanishes). */
static const double UNENHANCED_HU = 55.0;
/* Enhanced vessels inside the liver reach this far above the band (at full
 * enhancement, mode >= FLOOR_FULL_HU); the boundary trim keeps them. */
static const double TRIM_BRIGHT_HU = 100.0;
/* Organs are split at the necks of the candidates thicker than this (a
 * radius, mm); see liver_select. */
static const double SPLIT_MM = 6.0;
/* Two parts are one organ when the neck between them is this deep relative
 * to the shallower part's deepest point (1: no constriction at all). */
static const double NECK_RATIO = 1.0;

double liver_coarse_lps_x(const struct liver_work *w, size_t v)
{
	const struct lesion_grid *g = &w->g;
	size_t I = v % (size_t)g->n[0], J = (v / (size_t)g->n[0]) % (size_t)g->n[1];
	size_t K = v / ((size_t)g->n[0] * (size_t)g->n[1]);
	const double(*A)[4] = w->ct->geom.affine;
	double i = (double)I * w->f[0] + 0.5 * (w->f[0] - 1);
	double j = (double)J * w->f[1] + 0.5 * (w->f[1] - 1);
	double k = (double)K * w->f[2] + 0.5 * (w->f[2] - 1);
	return A[0][0] * i + A[0][1] * j + A[0][2] * k + A[0][3];
}

struct block_ctx {
	struct liver_work *w;
};

static void block_task(void *p, size_t K, int worker)
{
	struct liver_work *w = ((struct block_ctx *)p)->w;
	const int32_t *N = w->ct->geom.dims;
	const struct lesion_grid *g = &w->g;
	(void)worker;
	size_t nxy = (size_t)g->n[0] * (size_t)g->n[1];
	double *sum = calloc(nxy, sizeof(double));
	unsigned *cnt = calloc(nxy, sizeof(unsigned));
	if (!sum || !cnt) { /* the caller checks for NAN blocks */
		for (size_t v = 0; v < nxy; v++)
			w->hu[K * nxy + v] = NAN;
		free(sum), free(cnt);
		return;
	}
	for (int32_t k = (int32_t)K * w->f[2]; k < N[2] && k < ((int32_t)K + 1) * w->f[2]; k++)
		for (int32_t j = 0; j < N[1]; j++) {
			const float *row = w->ct->hu + dlld_voxel_index(&w->ct->geom, 0, j, k);
			size_t J = (size_t)(j / w->f[1]);
			for (int32_t i = 0; i < N[0]; i++) {
				size_t c = J * (size_t)g->n[0] + (size_t)(i / w->f[0]);
				sum[c] += row[i];
				cnt[c]++;
				if (row[i] > BONE_HU)
					w->bone[K * nxy + c] = 1;
			}
		}
	for (size_t v = 0; v < nxy; v++)
		w->hu[K * nxy + v] = (float)(sum[v] / cnt[v]);
	free(sum), free(cnt);
}

enum dlld_status liver_coarse_grid(struct liver_work *w, struct dlld_error *err)
{
	const struct dlld_geometry *G = &w->ct->geom;
	size_t count;
	if (!dlld_geometry_voxels(G, &count))
		return dlld_error_set(err, DLLD_STATUS_INCONSISTENT, w->ct->prov.source_path,
				      "liver mask: empty or oversized grid");
	for (int d = 0; d < 3; d++) {
		long f = lround(w->o->coarse_mm / G->spacing_mm[d]);
		w->f[d] = (int32_t)(f < 1 ? 1 : f);
		w->g.n[d] = (G->dims[d] + w->f[d] - 1) / w->f[d];
		w->g.sp[d] = G->spacing_mm[d] * w->f[d];
	}
	count = lesion_grid_count(&w->g);
	w->hu = dlld_calloc(count, sizeof(float), "coarse CT", err);
	w->smooth = dlld_calloc(count, sizeof(float), "coarse CT", err);
	w->body = dlld_calloc(count, 1, "body mask", err);
	w->lung = dlld_calloc(count, 1, "lung mask", err);
	w->right = dlld_calloc(count, 1, "side mask", err);
	w->cand = dlld_calloc(count, 1, "liver candidates", err);
	w->liver = dlld_calloc(count, 1, "liver", err);
	w->sdist = dlld_calloc(count, sizeof(float), "liver distance", err);
	w->bone = dlld_calloc(count, 1, "bone", err);
	if (!w->hu || !w->smooth || !w->body || !w->lung || !w->right || !w->cand || !w->liver ||
	    !w->sdist || !w->bone)
		return DLLD_STATUS_NO_MEMORY;
	struct block_ctx c = {w};
	dlld_pool_run(w->pool, (size_t)w->g.n[2], block_task, &c);
	for (size_t v = 0; v < count; v++)
		if (isnan(w->hu[v]))
			return dlld_error_set(err, DLLD_STATUS_NO_MEMORY, NULL,
					      "out of memory: coarse CT slice");
	lesion_median3(&w->g, w->hu, w->smooth, w->pool);
	return DLLD_STATUS_OK;
}

enum dlld_status liver_body_and_lung(struct liver_work *w, struct dlld_liver_report *rep,
				     struct dlld_error *err)
{
	const struct lesion_grid *g = &w->g;
	size_t count = lesion_grid_count(g), nxy = (size_t)g->n[0] * (size_t)g->n[1];
	for (size_t v = 0; v < count; v++)
		w->body[v] = w->hu[v] > w->o->body_hu;
	enum dlld_status st = lesion_keep_largest_2d(g, w->body, err);
	if (!st)
		st = lesion_fill_holes_2d(g, w->body, err);
	if (st)
		return st;
	double sx = 0;
	size_t nb = 0;
	for (size_t v = 0; v < count; v++) {
		w->lung[v] = w->body[v] && w->hu[v] < w->o->air_hu;
		if (w->body[v])
			sx += liver_coarse_lps_x(w, v), nb++;
	}
	if (nb == 0)
		return dlld_error_set(err, DLLD_STATUS_INCONSISTENT, w->ct->prov.source_path,
				      "liver mask: no body (nothing above %.0f HU)", w->o->body_hu);
	w->body_x = sx / (double)nb;
	for (size_t v = 0; v < count; v++)
		w->right[v] = liver_coarse_lps_x(w, v) < w->body_x; /* LPS: +x is the patient's left */

	int32_t *lab = dlld_calloc(count, sizeof(int32_t), "air components", err);
	size_t *sizes = NULL;
	long n = lab ? lesion_components(g, w->lung, lab, &sizes, err) : -1;
	int32_t *top = n >= 0 ? dlld_calloc((size_t)n + 1, sizeof(int32_t), "air components", err) : NULL;
	if (!top) {
		free(lab), free(sizes);
		return DLLD_STATUS_NO_MEMORY;
	}
	for (size_t v = 0; v < count; v++)
		if (lab[v] && (int32_t)(v / nxy) > top[lab[v]])
			top[lab[v]] = (int32_t)(v / nxy);
	double voxel_ml = g->sp[0] * g->sp[1] * g->sp[2] / 1000.0;
	int32_t top_k = g->n[2] - 1 - (int32_t)lround(LUNG_TOP_MM / g->sp[2]);
	for (size_t v = 0; v < count; v++) {
		int32_t L = lab[v];
		w->lung[v] = L && (double)sizes[L] * voxel_ml >= w->o->lung_min_ml && top[L] >= top_k;
		rep->lung_found = rep->lung_found || w->lung[v];
	}
	free(lab), free(sizes), free(top);
	return DLLD_STATUS_OK;
}

/* Fills core with the voxels whose HU histogram gives the liver's band:
 * soft tissue deep in the body on the patient's right, just under the
 * right lung's base when there is one. Returns the number of voxels. */
static size_t probe_region(struct liver_work *w, const float *skin_d2, bool under_lung, uint8_t *core)
{
	const struct lesion_grid *g = &w->g;
	size_t nx = (size_t)g->n[0], nxy = nx * (size_t)g->n[1], n = 0;
	for (size_t c = 0; c < nxy; c++) {
		int32_t low = -1; /* lowest right-lung slice of this column */
		for (int32_t K = 0; under_lung && K < g->n[2] && low < 0; K++)
			if (w->lung[(size_t)K * nxy + c] && w->right[(size_t)K * nxy + c])
				low = K;
		if (under_lung && low < 0)
			continue;
		for (int32_t K = 0; K < g->n[2]; K++) {
			size_t v = (size_t)K * nxy + c;
			double below = (low - K) * g->sp[2];
			bool in = w->body[v] && !w->lung[v] && w->right[v] &&
				  w->hu[v] >= HIST_LO_HU && w->hu[v] < HIST_HI_HU &&
				  skin_d2[v] > SKIN_DEPTH_MM * SKIN_DEPTH_MM &&
				  (!under_lung || (below >= w->o->probe_lo_mm && below <= w->o->probe_hi_mm));
			core[v] = in;
			n += in;
		}
	}
	return n;
}

enum dlld_status liver_hu_band(struct liver_work *w, struct dlld_liver_report *rep,
			       struct dlld_error *err)
{
	size_t count = lesion_grid_count(&w->g);
	float *d2 = dlld_calloc(count, sizeof(float), "skin distance", err);
	if (!d2)
		return DLLD_STATUS_NO_MEMORY;
	enum dlld_status st = lesion_edt_sq(&w->g, w->body, 0, d2, w->pool, err);
	uint8_t *core = w->cand; /* scratch until liver_select */
	size_t n = st ? 0 : probe_region(w, d2, rep->lung_found, core);
	if (!st && n < 50)
		n = probe_region(w, d2, false, core);
	free(d2);
	if (st)
		return st;
	enum { NB = 125 };
	double h[NB] = {0}, hs[NB] = {0};
	for (size_t v = 0; v < count; v++) /* smooth: the image the band is applied to */
		if (core[v] && w->smooth[v] >= HIST_LO_HU && w->smooth[v] < HIST_HI_HU)
			h[(int)((w->smooth[v] - HIST_LO_HU) / HIST_BIN_HU)]++;
	int mode = 0;
	for (int b = 0; b < NB; b++) {
		for (int d = -2; d <= 2; d++)
			hs[b] += (b + d >= 0 && b + d < NB) ? h[b + d] / 5.0 : 0.0;
		if (hs[b] > hs[mode])
			mode = b;
	}
	if (n == 0 || hs[mode] <= 0)
		return dlld_error_set(err, DLLD_STATUS_INCONSISTENT, w->ct->prov.source_path,
				      "liver mask: no soft tissue on the patient's right");
	int lo = mode, hi = mode;
	while (lo > 0 && hs[lo] > 0.5 * hs[mode])
		lo--;
	while (hi < NB - 1 && hs[hi] > 0.5 * hs[mode])
		hi++;
	double centre = HIST_LO_HU + (mode + 0.5) * HIST_BIN_HU;
	/* The peak's upper half width measures the liver's spread: the lower
	 * side also holds partial volume with fat and darker neighbours. */
	double floor_below = w->o->band_below_hu * fmin(1.0, centre / FLOOR_FULL_HU);
	w->lo = centre - fmax(floor_below, 1.5 * (hi - mode) * HIST_BIN_HU);
	int b2 = -1; /* a second liver population below the mode */
	for (int b = lo; b >= 1 && (mode - b) * HIST_BIN_HU <= PEAK2_MAX_BELOW_HU; b--)
		if (hs[b] >= PEAK2_MIN_REL * hs[mode] && hs[b] >= hs[b - 1] && hs[b] >= hs[b + 1] &&
		    (b2 < 0 || hs[b] > hs[b2]))
			b2 = b;
	if (b2 >= 0) {
		int l2 = b2;
		while (l2 > 0 && hs[l2] > 0.5 * hs[b2])
			l2--;
		double c2 = HIST_LO_HU + (b2 + 0.5) * HIST_BIN_HU;
		w->lo = fmin(w->lo, c2 - 1.5 * (b2 - l2) * HIST_BIN_HU);
	}
	w->hi = centre + fmax(w->o->band_above_hu, 1.5 * (hi - mode) * HIST_BIN_HU);
	double enh = (centre - UNENHANCED_HU) / (FLOOR_FULL_HU - UNENHANCED_HU);
	w->bright_hu = TRIM_BRIGHT_HU * fmin(1.0, fmax(0.0, enh));
	w->mode = centre;
	w->unenhanced = enh <= 0.0;
	rep->hu_mode = centre, rep->hu_lo = w->lo, rep->hu_hi = w->hi;
	return DLLD_STATUS_OK;
}

/* Fills best with the largest component of `core` whose centre lies on the
 * patient's right (*found false when there is none) and, when others is not
 * NULL, others with the remaining components of at least OTHER_MIN_ML. */
static enum dlld_status pick_right_component(struct liver_work *w, const uint8_t *core, uint8_t *best,
					     uint8_t *others, bool *found, struct dlld_error *err)
{
	size_t count = lesion_grid_count(&w->g);
	int32_t *lab = dlld_calloc(count, sizeof(int32_t), "liver components", err);
	size_t *sizes = NULL;
	long n = lab ? lesion_components(&w->g, core, lab, &sizes, err) : -1;
	size_t *n_right = n >= 0 ? dlld_calloc((size_t)n + 1, sizeof(size_t), "components", err) : NULL;
	if (!n_right) {
		free(lab), free(sizes);
		return DLLD_STATUS_NO_MEMORY;
	}
	for (size_t v = 0; v < count; v++)
		n_right[lab[v]] += w->right[v];
	long pick = 0;
	for (long L = 1; L <= n; L++)
		if (2 * n_right[L] > sizes[L] && (pick == 0 || sizes[L] > sizes[pick]))
			pick = L;
	double voxel_ml = w->g.sp[0] * w->g.sp[1] * w->g.sp[2] / 1000.0;
	for (size_t v = 0; v < count; v++) {
		best[v] = pick && lab[v] == pick;
		if (others)
			others[v] = lab[v] && lab[v] != pick &&
				    (double)sizes[lab[v]] * voxel_ml >= OTHER_MIN_ML;
	}
	*found = pick != 0;
	free(lab), free(sizes), free(n_right);
	return DLLD_STATUS_OK;
}

/* Grows the liver core back inside the band up to r + grow mm, each voxel
 * going to the nearest core: the liver's or another organ's (spleen, heart,
 * kidney), so the liver regains its thin parts but not its neighbours. */
static enum dlld_status grow_back(struct liver_work *w, const uint8_t *others, double reach_mm,
				  uint8_t *scratch, struct dlld_error *err)
{
	size_t count = lesion_grid_count(&w->g);
	float *dl = dlld_calloc(count, sizeof(float), "liver distance", err);
	float *dother = dlld_calloc(count, sizeof(float), "organ distance", err);
	enum dlld_status st = (dl && dother) ? DLLD_STATUS_OK : DLLD_STATUS_NO_MEMORY;
	if (!st)
		st = lesion_edt_sq(&w->g, w->liver, 1, dl, w->pool, err);
	if (!st)
		st = lesion_edt_sq(&w->g, others, 1, dother, w->pool, err);
	bool found = false;
	for (size_t v = 0; !st && v < count; v++)
		scratch[v] = w->cand[v] && dl[v] <= reach_mm * reach_mm && dl[v] <= dother[v];
	if (!st)
		st = pick_right_component(w, scratch, w->liver, NULL, &found, err);
	free(dl), free(dother);
	return st;
}

/* Replaces the liver core (w->liver) by the organs of the candidates
 * thicker than SPLIT_MM that reach it, and fills others with the other
 * organs of at least OTHER_MIN_ML. The watershed of the distance map gives
 * one organ per thick part; a part joined to the core through a neck as
 * thick as itself (the liver's thinner lobes) reaches the core, a part
 * behind a constriction (spleen, stomach wall, kidney, bowel) does not. */
static enum dlld_status split_organs(struct liver_work *w, const float *d2, uint8_t *others,
				     struct dlld_error *err)
{
	size_t count = lesion_grid_count(&w->g);
	int32_t *basin = dlld_calloc(count, sizeof(int32_t), "liver organs", err);
	uint8_t *thick = dlld_calloc(count, 1, "liver organs", err);
	uint8_t *take = dlld_calloc(count, 1, "liver organs", err);
	size_t *size = dlld_calloc(count, sizeof(size_t), "liver organs", err);
	enum dlld_status st = basin && thick && take && size ? DLLD_STATUS_OK : DLLD_STATUS_NO_MEMORY;
	for (size_t v = 0; !st && v < count; v++)
		thick[v] = w->cand[v] && d2[v] > SPLIT_MM * SPLIT_MM;
	if (!st)
		st = liver_split(&w->g, thick, d2, NECK_RATIO, basin, err);
	for (size_t v = 0; !st && v < count; v++)
		if (basin[v] >= 0) {
			take[basin[v]] = take[basin[v]] || w->liver[v];
			size[basin[v]]++;
		}
	double voxel_ml = w->g.sp[0] * w->g.sp[1] * w->g.sp[2] / 1000.0;
	for (size_t v = 0; !st && v < count; v++) {
		int32_t b = basin[v];
		w->liver[v] = b >= 0 && take[b];
		others[v] = b >= 0 && !take[b] && (double)size[b] * voxel_ml >= OTHER_MIN_ML;
	}
	free(basin), free(thick), free(take), free(size);
	return st;
}

enum dlld_status liver_select(struct liver_work *w, struct dlld_liver_report *rep,
			      struct dlld_error *err)
{
	size_t count = lesion_grid_count(&w->g);
	for (size_t v = 0; v < count; v++)
		w->cand[v] = w->body[v] && !w->lung[v] && w->smooth[v] > w->lo && w->smooth[v] < w->hi;
	float *d2 = dlld_calloc(count, sizeof(float), "liver distance", err);
	uint8_t *core = dlld_calloc(count, 1, "liver core", err);
	uint8_t *others = dlld_calloc(count, 1, "organ cores", err);
	if (!d2 || !core || !others) {
		free(d2), free(core), free(others);
		return DLLD_STATUS_NO_MEMORY;
	}
	enum dlld_status st = lesion_edt_sq(&w->g, w->cand, 0, d2, w->pool, err);
	/* The full radius first; smaller ones only when it erased everything. */
	const double scale[3] = {1.0, 2.0 / 3.0, 0.5};
	bool found = false;
	double r = 0;
	for (int s = 0; !st && !found && s < 3; s++) {
		r = w->o->open_radius_mm * scale[s];
		for (size_t v = 0; v < count; v++)
			core[v] = d2[v] > r * r;
		st = pick_right_component(w, core, w->liver, others, &found, err);
	}
	if (!st && !found)
		st = dlld_error_set(err, DLLD_STATUS_INCONSISTENT, w->ct->prov.source_path,
				    "liver mask: no liver-like tissue (%.0f..%.0f HU) on the patient's right",
				    w->lo, w->hi);
	if (!st)
		st = split_organs(w, d2, others, err);
	if (!st)
		st = grow_back(w, others, SPLIT_MM + w->o->grow_mm, core, err);
	rep->open_radius_mm = r;
	free(d2), free(core), free(others);
	return st;
}

enum dlld_status liver_close(struct liver_work *w, struct dlld_error *err)
{
	size_t count = lesion_grid_count(&w->g);
	uint8_t *closed = dlld_calloc(count, 1, "liver closing", err);
	if (!closed)
		return DLLD_STATUS_NO_MEMORY;
	memcpy(closed, w->liver, count);
	double R = w->o->close_radius_mm;
	enum dlld_status st = lesion_dilate(&w->g, closed, R, w->pool, err);
	if (!st)
		st = lesion_erode(&w->g, closed, R, w->pool, err);
	for (size_t v = 0; !st && v < count; v++)
		w->liver[v] = w->liver[v] || (closed[v] && w->body[v] && !w->lung[v] &&
					      w->smooth[v] > CLOSE_MIN_HU);
	if (!st)
		st = lesion_fill_holes_3d(&w->g, w->liver, err);
	if (!st)
		st = lesion_fill_holes_2d(&w->g, w->liver, err);
	free(closed);
	return st;
}

enum dlld_status liver_surface(struct liver_work *w, struct dlld_error *err)
{
	size_t count = lesion_grid_count(&w->g);
	/* Signed distance to the surface: + inside, − outside, 0 half-way
	 * between a boundary voxel and its outside neighbour. */
	float *din = dlld_calloc(count, sizeof(float), "liver distance", err);
	if (!din)
		return DLLD_STATUS_NO_MEMORY;
	enum dlld_status st = lesion_edt_sq(&w->g, w->liver, 0, w->sdist, w->pool, err);
	if (!st)
		st = lesion_edt_sq(&w->g, w->liver, 1, din, w->pool, err);
	for (size_t v = 0; !st && v < count; v++)
		w->sdist[v] = w->liver[v] ? sqrtf(w->sdist[v]) : -sqrtf(din[v]);
	free(din);
	return st;
}

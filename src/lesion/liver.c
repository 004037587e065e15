/*
 * lesion/liver.c — automatic liver mask of a portal-venous CT (docs/liver.md).
 *
 * Coarse grid (~2 mm, block means) → body → lung (air reaching the top of
 * the scan) → liver HU band from the tissue just under the right lung base
 * (plus a second, darker liver population when the histogram has one)
 * → median-smoothed threshold → erosion that cuts the bridges to the
 * neighbouring organs → largest component on the patient's right picks the
 * liver → watershed of the distance map splits the thick candidates into
 * organs at their necks; the organs reaching the core are the liver → grown
 * back inside the band → closing and hole filling
 * (vessels, lesions) → the inferior vena cava, followed up from below the
 * liver, cut out → signed distance interpolated to the CT grid →
 * boundary voxels outside the HU band, against a rib or (unenhanced) in
 * the body wall and darker than the liver trimmed.
 */
#include "dlld/lesion.h"
#include "lesion/liver_steps.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void dlld_liver_options_default(struct dlld_liver_options *o)
{
	o->coarse_mm = 2.0;
	o->body_hu = -500.0;
	o->air_hu = -400.0;
	o->lung_min_ml = 30.0;
	o->probe_lo_mm = 10.0;
	o->probe_hi_mm = 40.0;
	o->band_below_hu = 35.0;
	o->band_above_hu = 45.0;
	o->open_radius_mm = 12.0;
	o->grow_mm = 1.0;
	o->close_radius_mm = 12.0;
	o->trim_mm = 3.0;
	o->threads = 0;
}

double dlld_label_dice(const struct dlld_labelmap *a, uint16_t la, const struct dlld_labelmap *b,
		       uint16_t lb)
{
	size_t n, nb;
	if (!dlld_geometry_voxels(&a->geom, &n) || !dlld_geometry_voxels(&b->geom, &nb))
		return NAN;
	for (int d = 0; d < 3; d++)
		if (a->geom.dims[d] != b->geom.dims[d])
			return NAN;
	size_t both = 0, in_a = 0, in_b = 0;
	for (size_t v = 0; v < n; v++) {
		bool x = la ? a->label[v] == la : a->label[v] != 0;
		bool y = lb ? b->label[v] == lb : b->label[v] != 0;
		in_a += x, in_b += y, both += x && y;
	}
	return in_a + in_b == 0 ? 1.0 : 2.0 * (double)both / (double)(in_a + in_b);
}

static void coarse_free(struct liver_work *w)
{
	free(w->hu), free(w->smooth), free(w->body), free(w->lung), free(w->right);
	free(w->cand), free(w->liver), free(w->sdist), free(w->bone);
}

enum dlld_status dlld_liver_mask(const struct dlld_volume *ct, const struct dlld_liver_options *opts,
				 struct dlld_liver_report *rep, struct dlld_labelmap **out,
				 struct dlld_error *err)
{
	struct dlld_liver_options def;
	struct dlld_liver_report tmp;
	if (!opts) {
		dlld_liver_options_default(&def);
		opts = &def;
	}
	if (!rep)
		rep = &tmp;
	memset(rep, 0, sizeof(*rep));
	*out = NULL;
	struct liver_work w;
	memset(&w, 0, sizeof(w));
	w.ct = ct;
	w.o = opts;
	w.pool = dlld_pool_create(opts->threads, err);
	if (!w.pool)
		return DLLD_STATUS_NO_MEMORY;
	enum dlld_status st = liver_coarse_grid(&w, err);
	if (!st)
		st = liver_body_and_lung(&w, rep, err);
	if (!st)
		st = liver_hu_band(&w, rep, err);
	if (!st)
		st = liver_select(&w, rep, err);
	if (!st)
		st = liver_close(&w, err);
	if (!st)
		st = liver_cut_ivc(&w, err);
	if (!st)
		st = liver_surface(&w, err);
	struct dlld_labelmap *m = NULL;
	if (!st) {
		m = dlld_labelmap_create(&ct->geom, err);
		st = m ? liver_to_full(&w, rep, m, err) : DLLD_STATUS_NO_MEMORY;
	}
	coarse_free(&w);
	dlld_pool_destroy(w.pool);
	if (st) {
		dlld_labelmap_destroy(m);
		return st;
	}
	*out = m;
	return DLLD_STATUS_OK;
}

/*
 * lesion/link.c — slice boxes → 3D lesions (docs/linking.md).
 *
 * Every box is a node; two boxes on slices k < k' with k' - k <= 1 + max_gap
 * are joined when they overlap (intersection over the smaller area) or when
 * their centres are close for their size. The connected components
 * (union-find) are the lesions, so the result does not depend on the order
 * of the boxes, and a lesion that splits into two boxes on one slice (a
 * lobulated metastasis) stays one lesion through its neighbours.
 */
#include "dlld/lesion.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void dlld_link_options_default(struct dlld_link_options *o)
{
	o->min_overlap = 0.3;
	o->centre_fraction = 0.5;
	o->max_centre_mm = 10.0;
	o->max_gap = 1;
}

void dlld_lesion_set_free(struct dlld_lesion_set *set)
{
	free(set->lesions);
	free(set->boxes);
	memset(set, 0, sizeof(*set));
}

static size_t uf_find(size_t *parent, size_t x)
{
	while (parent[x] != x) {
		parent[x] = parent[parent[x]];
		x = parent[x];
	}
	return x;
}

static void uf_union(size_t *parent, size_t a, size_t b)
{
	a = uf_find(parent, a);
	b = uf_find(parent, b);
	if (a != b)
		parent[a < b ? b : a] = a < b ? a : b;
}

static double box_area_mm2(const struct dlld_voxel_box *b, const struct dlld_geometry *g)
{
	return (b->i1 - b->i0) * g->spacing_mm[0] * (b->j1 - b->j0) * g->spacing_mm[1];
}

/* The box's in-plane size: its longer side in mm. */
static double box_side_mm(const struct dlld_voxel_box *b, const struct dlld_geometry *g)
{
	return fmax((b->i1 - b->i0) * g->spacing_mm[0], (b->j1 - b->j0) * g->spacing_mm[1]);
}

static bool boxes_join(const struct dlld_voxel_box *a, const struct dlld_voxel_box *b,
		       const struct dlld_geometry *g, const struct dlld_link_options *o)
{
	double wi = fmin(a->i1, b->i1) - fmax(a->i0, b->i0);
	double wj = fmin(a->j1, b->j1) - fmax(a->j0, b->j0);
	double inter = (wi > 0 && wj > 0) ? wi * wj * g->spacing_mm[0] * g->spacing_mm[1] : 0.0;
	double smaller = fmin(box_area_mm2(a, g), box_area_mm2(b, g));
	if (smaller > 0 && inter / smaller >= o->min_overlap)
		return true;
	double dx = 0.5 * ((a->i0 + a->i1) - (b->i0 + b->i1)) * g->spacing_mm[0];
	double dy = 0.5 * ((a->j0 + a->j1) - (b->j0 + b->j1)) * g->spacing_mm[1];
	double dist = sqrt(dx * dx + dy * dy);
	double size = 0.5 * (box_side_mm(a, g) + box_side_mm(b, g));
	return dist <= o->max_centre_mm && dist <= o->centre_fraction * size;
}

static enum dlld_status check_box(const struct dlld_voxel_box *b, size_t index,
				  const struct dlld_geometry *g, struct dlld_error *err)
{
	bool ok = b->k >= 0 && b->k < g->dims[2] && isfinite(b->i0) && isfinite(b->i1) &&
		  isfinite(b->j0) && isfinite(b->j1) && b->i1 > b->i0 && b->j1 > b->j0 &&
		  b->objectness >= 0.0f && b->objectness <= 1.0f;
	for (int c = 0; c < DLLD_LESION_CLASS_COUNT; c++)
		ok = ok && b->prob[c] >= 0.0f && b->prob[c] <= 1.0f;
	if (!ok)
		return dlld_error_set(err, DLLD_STATUS_INCONSISTENT, NULL,
				      "box %zu (slice %d, %.1f,%.1f-%.1f,%.1f) is off the %dx%dx%d "
				      "grid, empty, or has a probability outside [0, 1]",
				      index, (int)b->k, b->i0, b->j0, b->i1, b->j1, (int)g->dims[0],
				      (int)g->dims[1], (int)g->dims[2]);
	return DLLD_STATUS_OK;
}

static int cmp_box_slice(const void *pa, const void *pb)
{
	const struct dlld_voxel_box *a = pa, *b = pb;
	if (a->k != b->k)
		return a->k < b->k ? -1 : 1;
	if (a->i0 != b->i0)
		return a->i0 < b->i0 ? -1 : 1;
	return (a->j0 > b->j0) - (a->j0 < b->j0);
}

/* Fills L from its boxes (slices ascending): per slice, area-weighted class
 * confidences; over slices, their plain mean (each slice counts once). */
static void lesion_measure(struct dlld_lesion *L, const struct dlld_voxel_box *box, size_t n,
			   const struct dlld_geometry *g)
{
	double psum[DLLD_LESION_CLASS_COUNT] = {0}, osum = 0, area_sum = 0, c[3] = {0};
	L->first_slice = box[0].k;
	L->last_slice = box[n - 1].k;
	L->n_slices = 0;
	L->diameter_mm = -1.0;
	for (size_t s = 0; s < n;) {
		size_t e = s;
		double a_sl = 0, p_sl[DLLD_LESION_CLASS_COUNT] = {0}, o_sl = 0, d_sl = 0;
		double u0 = box[s].i0, u1 = box[s].i1, v0 = box[s].j0, v1 = box[s].j1;
		for (; e < n && box[e].k == box[s].k; e++) {
			double a = box_area_mm2(&box[e], g);
			for (int k = 0; k < DLLD_LESION_CLASS_COUNT; k++)
				p_sl[k] += a * box[e].prob[k];
			o_sl += a * box[e].objectness;
			a_sl += a;
			d_sl = fmax(d_sl, box_side_mm(&box[e], g));
			u0 = fmin(u0, box[e].i0), u1 = fmax(u1, box[e].i1);
			v0 = fmin(v0, box[e].j0), v1 = fmax(v1, box[e].j1);
			c[0] += a * 0.5 * (box[e].i0 + box[e].i1);
			c[1] += a * 0.5 * (box[e].j0 + box[e].j1);
			c[2] += a * box[e].k;
		}
		if (e - s > 1) /* pieces of one lesion: their common extent */
			d_sl = fmax((u1 - u0) * g->spacing_mm[0], (v1 - v0) * g->spacing_mm[1]);
		for (int k = 0; k < DLLD_LESION_CLASS_COUNT; k++)
			psum[k] += p_sl[k] / a_sl;
		osum += o_sl / a_sl;
		area_sum += a_sl;
		if (d_sl > L->diameter_mm) {
			L->diameter_mm = d_sl;
			L->best_slice = box[s].k;
		}
		L->n_slices++;
		s = e;
	}
	L->cls = DLLD_LESION_CLASS_METASTASIS;
	for (int k = 0; k < DLLD_LESION_CLASS_COUNT; k++) {
		L->p[k] = psum[k] / L->n_slices;
		if (L->p[k] > L->p[L->cls])
			L->cls = (enum dlld_lesion_class)k;
	}
	L->objectness = osum / L->n_slices;
	L->score = 100.0 * L->p[L->cls];
	for (int d = 0; d < 3; d++)
		L->centroid_ijk[d] = c[d] / area_sum;
	dlld_geometry_to_lps(g, L->centroid_ijk[0], L->centroid_ijk[1], L->centroid_ijk[2],
			     L->centroid_lps);
	L->dropped_by = -1;
	L->p_real = NAN;
}

static int cmp_lesion(const void *pa, const void *pb)
{
	const struct dlld_lesion *a = pa, *b = pb;
	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	if (a->first_slice != b->first_slice)
		return a->first_slice < b->first_slice ? -1 : 1;
	return (a->centroid_ijk[0] > b->centroid_ijk[0]) - (a->centroid_ijk[0] < b->centroid_ijk[0]);
}

/* Joins boxes (sorted by slice) into components: fills parent[]. */
static void link_components(const struct dlld_voxel_box *box, size_t n, const struct dlld_geometry *g,
			    const struct dlld_link_options *o, size_t *parent)
{
	size_t window = 0; /* first box on a slice within reach of box b */
	for (size_t b = 0; b < n; b++) {
		parent[b] = b;
		while (box[window].k < box[b].k - 1 - o->max_gap)
			window++;
		for (size_t a = window; a < b && box[a].k < box[b].k; a++)
			if (boxes_join(&box[a], &box[b], g, o))
				uf_union(parent, a, b);
	}
}

enum dlld_status dlld_lesion_link(const struct dlld_geometry *g, const struct dlld_voxel_box *boxes,
				  size_t n_boxes, const struct dlld_link_options *opts,
				  struct dlld_lesion_set *out, struct dlld_error *err)
{
	struct dlld_link_options def;
	if (!opts) {
		dlld_link_options_default(&def);
		opts = &def;
	}
	memset(out, 0, sizeof(*out));
	for (size_t b = 0; b < n_boxes; b++)
		if (check_box(&boxes[b], b, g, err))
			return err ? err->status : DLLD_STATUS_INCONSISTENT;
	if (n_boxes == 0)
		return DLLD_STATUS_OK;
	struct dlld_voxel_box *sorted = dlld_calloc(n_boxes, sizeof(*sorted), "boxes", err);
	size_t *parent = dlld_calloc(n_boxes, sizeof(*parent), "box links", err);
	struct dlld_lesion *les = dlld_calloc(n_boxes, sizeof(*les), "lesions", err);
	struct dlld_voxel_box *grouped = dlld_calloc(n_boxes, sizeof(*grouped), "boxes", err);
	if (!sorted || !parent || !les || !grouped) {
		free(sorted), free(parent), free(les), free(grouped);
		return DLLD_STATUS_NO_MEMORY;
	}
	memcpy(sorted, boxes, n_boxes * sizeof(*sorted));
	qsort(sorted, n_boxes, sizeof(*sorted), cmp_box_slice);
	link_components(sorted, n_boxes, g, opts, parent);

	/* Group: roots in order of their first box; boxes stay slice-sorted. */
	size_t n_les = 0, at = 0;
	for (size_t r = 0; r < n_boxes; r++) {
		if (uf_find(parent, r) != r)
			continue;
		size_t first = at;
		for (size_t b = r; b < n_boxes; b++)
			if (uf_find(parent, b) == r)
				grouped[at++] = sorted[b];
		les[n_les].first_box = first;
		les[n_les].n_boxes = at - first;
		lesion_measure(&les[n_les], &grouped[first], at - first, g);
		n_les++;
	}
	qsort(les, n_les, sizeof(*les), cmp_lesion);
	/* Re-group the boxes in the final lesion order. */
	size_t pos = 0;
	for (size_t l = 0; l < n_les; l++) {
		memcpy(&sorted[pos], &grouped[les[l].first_box], les[l].n_boxes * sizeof(*sorted));
		les[l].first_box = pos;
		pos += les[l].n_boxes;
	}
	free(parent), free(grouped);
	out->lesions = les;
	out->n_lesions = n_les;
	out->boxes = sorted;
	out->n_boxes = n_boxes;
	return DLLD_STATUS_OK;
}

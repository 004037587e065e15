/*
 * lesion/morph.h — binary morphology on anisotropic voxel grids, in mm
 * (module-internal). Masks are uint8 0/1, nx*ny*nz, i fastest.
 *
 * Dilation and erosion by a ball of radius r mm are thresholds of the exact
 * Euclidean distance transform (Felzenszwalb & Huttenlocher's separable
 * lower-envelope algorithm with per-axis spacing), so a radius means the
 * same on a 0.57 mm and a 3 mm grid.
 */
#ifndef DLLD_LESION_MORPH_H
#define DLLD_LESION_MORPH_H

#include "dlld/core.h"

struct lesion_grid {
	int32_t n[3];
	double sp[3];   /* mm */
};

static inline size_t lesion_grid_count(const struct lesion_grid *g)
{
	return (size_t)g->n[0] * (size_t)g->n[1] * (size_t)g->n[2];
}

/* Fills d (count floats) with the squared distance in mm² from each voxel to
 * the nearest voxel whose mask value equals `feature` (FLT_MAX when there is
 * none). pool may be NULL. */
enum dlld_status lesion_edt_sq(const struct lesion_grid *g, const uint8_t *mask, uint8_t feature,
			       float *d, struct dlld_pool *pool, struct dlld_error *err);

/* mask := voxels within r mm of mask (dilate) / farther than r mm from the
 * background (erode). */
enum dlld_status lesion_dilate(const struct lesion_grid *g, uint8_t *mask, double r_mm,
			       struct dlld_pool *pool, struct dlld_error *err);
enum dlld_status lesion_erode(const struct lesion_grid *g, uint8_t *mask, double r_mm,
			      struct dlld_pool *pool, struct dlld_error *err);

/* Labels the 6-connected components of mask: fills label[count] (0 =
 * background, 1..n) and returns n; *sizes (new, free()) holds n + 1 voxel
 * counts (sizes[0] unused). Returns -1 with err on memory failure. */
long lesion_components(const struct lesion_grid *g, const uint8_t *mask, int32_t *label,
		       size_t **sizes, struct dlld_error *err);

/* Fills the holes of every axial slice (background not 4-connected to the
 * slice border becomes 1). */
enum dlld_status lesion_fill_holes_2d(const struct lesion_grid *g, uint8_t *mask,
				      struct dlld_error *err);
/* Fills 3D holes (background not 6-connected to the volume border). */
enum dlld_status lesion_fill_holes_3d(const struct lesion_grid *g, uint8_t *mask,
				      struct dlld_error *err);
/* Keeps the largest component of every axial slice (8-connected). */
enum dlld_status lesion_keep_largest_2d(const struct lesion_grid *g, uint8_t *mask,
					struct dlld_error *err);

/* Fills out with the 3×3×3 median of in (edges replicate). */
void lesion_median3(const struct lesion_grid *g, const float *in, float *out,
		    struct dlld_pool *pool);

#endif

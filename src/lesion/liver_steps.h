/*
 * lesion/liver_steps.h — the steps of the automatic liver mask
 * (module-internal; lesion/liver.c runs them in order).
 */
#ifndef DLLD_LESION_LIVER_STEPS_H
#define DLLD_LESION_LIVER_STEPS_H

#include "dlld/lesion.h"
#include "lesion/morph.h"

struct liver_work {
	const struct dlld_volume *ct;       /* borrowed */
	const struct dlld_liver_options *o; /* borrowed */
	struct dlld_pool *pool;             /* borrowed */
	struct lesion_grid g;               /* the coarse grid */
	int32_t f[3];                       /* CT voxels per coarse voxel, per axis */
	float *hu;                          /* coarse block means [g] */
	float *smooth;                      /* 3×3×3 median of hu [g] */
	uint8_t *body, *lung, *right;       /* [g]; right = patient's right of the body centre */
	uint8_t *cand;                      /* smooth inside the liver HU band [g] */
	uint8_t *liver;                     /* the coarse liver [g] */
	uint8_t *bone;                      /* the block holds a CT voxel of cortical bone [g] */
	float *sdist;                       /* signed distance to the liver surface, mm, > 0 inside [g] */
	double body_x;                      /* LPS x of the body's centre, mm */
	double lo, hi;                      /* liver HU band */
	double mode;                        /* the liver's HU peak */
	bool unenhanced;                    /* mode <= unenhanced parenchyma: muscle has liver HU */
	double bright_hu;                   /* the boundary trim keeps up to hi + this (vessels) */
};

/* LPS x (mm) of the centre of coarse voxel v. */
double liver_coarse_lps_x(const struct liver_work *w, size_t v);

/* Each step fills its fields of w (new arrays, freed by liver.c). */
enum dlld_status liver_coarse_grid(struct liver_work *w, struct dlld_error *err);
enum dlld_status liver_body_and_lung(struct liver_work *w, struct dlld_liver_report *rep,
				     struct dlld_error *err);
enum dlld_status liver_hu_band(struct liver_work *w, struct dlld_liver_report *rep,
			       struct dlld_error *err);
enum dlld_status liver_select(struct liver_work *w, struct dlld_liver_report *rep,
			      struct dlld_error *err);
/* Watershed of the distance map inside mask (d2: squared distance to its
 * background, mm²): fills basin with each mask voxel's organ id (a voxel
 * index; -1 outside the mask). Two basins meeting at a neck of depth t
 * become one when t >= neck_ratio × the shallower one's deepest point. */
enum dlld_status liver_split(const struct lesion_grid *g, const uint8_t *mask, const float *d2,
			     double neck_ratio, int32_t *basin, struct dlld_error *err);
enum dlld_status liver_close(struct liver_work *w, struct dlld_error *err);
/* Removes the inferior vena cava, followed up from below the liver, from
 * the coarse liver (lesion/liver_vessel.c). */
enum dlld_status liver_cut_ivc(struct liver_work *w, struct dlld_error *err);
/* Fills wall_d2 [g] with the in-plane squared distance (mm²) to the outside
 * of the body or the subcutaneous fat joined to it (lesion/liver_wall.c). */
enum dlld_status liver_wall_distance(const struct liver_work *w, float *wall_d2,
				     struct dlld_error *err);
/* Fills w->sdist from the final coarse liver. */
enum dlld_status liver_surface(struct liver_work *w, struct dlld_error *err);
/* Fills m (CT grid, zeroed) with the final 0/1 mask and rep->volume_ml. */
enum dlld_status liver_to_full(struct liver_work *w, struct dlld_liver_report *rep,
			       struct dlld_labelmap *m, struct dlld_error *err);

#endif

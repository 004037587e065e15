/*
 * dlld/lesion.h — from slice boxes to liver lesions: the automatic liver
 * mask, 3D linking of boxes on adjacent slices, the model-independent
 * false-positive filter, and matching detections (or readers' marks) to a
 * cohort's truth for `dlld eval` (DESIGN §1, §5, §6; docs/liver.md,
 * docs/linking.md).
 *
 * Units: millimetres and HU in every option; voxel counts are derived from
 * the volume's spacing, so the same options fit any scanner.
 */
#ifndef DLLD_LESION_H
#define DLLD_LESION_H

#include "dlld/core.h"
#include "dlld/ct.h"
#include "dlld/detect.h"

/* ---- automatic liver mask (docs/liver.md) -------------------------------- */
struct dlld_liver_options {
	double coarse_mm;        /* working grid for the coarse steps (2.0) */
	double body_hu;          /* body = connected tissue above this (-500) */
	double air_hu;           /* lung / gas below this (-400) */
	double lung_min_ml;      /* an air component this big reaching the top of
				  * the scan is lung (30) */
	double probe_lo_mm;      /* liver HU sampled from 10..40 mm under the */
	double probe_hi_mm;      /* right lung's base (10, 40) */
	double band_below_hu;    /* liver band = [mode - max(this × min(1, mode/100), */
	double band_above_hu;    /* 1.5 × upper half width), mode + max(this, ...)] (35, 45) */
	double open_radius_mm;   /* erosion radius that cuts bridges (12) */
	double grow_mm;          /* the liver's thick parts grow back this far beyond 6 mm (1) */
	double close_radius_mm;  /* closing radius: vessels, peripheral lesions (12) */
	double trim_mm;          /* full-resolution boundary trim depth (3) */
	int threads;             /* 0: all CPUs */
};
/* Fills o with the defaults above (reasons in docs/liver.md). */
void dlld_liver_options_default(struct dlld_liver_options *o);

/* What the liver mask found (for logs, JSON and the docs). */
struct dlld_liver_report {
	bool lung_found;         /* false: scan below the lungs; HU from the right half */
	double hu_mode, hu_lo, hu_hi;
	double volume_ml;
	double open_radius_mm;   /* the radius that separated the liver */
};

/* Segments the liver of a portal-venous CT. Returns a new 0/1 label map on
 * ct's grid in *out and fills rep (may be NULL). opts may be NULL
 * (defaults). Errors: no body or no liver-like tissue (4), memory (6). */
enum dlld_status dlld_liver_mask(const struct dlld_volume *ct, const struct dlld_liver_options *opts,
				 struct dlld_liver_report *rep, struct dlld_labelmap **out,
				 struct dlld_error *err);

/* Returns the Dice coefficient of (a == la) and (b == lb) on equal grids (1
 * when both are empty, NAN when the dims differ). la/lb 0 mean "any non-zero". */
double dlld_label_dice(const struct dlld_labelmap *a, uint16_t la, const struct dlld_labelmap *b,
		       uint16_t lb);

/* ---- 3D linking (docs/linking.md) ------------------------------------------ */
struct dlld_link_options {
	double min_overlap;      /* join boxes whose intersection / smaller area >= this (0.3) */
	double centre_fraction;  /* ... or whose centres are closer than this × the mean
				  * in-plane size of the two boxes (0.5) */
	double max_centre_mm;    /* ... and at most this far (10 mm) */
	int32_t max_gap;         /* slices a lesion may be missed on and stay one (1) */
};
/* Fills o with the defaults above. */
void dlld_link_options_default(struct dlld_link_options *o);

/* One 3D lesion: a track of boxes on adjacent slices. */
struct dlld_lesion {
	enum dlld_lesion_class cls;            /* argmax of p */
	double score;                          /* 100 × p[cls] */
	double p[DLLD_LESION_CLASS_COUNT];     /* class confidences averaged over slices */
	double objectness;                     /* averaged over slices */
	double centroid_ijk[3];                /* box-area-weighted box centres, voxels */
	double centroid_lps[3];                /* the same in LPS mm */
	double diameter_mm;                    /* longest in-plane box side on the best slice */
	int32_t best_slice;                    /* slice of diameter_mm */
	int32_t first_slice, last_slice, n_slices;
	size_t first_box, n_boxes;             /* this lesion's boxes in dlld_lesion_set.boxes */
	int dropped_by;                        /* enum dlld_fp_step that removed it, or -1 */
	double p_real;                         /* the learned model's probability that it
						* is a real lesion; NAN when not computed */
};

/* Lesions and their boxes. Filled by dlld_lesion_link; released by
 * dlld_lesion_set_free. */
struct dlld_lesion_set {
	size_t n_lesions;
	struct dlld_lesion *lesions;   /* by score descending, then first slice */
	size_t n_boxes;
	struct dlld_voxel_box *boxes;  /* grouped by lesion, slices ascending */
};
void dlld_lesion_set_free(struct dlld_lesion_set *set); /* zeroes; accepts an empty set */

/* Links slice boxes (any order, borrowed) on grid g into 3D lesions: boxes
 * on slices k and k' (0 < k' - k <= 1 + max_gap) that overlap (or whose
 * centres are close) belong to one lesion. Fills *out (new arrays). opts
 * may be NULL. Errors: a box off the grid or with NaN / inverted edges or
 * probabilities outside [0, 1] (4), memory (6). */
enum dlld_status dlld_lesion_link(const struct dlld_geometry *g, const struct dlld_voxel_box *boxes,
				  size_t n_boxes, const struct dlld_link_options *opts,
				  struct dlld_lesion_set *out, struct dlld_error *err);

/* ---- false-positive filter (docs/linking.md) -------------------------------- */
enum dlld_fp_step {
	DLLD_FP_STEP_OUTSIDE_LIVER,  /* too little of it inside the dilated liver mask */
	DLLD_FP_STEP_SIZE,           /* diameter outside [min, max] */
	DLLD_FP_STEP_SPAN,           /* too few slices for its size and the slice step */
	DLLD_FP_STEP_SCORE,          /* score below the threshold */
	DLLD_FP_STEP_DIAPHRAGM,      /* small, at the liver dome, lung right above it */
	DLLD_FP_STEP_VESSEL,         /* long in z, thin, brighter than the liver */
	DLLD_FP_STEP_PARENCHYMA,     /* no more contrast than the parenchyma's own mottling
				      * (off by default) */
	DLLD_FP_STEP_MODEL,          /* the learned model's probability below its threshold
				      * (when the model has one: model.json "fp_model") */
	DLLD_FP_STEP_COUNT
};
/* Returns the static name of a step ("outside_liver", ...). */
const char *dlld_fp_step_name(enum dlld_fp_step step);
/* Returns the step called name ("outside_liver"; '-' may stand for '_'), or -1. */
int dlld_fp_step_from_name(const char *name);

/* ---- learned false-positive model (docs/linking.md) --------------------------
 * A logistic model of "this linked lesion is a real lesion" (any class) on
 * what the detector and the linking say of it, fitted by `dlld fit-fp` on a
 * tuning cohort and kept in MODEL/model.json under "fp_model". */
enum { DLLD_FP_MODEL_FEATURES = 6 };
struct dlld_fp_model {
	bool present;
	double intercept;
	double coef[DLLD_FP_MODEL_FEATURES];
	double threshold;      /* lesions with probability below it are dropped (0–1) */
};
/* The static name of feature f ("logit_p_metastasis", ...), or NULL. */
const char *dlld_fp_model_feature_name(int f);
/* The features of L on a grid whose slice step is slice_mm: the logits of
 * the three averaged class confidences, log diameter, r = log(craniocaudal
 * extent / diameter) and r². */
void dlld_fp_model_features(const struct dlld_lesion *L, double slice_mm,
			    double x[DLLD_FP_MODEL_FEATURES]);
/* The model's probability for features x. */
double dlld_fp_model_probability(const struct dlld_fp_model *m, const double x[DLLD_FP_MODEL_FEATURES]);

/* Fits the model by maximum likelihood (Newton–Raphson on standardised
 * features, a 1e-6 ridge against separation): x is n rows of the features,
 * y the 0/1 outcomes. Fills everything but threshold and present; *iterations
 * may be NULL. Errors: fewer than 2 of either outcome or no convergence (4),
 * memory (6). */
enum dlld_status dlld_fp_model_fit(const double *x, const unsigned char *y, size_t n,
				   struct dlld_fp_model *m, int *iterations, struct dlld_error *err);

/* Reads "fp_model" of the model.json at path into *m (m->present false when
 * absent). A malformed entry or other features than this build's is 3. */
enum dlld_status dlld_fp_model_read(const char *path, struct dlld_fp_model *m, struct dlld_error *err);
/* Rewrites the model.json at path (atomically) with "fp_model" = m plus the
 * JSON object text fit_json (may be NULL) as its "fit", and, when score >= 0,
 * "thresholds"."score" = score. */
enum dlld_status dlld_fp_model_write(const char *path, const struct dlld_fp_model *m,
				     const char *fit_json, double score, struct dlld_error *err);

struct dlld_fp_options {
	bool enable[DLLD_FP_STEP_COUNT];   /* all true by default but parenchyma */
	double liver_margin_mm;            /* liver mask dilated by this (5) */
	double min_inside_fraction;        /* of the box area, over all slices (0.5) */
	double min_diameter_mm;            /* (3) */
	double max_diameter_mm;            /* (200) */
	double min_span_mm;                /* span >= max(1, ceil(this / slice step)) slices (3) */
	double span_exempt_diameter_mm;    /* lesions at least this wide skip the span rule (10) */
	double min_score;                  /* 0–100 (0: keep every score) */
	double diaphragm_max_diameter_mm;  /* only lesions smaller than this (15) */
	double diaphragm_probe_mm;         /* look this far above the lesion for lung (10) */
	double diaphragm_air_fraction;     /* ... and drop when this share is air (0.25) */
	double vessel_elongation;          /* z length / diameter at least this (3) */
	double vessel_hu_above_liver;      /* mean HU this much above the liver's median (20) */
	double parenchyma_contrast_sd;     /* drop when |contrast| < this × the spread of */
	double parenchyma_max_contrast_hu; /* same-size liver patches around it, and < this (2.5, 10) */
	struct dlld_fp_model model;        /* absent by default; model.threshold is a setting */
};
/* Fills o with the defaults above. */
void dlld_fp_options_default(struct dlld_fp_options *o);

/* The numeric settings above by name, for command lines and logs. */
struct dlld_fp_param {
	const char *name;          /* the field's name: "liver_margin_mm", ... */
	enum dlld_fp_step step;    /* the step that uses it */
	double lo, hi;             /* accepted values, inclusive */
};
size_t dlld_fp_param_count(void);
const struct dlld_fp_param *dlld_fp_param_at(size_t i);
double dlld_fp_param_get(const struct dlld_fp_options *o, size_t i);
/* Sets the setting called name; 1 (usage) for an unknown name or a value
 * out of its range, with a message naming both. */
enum dlld_status dlld_fp_options_set(struct dlld_fp_options *o, const char *name, double value,
				     struct dlld_error *err);
/* 1 (usage) when settings contradict each other (min diameter > max). */
enum dlld_status dlld_fp_options_check(const struct dlld_fp_options *o, struct dlld_error *err);

/* Applies the enabled steps in enum order to the lesions not yet dropped and
 * sets dropped_by of each lesion removed; counts it in removed[step] (may be
 * NULL). ct and liver (borrowed, same grid as the boxes) may be NULL: the
 * steps that need them are then skipped (span needs either for the slice
 * step). Returns 4 when the grids differ or a lesion lies beyond them. */
enum dlld_status dlld_fp_filter(const struct dlld_fp_options *opts, const struct dlld_volume *ct,
				const struct dlld_labelmap *liver, struct dlld_lesion_set *set,
				size_t removed[DLLD_FP_STEP_COUNT], struct dlld_error *err);

/* Removes the dropped lesions (and their boxes) from set, keeping the order. */
void dlld_lesion_set_compact(struct dlld_lesion_set *set);

/* ---- matching (DESIGN §6) ---------------------------------------------------- */
/* One mark to match: a detection or a reader's location mark. */
struct dlld_match_mark {
	char reader[64];
	char patient_id[64];
	double lps[3];
	double rating;       /* detections: 100 × p_metastasis; readers: 1–5 */
	int positive;        /* 0/1; -1 when the mark has none (readers) */
};

/* A matched mark as marks.csv writes it. */
struct dlld_match_result {
	char reader[64];
	char patient_id[64];
	char lesion_id[32];  /* "" for a non-lesion localisation */
	double rating;
	int positive;        /* -1: not written */
};

/* Matches marks against cohort truth: a mark is a lesion localisation of
 * metastasis L when its point lies inside L's instance mask (when the
 * patient has lesions.nii.gz) or within L's radius of its centroid (table
 * only); marks on other lesions or on none are non-lesion localisations.
 * Several marks of one reader on one lesion collapse to the highest rating.
 * Returns a new array in *out (free()) of *n_out results: patients in
 * cohort order, each patient's marks in input order. Errors: a mark of an unknown
 * patient (4), unreadable masks (2/3), a mask grid that disagrees with the
 * mask's labels (4). */
enum dlld_status dlld_match(const struct dlld_cohort *cohort, const struct dlld_match_mark *marks,
			    size_t n_marks, struct dlld_match_result **out, size_t *n_out,
			    struct dlld_error *err);

/* For each mark, the index in cohort->lesions of the truth lesion of any
 * class under its point (as dlld_match locates it), or -1; no collapsing.
 * lesion has n_marks entries. Errors as dlld_match. */
enum dlld_status dlld_match_lesions(const struct dlld_cohort *cohort,
				    const struct dlld_match_mark *marks, size_t n_marks, long *lesion,
				    struct dlld_error *err);

#endif

/*
 * dlld/detect.h — from CT to slice detections: the lesion classes, the cohort
 * directory (DESIGN §4) that training and detection read, and the slice
 * samples the detector sees.
 */
#ifndef DLLD_DETECT_H
#define DLLD_DETECT_H

#include "dlld/core.h"
#include "dlld/ct.h"
#include "dlld/nn.h"

#include <signal.h>

/* ---- cohort directory (DESIGN §4) ---------------------------------------- */
struct dlld_cohort_lesion {
	char lesion_id[32];
	size_t patient;              /* index into dlld_cohort.patients */
	enum dlld_lesion_class cls;
	double diameter_mm;
	double centroid_lps[3];      /* x_mm, y_mm, z_mm */
	double volume_ml;
	long first_slice, last_slice;
};

struct dlld_cohort_patient {
	char id[64];
	bool diseased;
	char ct_path[1024];          /* <dir>/<id>/ct.nii.gz, or <dir>/<id>/dicom */
	char lesions_path[1024];     /* <dir>/<id>/lesions.nii.gz ("" when absent) */
	char liver_path[1024];       /* <dir>/<id>/liver.nii.gz ("" when absent) */
	size_t first_lesion;         /* this patient's lesions are contiguous */
	size_t n_lesions;
};

struct dlld_cohort {
	char dir[1024];
	size_t n_patients;
	struct dlld_cohort_patient *patients;
	size_t n_lesions;
	struct dlld_cohort_lesion *lesions; /* grouped by patient, in file order */
};

/* Reads COHORT/cases.csv and COHORT/lesions.csv and finds each patient's
 * files. Returns a new cohort in *out. Errors: a missing table or column
 * (2/3), a bad value (3, file:line), a duplicate patient or lesion id (3), a
 * lesion of an unknown patient or a `diseased` flag that contradicts the
 * metastases listed (4), a patient folder without a CT (2). */
enum dlld_status dlld_cohort_read(const char *dir, struct dlld_cohort **out,
				  struct dlld_error *err);
void dlld_cohort_destroy(struct dlld_cohort *cohort); /* accepts NULL */
/* Returns the index of patient `id`, or -1. */
long dlld_cohort_find_patient(const struct dlld_cohort *cohort, const char *id);

/* ---- slice samples: what the detector sees --------------------------------
 * A sample is one axial slice k rendered to a C×H×W float tensor in [0, 1]
 * on the network grid, with the lesion boxes of that slice in network
 * pixels. The network grid is a square of `size` pixels of `pixel_mm` mm
 * centred on a chosen point of the slice (letterboxed with air where the
 * CT ends). */
enum dlld_channel_mode {
	DLLD_CHANNEL_MODE_25D,     /* slices k-1, k, k+1 in window 0 (channels = 3) */
	DLLD_CHANNEL_MODE_WINDOWS, /* slice k in windows 0..channels-1 */
	DLLD_CHANNEL_MODE_COUNT
};
const char *dlld_channel_mode_name(enum dlld_channel_mode mode);
bool dlld_channel_mode_parse(const char *name, enum dlld_channel_mode *mode);

#define DLLD_MAX_CHANNELS 3

struct dlld_input_spec {
	int size;                              /* network width = height, pixels */
	int channels;                          /* 1..DLLD_MAX_CHANNELS */
	enum dlld_channel_mode mode;
	double pixel_mm;                       /* in-plane mm per network pixel */
	float window_width[DLLD_MAX_CHANNELS];  /* HU */
	float window_level[DLLD_MAX_CHANNELS];
};

/* Fills spec with DLLD's default: 2.5D, 3 channels, liver window W 350 / L 60
 * (wide enough for cysts at ~0 HU and enhancing rims at ~200 HU), 0.8 mm per
 * pixel, 416 pixels (333 mm: the whole abdomen of an adult). */
void dlld_input_spec_default(struct dlld_input_spec *spec);
/* DLLD_STATUS_USAGE with a reason when spec is not usable. */
enum dlld_status dlld_input_spec_check(const struct dlld_input_spec *spec, struct dlld_error *err);

/* Where the network grid lies on a slice: voxel (i, j) of network pixel
 * centre (u, v) is origin + u * step_u + v * step_v (flips and scaling make
 * the steps signed and non-unit). */
struct dlld_slice_view {
	double origin_ij[2];
	double step_u_ij[2];
	double step_v_ij[2];
};

/* Fills view so that the network grid is centred on voxel (ci, cj) of g,
 * upright, at spec->pixel_mm. */
void dlld_slice_view_centered(const struct dlld_geometry *g, const struct dlld_input_spec *spec,
			      double ci, double cj, struct dlld_slice_view *view);
/* Fills ij[2] with the voxel position of network pixel position (u, v). */
void dlld_slice_view_to_voxel(const struct dlld_slice_view *view, double u, double v, double ij[2]);
/* Fills uv[2] with the network pixel position of voxel (i, j); false when the
 * view is degenerate. */
bool dlld_slice_view_to_net(const struct dlld_slice_view *view, double i, double j, double uv[2]);

/* Augmentation of one sample; all zeros / false = none. */
struct dlld_augment {
	bool flip_u, flip_v;
	double scale;          /* > 0: grid scaled by this factor (1 = none) */
	double shift_mm[2];    /* grid centre moved */
	float window_shift_hu; /* added to every window level */
	float window_scale;    /* window widths multiplied (1 = none) */
	float noise_sd;        /* Gaussian noise added to the [0,1] channels */
};
/* Limits for random augmentation. */
struct dlld_augment_range {
	double scale_jitter;   /* scale in [1 - j, 1 + j] */
	double shift_mm;       /* each axis in [-s, s] */
	float window_shift_hu;
	float window_scale_jitter;
	float noise_sd_max;
	bool flips;
};
/* Fills aug with a random draw inside range (deterministic for the rng state). */
void dlld_augment_draw(const struct dlld_augment_range *range, struct dlld_rng *rng,
		       struct dlld_augment *aug);
/* Fills view' = view under aug (flips about the grid centre, scale, shift). */
void dlld_slice_view_augment(const struct dlld_geometry *g, const struct dlld_input_spec *spec,
			     const struct dlld_augment *aug, struct dlld_slice_view *view);

/* Fills out[channels × size × size] (NCHW, one image) with slice k of v on the
 * view, bilinear, windowed to [0, 1]; pixels outside the CT are air (-1000
 * HU); the 2.5D neighbours of the first and last slice repeat the edge slice.
 * aug may be NULL; its noise uses rng (may be NULL when aug has no noise). */
void dlld_sample_render(const struct dlld_volume *v, int32_t k, const struct dlld_input_spec *spec,
			const struct dlld_slice_view *view, const struct dlld_augment *aug,
			struct dlld_rng *rng, float *out);

/* A lesion's extent on one slice, in network pixels (x to the right = u,
 * y down = v), with its class and its 1-based instance label. */
struct dlld_sample_box {
	float x0, y0, x1, y1;
	enum dlld_lesion_class cls;
	uint16_t label;
};

/* Fills boxes[0..*n_boxes) with one box per lesion label present on slice k of
 * the instance mask m (its voxel bounding box, edges at voxel borders, mapped
 * to the view and clipped to the grid; boxes falling outside are dropped).
 * class_of_label[n] gives label n's class (n in 1..n_labels). At most
 * max_boxes are written; returns the number of lesions on the slice. */
size_t dlld_sample_boxes(const struct dlld_labelmap *m, int32_t k, const struct dlld_input_spec *spec,
			 const struct dlld_slice_view *view,
			 const enum dlld_lesion_class *class_of_label, size_t n_labels,
			 struct dlld_sample_box *boxes, size_t max_boxes, size_t *n_boxes);

/* ---- overlays: what a radiologist looks at ---------------------------------- */
/* One box to draw on a slice, in voxel coordinates (inclusive voxel range). */
struct dlld_overlay_box {
	double i0, j0, i1, j1;
	enum dlld_lesion_class cls;  /* chooses the colour */
	char label[48];              /* e.g. "L3 metastasis 87" */
};

/* Returns the static RGB colour used for a class (metastasis red, cyst
 * cyan, hemangioma yellow). */
void dlld_lesion_class_color(enum dlld_lesion_class cls, uint8_t rgb[3]);

/* Writes slice k of v, windowed (width/level HU), with the boxes and their
 * labels drawn, as an RGB PNG at path (atomically). The picture is the
 * slice at its own resolution, upscaled by an integer factor to at least
 * 512 pixels wide so labels stay readable; a caption line at the top says
 * `caption` (may be NULL). */
enum dlld_status dlld_overlay_write(const struct dlld_volume *v, int32_t k, float width,
				    float level, const struct dlld_overlay_box *boxes, size_t n_boxes,
				    const char *caption, const char *path, struct dlld_error *err);

/* ---- the liver's extent -------------------------------------------------- */
struct dlld_liver_box {
	int32_t lo[3], hi[3];   /* inclusive voxel bounds of the non-zero labels */
};
/* Fills box with the bounds of m's non-zero voxels; false when there are none. */
bool dlld_liver_box_find(const struct dlld_labelmap *m, struct dlld_liver_box *box);

/* ---- training data set ----------------------------------------------------
 * The slices of one or more cohorts that a detector trains on, held in
 * memory compactly: each patient cropped to its liver (bounding box plus a
 * margin, and the liver's slice range plus a slice margin; the whole volume
 * when there is no liver mask), HU as int16. Every slice of the crop is a
 * sample: positive when a lesion is on it, negative otherwise. */
struct dlld_dataset_options {
	struct dlld_input_spec spec;
	double margin_mm;       /* around the liver bounding box (default 20) */
	int slice_margin;       /* slices beyond the liver's range (default 1) */
};
/* Fills o with the defaults (dlld_input_spec_default, 20 mm, 1 slice). */
void dlld_dataset_options_default(struct dlld_dataset_options *o);

struct dlld_dataset_sample {
	uint32_t case_index;
	int32_t k;             /* slice in the case's crop */
	uint16_t n_lesions;    /* lesions on this slice (0 = negative) */
};

struct dlld_dataset;

/* Loads every patient of the cohorts (in parallel on pool, may be NULL).
 * Returns a new data set in *out. A patient whose files cannot be read, or
 * whose lesion mask has a label without a row L<n> in lesions.csv, is an
 * error naming the file. */
enum dlld_status dlld_dataset_create(const struct dlld_cohort *const *cohorts, size_t n_cohorts,
				     const struct dlld_dataset_options *opts, struct dlld_pool *pool,
				     struct dlld_dataset **out, struct dlld_error *err);
void dlld_dataset_destroy(struct dlld_dataset *ds); /* accepts NULL */
size_t dlld_dataset_count(const struct dlld_dataset *ds);
size_t dlld_dataset_cases(const struct dlld_dataset *ds);
/* Borrows sample s (s < count). */
const struct dlld_dataset_sample *dlld_dataset_sample(const struct dlld_dataset *ds, size_t s);
/* Borrows the patient id of case c. */
const char *dlld_dataset_case_id(const struct dlld_dataset *ds, size_t c);
/* Bytes held by the crops. */
size_t dlld_dataset_bytes(const struct dlld_dataset *ds);

/* Per-thread scratch memory for rendering. */
struct dlld_dataset_scratch;
struct dlld_dataset_scratch *dlld_dataset_scratch_create(const struct dlld_dataset *ds,
							 struct dlld_error *err);
void dlld_dataset_scratch_destroy(struct dlld_dataset_scratch *scratch); /* accepts NULL */

/* Fills image[channels × size × size] and boxes (network pixels) for sample
 * s, the grid centred on the case's liver, under aug (NULL = none; its
 * noise draws from rng). Returns the number of boxes written (<= max_boxes). */
size_t dlld_dataset_render(const struct dlld_dataset *ds, size_t s, const struct dlld_augment *aug,
			   struct dlld_rng *rng, struct dlld_dataset_scratch *scratch, float *image,
			   struct dlld_sample_box *boxes, size_t max_boxes);

/* ---- YOLOv3 loss ------------------------------------------------------------
 * A yolo layer's output (dlld/nn.h: struct dlld_yolo_info, dlld_yolo_box) is
 * per image n_mask × (5 + classes) planes of grid_h × grid_w cells: per
 * anchor slot σ(tx), σ(ty), tw, th, σ(objectness), σ(class c). Its input z
 * (the conv output below it) is what the loss differentiates: for the
 * logistic channels ∂L/∂z = σ − target, as in darknet. */
struct dlld_yolo_head {
	const struct dlld_yolo_info *info;
	int grid_w, grid_h;       /* cells */
	int net_w, net_h;         /* network input, pixels */
};

/* Returns the intersection over union of two centre/size boxes. */
float dlld_box_iou(struct dlld_box a, struct dlld_box b);

/* One ground-truth box of an image (fractions of the network input). */
struct dlld_yolo_truth {
	struct dlld_box box;
	int cls;
};

struct dlld_yolo_loss_options {
	float ignore_thresh;       /* predictions with IoU > this to any truth are not
				    * pushed to objectness 0 (darknet 0.7) */
};

/* The loss terms of one head over a batch, and darknet's training statistics. */
struct dlld_yolo_loss_terms {
	double xy, wh, obj, noobj, cls;   /* summed loss terms */
	double total;
	int n_truths;                     /* truths assigned to this head */
	int n_cells;                      /* predictions trained toward a truth */
	double sum_iou;                   /* IoU of assigned predictions */
	int recall50, recall75;           /* assigned predictions with IoU > .5 / .75 */
	double sum_obj;                   /* objectness at assigned cells */
	double sum_noobj;                 /* objectness everywhere (darknet's avg any) */
};

/* Computes darknet's YOLOv3 loss of one head for a batch of n images from
 * the yolo layer's output `out` [n × n_mask(5+C) × grid_h × grid_w];
 * truths[b] / n_truths[b] = image b's boxes. Each truth goes to the
 * network-wide best anchor by shape IoU; when that anchor is one of this
 * head's, its cell is trained on x, y (logistic cross-entropy, weight
 * 2 − w·h), w, h (half squared error, same weight), objectness 1 and the
 * classes (logistic cross-entropy; truths sharing a cell and anchor share
 * the prediction: the last one's box, every one's class); every other
 * prediction is trained toward objectness 0 unless it overlaps a truth by
 * more than ignore_thresh. ACCUMULATES ∂loss/∂z, z = the layer's input,
 * into grad_z (same shape) — exactly minus darknet's delta — and fills
 * terms. Loss values take probabilities clamped to [1e-12, 1 − 1e-12]. */
void dlld_yolo_loss(const struct dlld_yolo_head *head, const struct dlld_yolo_loss_options *opts,
		    int n, const float *out, const struct dlld_yolo_truth *const *truths,
		    const int *n_truths, float *grad_z, struct dlld_yolo_loss_terms *terms);

/* ---- model directory (DESIGN §8) ------------------------------------------
 * MODEL/net.cfg      darknet cfg of the network (its [net] size and channels
 *                    are overridden by model.json's input)
 * MODEL/weights      DLLD weights file
 * MODEL/model.json   classes, input, thresholds, training provenance, metrics
 */
struct dlld_detect_thresholds {
	float confidence;   /* keep a box when objectness x best class >= this */
	float nms_iou;      /* suppress a box overlapping a better one by more */
	float score;        /* operating point, 0–100: the false-positive filter's
			       score step drops 3D lesions scoring less (0 keeps all);
			       chosen on held-out data (docs/results.md) */
};
/* Fills t with the defaults (confidence 0.05, NMS IoU 0.45, score 0). */
void dlld_detect_thresholds_default(struct dlld_detect_thresholds *t);

struct dlld_model {
	char dir[1024];
	struct dlld_network *net;   /* owned */
	struct dlld_input_spec spec;
	struct dlld_detect_thresholds thresholds;
	int n_yolo;
	int yolo_layers[8];         /* layer index of each yolo head */
	char name[128];             /* model.json "name" */
};

/* Loads MODEL for inference: batch `batch`, batch norm folded. Returns new
 * model in *out. A missing file is status 2, a malformed one 3, classes
 * other than metastasis/cyst/hemangioma or a cfg whose yolo layers disagree
 * with them 4. */
enum dlld_status dlld_model_load(const char *dir, int batch, struct dlld_model **out,
				 struct dlld_error *err);
void dlld_model_destroy(struct dlld_model *model); /* accepts NULL */

/* What model.json records besides input and thresholds: free-form training
 * provenance and metrics as a JSON object text (may be NULL). */
struct dlld_model_info {
	const char *name;
	const struct dlld_input_spec *spec;
	const struct dlld_detect_thresholds *thresholds;
	const char *training_json;  /* e.g. {"data": [...], "seed": 1, ...} */
	const char *metrics_json;   /* e.g. {"val_recall": 0.9} */
};
/* Writes MODEL (created if missing): net.cfg (cfg_text), weights (net, DLLD
 * format) and model.json, each atomically. */
enum dlld_status dlld_model_save(const char *dir, const char *cfg_text,
				 const struct dlld_network *net, const struct dlld_model_info *info,
				 struct dlld_error *err);

/* ---- slice detections ---------------------------------------------------------
 * Boxes a network predicts on one image, decoded from its yolo layers. */
struct dlld_slice_detection {
	struct dlld_box box;                    /* fractions of the network input */
	float objectness;
	float prob[DLLD_LESION_CLASS_COUNT];    /* class confidences (logistic, each 0–1) */
	float confidence;                       /* objectness × best class confidence */
	enum dlld_lesion_class cls;             /* argmax of prob */
};

/* Decodes image b of the last forward of net from its yolo layers: every
 * prediction with confidence >= t->confidence, then class-agnostic NMS (a
 * box overlapping a more confident one by IoU > t->nms_iou is dropped — a
 * lesion is one box whatever its class). Fills out[0..returned) sorted by
 * confidence, at most max_out. */
size_t dlld_detect_decode(const struct dlld_network *net, const int *yolo_layers, int n_yolo,
			  int b, const struct dlld_detect_thresholds *t,
			  struct dlld_slice_detection *out, size_t max_out);

/* ---- training (docs/training.md) --------------------------------------------- */
struct dlld_train_options {
	const char *cfg_path;          /* darknet cfg (YOLOv3 family, classes=3) */
	const char *model_dir;         /* MODEL: checkpoints, log, final model */
	const char *init_weights;      /* NULL: random init from seed; else darknet/DLLD weights */
	int init_layers;               /* layers taken from init_weights (0 = all) */
	const char *data_description;  /* recorded in model.json (e.g. the cohort paths) */
	struct dlld_dataset_options data;
	struct dlld_augment_range augment;
	uint64_t seed;
	long iterations;               /* 0: epochs, else the cfg's max_batches */
	double epochs;                 /* > 0: passes over the training slices */
	int checkpoint_every;          /* iterations; 0: only at the end */
	int validate_every;            /* iterations; 0: only at the end */
	double positive_fraction;      /* share of images with a lesion */
	double val_fraction;           /* share of patients held out for validation */
	int val_max_slices;            /* slices per validation pass */
	bool cosine;                   /* cosine decay instead of the cfg's policy */
	bool resume;                   /* continue MODEL/checkpoint exactly */
	int threads;                   /* 0: all CPUs */
	volatile sig_atomic_t *stop;   /* when it becomes non-zero: checkpoint and return */
};
/* Fills o with the defaults (docs/training.md). */
void dlld_train_options_default(struct dlld_train_options *o);

struct dlld_train_result {
	long iterations;               /* completed */
	double last_loss;              /* per image, last iteration */
	double val_recall, val_precision; /* last validation pass (NAN if none) */
	bool stopped;                  /* ended by *stop */
};

/* Trains a detector on the cohorts and writes MODEL (DESIGN §8), with
 * MODEL/checkpoint/ every checkpoint_every iterations, MODEL/train_log.csv
 * and MODEL/train_curves.png. Deterministic for a seed: image b of
 * minibatch m draws from its own RNG stream, so a resumed run continues with
 * exactly the batches (and the loss) an uninterrupted one would have. */
enum dlld_status dlld_train(const struct dlld_cohort *const *cohorts, size_t n_cohorts,
			    const struct dlld_train_options *o, struct dlld_train_result *result,
			    struct dlld_error *err);

/* ---- detection on a CT volume ------------------------------------------------- */
/* One box found on one axial slice, in voxel coordinates of the volume. */
struct dlld_voxel_box {
	int32_t k;                            /* slice */
	double i0, j0, i1, j1;                /* box edges, continuous voxel coordinates
					       * (voxel i covers [i - 0.5, i + 0.5]) */
	float objectness;
	float prob[DLLD_LESION_CLASS_COUNT];  /* class confidences */
	float confidence;                     /* objectness × best class */
	enum dlld_lesion_class cls;
};

struct dlld_detect_options {
	int slice_margin;       /* slices beyond the liver's range (default 1) */
	size_t max_per_slice;   /* boxes kept per slice after NMS (default 32) */
};
void dlld_detect_options_default(struct dlld_detect_options *o);

/* Runs the model on every axial slice of v within the liver's slice range
 * (± margin; every slice when liver is NULL or empty), the network grid
 * centred on the liver's in-plane box centre as in training. Returns a new
 * array (free()) of boxes in *boxes and its length in *n, slices ascending.
 * pool may be NULL. */
enum dlld_status dlld_detect_volume(struct dlld_model *model, const struct dlld_volume *v,
				    const struct dlld_labelmap *liver,
				    const struct dlld_detect_options *o, struct dlld_pool *pool,
				    struct dlld_voxel_box **boxes, size_t *n,
				    struct dlld_error *err);

#endif

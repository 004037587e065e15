/*
 * lesion/study.h — one CT study from file to liver lesions and their
 * outputs (DESIGN §1, §5): read, automatic liver mask, slice detection,
 * 3D linking, false-positive filter; detections CSV rows, the per-patient
 * JSON, overlay PNGs and the liver mask as NIfTI.
 */
#ifndef DLLD_LESION_STUDY_H
#define DLLD_LESION_STUDY_H

#include "dlld/lesion.h"

struct dlld_study_options {
	struct dlld_liver_options liver;
	struct dlld_detect_options detect;
	struct dlld_link_options link;
	struct dlld_fp_options fp;
	bool overlays;              /* write OUT/<id>/overlay_L<n>.png (default true) */
	float overlay_width, overlay_level; /* HU window of the overlays (400 / 50) */
};
/* Fills o with the defaults of every stage. */
void dlld_study_options_default(struct dlld_study_options *o);

/* What one study gave, with the time of each stage. */
struct dlld_study_result {
	char patient_id[64];
	struct dlld_lesion_set lesions;     /* after the filter (owned; free with
					     * dlld_study_result_free) */
	struct dlld_liver_report liver;
	size_t n_boxes, n_linked;           /* slice boxes, lesions before the filter */
	size_t removed[DLLD_FP_STEP_COUNT]; /* lesions each filter step removed */
	double seconds_read, seconds_liver, seconds_detect, seconds_post, seconds_write;
};
void dlld_study_result_free(struct dlld_study_result *r);

/* Runs the pipeline on the CT at path for patient_id and writes
 * OUT/<id>/detections.csv (this patient's rows, written last: its presence
 * marks the study done), OUT/<id>.json, OUT/<id>/overlay_*.png,
 * OUT/<id>/liver.nii.gz and OUT/<id>/removed.csv (the lesions the
 * false-positive filter dropped, detections.csv's columns plus removed_by,
 * the step's name). Fills *r. pool may be NULL. */
enum dlld_status dlld_study_run(struct dlld_model *model, const char *path,
				const char *patient_id, const char *out_dir,
				const struct dlld_study_options *o, struct dlld_pool *pool,
				struct dlld_study_result *r, struct dlld_error *err);

/* The header of detections.csv (DESIGN §5), with its newline. */
extern const char dlld_detections_header[];

#endif

/*
 * dlld/detect.h — from CT to slice detections: the lesion classes, the cohort
 * directory (DESIGN §4) that training and detection read, and the slice
 * samples the detector sees.
 */
#ifndef DLLD_DETECT_H
#define DLLD_DETECT_H

#include "dlld/core.h"
#include "dlld/ct.h"

/* ---- lesion classes ------------------------------------------------------ */
enum dlld_lesion_class {
	DLLD_LESION_CLASS_METASTASIS,
	DLLD_LESION_CLASS_CYST,
	DLLD_LESION_CLASS_HEMANGIOMA,
	DLLD_LESION_CLASS_COUNT
};

/* Returns the static name as written in lesions.csv ("metastasis", ...). */
const char *dlld_lesion_class_name(enum dlld_lesion_class cls);
/* Fills *cls from a name; false when unknown. */
bool dlld_lesion_class_parse(const char *name, enum dlld_lesion_class *cls);

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

#endif

/*
 * dlld/synth.h — synthetic portal-venous abdominal CT cohorts with ground
 * truth (docs/synth.md).
 *
 * Generation has two stages so compositions can be checked without
 * rendering: a plan (how many patients, which lesions of which class and
 * planned size in whom — deterministic for a seed) and the rendering of
 * one planned patient into a HU volume, a liver mask, a lesion instance
 * mask and a vessel mask. The lesion table is measured from the final
 * masks, so table and masks always agree. The cohort writer renders every
 * patient on a thread pool and writes the cohort directory of DESIGN §4.
 *
 * Determinism: patient p draws only from dlld_rng_seed_stream(seed, p + 1)
 * and the plan from stream 0, so the bytes depend on the seed alone, never
 * on the thread count.
 */
#ifndef DLLD_SYNTH_H
#define DLLD_SYNTH_H

#include "dlld/core.h"
#include "dlld/ct.h"

/* Cohort presets (docs/synth.md § Presets). */
enum dlld_synth_preset {
	DLLD_SYNTH_PRESET_VALIDATION, /* Kim et al. validation cohort: 85 patients */
	DLLD_SYNTH_PRESET_TRAINING,   /* training-cohort lesion mix, any N */
	DLLD_SYNTH_PRESET_SMALL,      /* 4 small patients for tests and demos */
	DLLD_SYNTH_PRESET_COUNT
};

/* Returns the static preset name ("validation", ...). */
const char *dlld_synth_preset_name(enum dlld_synth_preset preset);
/* Fills *out from a preset name; false when unknown. */
bool dlld_synth_preset_parse(const char *name, enum dlld_synth_preset *out);

/* What to generate. Zero fields mean "the preset's default". */
struct dlld_synth_options {
	enum dlld_synth_preset preset;
	long n_patients;           /* 0: preset default (85, 502, 4) */
	uint64_t seed;
	int32_t matrix;            /* in-plane pixels; 0: 512 (small: 128) */
	double slice_thickness_mm; /* 0: 5 mm; contiguous slices */
	int threads;               /* 0: all CPUs */
	bool dicom;                /* also write <patient>/dicom/ */
};

/* Fills o with the defaults (validation preset, seed 1). */
void dlld_synth_options_default(struct dlld_synth_options *o);

/* One planned lesion: its class and planned maximal axial diameter. */
struct dlld_synth_planned_lesion {
	enum dlld_lesion_class cls;
	double diameter_mm;
};

/* One planned patient. `lesions` borrows from the plan. */
struct dlld_synth_patient_plan {
	char patient_id[24];
	uint64_t stream;          /* RNG stream of this patient */
	size_t n_lesions;
	size_t n_by_class[DLLD_LESION_CLASS_COUNT];
	const struct dlld_synth_planned_lesion *lesions;
};

/* A cohort plan: read-only after dlld_synth_plan_create. `opts` holds the
 * resolved options (no zero defaults left). */
struct dlld_synth_plan {
	struct dlld_synth_options opts;
	size_t n_patients;
	struct dlld_synth_patient_plan *patients;
	size_t n_lesions;
	struct dlld_synth_planned_lesion *lesions;
	size_t n_by_class[DLLD_LESION_CLASS_COUNT];
	size_t n_diseased;        /* patients with >= 1 metastasis */
};

/* Resolves opts and allocates lesions to patients (preset compositions
 * hold exactly). Returns a new plan in *out; DLLD_STATUS_USAGE for
 * impossible options (e.g. fewer validation patients than diseased ones). */
enum dlld_status dlld_synth_plan_create(const struct dlld_synth_options *opts,
					struct dlld_synth_plan **out, struct dlld_error *err);
void dlld_synth_plan_destroy(struct dlld_synth_plan *plan); /* accepts NULL */

/* A lesion as measured on its instance mask (DESIGN §3, §4). */
struct dlld_synth_lesion_record {
	uint16_t label;           /* n in the mask, lesion_id "L<n>" */
	enum dlld_lesion_class cls;
	size_t voxels;
	double diameter_mm;       /* maximal axial diameter, best slice */
	double centroid_lps[3];   /* mean of voxel centres, LPS mm */
	double volume_ml;
	int32_t first_slice, last_slice;
};

/* Vessel mask labels (vessels.nii.gz, a DLLD extension of the cohort). */
enum dlld_synth_vessel {
	DLLD_SYNTH_VESSEL_NONE,
	DLLD_SYNTH_VESSEL_PORTAL,   /* portal vein tree, inside the liver */
	DLLD_SYNTH_VESSEL_HEPATIC,  /* hepatic vein tree, inside the liver */
	DLLD_SYNTH_VESSEL_COUNT
};

/* One rendered patient; every pointer is owned by the case. */
struct dlld_synth_case {
	struct dlld_volume *ct;         /* HU, already rounded to integers */
	struct dlld_labelmap *liver;    /* 1 = liver (lesions included) */
	struct dlld_labelmap *lesions;  /* instance mask, 0 = none */
	struct dlld_labelmap *vessels;  /* enum dlld_synth_vessel */
	size_t n_lesions;
	struct dlld_synth_lesion_record *records; /* n_lesions, label order */
};

/* Renders planned patient `index` of plan. Returns a new case in *out. */
enum dlld_status dlld_synth_render(const struct dlld_synth_plan *plan, size_t index,
				   struct dlld_synth_case **out, struct dlld_error *err);
void dlld_synth_case_destroy(struct dlld_synth_case *c); /* accepts NULL */

/* Measures labels 1..n_labels of an instance mask; fills records[n_labels]
 * (label, voxels, diameter, centroid, volume, slices; cls is left alone).
 * A label with no voxels is DLLD_STATUS_INCONSISTENT. */
enum dlld_status dlld_synth_measure(const struct dlld_labelmap *mask, size_t n_labels,
				    struct dlld_synth_lesion_record *records,
				    struct dlld_error *err);

/* Renders every patient of plan on a pool of plan->opts.threads and writes
 * the cohort directory `dir` (created; files written atomically; cases.csv
 * and lesions.csv last, so a cohort without them is incomplete). Reports
 * progress per patient. */
enum dlld_status dlld_synth_write_cohort(const struct dlld_synth_plan *plan, const char *dir,
					 struct dlld_error *err);

#endif

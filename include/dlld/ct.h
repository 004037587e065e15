/*
 * dlld/ct.h — CT studies in Hounsfield units: volumes and label maps on a
 * voxel grid with a voxel→LPS affine, read from DICOM series (through GDCM)
 * and NIfTI (through nifticlib), written as NIfTI (and DICOM for synthetic
 * cohorts), windowed and resampled.
 *
 * Coordinates (DESIGN §3): voxel (i, j, k), i = column (fastest in memory),
 * j = row, k = slice sorted by position along the slice normal, ascending
 * toward the head for axial CT. Patient coordinates are DICOM LPS mm.
 */
#ifndef DLLD_CT_H
#define DLLD_CT_H

#include "dlld/core.h"

/* A voxel grid. affine maps (i, j, k, 1) to LPS mm; its columns are the
 * spacing-scaled direction cosines and the origin (centre of voxel 0,0,0). */
struct dlld_geometry {
	int32_t dims[3];         /* nx (columns), ny (rows), nz (slices) */
	double spacing_mm[3];    /* column spacing, row spacing, slice step */
	double affine[4][4];     /* voxel -> LPS mm; last row 0 0 0 1 */
};

/* Where a volume came from. Strings are "" when unknown. */
struct dlld_provenance {
	char source_path[1024];
	char study_uid[128];
	char series_uid[128];
	char modality[16];
	char series_description[128];
	char original_datatype[32]; /* "int16", "uint16", "float32", ... */
	double slice_thickness_mm;  /* 0 when unknown */
	double window_center;       /* header window; width 0 when absent */
	double window_width;
	double gantry_tilt_deg;     /* 0 when none */
	bool uneven_spacing;        /* DICOM slice steps were not uniform */
};

/* A CT volume in HU (float), nx*ny*nz values, i fastest then j then k. */
struct dlld_volume {
	struct dlld_geometry geom;
	float *hu;
	struct dlld_provenance prov;
};

/* An integer label map (liver mask, lesion instance mask) on a grid. */
struct dlld_labelmap {
	struct dlld_geometry geom;
	uint16_t *label;
};

/* ---- geometry --------------------------------------------------------- */
/* Fills g with an axis-aligned grid: identity directions scaled by spacing,
 * origin at origin_lps (LPS mm of voxel 0,0,0). */
void dlld_geometry_init(struct dlld_geometry *g, const int32_t dims[3],
			const double spacing_mm[3], const double origin_lps[3]);
/* Fills *count with nx*ny*nz; false when a dim is < 1 or the product
 * overflows. */
bool dlld_geometry_voxels(const struct dlld_geometry *g, size_t *count);
/* Fills lps[3] with the LPS mm position of continuous voxel (i, j, k). */
void dlld_geometry_to_lps(const struct dlld_geometry *g, double i, double j, double k,
			  double lps[3]);
/* Fills ijk[3] with the continuous voxel position of an LPS point; false
 * when the affine is singular. */
bool dlld_geometry_from_lps(const struct dlld_geometry *g, const double lps[3], double ijk[3]);
/* True when a and b have equal dims and affines within tol_mm. */
bool dlld_geometry_same(const struct dlld_geometry *a, const struct dlld_geometry *b,
			double tol_mm);

/* ---- volumes and label maps ------------------------------------------- */
/* Returns a new zeroed volume on geometry g, or NULL with err set. */
struct dlld_volume *dlld_volume_create(const struct dlld_geometry *g, struct dlld_error *err);
void dlld_volume_destroy(struct dlld_volume *v); /* accepts NULL */
/* Returns a new zeroed label map on geometry g, or NULL with err set. */
struct dlld_labelmap *dlld_labelmap_create(const struct dlld_geometry *g, struct dlld_error *err);
void dlld_labelmap_destroy(struct dlld_labelmap *m); /* accepts NULL */

static inline size_t dlld_voxel_index(const struct dlld_geometry *g, int32_t i, int32_t j,
				      int32_t k)
{
	return ((size_t)k * (size_t)g->dims[1] + (size_t)j) * (size_t)g->dims[0] + (size_t)i;
}

/* ---- reading ---------------------------------------------------------- */
struct dlld_ct_load_options {
	const char *series_uid; /* pick this DICOM series; NULL = automatic */
	bool allow_uneven;      /* accept non-uniform slice steps (resampled) */
	bool allow_tilt;        /* accept gantry tilt (resampled onto an orthogonal grid) */
};

/* Reads a CT study at path: a DICOM folder or file, or a .nii / .nii.gz.
 * Returns a new volume in *out (HU; rescale applied). opts may be NULL.
 * DICOM: the series is opts->series_uid or the automatic choice (loadable,
 * Modality CT, ImageType ORIGINAL\PRIMARY, most slices). A series whose
 * slices are stacked at an angle to their normal (gantry tilt) or whose
 * steps are not uniform (e.g. a missing slice) is refused with
 * DLLD_STATUS_INCONSISTENT unless allow_tilt / allow_uneven; then it is
 * resampled onto an orthogonal grid with the median step (docs/ct.md).
 * Errors: 2 not found, 3 malformed (names the file and tag/field),
 * 4 inconsistent series. */
enum dlld_status dlld_ct_load(const char *path, const struct dlld_ct_load_options *opts,
			      struct dlld_volume **out, struct dlld_error *err);

/* ---- DICOM folders: the series they hold --------------------------------
 * A scan reads the headers of every file under a folder (recursively) or
 * of one file, groups images by SeriesInstanceUID, sorts each series by
 * ImagePositionPatient projected on the slice normal and measures its
 * geometry. Files that are not DICOM are skipped (logged at debug level);
 * DICOM files that cannot be parsed are skipped with a warning naming them. */
struct dlld_dicom_series_info {
	char series_uid[72];
	char study_uid[72];
	char modality[20];
	char image_type[128];
	char description[72];
	char patient_id[72];
	char transfer_syntax[72];
	char first_file[1024];      /* the first slice in position order */
	long series_number;         /* -1 when absent */
	int32_t rows, columns;
	size_t n_slices;
	double pixel_spacing_mm[2]; /* column spacing (x), row spacing (y); 0 when absent */
	double slice_step_mm;       /* median step along the slice normal; 0 for one slice */
	double step_min_mm, step_max_mm;
	double thickness_mm;        /* SliceThickness, 0 when absent */
	double header_tilt_deg;     /* GantryDetectorTilt, 0 when absent */
	double shear_deg;           /* angle between slice stacking and slice normal */
	bool uneven_spacing;        /* steps differ by more than 1 % (and 0.01 mm) */
	bool tilted;                /* shear_deg > 0.05 */
	bool auto_selected;         /* what dlld_ct_load picks without series_uid */
	char problem[320];          /* why the series cannot be loaded; "" when it can */
};

struct dlld_dicom_scan; /* opaque */

/* Scans path (folder or file). Returns a new scan in *out; a folder without
 * any DICOM image is DLLD_STATUS_NOT_FOUND, a single non-DICOM or corrupt
 * file DLLD_STATUS_MALFORMED. */
enum dlld_status dlld_dicom_scan(const char *path, struct dlld_dicom_scan **out,
				 struct dlld_error *err);
void dlld_dicom_scan_destroy(struct dlld_dicom_scan *scan); /* accepts NULL */
size_t dlld_dicom_scan_series_count(const struct dlld_dicom_scan *scan);
/* Borrows series i (0 <= i < count), in SeriesNumber then UID order. */
const struct dlld_dicom_series_info *dlld_dicom_scan_series(const struct dlld_dicom_scan *scan,
							    size_t i);
/* Returns the number of files skipped (not DICOM, unreadable, not images). */
size_t dlld_dicom_scan_skipped(const struct dlld_dicom_scan *scan);
/* Reads series i of a scan into a new volume in *out (see dlld_ct_load for
 * tilt and uneven spacing). opts may be NULL; opts->series_uid is ignored. */
enum dlld_status dlld_dicom_scan_load(const struct dlld_dicom_scan *scan, size_t i,
				      const struct dlld_ct_load_options *opts,
				      struct dlld_volume **out, struct dlld_error *err);

/* True when path ends in .nii or .nii.gz. */
bool dlld_ct_path_is_nifti(const char *path);

/* NIfTI: qform/sform → LPS, scl_slope/inter applied, any integer or float
 * datatype read as HU. Returns a new volume in *out. */
enum dlld_status dlld_nifti_read_volume(const char *path, struct dlld_volume **out,
					struct dlld_error *err);
/* Reads an integer label NIfTI (values 0..65535, non-integers are an
 * error). Returns a new label map in *out. */
enum dlld_status dlld_nifti_read_labels(const char *path, struct dlld_labelmap **out,
					struct dlld_error *err);

/* NIfTI datatypes DLLD writes. */
enum dlld_nifti_type {
	DLLD_NIFTI_TYPE_INT16,   /* HU rounded and clamped to int16 */
	DLLD_NIFTI_TYPE_FLOAT32,
	DLLD_NIFTI_TYPE_UINT8,   /* label maps with labels <= 255 */
	DLLD_NIFTI_TYPE_UINT16,
	DLLD_NIFTI_TYPE_COUNT
};

/* Writes v to path (.nii or .nii.gz) atomically, sform and qform set from
 * the affine (LPS → RAS). */
enum dlld_status dlld_nifti_write_volume(const struct dlld_volume *v, const char *path,
					 enum dlld_nifti_type type, struct dlld_error *err);
/* Writes m atomically as uint8 when every label fits, else uint16. */
enum dlld_status dlld_nifti_write_labels(const struct dlld_labelmap *m, const char *path,
					 struct dlld_error *err);

/* ---- writing DICOM (synthetic cohorts) ---------------------------------- */
/* What a written DICOM series says about itself. Strings may be NULL (a
 * default is used). Every UID is derived from uid_seed and patient_id, so
 * the same volume and options give byte-identical files. */
struct dlld_dicom_write_options {
	const char *patient_id;         /* default "ANONYMOUS" */
	const char *patient_name;       /* default = patient_id */
	const char *study_description;  /* default "DLLD synthetic CT" */
	const char *series_description; /* default "DLLD synthetic CT" */
	uint64_t uid_seed;              /* seeds the study/series/instance UIDs */
	double window_center;           /* written when window_width > 0 */
	double window_width;
};

/* Writes v into folder dir (created if missing) as a CT Image Storage
 * series, one file per slice named IM00001.dcm ...: Explicit VR Little
 * Endian, signed int16 stored = round(HU) + 1024 clamped, RescaleSlope 1,
 * RescaleIntercept -1024, ImagePositionPatient / ImageOrientationPatient /
 * PixelSpacing / SliceThickness from the geometry (columns of the affine must
 * be orthogonal). Each file is written atomically. Reading the series back
 * with dlld_ct_load gives the HU rounded to integers on the same grid (when
 * the slice axis points along row x column, as for any LPS-axial volume;
 * otherwise the reader's ascending-position order reverses k). opts may be
 * NULL. Borrows v. */
enum dlld_status dlld_dicom_write_series(const struct dlld_volume *v, const char *dir,
					 const struct dlld_dicom_write_options *opts,
					 struct dlld_error *err);

/* ---- windowing and resampling ------------------------------------------ */
/* Returns HU windowed to [0, 1] with a width/level (W/L) window. */
static inline float dlld_window01(float hu, float width, float level)
{
	float lo = level - 0.5f * width;
	float x = (hu - lo) / width;
	return x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x);
}
/* Fills out[nx*ny] with slice k of v windowed to 8 bit. */
void dlld_ct_window_slice_u8(const struct dlld_volume *v, int32_t k, float width, float level,
			     uint8_t *out);
/* Fills out[nx*ny] with slice k of v windowed to [0, 1]. */
void dlld_ct_window_slice01(const struct dlld_volume *v, int32_t k, float width, float level,
			    float *out);
/* Parses "W/L" (e.g. "400/40": width 400 HU, level 40 HU); false when
 * malformed or width <= 0. */
bool dlld_ct_parse_window(const char *text, float *width, float *level);

/* Returns a new volume in *out: v resampled in-plane to target_mm pixels
 * (slices unchanged). Linear kernel, widened when reducing (antialiased);
 * nx' = round(nx * spacing_x / target_mm), likewise ny'; output pixel x
 * samples input (x + 0.5) * target/spacing - 0.5 and the affine follows.
 * Borrows v; provenance copied. */
enum dlld_status dlld_ct_resample_inplane(const struct dlld_volume *v, double target_mm,
					  struct dlld_volume **out, struct dlld_error *err);
/* As dlld_ct_resample_inplane for a label map, nearest neighbour (the
 * input pixel containing the output pixel's centre). */
enum dlld_status dlld_labelmap_resample_inplane(const struct dlld_labelmap *m, double target_mm,
						struct dlld_labelmap **out, struct dlld_error *err);

#endif

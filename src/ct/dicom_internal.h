/*
 * ct/dicom_internal.h — the DICOM reader's shared types (not public).
 */
#ifndef DLLD_CT_DICOM_INTERNAL_H
#define DLLD_CT_DICOM_INTERNAL_H

#include "ct/ct_internal.h"
#include "ct/dicom_gdcm.h"

/* One image file of a scan. */
struct dlld_dicom_file {
	char *path;
	struct dlld_dcm_info info;
	double position; /* ImagePositionPatient · slice normal, mm */
	long long file_size;
};

/* Largest Rows or Columns DLLD accepts: CT matrices are 512-1024 (2048 for
 * some high-resolution reconstructions); 65535 is legal DICOM but is how a
 * corrupt header asks for gigabytes. */
#define DLLD_DICOM_MAX_SIZE 4096
/* Largest voxel count of a volume (2^31 floats = 8 GiB). */
#define DLLD_DICOM_MAX_VOXELS ((size_t)1 << 31)

/* One series: indices into the scan's files, sorted by position. */
struct dlld_dicom_series {
	struct dlld_dicom_series_info info;
	size_t *file_index;
	size_t n_files;
};

struct dlld_dicom_scan {
	char path[1024];
	struct dlld_dicom_file *files;
	size_t n_files, cap_files;
	struct dlld_dicom_series *series;
	size_t n_series;
	size_t n_skipped;
	size_t n_broken;        /* DICOM files that could not be parsed */
	char first_broken[1400]; /* "path: reason" of the first of them */
};

/* Whether every element length declared in path fits in the file (and in
 * its sequence or item); run before GDCM, which allocates declared lengths
 * before reading them (dicom_guard.c). Otherwise reason is filled. */
enum dlld_dicom_guard {
	DLLD_DICOM_GUARD_OK,
	DLLD_DICOM_GUARD_BAD_LENGTH, /* a DICOM file (DICM preamble) with a bad length */
	DLLD_DICOM_GUARD_NOT_DICOM,  /* no preamble and no consistent element lengths */
};
enum dlld_dicom_guard dlld_dicom_lengths_fit(const char *path, char *reason, size_t reason_size);

/* Fills n with the unit slice normal row × column of an orientation. */
void dlld_dicom_normal(const double iop[6], double n[3]);

#endif

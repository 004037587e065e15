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
};

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
};

/* Fills n with the unit slice normal row × column of an orientation. */
void dlld_dicom_normal(const double iop[6], double n[3]);

#endif

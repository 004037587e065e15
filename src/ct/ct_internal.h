/*
 * ct/ct_internal.h — helpers shared by the ct module's files (not public).
 */
#ifndef DLLD_CT_INTERNAL_H
#define DLLD_CT_INTERNAL_H

#include "dlld/ct.h"

/* Fills prov->source_path with path (truncated to fit). */
void dlld_ct_provenance_path(struct dlld_provenance *prov, const char *path);

/* Fills out (n values of the NIfTI `type`) from HU: integer types round to
 * nearest and clamp to the type's range. */
void dlld_ct_convert_float(const float *hu, size_t n, enum dlld_nifti_type type, void *out);

/* Reads the DICOM series at path (folder scanned recursively, or one file):
 * returns a new volume in *out. */
enum dlld_status dlld_dicom_load(const char *path, const struct dlld_ct_load_options *opts,
				 struct dlld_volume **out, struct dlld_error *err);

/* Returns the status a failed callee left in err (err may be NULL: then
 * DLLD_STATUS_NO_MEMORY, the only failure of the allocators it follows). */
static inline enum dlld_status dlld_ct_status(const struct dlld_error *err)
{
	return err && err->status ? err->status : DLLD_STATUS_NO_MEMORY;
}

/* Rounds and clamps x to int16. */
int16_t dlld_ct_round_i16(double x);

#endif

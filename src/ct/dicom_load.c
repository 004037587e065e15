/* ct/dicom_load.c — DICOM series → HU volume (being written; see issue 2). */
#include "ct/ct_internal.h"

enum dlld_status dlld_dicom_load(const char *path, const struct dlld_ct_load_options *opts,
				 struct dlld_volume **out, struct dlld_error *err)
{
	(void)opts;
	*out = NULL;
	return dlld_error_set(err, DLLD_STATUS_MALFORMED, path,
			      "DICOM reading is not implemented yet in this build");
}

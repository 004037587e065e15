/* ct/load.c — dlld_ct_load: one entry point for DICOM folders/files and NIfTI. */
#include "ct/ct_internal.h"

#include <string.h>

bool dlld_ct_path_is_nifti(const char *path)
{
	size_t n = strlen(path);
	return (n > 4 && strcmp(path + n - 4, ".nii") == 0) ||
	       (n > 7 && strcmp(path + n - 7, ".nii.gz") == 0);
}

enum dlld_status dlld_ct_load(const char *path, const struct dlld_ct_load_options *opts,
			      struct dlld_volume **out, struct dlld_error *err)
{
	static const struct dlld_ct_load_options defaults;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	if (!dlld_path_exists(path))
		return dlld_error_set(err, DLLD_STATUS_NOT_FOUND, path, "no such file or folder");
	if (!dlld_path_is_dir(path) && dlld_ct_path_is_nifti(path))
		return dlld_nifti_read_volume(path, out, err);
	return dlld_dicom_load(path, opts, out, err);
}

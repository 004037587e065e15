/* tests/fuzz/fuzz_nifti.c — libFuzzer harness for the NIfTI readers: the
 * input bytes become a .nii and a .nii.gz file (the .gz reader also takes
 * uncompressed bytes), read as a volume and as a label map. Any crash,
 * sanitizer report or leak is a bug; errors are the expected outcome. */
#include "dlld/ct.h"

#include <stdio.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_both(const char *path)
{
	struct dlld_volume *v = NULL;
	struct dlld_labelmap *m = NULL;
	struct dlld_error err;

	dlld_error_clear(&err);
	dlld_nifti_read_volume(path, &v, &err);
	dlld_volume_destroy(v);
	dlld_error_clear(&err);
	dlld_nifti_read_labels(path, &m, &err);
	dlld_labelmap_destroy(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char nii[128], niigz[128];
	const char *paths[2] = {nii, niigz};

	if (!nii[0]) {
		snprintf(nii, sizeof nii, "/tmp/dlld-fuzz-%ld.nii", (long)getpid());
		snprintf(niigz, sizeof niigz, "/tmp/dlld-fuzz-%ld.nii.gz", (long)getpid());
	}
	for (int p = 0; p < 2; p++) {
		FILE *fp = fopen(paths[p], "wb");
		if (!fp)
			return 0;
		fwrite(data, 1, size, fp);
		fclose(fp);
		read_both(paths[p]);
		remove(paths[p]);
	}
	return 0;
}

/* tests/fuzz/fuzz_dicom.c — libFuzzer harness for the DICOM entry points:
 * the input bytes become one file, which is scanned, loaded (tilt and
 * uneven spacing allowed, to reach the resampler too) and described. Any
 * crash, sanitizer report or leak is a bug; errors are the expected outcome. */
#include "dlld/ct.h"

#include <stdio.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[128];
	const struct dlld_ct_load_options opts = {.allow_tilt = true, .allow_uneven = true};
	struct dlld_dicom_scan *scan = NULL;
	struct dlld_volume *v = NULL;
	struct dlld_error err;
	FILE *fp;

	if (!path[0])
		snprintf(path, sizeof path, "/tmp/dlld-fuzz-%ld.dcm", (long)getpid());
	fp = fopen(path, "wb");
	if (!fp)
		return 0;
	fwrite(data, 1, size, fp);
	fclose(fp);
	dlld_error_clear(&err);
	if (dlld_dicom_scan(path, &scan, &err) == DLLD_STATUS_OK) {
		for (size_t i = 0; i < dlld_dicom_scan_series_count(scan); i++) {
			dlld_error_clear(&err);
			dlld_dicom_scan_load(scan, i, &opts, &v, &err);
			dlld_volume_destroy(v);
			v = NULL;
		}
	}
	dlld_dicom_scan_destroy(scan);
	remove(path);
	return 0;
}

/* tests/ct/test_dcm2niix.c — agreement with Debian's dcm2niix on the same
 * real series: every voxel of dcm2niix's NIfTI, mapped through both
 * affines to LPS, lands on one of our voxel centres with the same HU.
 * Skipped when dcm2niix or the data are absent. */
#include "dlld/ct.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool have_dcm2niix(void)
{
	return system("command -v dcm2niix >/dev/null 2>&1") == 0;
}

/* Runs dcm2niix on dir → tmp/<name>.nii; returns the NIfTI path or NULL. */
static const char *run_dcm2niix(const char *dir, const char *name)
{
	static char out[1024];
	char cmd[3000];

	snprintf(cmd, sizeof cmd,
		 "dcm2niix -z n -b n -f %s -o '%s' '%s' >/dev/null 2>&1", name, dlld_test_tmpdir(), dir);
	if (system(cmd) != 0)
		return NULL;
	snprintf(out, sizeof out, "%s/%s.nii", dlld_test_tmpdir(), name);
	return dlld_path_exists(out) ? out : NULL;
}

static void compare_with_dcm2niix(const char *dir, const char *name)
{
	struct dlld_volume *ours = NULL, *theirs = NULL;
	struct dlld_error err;
	const char *nii = run_dcm2niix(dir, name);
	size_t n, mismatches = 0;
	double worst = 0;

	CHECK_MSG(nii != NULL, "dcm2niix failed on %s", dir);
	if (!nii)
		return;
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_ct_load(dir, NULL, &ours, &err), 0);
	CHECK_INT_EQ(dlld_nifti_read_volume(nii, &theirs, &err), 0);
	if (!ours || !theirs)
		goto done;
	dlld_geometry_voxels(&theirs->geom, &n);
	CHECK_INT_EQ(theirs->geom.dims[2], ours->geom.dims[2]);
	for (int32_t k = 0; k < theirs->geom.dims[2]; k++)
		for (int32_t j = 0; j < theirs->geom.dims[1]; j++)
			for (int32_t i = 0; i < theirs->geom.dims[0]; i++) {
				double lps[3], ijk[3];
				int32_t d[3];
				dlld_geometry_to_lps(&theirs->geom, i, j, k, lps);
				dlld_geometry_from_lps(&ours->geom, lps, ijk);
				for (int a = 0; a < 3; a++) {
					d[a] = (int32_t)lrint(ijk[a]);
					worst = fmax(worst, fabs(ijk[a] - d[a]));
					if (d[a] < 0 || d[a] >= ours->geom.dims[a])
						d[a] = -1;
				}
				if (d[0] < 0 || d[1] < 0 || d[2] < 0 ||
				    ours->hu[dlld_voxel_index(&ours->geom, d[0], d[1], d[2])] !=
					    theirs->hu[dlld_voxel_index(&theirs->geom, i, j, k)])
					mismatches++;
			}
	CHECK_MSG(worst < 0.01, "%s: voxel centres off by %g voxel", name, worst);
	CHECK_MSG(mismatches == 0, "%s: %zu of %zu voxels differ", name, mismatches, n);
done:
	dlld_volume_destroy(ours);
	dlld_volume_destroy(theirs);
}

static void test_dcm2niix_totalseg(void)
{
	const char *data = dlld_test_data_dir();
	char dir[1024];

	if (!have_dcm2niix())
		SKIP("dcm2niix not installed (Debian package dcm2niix)");
	if (!data)
		SKIP("no real data folder (DLLD_DATA)");
	snprintf(dir, sizeof dir, "%s/totalseg-example/example_ct_dicom", data);
	if (!dlld_path_is_dir(dir))
		SKIP("%s absent", dir);
	compare_with_dcm2niix(dir, "totalseg");
}

static void test_dcm2niix_ircadb(void)
{
	const char *data = dlld_test_data_dir();
	char zip[1024], cmd[3000], dir[1100];

	if (!have_dcm2niix())
		SKIP("dcm2niix not installed (Debian package dcm2niix)");
	if (!data)
		SKIP("no real data folder (DLLD_DATA)");
	snprintf(zip, sizeof zip, "%s/3dircadb1/3Dircadb1.1/PATIENT_DICOM.zip", data);
	if (!dlld_path_exists(zip))
		SKIP("%s absent", zip);
	snprintf(cmd, sizeof cmd, "unzip -q -o '%s' -d '%s/ircadb1' >/dev/null 2>&1", zip,
		 dlld_test_tmpdir());
	if (system(cmd) != 0)
		SKIP("cannot unzip %s", zip);
	snprintf(dir, sizeof dir, "%s/ircadb1/PATIENT_DICOM", dlld_test_tmpdir());
	compare_with_dcm2niix(dir, "ircadb1");
}

int main(void)
{
	dlld_test_run("dcm2niix agrees voxel for voxel: TotalSegmentator (JPEG 2000)",
		      test_dcm2niix_totalseg);
	dlld_test_run("dcm2niix agrees voxel for voxel: 3D-IRCADb patient 1", test_dcm2niix_ircadb);
	return dlld_test_finish();
}

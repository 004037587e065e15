/* tests/ct/test_realdata.c — the real scanner files in $DLLD_DATA, read in
 * place (zips unpacked into the test's temporary folder). Reference values
 * come from ../shared/data's PROVENANCE.md files (pydicom/nibabel). */
#include "dlld/ct.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fills out with data/rel; false (and a SKIP is due) when absent. */
static bool data_path(char *out, size_t size, const char *rel)
{
	const char *data = dlld_test_data_dir();
	if (!data)
		return false;
	snprintf(out, (size_t)size, "%s/%s", data, rel);
	return dlld_path_exists(out);
}

/* Unzips the members of zip matching `members` (a zip pattern, "" for all)
 * into the temp folder under `name`; returns that folder. */
static const char *unzip_to_tmp(const char *zip, const char *members, const char *name)
{
	static char dirs[4][600];
	static int next;
	char *dir = dirs[next++ % 4];
	char cmd[2000];

	snprintf(dir, 600, "%s/%s", dlld_test_tmpdir(), name);
	if (dlld_path_exists(dir))
		return dir;
	snprintf(cmd, sizeof cmd, "unzip -q -o '%s' %s -d '%s' >/dev/null 2>&1", zip, members, dir);
	return system(cmd) == 0 ? dir : NULL;
}

static void hu_range(const struct dlld_volume *v, float *lo, float *hi, double *sum)
{
	size_t n;
	dlld_geometry_voxels(&v->geom, &n);
	*lo = *hi = v->hu[0];
	*sum = 0;
	for (size_t i = 0; i < n; i++) {
		*lo = v->hu[i] < *lo ? v->hu[i] : *lo;
		*hi = v->hu[i] > *hi ? v->hu[i] : *hi;
		*sum += v->hu[i];
	}
}

static struct dlld_volume *load(const char *path, const struct dlld_ct_load_options *o,
				struct dlld_error *err)
{
	struct dlld_volume *v = NULL;
	char buf[1500];
	dlld_error_clear(err);
	if (dlld_ct_load(path, o, &v, err))
		CHECK_MSG(false, "%s", dlld_error_format(err, buf, sizeof buf));
	return v;
}

/* Slice k of v equals the single-file load of `file` (slice order check). */
static void check_slice_is_file(const struct dlld_volume *v, int32_t k, const char *file)
{
	struct dlld_error err;
	struct dlld_volume *one = load(file, NULL, &err);
	size_t plane = (size_t)v->geom.dims[0] * (size_t)v->geom.dims[1];
	if (!one)
		return;
	CHECK_MSG(memcmp(one->hu, v->hu + (size_t)k * plane, plane * sizeof(float)) == 0,
		  "slice %d differs from %s", k, file);
	CHECK_NEAR(one->geom.affine[2][3], v->geom.affine[2][3] + k * v->geom.affine[2][2], 1e-4);
	dlld_volume_destroy(one);
}

static void check_ircadb(const char *patient, const char *tmpname, int32_t nz, double pixel_mm,
			 float lo_want, float hi_want, int32_t liver_first, int32_t liver_last)
{
	char zip[2400], file[1200];
	const char *dir;
	struct dlld_volume *v, *liver;
	struct dlld_error err;
	float lo, hi;
	double sum;

	snprintf(file, sizeof file, "3dircadb1/%s/PATIENT_DICOM.zip", patient);
	if (!data_path(zip, sizeof zip, file))
		SKIP("%s absent", file);
	dir = unzip_to_tmp(zip, "", tmpname);
	if (!dir)
		SKIP("cannot unzip %s (is `unzip` installed?)", zip);
	snprintf(file, sizeof file, "%s/PATIENT_DICOM", dir);
	v = load(file, NULL, &err);
	if (!v)
		return;
	CHECK_INT_EQ(v->geom.dims[0], 512);
	CHECK_INT_EQ(v->geom.dims[1], 512);
	CHECK_INT_EQ(v->geom.dims[2], nz);
	CHECK_NEAR(v->geom.spacing_mm[0], pixel_mm, 1e-6);
	CHECK_NEAR(v->geom.spacing_mm[1], pixel_mm, 1e-6);
	CHECK_NEAR(v->geom.spacing_mm[2], 1.6, 1e-6);
	/* synthetic origin, z ascending: slice k at z = 1.6 k */
	CHECK_NEAR(v->geom.affine[2][3], 0.0, 1e-9);
	CHECK(v->geom.affine[2][2] > 0);
	hu_range(v, &lo, &hi, &sum);
	CHECK_NEAR(lo, lo_want, 0);
	CHECK_NEAR(hi, hi_want, 0);
	CHECK(!v->prov.uneven_spacing && v->prov.gantry_tilt_deg == 0.0);
	CHECK_STR_EQ(v->prov.original_datatype, "int16");
	/* InstanceNumber k = file image_k = slice k */
	for (int32_t k = 0; k < nz; k += nz / 3) {
		snprintf(file, sizeof file, "%s/PATIENT_DICOM/image_%d", dir, k);
		check_slice_is_file(v, k, file);
	}
	/* the liver mask series: same grid, {0, 255}, liver on the documented slices */
	snprintf(file, sizeof file, "3dircadb1/%s/MASKS_DICOM.zip", patient);
	data_path(zip, sizeof zip, file);
	snprintf(file, sizeof file, "%s-masks", tmpname);
	dir = unzip_to_tmp(zip, "'MASKS_DICOM/liver/*'", file);
	snprintf(file, sizeof file, "%s/MASKS_DICOM/liver", dir ? dir : "");
	liver = dir ? load(file, NULL, &err) : NULL;
	if (liver) {
		size_t plane = 512u * 512u;
		int32_t first = -1, last = -1;
		CHECK(dlld_geometry_same(&v->geom, &liver->geom, 1e-6));
		for (size_t i = 0; i < plane * (size_t)nz; i++) {
			CHECK(liver->hu[i] == 0 || liver->hu[i] == 255);
			if (liver->hu[i] != 0) {
				int32_t k = (int32_t)(i / plane);
				first = first < 0 ? k : first;
				last = k;
			}
		}
		CHECK_INT_EQ(first, liver_first);
		CHECK_INT_EQ(last, liver_last);
	}
	dlld_volume_destroy(liver);
	dlld_volume_destroy(v);
}

static void test_ircadb_patient1(void)
{
	check_ircadb("3Dircadb1.1", "ircadb1", 129, 0.569999992847443, -1024, 1023, 27, 124);
}

static void test_ircadb_patient7(void)
{
	check_ircadb("3Dircadb1.7", "ircadb7", 151, 0.782000005245209, -1023, 1024, 48, 145);
}

/* TotalSegmentator: JPEG 2000 lossless, unsigned 12-bit, intercept -1024,
 * InstanceNumber decreasing with z. The label map example_seg_dicom.nii.gz
 * (LAS) lies on the DICOM grid: mapping its voxels through LPS must land on
 * DICOM voxel centres and give the documented liver/spleen mean HU. */
static void test_totalseg_dicom_and_labels(void)
{
	char dir[1024], seg_path[1024];
	struct dlld_volume *v;
	struct dlld_labelmap *seg = NULL;
	struct dlld_error err;
	float lo, hi;
	double sum, liver_sum = 0, spleen_sum = 0, worst = 0;
	size_t liver_n = 0, spleen_n = 0;

	if (!data_path(dir, sizeof dir, "totalseg-example/example_ct_dicom") ||
	    !data_path(seg_path, sizeof seg_path, "totalseg-example/example_seg_dicom.nii.gz"))
		SKIP("totalseg-example absent");
	v = load(dir, NULL, &err);
	if (!v)
		return;
	CHECK_INT_EQ(v->geom.dims[2], 20);
	CHECK_NEAR(v->geom.spacing_mm[0], 0.9765625, 1e-6);
	CHECK_NEAR(v->geom.spacing_mm[2], 2.0, 1e-6);
	CHECK_NEAR(v->geom.affine[2][3], -804.5, 1e-6);
	CHECK_STR_EQ(v->prov.original_datatype, "uint16");
	CHECK_NEAR(v->prov.slice_thickness_mm, 3.0, 1e-9);
	hu_range(v, &lo, &hi, &sum);
	CHECK_NEAR(lo, -1024, 0);
	CHECK_NEAR(hi, 1839, 0);
	CHECK_INT_EQ(dlld_nifti_read_labels(seg_path, &seg, &err), 0);
	for (int32_t k = 0; seg && k < seg->geom.dims[2]; k++)
		for (int32_t j = 0; j < seg->geom.dims[1]; j++)
			for (int32_t i = 0; i < seg->geom.dims[0]; i++) {
				uint16_t l = seg->label[dlld_voxel_index(&seg->geom, i, j, k)];
				double lps[3], ijk[3];
				int32_t d[3];
				if (l != 5 && l != 1)
					continue;
				dlld_geometry_to_lps(&seg->geom, i, j, k, lps);
				dlld_geometry_from_lps(&v->geom, lps, ijk);
				for (int a = 0; a < 3; a++) {
					d[a] = (int32_t)lrint(ijk[a]);
					worst = fmax(worst, fabs(ijk[a] - d[a]));
				}
				float hu = v->hu[dlld_voxel_index(&v->geom, d[0], d[1], d[2])];
				if (l == 5)
					liver_sum += hu, liver_n++;
				else
					spleen_sum += hu, spleen_n++;
			}
	CHECK(worst < 1e-3); /* every label voxel is a DICOM voxel centre */
	CHECK_INT_EQ(liver_n, 366708);
	CHECK_NEAR(liver_sum / (double)liver_n, 89.3, 0.05);
	CHECK_NEAR(spleen_sum / (double)(spleen_n ? spleen_n : 1), 79.6, 0.05);
	dlld_labelmap_destroy(seg);
	dlld_volume_destroy(v);
}

/* GE head CT: 18.5° tilt, steps 13 x 4 mm, 1.08 mm, 13 x 7 mm. */
static void test_ge_tilt_and_uneven(void)
{
	char dir[1024], first[1100];
	struct dlld_dicom_scan *scan;
	struct dlld_ct_load_options allow = {.allow_tilt = true, .allow_uneven = true};
	struct dlld_volume *v = NULL, *one;
	struct dlld_error err;
	const struct dlld_dicom_series_info *s;

	if (!data_path(dir, sizeof dir, "dcm_qa_ct-ge/GE"))
		SKIP("dcm_qa_ct-ge absent");
	CHECK_INT_EQ(dlld_dicom_scan(dir, &scan, &err), 0);
	s = dlld_dicom_scan_series(scan, 0);
	CHECK_INT_EQ(s->n_slices, 28);
	CHECK(s->tilted && s->uneven_spacing);
	CHECK_NEAR(s->header_tilt_deg, 18.5, 1e-9);
	CHECK_NEAR(s->shear_deg, 18.5, 0.05);
	CHECK_NEAR(s->step_min_mm, 1.08, 0.01);
	CHECK_NEAR(s->step_max_mm, 7.0, 0.01);
	CHECK_NEAR(s->slice_step_mm, 4.0, 0.01);
	snprintf(first, sizeof first, "%s", s->first_file);
	dlld_dicom_scan_destroy(scan);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_ct_load(dir, NULL, &v, &err), DLLD_STATUS_INCONSISTENT);
	CHECK(strstr(err.reason, "gantry tilt") && strstr(err.reason, "18.50"));
	v = load(dir, &allow, &err);
	if (!v)
		return;
	CHECK_NEAR(v->prov.gantry_tilt_deg, 18.5, 1e-9);
	CHECK(v->prov.uneven_spacing);
	CHECK_NEAR(v->geom.spacing_mm[2], 4.0, 0.01);
	/* 13*4 + 1.08 + 13*7 = 144.08 mm → 37 slices of ~4 mm */
	CHECK_INT_EQ(v->geom.dims[2], 37);
	/* the resampled grid is orthogonal, and its first slice is the first file */
	double dot = 0;
	for (int r = 0; r < 3; r++)
		dot += v->geom.affine[r][1] * v->geom.affine[r][2];
	CHECK_NEAR(dot, 0.0, 1e-9);
	one = load(first, NULL, &err);
	if (one)
		CHECK(memcmp(one->hu, v->hu, 512u * 512u * sizeof(float)) == 0);
	dlld_volume_destroy(one);
	dlld_volume_destroy(v);
}

int main(void)
{
	dlld_test_run("3D-IRCADb patient 1: 512x512x129, spacing, HU, slice order, liver mask",
		      test_ircadb_patient1);
	dlld_test_run("3D-IRCADb patient 7: 512x512x151, spacing, HU, slice order, liver mask",
		      test_ircadb_patient7);
	dlld_test_run("TotalSegmentator JPEG 2000 series and its liver label map agree",
		      test_totalseg_dicom_and_labels);
	dlld_test_run("GE series: 18.5 deg tilt and uneven spacing reported, refused, resampled",
		      test_ge_tilt_and_uneven);
	return dlld_test_finish();
}

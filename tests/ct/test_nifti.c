/* tests/ct/test_nifti.c — NIfTI round trips, orientation, malformed headers. */
#include "dlld/ct.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *tmp_path(const char *name)
{
	static char buf[8][512];
	static int next;
	char *p = buf[next++ % 8];
	snprintf(p, 512, "%s/%s", dlld_test_tmpdir(), name);
	return p;
}

/* A 5x4x3 oblique volume with distinct values and an HU-like range. */
static struct dlld_volume *make_volume(void)
{
	const int32_t dims[3] = {5, 4, 3};
	const double spacing[3] = {0.7, 0.8, 2.5}, origin[3] = {-120.5, 33.25, -804.5};
	struct dlld_geometry g;
	struct dlld_volume *v;
	double c = 0.8, s = 0.6;

	dlld_geometry_init(&g, dims, spacing, origin);
	/* rotate the in-plane axes by atan2(0.6, 0.8) about the z axis */
	g.affine[0][0] = c * 0.7, g.affine[1][0] = s * 0.7;
	g.affine[0][1] = -s * 0.8, g.affine[1][1] = c * 0.8;
	v = dlld_volume_create(&g, NULL);
	for (size_t i = 0; i < 60; i++)
		v->hu[i] = (float)((double)i * 37.0 - 1024.0);
	return v;
}

static void check_same_geometry(const struct dlld_geometry *a, const struct dlld_geometry *b)
{
	CHECK(dlld_geometry_same(a, b, 1e-4));
	for (int d = 0; d < 3; d++)
		CHECK_NEAR(a->spacing_mm[d], b->spacing_mm[d], 1e-5);
}

static void test_round_trip_int16_and_float(void)
{
	struct dlld_volume *v = make_volume(), *back = NULL;
	struct dlld_error err;
	const char *names[2] = {"rt.nii.gz", "rt_f.nii"};

	v->hu[7] = 12.25f; /* float keeps it, int16 rounds it */
	for (int t = 0; t < 2; t++) {
		enum dlld_nifti_type type = t == 0 ? DLLD_NIFTI_TYPE_INT16 : DLLD_NIFTI_TYPE_FLOAT32;
		dlld_error_clear(&err);
		CHECK_INT_EQ(dlld_nifti_write_volume(v, tmp_path(names[t]), type, &err), 0);
		CHECK_INT_EQ(dlld_nifti_read_volume(tmp_path(names[t]), &back, &err), 0);
		if (!back)
			continue;
		check_same_geometry(&v->geom, &back->geom);
		for (size_t i = 0; i < 60; i++)
			if (i != 7)
				CHECK_NEAR(back->hu[i], v->hu[i], 0.0);
		CHECK_NEAR(back->hu[7], t == 0 ? 12.0 : 12.25, 0.0);
		CHECK_STR_EQ(back->prov.original_datatype, t == 0 ? "int16" : "float32");
		dlld_volume_destroy(back);
		back = NULL;
	}
	dlld_volume_destroy(v);
}

/* The written sform is RAS: x and y rows negated from our LPS affine. */
static void test_written_header_is_ras(void)
{
	struct dlld_volume *v = make_volume();
	char *data;
	size_t size;
	float srow_x[4], srow_z[4];
	short sform_code, dim1;

	CHECK_INT_EQ(dlld_nifti_write_volume(v, tmp_path("ras.nii"), DLLD_NIFTI_TYPE_INT16, NULL), 0);
	CHECK_INT_EQ(dlld_read_file(tmp_path("ras.nii"), &data, &size, NULL), 0);
	CHECK_INT_EQ(size, 352 + 60 * 2);
	memcpy(&dim1, data + 42, 2);
	memcpy(&sform_code, data + 254, 2);
	memcpy(srow_x, data + 280, 16);
	memcpy(srow_z, data + 312, 16);
	CHECK_INT_EQ(dim1, 5);
	CHECK_INT_EQ(sform_code, 1);
	CHECK_NEAR(srow_x[0], -0.56, 1e-6);  /* -(0.8 * 0.7) */
	CHECK_NEAR(srow_x[3], 120.5, 1e-6);  /* -(-120.5) */
	CHECK_NEAR(srow_z[2], 2.5, 1e-6);
	CHECK_NEAR(srow_z[3], -804.5, 1e-6);
	CHECK(memcmp(data + 344, "n+1", 4) == 0);
	free(data);
	dlld_volume_destroy(v);
}

static void test_labels_round_trip(void)
{
	struct dlld_volume *v = make_volume();
	struct dlld_labelmap *m = dlld_labelmap_create(&v->geom, NULL), *back = NULL;

	for (size_t i = 0; i < 60; i++)
		m->label[i] = (uint16_t)(i % 7);
	CHECK_INT_EQ(dlld_nifti_write_labels(m, tmp_path("lab8.nii.gz"), NULL), 0);
	CHECK_INT_EQ(dlld_nifti_read_labels(tmp_path("lab8.nii.gz"), &back, NULL), 0);
	CHECK(back && memcmp(back->label, m->label, 60 * 2) == 0);
	check_same_geometry(&m->geom, &back->geom);
	dlld_labelmap_destroy(back);
	m->label[59] = 60000; /* needs uint16 */
	CHECK_INT_EQ(dlld_nifti_write_labels(m, tmp_path("lab16.nii"), NULL), 0);
	CHECK_INT_EQ(dlld_nifti_read_labels(tmp_path("lab16.nii"), &back, NULL), 0);
	CHECK(back && memcmp(back->label, m->label, 60 * 2) == 0);
	dlld_labelmap_destroy(back);
	/* an HU volume with negative values is not a label map */
	struct dlld_error err;
	dlld_error_clear(&err);
	dlld_nifti_write_volume(v, tmp_path("notlab.nii"), DLLD_NIFTI_TYPE_INT16, NULL);
	CHECK_INT_EQ(dlld_nifti_read_labels(tmp_path("notlab.nii"), &back, &err), 3);
	CHECK(strstr(err.reason, "label value -1024") != NULL);
	dlld_labelmap_destroy(m);
	dlld_volume_destroy(v);
}

/* Writes a valid 5x4x3 int16 .nii, patches `len` bytes at `offset`, reads. */
static enum dlld_status read_patched(const char *name, long offset, const void *bytes,
				     size_t len, struct dlld_error *err)
{
	struct dlld_volume *v = make_volume(), *back = NULL;
	const char *path = tmp_path(name);
	FILE *fp;
	enum dlld_status st;

	dlld_nifti_write_volume(v, path, DLLD_NIFTI_TYPE_INT16, NULL);
	dlld_volume_destroy(v);
	fp = fopen(path, "r+b");
	fseek(fp, offset, SEEK_SET);
	fwrite(bytes, 1, len, fp);
	fclose(fp);
	dlld_error_clear(err);
	st = dlld_nifti_read_volume(path, &back, err);
	CHECK(st != 0 || back != NULL);
	dlld_volume_destroy(back);
	return st;
}

static void test_malformed_headers(void)
{
	struct dlld_error err;
	short neg = -5, big = 32767, four = 4, dt = 1234, bp = 8;
	short dims7[8] = {7, 32767, 32767, 32767, 32767, 1, 1, 1};
	float off = 100.0f;
	int hdr = 999;

	CHECK_INT_EQ(read_patched("neg.nii", 42, &neg, 2, &err), 3);
	CHECK_STR_EQ(err.where, "dim[1]");
	/* 32767^3 voxels: over the limit, named, no allocation attempted */
	CHECK_INT_EQ(read_patched("big.nii", 44, (short[2]){big, big}, 4, &err), 3);
	CHECK_STR_EQ(err.where, "dim");
	/* 4-D with 32767^4 voxels: dim[4] is refused before any product */
	CHECK_INT_EQ(read_patched("huge.nii", 40, dims7, sizeof dims7, &err), 3);
	CHECK_STR_EQ(err.where, "dim[4]");
	CHECK_INT_EQ(read_patched("d4.nii", 40, &four, 2, &err), 3);
	CHECK_STR_EQ(err.where, "dim[4]");
	CHECK_INT_EQ(read_patched("dt.nii", 70, &dt, 2, &err), 3);
	CHECK_STR_EQ(err.where, "datatype");
	CHECK_INT_EQ(read_patched("bp.nii", 72, &bp, 2, &err), 3);
	CHECK_STR_EQ(err.where, "bitpix");
	CHECK_INT_EQ(read_patched("off.nii", 108, &off, 4, &err), 3);
	CHECK_STR_EQ(err.where, "vox_offset");
	CHECK_INT_EQ(read_patched("magic.nii", 344, "xyz", 4, &err), 3);
	CHECK_STR_EQ(err.where, "magic");
	CHECK_INT_EQ(read_patched("hdr.nii", 0, &hdr, 4, &err), 3);
	CHECK_STR_EQ(err.where, "sizeof_hdr");
	/* a larger dim[3] than the data holds: truncated data */
	CHECK_INT_EQ(read_patched("trunc.nii", 46, &big, 2, &err), 3);
	CHECK(strstr(err.reason, "truncated") != NULL);
}

static void test_truncated_files(void)
{
	struct dlld_volume *v = make_volume(), *back = NULL;
	struct dlld_error err;
	char *data;
	size_t size;

	dlld_nifti_write_volume(v, tmp_path("full.nii.gz"), DLLD_NIFTI_TYPE_FLOAT32, NULL);
	dlld_read_file(tmp_path("full.nii.gz"), &data, &size, NULL);
	for (size_t cut = 0; cut < size; cut += size / 7 + 1) {
		dlld_write_file_atomic(tmp_path("cut.nii.gz"), data, cut, NULL);
		dlld_error_clear(&err);
		CHECK_INT_EQ(dlld_nifti_read_volume(tmp_path("cut.nii.gz"), &back, &err), 3);
		CHECK(back == NULL && err.reason[0] != '\0');
	}
	free(data);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_nifti_read_volume(tmp_path("missing.nii"), &back, &err), 2);
	dlld_volume_destroy(v);
}

/* Real data: TotalSegmentator's example CT (int32, RAS) and its seg. */
static void test_totalseg_nifti(void)
{
	const char *data = dlld_test_data_dir();
	char path[1024];
	struct dlld_volume *v = NULL;
	struct dlld_labelmap *m = NULL;
	struct dlld_error err;
	float lo = 1e9f, hi = -1e9f;

	if (!data)
		SKIP("no real data folder (DLLD_DATA)");
	snprintf(path, sizeof path, "%s/totalseg-example/example_ct.nii.gz", data);
	if (!dlld_path_exists(path))
		SKIP("%s absent", path);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_nifti_read_volume(path, &v, &err), 0);
	if (!v)
		return;
	CHECK_INT_EQ(v->geom.dims[0], 122);
	CHECK_INT_EQ(v->geom.dims[1], 101);
	CHECK_INT_EQ(v->geom.dims[2], 112);
	CHECK_STR_EQ(v->prov.original_datatype, "int32");
	for (int d = 0; d < 3; d++)
		CHECK_NEAR(v->geom.spacing_mm[d], 3.0, 1e-4);
	/* RAS on disk → LPS: +i goes toward patient left in RAS = -x in LPS */
	CHECK(v->geom.affine[0][0] < 0 && v->geom.affine[1][1] < 0 && v->geom.affine[2][2] > 0);
	for (size_t i = 0; i < 122u * 101u * 112u; i++) {
		lo = v->hu[i] < lo ? v->hu[i] : lo;
		hi = v->hu[i] > hi ? v->hu[i] : hi;
	}
	CHECK_NEAR(lo, -1207, 0);
	CHECK_NEAR(hi, 3382, 0);
	snprintf(path, sizeof path, "%s/totalseg-example/example_seg.nii.gz", data);
	CHECK_INT_EQ(dlld_nifti_read_labels(path, &m, &err), 0);
	if (m) {
		size_t liver = 0;
		for (size_t i = 0; i < 122u * 101u * 30u; i++)
			liver += m->label[i] == 5;
		CHECK_INT_EQ(liver, 38634);
		CHECK_INT_EQ(m->geom.dims[2], 30);
	}
	dlld_labelmap_destroy(m);
	dlld_volume_destroy(v);
}

int main(void)
{
	dlld_test_run("nifti round trip int16 and float32 is exact", test_round_trip_int16_and_float);
	dlld_test_run("nifti header is RAS with sform and qform", test_written_header_is_ras);
	dlld_test_run("nifti label maps round trip (uint8, uint16)", test_labels_round_trip);
	dlld_test_run("nifti malformed headers name the field", test_malformed_headers);
	dlld_test_run("nifti truncated .nii.gz is malformed, missing is not found",
		      test_truncated_files);
	dlld_test_run("nifti TotalSegmentator example CT and labels", test_totalseg_nifti);
	return dlld_test_finish();
}

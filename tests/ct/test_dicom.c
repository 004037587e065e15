/* tests/ct/test_dicom.c — DICOM writer/reader on synthetic series: round
 * trip, determinism, slice order, missing/duplicate slices, mixed sizes,
 * several series, corrupt and non-DICOM files. */
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

/* An nx x ny x nz volume, in-plane axes rotated about z, HU with fractions. */
static struct dlld_volume *make_volume(int32_t nx, int32_t ny, int32_t nz, double step)
{
	const int32_t dims[3] = {nx, ny, nz};
	const double spacing[3] = {0.7, 0.8, step}, origin[3] = {-120.5, 33.25, -804.5};
	struct dlld_geometry g;
	struct dlld_volume *v;
	size_t n = (size_t)nx * (size_t)ny * (size_t)nz;

	dlld_geometry_init(&g, dims, spacing, origin);
	g.affine[0][0] = 0.8 * 0.7, g.affine[1][0] = 0.6 * 0.7;
	g.affine[0][1] = -0.6 * 0.8, g.affine[1][1] = 0.8 * 0.8;
	v = dlld_volume_create(&g, NULL);
	for (size_t i = 0; i < n; i++)
		v->hu[i] = (float)((double)(i * 7919 % 4000) - 1024.0 + 0.25);
	return v;
}

static void check_equal_rounded(const struct dlld_volume *want, const struct dlld_volume *got)
{
	size_t n;

	CHECK(dlld_geometry_same(&want->geom, &got->geom, 1e-6));
	dlld_geometry_voxels(&want->geom, &n);
	for (size_t i = 0; i < n && dlld_geometry_same(&want->geom, &got->geom, 1e-6); i++)
		if (got->hu[i] != nearbyintf(want->hu[i])) {
			CHECK_MSG(false, "voxel %zu: %g vs %g", i, got->hu[i], want->hu[i]);
			break;
		}
}

static struct dlld_volume *load(const char *path, const struct dlld_ct_load_options *o,
				struct dlld_error *err)
{
	struct dlld_volume *v = NULL;
	dlld_error_clear(err);
	dlld_ct_load(path, o, &v, err);
	return v;
}

static void test_write_read_round_trip(void)
{
	struct dlld_volume *v = make_volume(6, 5, 4, 2.5), *back;
	struct dlld_dicom_write_options o = {.patient_id = "P001", .uid_seed = 7,
					     .window_center = 40, .window_width = 400};
	struct dlld_error err;

	CHECK_INT_EQ(dlld_dicom_write_series(v, tmp_path("rt"), &o, &err), 0);
	back = load(tmp_path("rt"), NULL, &err);
	CHECK_MSG(back != NULL, "%s", err.reason);
	if (!back)
		return;
	check_equal_rounded(v, back);
	CHECK_STR_EQ(back->prov.modality, "CT");
	CHECK_STR_EQ(back->prov.original_datatype, "int16");
	CHECK_NEAR(back->prov.window_width, 400, 0);
	CHECK_NEAR(back->prov.slice_thickness_mm, 2.5, 1e-9);
	CHECK(!strncmp(back->prov.series_uid, "2.25.", 5) && strlen(back->prov.series_uid) <= 64);
	CHECK(!back->prov.uneven_spacing && back->prov.gantry_tilt_deg == 0.0);
	dlld_volume_destroy(back);
	dlld_volume_destroy(v);
}

static void test_writer_is_deterministic(void)
{
	struct dlld_volume *v = make_volume(4, 3, 2, 1.0);
	struct dlld_dicom_write_options o = {.patient_id = "P002", .uid_seed = 99};
	char *a, *b, *c;
	size_t na, nb, nc;

	dlld_dicom_write_series(v, tmp_path("det1"), &o, NULL);
	dlld_dicom_write_series(v, tmp_path("det2"), &o, NULL);
	o.uid_seed = 100;
	dlld_dicom_write_series(v, tmp_path("det3"), &o, NULL);
	CHECK_INT_EQ(dlld_read_file(tmp_path("det1/IM00002.dcm"), &a, &na, NULL), 0);
	CHECK_INT_EQ(dlld_read_file(tmp_path("det2/IM00002.dcm"), &b, &nb, NULL), 0);
	CHECK_INT_EQ(dlld_read_file(tmp_path("det3/IM00002.dcm"), &c, &nc, NULL), 0);
	CHECK(na == nb && memcmp(a, b, na) == 0);
	CHECK(na != nc || memcmp(a, c, na) != 0); /* another seed, other UIDs */
	free(a), free(b), free(c);
	dlld_volume_destroy(v);
}

/* File names in reverse position order: the reader sorts by position. */
static void test_order_ignores_file_names(void)
{
	struct dlld_volume *v = make_volume(4, 3, 5, 1.5), *back;
	struct dlld_error err;
	char from[600], to[600];

	dlld_dicom_write_series(v, tmp_path("order"), NULL, NULL);
	for (int k = 1; k <= 5; k++) {
		snprintf(from, sizeof from, "%s/IM%05d.dcm", tmp_path("order"), k);
		snprintf(to, sizeof to, "%s/slice_%c", tmp_path("order"), 'a' + (5 - k));
		CHECK(rename(from, to) == 0);
	}
	back = load(tmp_path("order"), NULL, &err);
	CHECK(back != NULL);
	if (back)
		check_equal_rounded(v, back);
	dlld_volume_destroy(back);
	dlld_volume_destroy(v);
}

static void test_missing_and_duplicate_slices(void)
{
	struct dlld_volume *v = make_volume(4, 3, 5, 2.0), *back;
	struct dlld_ct_load_options allow = {.allow_uneven = true};
	struct dlld_error err;
	char *data;
	size_t size;

	dlld_dicom_write_series(v, tmp_path("gap"), NULL, NULL);
	CHECK(remove(tmp_path("gap/IM00003.dcm")) == 0);
	back = load(tmp_path("gap"), NULL, &err);
	CHECK(back == NULL && err.status == DLLD_STATUS_INCONSISTENT);
	CHECK(strstr(err.reason, "non-uniform slice spacing") != NULL);
	back = load(tmp_path("gap"), &allow, &err);
	CHECK(back != NULL);
	if (back) {
		size_t plane = 12;
		CHECK_INT_EQ(back->geom.dims[2], 5);
		CHECK(back->prov.uneven_spacing);
		CHECK(dlld_geometry_same(&v->geom, &back->geom, 1e-6));
		/* the missing slice is the mean of its neighbours; others exact */
		for (size_t p = 0; p < plane; p++) {
			CHECK_NEAR(back->hu[p], nearbyintf(v->hu[p]), 1e-3);
			CHECK_NEAR(back->hu[2 * plane + p],
				   0.5 * (nearbyintf(v->hu[plane + p]) + nearbyintf(v->hu[3 * plane + p])),
				   1e-3);
		}
	}
	dlld_volume_destroy(back);

	dlld_dicom_write_series(v, tmp_path("dup"), NULL, NULL);
	dlld_read_file(tmp_path("dup/IM00002.dcm"), &data, &size, NULL);
	dlld_write_file_atomic(tmp_path("dup/copy_of_2"), data, size, NULL);
	free(data);
	back = load(tmp_path("dup"), NULL, &err);
	CHECK(back == NULL && err.status == DLLD_STATUS_INCONSISTENT);
	CHECK(strstr(err.reason, "duplicate slice position") && strstr(err.reason, "copy_of_2"));
	dlld_volume_destroy(v);
}

static void test_mixed_sizes_and_several_series(void)
{
	struct dlld_volume *a = make_volume(4, 3, 3, 2.0), *b = make_volume(5, 4, 2, 2.0), *back;
	struct dlld_dicom_write_options oa = {.patient_id = "A"}, ob = {.patient_id = "B"};
	struct dlld_ct_load_options pick = {0};
	struct dlld_dicom_scan *scan;
	struct dlld_error err;

	/* same patient and seed = same series UID, but two image sizes */
	dlld_dicom_write_series(a, tmp_path("mixed"), &oa, NULL);
	dlld_dicom_write_series(b, tmp_path("mixed/sub"), &oa, NULL);
	back = load(tmp_path("mixed"), NULL, &err);
	CHECK(back == NULL && err.status == DLLD_STATUS_INCONSISTENT);
	CHECK(strstr(err.reason, "mixed image sizes") != NULL);

	/* two series: the one with more slices is chosen; --series picks */
	dlld_dicom_write_series(a, tmp_path("two/a"), &oa, NULL);
	dlld_dicom_write_series(b, tmp_path("two/b"), &ob, NULL);
	CHECK_INT_EQ(dlld_dicom_scan(tmp_path("two"), &scan, &err), 0);
	CHECK_INT_EQ(dlld_dicom_scan_series_count(scan), 2);
	for (size_t i = 0; i < 2; i++) {
		const struct dlld_dicom_series_info *s = dlld_dicom_scan_series(scan, i);
		CHECK(s->auto_selected == (s->n_slices == 3));
		if (s->n_slices == 2)
			pick.series_uid = s->series_uid;
	}
	back = load(tmp_path("two"), NULL, &err);
	CHECK(back && back->geom.dims[2] == 3);
	dlld_volume_destroy(back);
	back = load(tmp_path("two"), &pick, &err);
	CHECK(back && back->geom.dims[0] == 5 && back->geom.dims[2] == 2);
	dlld_volume_destroy(back);
	pick.series_uid = "1.2.3.4";
	back = load(tmp_path("two"), &pick, &err);
	CHECK(back == NULL && err.status == DLLD_STATUS_NOT_FOUND);
	dlld_dicom_scan_destroy(scan);
	dlld_volume_destroy(a);
	dlld_volume_destroy(b);
}

static void test_corrupt_and_foreign_files(void)
{
	struct dlld_volume *v = make_volume(8, 8, 4, 2.0), *back;
	struct dlld_error err;
	char *data;
	size_t size;

	dlld_dicom_write_series(v, tmp_path("junk"), NULL, NULL);
	dlld_write_file_atomic(tmp_path("junk/README.txt"), "hello\n", 6, NULL);
	back = load(tmp_path("junk"), NULL, &err); /* a text file is skipped */
	CHECK(back && back->geom.dims[2] == 4);
	dlld_volume_destroy(back);
	back = load(tmp_path("junk/README.txt"), NULL, &err);
	CHECK(back == NULL && err.status == DLLD_STATUS_MALFORMED);
	CHECK(strstr(err.reason, "not a DICOM file") && strstr(err.file, "README.txt"));

	/* a middle slice cut short inside its pixel data: skipped, and the gap
	 * it leaves is refused naming it */
	dlld_read_file(tmp_path("junk/IM00002.dcm"), &data, &size, NULL);
	dlld_write_file_atomic(tmp_path("junk/IM00002.dcm"), data, size - 40, NULL);
	free(data);
	back = load(tmp_path("junk"), NULL, &err);
	CHECK(back == NULL && err.status == DLLD_STATUS_INCONSISTENT);
	CHECK(strstr(err.reason, "non-uniform") && strstr(err.reason, "IM00002.dcm: element (7FE0,0010)"));
	back = load(tmp_path("junk/IM00002.dcm"), NULL, &err);
	CHECK(back == NULL && err.status == DLLD_STATUS_MALFORMED);
	CHECK(strstr(err.file, "IM00002.dcm") && strstr(err.reason, "truncated"));
	/* every cut of a file gives a clean error or a volume, never a crash */
	dlld_read_file(tmp_path("junk/IM00001.dcm"), &data, &size, NULL);
	for (size_t cut = 0; cut < size; cut += 97) {
		dlld_write_file_atomic(tmp_path("cut.dcm"), data, cut, NULL);
		back = load(tmp_path("cut.dcm"), NULL, &err);
		CHECK(back != NULL || err.status == DLLD_STATUS_MALFORMED);
		dlld_volume_destroy(back);
	}
	free(data);
	back = load(tmp_path("nothing-here"), NULL, &err);
	CHECK(back == NULL && err.status == DLLD_STATUS_NOT_FOUND);
	dlld_mkdir_p(tmp_path("empty"), NULL);
	back = load(tmp_path("empty"), NULL, &err);
	CHECK(back == NULL && err.status == DLLD_STATUS_NOT_FOUND);
	dlld_volume_destroy(v);
}

int main(void)
{
	dlld_test_run("dicom write → read gives the rounded HU on the same grid",
		      test_write_read_round_trip);
	dlld_test_run("dicom writer output is byte-identical for the same seed",
		      test_writer_is_deterministic);
	dlld_test_run("dicom slices sorted by position, not file name", test_order_ignores_file_names);
	dlld_test_run("dicom missing slice refused or resampled; duplicates named",
		      test_missing_and_duplicate_slices);
	dlld_test_run("dicom mixed sizes refused; several series chosen and picked",
		      test_mixed_sizes_and_several_series);
	dlld_test_run("dicom corrupt, truncated and foreign files", test_corrupt_and_foreign_files);
	return dlld_test_finish();
}

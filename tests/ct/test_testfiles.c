/* tests/ct/test_testfiles.c — every file of $DLLD_DATA/dicom-testfiles
 * either loads with the pixel values pydicom reads (min, max, sum) or fails
 * with a precise message; a file missing from the table fails the test, so
 * new files are noticed. Plus agreement with dcm2niix on real series. */
#include "dlld/ct.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One expectation. fail_status 0 = loads; then dims and pydicom's min, max
 * and sum of HU. Sums are NAN when no independent decoder was available
 * (12-bit lossy JPEG: pydicom needs Pillow with 12-bit support). */
struct expect {
	const char *rel;
	enum dlld_status fail_status;
	const char *fail_text;
	int32_t nx, ny;
	double lo, hi, sum;
};

#define NOT_DICOM(rel) {rel, DLLD_STATUS_MALFORMED, "not a DICOM file", 0, 0, 0, 0, 0}
#define MR_SMALL(rel) {rel, 0, NULL, 64, 64, 127, 2145, 2125338}

static const struct expect table[] = {
	NOT_DICOM("PROVENANCE.md"),
	{"octave-dicom/CT-MONO2-16-ankle.dcm", 0, NULL, 512, 512, -992, 3056, -80112576},
	NOT_DICOM("octave-dicom/README.md"),
	NOT_DICOM("octave-dicom/debian-copyright.txt"),
	{"pydicom/693_J2KI.dcm", 0, NULL, 512, 512, -3995, 1812, -270617240},
	{"pydicom/CT_small.dcm", 0, NULL, 128, 128, -896, 1167, -1950906},
	{"pydicom/JPEG-lossy.dcm", 0, NULL, 256, 1024, 0, 4095, NAN},
	{"pydicom/JPEG2000.dcm", 0, NULL, 256, 1024, -30, 245, 3527976},
	{"pydicom/JPGExtended.dcm", 0, NULL, 256, 1024, 0, 4095, NAN},
	MR_SMALL("pydicom/MR_small.dcm"),
	MR_SMALL("pydicom/MR_small_RLE.dcm"),
	MR_SMALL("pydicom/MR_small_bigendian.dcm"),
	MR_SMALL("pydicom/MR_small_expb.dcm"),
	MR_SMALL("pydicom/MR_small_implicit.dcm"),
	MR_SMALL("pydicom/MR_small_jp2klossless.dcm"),
	MR_SMALL("pydicom/MR_small_jpeg_ls_lossless.dcm"),
	MR_SMALL("pydicom/MR_small_padded.dcm"),
	{"pydicom/MR_truncated.dcm", DLLD_STATUS_MALFORMED,
	 "element (7FE0,0010) at offset 1500 declares 8192 bytes but only 8130 remain", 0, 0, 0, 0, 0},
	NOT_DICOM("pydicom/README.txt"),
	NOT_DICOM("pydicom/debian-copyright.txt"),
	{"pydicom/dicomdirtests/98892001/CT2N/6293", 0, NULL, 16, 16, 218, 292, 68221},
	{"pydicom/dicomdirtests/98892001/CT2N/6924", 0, NULL, 16, 16, 65, 243, 30886},
	{"pydicom/dicomdirtests/98892001/CT5N/2062", 0, NULL, 16, 16, -888, 44, -90697},
	{"pydicom/dicomdirtests/98892001/CT5N/2392", 0, NULL, 16, 16, -859, 85, -48364},
	{"pydicom/dicomdirtests/98892001/CT5N/2693", 0, NULL, 16, 16, -666, 75, -10964},
	{"pydicom/dicomdirtests/98892001/CT5N/3023", 0, NULL, 16, 16, -151, 50, -9701},
	{"pydicom/dicomdirtests/98892001/CT5N/3353", 0, NULL, 16, 16, -156, 44, -17594},
	{"pydicom/image_dfl.dcm", 0, NULL, 512, 512, 0, 255, 33322688},
};

static const struct expect *find_expect(const char *rel)
{
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (!strcmp(table[i].rel, rel))
			return &table[i];
	return NULL;
}

static void check_file(const char *path, const struct expect *e, struct dlld_volume **keep)
{
	struct dlld_volume *v = NULL;
	struct dlld_error err;
	enum dlld_status st;

	dlld_error_clear(&err);
	st = dlld_ct_load(path, NULL, &v, &err);
	if (e->fail_status) {
		CHECK_MSG(st == e->fail_status && strstr(err.reason, e->fail_text) &&
				  !strcmp(err.file, path),
			  "%s: wanted status %d \"%s\", got %d \"%s\" (file %s)", e->rel,
			  e->fail_status, e->fail_text, st, err.reason, err.file);
		return;
	}
	CHECK_MSG(st == 0 && v, "%s: %s", e->rel, err.reason);
	if (!v)
		return;
	double lo = v->hu[0], hi = v->hu[0], sum = 0;
	size_t n = (size_t)v->geom.dims[0] * (size_t)v->geom.dims[1];
	for (size_t i = 0; i < n; i++) {
		lo = fmin(lo, v->hu[i]);
		hi = fmax(hi, v->hu[i]);
		sum += v->hu[i];
	}
	CHECK_MSG(v->geom.dims[0] == e->nx && v->geom.dims[1] == e->ny && v->geom.dims[2] == 1,
		  "%s: dims %dx%dx%d", e->rel, v->geom.dims[0], v->geom.dims[1], v->geom.dims[2]);
	if (isnan(e->sum)) { /* no reference decoder: plausible 12-bit range */
		CHECK_MSG(lo >= e->lo && hi <= e->hi && hi > lo, "%s: [%g, %g]", e->rel, lo, hi);
	} else {
		CHECK_MSG(lo == e->lo && hi == e->hi && sum == e->sum, "%s: [%g, %g] sum %.0f",
			  e->rel, lo, hi, sum);
	}
	*keep = v;
}

static void test_every_testfile(void)
{
	const char *data = dlld_test_data_dir();
	char base[1024], cmd[1200], line[2048];
	struct dlld_volume *mr = NULL, *jpeg_a = NULL, *jpeg_b = NULL;
	size_t seen = 0;
	FILE *p;

	if (!data)
		SKIP("no real data folder (DLLD_DATA)");
	snprintf(base, sizeof base, "%s/dicom-testfiles", data);
	if (!dlld_path_is_dir(base))
		SKIP("%s absent", base);
	snprintf(cmd, sizeof cmd, "cd '%s' && find . -type f | sort", base);
	p = popen(cmd, "r");
	while (p && fgets(line, sizeof line, p)) {
		char path[3200];
		const char *rel = line + 2; /* after "./" */
		line[strcspn(line, "\n")] = '\0';
		const struct expect *e = find_expect(rel);
		CHECK_MSG(e != NULL, "%s: not in the expectation table", rel);
		if (!e)
			continue;
		snprintf(path, sizeof path, "%s/%s", base, rel);
		struct dlld_volume *v = NULL;
		check_file(path, e, &v);
		seen++;
		/* every MR_small variant equals MR_small voxel for voxel */
		if (v && strstr(rel, "MR_small")) {
			if (!mr)
				mr = v, v = NULL;
			else
				CHECK_MSG(memcmp(mr->hu, v->hu, 64 * 64 * sizeof(float)) == 0 &&
						  dlld_geometry_same(&mr->geom, &v->geom, 1e-9),
					  "%s differs from the first MR_small file", rel);
		} else if (v && strstr(rel, "JPEG-lossy")) {
			jpeg_a = v, v = NULL;
		} else if (v && strstr(rel, "JPGExtended")) {
			jpeg_b = v, v = NULL;
		}
		dlld_volume_destroy(v);
	}
	if (p)
		pclose(p);
	CHECK_INT_EQ(seen, sizeof table / sizeof table[0]);
	/* the two 12-bit JPEG files hold the same image */
	CHECK(jpeg_a && jpeg_b && memcmp(jpeg_a->hu, jpeg_b->hu, 256 * 1024 * sizeof(float)) == 0);
	dlld_volume_destroy(mr);
	dlld_volume_destroy(jpeg_a);
	dlld_volume_destroy(jpeg_b);
}

/* The dicomdirtests folder: two series; CT5N (5 slices, z falling with
 * InstanceNumber) is chosen, CT2N (two different orientations) is listed
 * with its problem. */
static void test_dicomdir_folder(void)
{
	const char *data = dlld_test_data_dir();
	char dir[1024];
	struct dlld_dicom_scan *scan;
	struct dlld_volume *v = NULL;
	struct dlld_error err;
	size_t chosen = 0, problems = 0;

	if (!data)
		SKIP("no real data folder (DLLD_DATA)");
	snprintf(dir, sizeof dir, "%s/dicom-testfiles/pydicom/dicomdirtests", data);
	if (!dlld_path_is_dir(dir))
		SKIP("%s absent", dir);
	CHECK_INT_EQ(dlld_dicom_scan(dir, &scan, &err), 0);
	CHECK_INT_EQ(dlld_dicom_scan_series_count(scan), 2);
	for (size_t i = 0; i < dlld_dicom_scan_series_count(scan); i++) {
		const struct dlld_dicom_series_info *s = dlld_dicom_scan_series(scan, i);
		if (s->auto_selected) {
			chosen++;
			CHECK_INT_EQ(s->n_slices, 5);
			CHECK_NEAR(s->slice_step_mm, 2.5, 1e-6);
			CHECK(strstr(s->first_file, "CT5N/3353") != NULL); /* lowest z */
		}
		if (s->problem[0]) {
			problems++;
			CHECK(strstr(s->problem, "mixed orientations") != NULL);
		}
	}
	CHECK_INT_EQ(chosen, 1);
	CHECK_INT_EQ(problems, 1);
	dlld_dicom_scan_destroy(scan);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_ct_load(dir, NULL, &v, &err), 0);
	if (v) {
		double sum = 0, first = 0;
		for (size_t i = 0; i < 16u * 16u * 5u; i++) {
			sum += v->hu[i];
			first += i < 256 ? v->hu[i] : 0;
		}
		CHECK_NEAR(sum, -90697 - 48364 - 10964 - 9701 - 17594, 0);
		CHECK_NEAR(first, -17594, 0); /* slice 0 is file 3353, z = -1.24 */
		CHECK_NEAR(v->geom.affine[2][3], -1.2375, 1e-6);
	}
	dlld_volume_destroy(v);
}

/* Writes a copy of data/rel with `len` bytes at `offset` (from `marker`'s
 * first occurrence when marker is not NULL) replaced; returns the path. */
static const char *patched_copy(const char *rel, const char *marker, size_t mlen, long offset,
				const void *bytes, size_t len)
{
	static char out[2][600];
	static int next;
	char *dst = out[next++ % 2], src[1200];
	char *data;
	size_t size, at = 0;

	snprintf(src, sizeof src, "%s/dicom-testfiles/%s", dlld_test_data_dir(), rel);
	snprintf(dst, 600, "%s/patched-%d.dcm", dlld_test_tmpdir(), next);
	if (dlld_read_file(src, &data, &size, NULL))
		return NULL;
	if (marker) {
		while (at + mlen <= size && memcmp(data + at, marker, mlen))
			at++;
	}
	if (at + (size_t)offset + len <= size)
		memcpy(data + at + (size_t)offset, bytes, len);
	dlld_write_file_atomic(dst, data, size, NULL);
	free(data);
	return dst;
}

/* The length guard in front of GDCM: a forged tile-part header and a
 * forged image size in a JPEG 2000 codestream, a damaged deflate stream, a
 * forged element length, and
 * a big-endian file with one VR zeroed, which GDCM reads on as little
 * endian (garbage lengths of hundreds of MB without the guard). */
static void test_guard_on_damaged_copies(void)
{
	struct dlld_volume *v = NULL;
	struct dlld_error err;
	const unsigned char lsot[2] = {0x87, 0x0a}, junk[8] = {0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3};
	const unsigned char vl[4] = {0xf0, 0xff, 0xff, 0x7f};
	const char *path;

	if (!dlld_test_data_dir())
		SKIP("no real data folder (DLLD_DATA)");
	path = patched_copy("pydicom/MR_small_jp2klossless.dcm", "\xff\x90", 2, 2, lsot, 2);
	if (!path)
		SKIP("dicom-testfiles absent");
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_ct_load(path, NULL, &v, &err), DLLD_STATUS_MALFORMED);
	CHECK(strstr(err.reason, "JPEG 2000 codestream") != NULL);
	path = patched_copy("pydicom/image_dfl.dcm", NULL, 0, 400, junk, sizeof junk);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_ct_load(path, NULL, &v, &err), DLLD_STATUS_MALFORMED);
	CHECK(strstr(err.reason, "deflated dataset") != NULL);
	/* the PixelData (OW) 4-byte length forged to almost 2 GiB */
	path = patched_copy("pydicom/CT_small.dcm", "\xe0\x7f\x10\x00OW", 6, 8, vl, sizeof vl);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_ct_load(path, NULL, &v, &err), DLLD_STATUS_MALFORMED);
	CHECK(strstr(err.reason, "element (7FE0,0010)") && strstr(err.reason, "declares 2147483632"));
	CHECK(v == NULL);
	/* a codestream image 2048 columns wider than the frame (Xsiz of SIZ):
	 * GDCM's JPEG 2000 decode would write past its buffer */
	const unsigned char xsiz[4] = {0x00, 0x00, 0x08, 0x40};
	path = patched_copy("pydicom/MR_small_jp2klossless.dcm", "\xff\x4f\xff\x51", 4, 8, xsiz, 4);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_ct_load(path, NULL, &v, &err), DLLD_STATUS_MALFORMED);
	CHECK(strstr(err.reason, "wider than Columns (2112 x 64") != NULL);
	path = patched_copy("pydicom/MR_small_bigendian.dcm", "\x00\x08\x00\x18UI", 6, 4, "\0\0", 2);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_ct_load(path, NULL, &v, &err), DLLD_STATUS_MALFORMED);
	CHECK(strstr(err.reason, "after the invalid VR at offset 472") != NULL);
	CHECK(v == NULL);
}

int main(void)
{
	dlld_test_run("every dicom-testfiles file loads right or fails precisely",
		      test_every_testfile);
	dlld_test_run("dicomdirtests: two series found, CT5N chosen and ordered by z",
		      test_dicomdir_folder);
	dlld_test_run("guard: forged J2K tile-part and size, damaged deflate, forged length, zeroed BE VR",
		      test_guard_on_damaged_copies);
	return dlld_test_finish();
}

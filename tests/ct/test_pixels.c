/* tests/ct/test_pixels.c — stored pixel layouts → HU, on DICOM files built
 * here through the shim's writer: BitsStored < BitsAllocated with garbage
 * high bits, signed 12-bit, a high-aligned HighBit, MONOCHROME1, and a
 * different RescaleSlope/Intercept on every slice. Expected HU by hand. */
#include "ct/dicom_gdcm.h"
#include "dlld/ct.h"
#include "harness.h"

#include <stdio.h>
#include <string.h>

/* Pixel-layout fields of one test image (2 x 2 pixels). */
struct layout {
	const char *bits_stored, *high_bit, *pixel_representation, *photometric;
	const char *slope, *intercept, *z;
};

static const char *write_image(const char *name, const struct layout *l, const int16_t px[4])
{
	static char path[8][512];
	static int next;
	char *p = path[next++ % 8], reason[256];
	char ipp[64];
	const struct dlld_dcm_element el[] = {
		{0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.2"},
		{0x0008, 0x0018, "UI", name[0] == 'a' ? "1.2.3.4.1" : "1.2.3.4.2"},
		{0x0008, 0x0060, "CS", "CT"},
		{0x0020, 0x000e, "UI", "1.2.3.9"},
		{0x0020, 0x0032, "DS", ipp},
		{0x0020, 0x0037, "DS", "1\\0\\0\\0\\1\\0"},
		{0x0028, 0x0002, "US", "1"},
		{0x0028, 0x0004, "CS", l->photometric},
		{0x0028, 0x0010, "US", "2"},
		{0x0028, 0x0011, "US", "2"},
		{0x0028, 0x0030, "DS", "0.5\\0.5"},
		{0x0028, 0x0100, "US", "16"},
		{0x0028, 0x0101, "US", l->bits_stored},
		{0x0028, 0x0102, "US", l->high_bit},
		{0x0028, 0x0103, "US", l->pixel_representation},
		{0x0028, 0x1052, "DS", l->intercept},
		{0x0028, 0x1053, "DS", l->slope},
	};

	snprintf(ipp, sizeof ipp, "0\\0\\%s", l->z);
	snprintf(p, 512, "%s/%s", dlld_test_tmpdir(), name);
	dlld_mkdir_p(dlld_test_tmpdir(), NULL);
	CHECK(dlld_gdcm_write_image(p, el, sizeof el / sizeof el[0], px, 2, 2, reason,
				    sizeof reason) == DLLD_GDCM_RESULT_OK);
	return p;
}

static void check_hu(const char *path, const float want[4])
{
	struct dlld_volume *v = NULL;
	struct dlld_error err;

	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_ct_load(path, NULL, &v, &err), 0);
	for (int i = 0; v && i < 4; i++)
		CHECK_MSG(v->hu[i] == want[i], "%s pixel %d: %g, want %g", path, i, v->hu[i], want[i]);
	dlld_volume_destroy(v);
}

static void test_unsigned_12_bit_masks_high_bits(void)
{
	const struct layout l = {"12", "11", "0", "MONOCHROME2", "1", "-1024", "0"};
	/* stored 0x0123 with garbage 0xF000 on top; 0x0FFF; 0; 0xA800 → 0x800 */
	const int16_t px[4] = {(int16_t)0xF123, 0x0FFF, 0, (int16_t)0xA800};
	const float want[4] = {0x123 - 1024, 4095 - 1024, -1024, 2048 - 1024};
	check_hu(write_image("u12.dcm", &l, px), want);
}

static void test_signed_12_bit_sign_extends(void)
{
	const struct layout l = {"12", "11", "1", "MONOCHROME2", "1", "0", "0"};
	const int16_t px[4] = {0x0FFF, 0x0800, 0x07FF, (int16_t)0xF001};
	const float want[4] = {-1, -2048, 2047, 1};
	check_hu(write_image("s12.dcm", &l, px), want);
}

static void test_high_aligned_bits(void)
{
	/* HighBit 15 with 12 bits stored (a retired layout): GDCM reports
	 * HighBit 11, and like pydicom DLLD then takes the low 12 bits */
	const struct layout l = {"12", "15", "0", "MONOCHROME2", "2", "-1000", "0"};
	const int16_t px[4] = {0x1230, 0x000F, (int16_t)0xFFF0, 0x0010};
	const float want[4] = {2 * 0x230 - 1000, 2 * 15 - 1000, 2 * 0xFF0 - 1000, 2 * 16 - 1000};
	check_hu(write_image("hi.dcm", &l, px), want);
}

static void test_monochrome1_keeps_hu(void)
{
	const struct layout l = {"16", "15", "1", "MONOCHROME1", "1", "-1024", "0"};
	const int16_t px[4] = {0, 1024, 2048, -100};
	const float want[4] = {-1024, 0, 1024, -1124};
	check_hu(write_image("m1.dcm", &l, px), want);
}

static void test_rescale_per_slice(void)
{
	const struct layout a = {"16", "15", "1", "MONOCHROME2", "2", "-1000", "0"};
	const struct layout b = {"16", "15", "1", "MONOCHROME2", "1", "-1024", "1.5"};
	const int16_t px[4] = {0, 10, 100, 1000};
	const float want_a[4] = {-1000, -980, -800, 1000}, want_b[4] = {-1024, -1014, -924, -24};
	char dir[600];
	struct dlld_volume *v = NULL;
	struct dlld_error err;

	snprintf(dir, sizeof dir, "%s/series", dlld_test_tmpdir());
	dlld_mkdir_p(dir, NULL);
	write_image("series/b.dcm", &b, px); /* file names deliberately reversed */
	write_image("series/a.dcm", &a, px);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_ct_load(dir, NULL, &v, &err), 0);
	if (!v)
		return;
	CHECK_INT_EQ(v->geom.dims[2], 2);
	CHECK_NEAR(v->geom.spacing_mm[2], 1.5, 1e-9);
	for (int i = 0; i < 4; i++) {
		CHECK_NEAR(v->hu[i], want_a[i], 0);
		CHECK_NEAR(v->hu[4 + i], want_b[i], 0);
	}
	dlld_volume_destroy(v);
}

int main(void)
{
	dlld_test_run("pixels: unsigned 12-bit ignores the high 4 bits",
		      test_unsigned_12_bit_masks_high_bits);
	dlld_test_run("pixels: signed 12-bit sign-extends", test_signed_12_bit_sign_extends);
	dlld_test_run("pixels: HighBit 15 with 12 bits stored takes the low bits (as GDCM, pydicom)",
		      test_high_aligned_bits);
	dlld_test_run("pixels: MONOCHROME1 keeps HU (display only)", test_monochrome1_keeps_hu);
	dlld_test_run("pixels: RescaleSlope/Intercept applied per slice", test_rescale_per_slice);
	return dlld_test_finish();
}

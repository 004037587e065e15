/* tests/ct/test_resample.c — in-plane resampling, label resampling, windows. */
#include "dlld/ct.h"
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static struct dlld_volume *ramp(int32_t nx, int32_t ny, int32_t nz, double sx)
{
	const int32_t dims[3] = {nx, ny, nz};
	const double sp[3] = {sx, sx, 2.0}, origin[3] = {10, -20, 30};
	struct dlld_geometry g;
	struct dlld_volume *v;

	dlld_geometry_init(&g, dims, sp, origin);
	v = dlld_volume_create(&g, NULL);
	for (int32_t k = 0; k < nz; k++)
		for (int32_t j = 0; j < ny; j++)
			for (int32_t i = 0; i < nx; i++)
				v->hu[dlld_voxel_index(&g, i, j, k)] = (float)(3 * i - 2 * j + 100 * k);
	return v;
}

/* Output pixel centres sit where the convention says, in LPS too. */
static void test_geometry_follows(void)
{
	struct dlld_volume *v = ramp(10, 8, 2, 0.5), *r = NULL;
	double a[3], b[3];

	CHECK_INT_EQ(dlld_ct_resample_inplane(v, 0.8, &r, NULL), 0);
	CHECK_INT_EQ(r->geom.dims[0], 6); /* round(10 * 0.5 / 0.8) = round(6.25) */
	CHECK_INT_EQ(r->geom.dims[1], 5);
	CHECK_INT_EQ(r->geom.dims[2], 2);
	CHECK_NEAR(r->geom.spacing_mm[0], 0.8, 1e-12);
	dlld_geometry_to_lps(&r->geom, 3, 2, 1, a);
	dlld_geometry_to_lps(&v->geom, 3.5 * 1.6 - 0.5, 2.5 * 1.6 - 0.5, 1, b);
	for (int d = 0; d < 3; d++)
		CHECK_NEAR(a[d], b[d], 1e-9);
	dlld_volume_destroy(r);
	dlld_volume_destroy(v);
}

/* Upsampling a linear ramp reproduces it exactly inside the image. */
static void test_upsample_linear_exact(void)
{
	struct dlld_volume *v = ramp(6, 5, 1, 1.0), *r = NULL;

	CHECK_INT_EQ(dlld_ct_resample_inplane(v, 0.5, &r, NULL), 0);
	CHECK_INT_EQ(r->geom.dims[0], 12);
	for (int32_t j = 1; j < 9; j++)
		for (int32_t i = 1; i < 11; i++) {
			double x = (i + 0.5) * 0.5 - 0.5, y = (j + 0.5) * 0.5 - 0.5;
			CHECK_NEAR(r->hu[dlld_voxel_index(&r->geom, i, j, 0)], 3 * x - 2 * y, 1e-4);
		}
	dlld_volume_destroy(r);
	dlld_volume_destroy(v);
}

/* Halving: each output is the 1/8, 3/8, 3/8, 1/8 average of 4 inputs per
 * axis (triangle of half-width 2 around the input position 2o + 0.5). */
static void test_downsample_by_two_by_hand(void)
{
	const int32_t dims[3] = {8, 1, 1};
	const double sp[3] = {1, 2, 1}, o[3] = {0, 0, 0};
	struct dlld_geometry g;
	struct dlld_volume *v, *r = NULL;
	const float x[8] = {0, 8, 16, 0, 0, 0, 80, 0};

	dlld_geometry_init(&g, dims, sp, o);
	v = dlld_volume_create(&g, NULL);
	memcpy(v->hu, x, sizeof x);
	CHECK_INT_EQ(dlld_ct_resample_inplane(v, 2.0, &r, NULL), 0);
	CHECK_INT_EQ(r->geom.dims[0], 4);
	CHECK_INT_EQ(r->geom.dims[1], 1);
	/* o = 1: inputs 1..4 → (8 + 3*16 + 3*0 + 0) / 8 = 7 */
	CHECK_NEAR(r->hu[1], 7.0, 1e-5);
	/* o = 3: inputs 5..7 (8 is outside) → (0*1 + 80*3 + 0*3) / 7 */
	CHECK_NEAR(r->hu[3], 240.0 / 7.0, 1e-4);
	/* o = 0: inputs 0..2 (-1 outside) → (0*3 + 8*3 + 16*1) / 7 */
	CHECK_NEAR(r->hu[0], 40.0 / 7.0, 1e-4);
	dlld_volume_destroy(r);
	dlld_volume_destroy(v);
}

static void test_constant_stays_constant(void)
{
	struct dlld_volume *v = ramp(37, 23, 1, 0.57), *r = NULL;
	size_t n = 37 * 23;

	for (size_t i = 0; i < n; i++)
		v->hu[i] = -1000.0f;
	CHECK_INT_EQ(dlld_ct_resample_inplane(v, 1.9, &r, NULL), 0);
	for (size_t i = 0; r && i < (size_t)r->geom.dims[0] * (size_t)r->geom.dims[1]; i++)
		CHECK_NEAR(r->hu[i], -1000.0, 1e-3);
	dlld_volume_destroy(r);
	CHECK_INT_EQ(dlld_ct_resample_inplane(v, 0.0, &r, NULL), DLLD_STATUS_USAGE);
	CHECK_INT_EQ(dlld_ct_resample_inplane(v, 1e9, &r, NULL), DLLD_STATUS_USAGE);
	dlld_volume_destroy(v);
}

static void test_labels_nearest(void)
{
	const int32_t dims[3] = {4, 4, 1};
	const double sp[3] = {1, 1, 1}, o[3] = {0, 0, 0};
	struct dlld_geometry g;
	struct dlld_labelmap *m, *r = NULL;

	dlld_geometry_init(&g, dims, sp, o);
	m = dlld_labelmap_create(&g, NULL);
	for (int i = 0; i < 16; i++)
		m->label[i] = (uint16_t)i;
	CHECK_INT_EQ(dlld_labelmap_resample_inplane(m, 2.0, &r, NULL), 0);
	/* output (1, 1) centre = input (3, 3): label 15; (0, 0) → input (1, 1) = 5 */
	CHECK_INT_EQ(r->label[3], 15);
	CHECK_INT_EQ(r->label[0], 5);
	dlld_labelmap_destroy(r);
	CHECK_INT_EQ(dlld_labelmap_resample_inplane(m, 0.5, &r, NULL), 0);
	CHECK_INT_EQ(r->label[dlld_voxel_index(&r->geom, 5, 2, 0)], 1 * 4 + 2);
	dlld_labelmap_destroy(r);
	dlld_labelmap_destroy(m);
}

static void test_windows(void)
{
	float w, l;
	struct dlld_volume *v = ramp(3, 1, 1, 1.0);
	uint8_t px[3];
	float f[3];

	CHECK_NEAR(dlld_window01(-160, 400, 40), 0.0, 0);
	CHECK_NEAR(dlld_window01(240, 400, 40), 1.0, 0);
	CHECK_NEAR(dlld_window01(40, 400, 40), 0.5, 1e-7);
	CHECK_NEAR(dlld_window01(-5000, 400, 40), 0.0, 0);
	CHECK(dlld_ct_parse_window("400/40", &w, &l) && w == 400 && l == 40);
	CHECK(dlld_ct_parse_window("1500/-600", &w, &l) && w == 1500 && l == -600);
	CHECK(!dlld_ct_parse_window("400", &w, &l));
	CHECK(!dlld_ct_parse_window("0/40", &w, &l));
	CHECK(!dlld_ct_parse_window("abc/40", &w, &l));
	CHECK(!dlld_ct_parse_window("400/40x", &w, &l));
	v->hu[0] = 40, v->hu[1] = -1000, v->hu[2] = 100;
	dlld_ct_window_slice_u8(v, 0, 400, 40, px);
	dlld_ct_window_slice01(v, 0, 400, 40, f);
	CHECK_INT_EQ(px[0], 128); /* 127.5 rounds to even 128 */
	CHECK_INT_EQ(px[1], 0);
	CHECK_INT_EQ(px[2], 166); /* 255 * 0.65 = 165.75 */
	CHECK_NEAR(f[2], 0.65, 1e-6);
	dlld_volume_destroy(v);
}

int main(void)
{
	dlld_test_run("resample: geometry follows the pixel-centre convention", test_geometry_follows);
	dlld_test_run("resample: upsampled linear ramp is exact", test_upsample_linear_exact);
	dlld_test_run("resample: halving averages 1/8 3/8 3/8 1/8 (by hand)",
		      test_downsample_by_two_by_hand);
	dlld_test_run("resample: constants stay, bad targets refused", test_constant_stays_constant);
	dlld_test_run("resample: label maps nearest neighbour", test_labels_nearest);
	dlld_test_run("window: W/L to [0,1] and 8 bit; W/L parsing", test_windows);
	return dlld_test_finish();
}

/* tests/detect/test_sample.c — slice rendering, views, boxes (hand-computed). */
#include "dlld/detect.h"
#include "harness.h"

#include <stdlib.h>
#include <string.h>

/* A 10×10×3 volume at 1 mm: slice k holds HU 100·k everywhere, except voxel
 * column i = 7 which holds 300 on every slice. Labels: lesion 1 (i 2..4,
 * j 3..6) on slice 1, lesion 2 (one voxel at 8,8) on slices 1 and 2. */
static struct dlld_volume *make_volume(struct dlld_labelmap **mask)
{
	int32_t dims[3] = {10, 10, 3};
	double sp[3] = {1, 1, 2}, org[3] = {0, 0, 0};
	struct dlld_geometry g;
	struct dlld_volume *v;

	dlld_geometry_init(&g, dims, sp, org);
	v = dlld_volume_create(&g, NULL);
	*mask = dlld_labelmap_create(&g, NULL);
	for (int32_t k = 0; k < 3; k++)
		for (int32_t j = 0; j < 10; j++)
			for (int32_t i = 0; i < 10; i++)
				v->hu[dlld_voxel_index(&g, i, j, k)] = i == 7 ? 300.0f : 100.0f * (float)k;
	for (int32_t j = 3; j <= 6; j++)
		for (int32_t i = 2; i <= 4; i++)
			(*mask)->label[dlld_voxel_index(&g, i, j, 1)] = 1;
	(*mask)->label[dlld_voxel_index(&g, 8, 8, 1)] = 2;
	(*mask)->label[dlld_voxel_index(&g, 8, 8, 2)] = 2;
	return v;
}

static void small_spec(struct dlld_input_spec *spec, double pixel_mm)
{
	dlld_input_spec_default(spec);
	spec->size = 10;
	spec->pixel_mm = pixel_mm;
	for (int c = 0; c < 3; c++) {
		spec->window_width[c] = 400.0f; /* [-200, 200] HU -> [0, 1] */
		spec->window_level[c] = 0.0f;
	}
}

static void test_identity_view_renders_25d(void)
{
	struct dlld_labelmap *m;
	struct dlld_volume *v = make_volume(&m);
	struct dlld_input_spec spec;
	struct dlld_slice_view view;
	float out[3 * 100];

	small_spec(&spec, 1.0);
	CHECK_INT_EQ(dlld_input_spec_check(&spec, NULL), DLLD_STATUS_OK);
	dlld_slice_view_centered(&v->geom, &spec, 4.5, 4.5, &view);
	CHECK_NEAR(view.origin_ij[0], 0.0, 1e-12);
	dlld_sample_render(v, 0, &spec, &view, NULL, NULL, out);
	/* channel 0 = slice -1 clamped to 0 (0 HU -> 0.5), channel 2 = slice 1 */
	CHECK_NEAR(out[0 * 100 + 2 * 10 + 3], 0.5, 1e-6);
	CHECK_NEAR(out[1 * 100 + 2 * 10 + 3], 0.5, 1e-6);
	CHECK_NEAR(out[2 * 100 + 2 * 10 + 3], 0.75, 1e-6);
	CHECK_NEAR(out[2 * 100 + 5 * 10 + 7], 1.0, 1e-6); /* 300 HU saturates */
	dlld_sample_render(v, 2, &spec, &view, NULL, NULL, out);
	CHECK_NEAR(out[2 * 100 + 0], 1.0, 1e-6); /* slice 3 clamped to 2: 200 HU */
	dlld_volume_destroy(v);
	dlld_labelmap_destroy(m);
}

static void test_bilinear_and_air_outside(void)
{
	struct dlld_labelmap *m;
	struct dlld_volume *v = make_volume(&m);
	struct dlld_input_spec spec;
	struct dlld_slice_view view;
	float out[3 * 100];

	small_spec(&spec, 1.0);
	spec.mode = DLLD_CHANNEL_MODE_WINDOWS;
	spec.window_width[0] = 2000.0f; /* [-1000, 1000] */
	/* shift by half a voxel: pixel u samples i = u + 2.5 */
	dlld_slice_view_centered(&v->geom, &spec, 7.0, 4.5, &view);
	dlld_sample_render(v, 1, &spec, &view, NULL, NULL, out);
	/* u = 4 -> i = 6.5: halfway between 100 and 300 HU = 200 HU -> 0.6 */
	CHECK_NEAR(out[3 * 10 + 4], 0.6, 1e-6);
	/* u = 9 -> i = 11.5: outside, air (-1000 HU) -> 0 */
	CHECK_NEAR(out[3 * 10 + 9], 0.0, 1e-6);
	dlld_volume_destroy(v);
	dlld_labelmap_destroy(m);
}

static void test_boxes_identity_flip_and_scale(void)
{
	struct dlld_labelmap *m;
	struct dlld_volume *v = make_volume(&m);
	struct dlld_input_spec spec;
	struct dlld_slice_view view;
	struct dlld_augment aug = {0};
	struct dlld_sample_box boxes[4];
	enum dlld_lesion_class cls[2] = {DLLD_LESION_CLASS_CYST, DLLD_LESION_CLASS_METASTASIS};
	size_t n;

	small_spec(&spec, 1.0);
	dlld_slice_view_centered(&v->geom, &spec, 4.5, 4.5, &view);
	CHECK_INT_EQ(dlld_sample_boxes(m, 1, &spec, &view, cls, 2, boxes, 4, &n), 2);
	CHECK_INT_EQ(n, 2);
	CHECK_NEAR(boxes[0].x0, 2.0, 1e-6);
	CHECK_NEAR(boxes[0].x1, 5.0, 1e-6);
	CHECK_NEAR(boxes[0].y0, 3.0, 1e-6);
	CHECK_NEAR(boxes[0].y1, 7.0, 1e-6);
	CHECK_INT_EQ(boxes[0].cls, DLLD_LESION_CLASS_CYST);
	CHECK_INT_EQ(boxes[1].label, 2);
	CHECK_INT_EQ(dlld_sample_boxes(m, 0, &spec, &view, cls, 2, boxes, 4, &n), 0);

	aug.flip_u = true;
	aug.scale = 1.0;
	dlld_slice_view_augment(&v->geom, &spec, &aug, &view);
	dlld_sample_boxes(m, 1, &spec, &view, cls, 2, boxes, 4, &n);
	CHECK_NEAR(boxes[0].x0, 5.0, 1e-6);
	CHECK_NEAR(boxes[0].x1, 8.0, 1e-6);
	CHECK_NEAR(boxes[0].y0, 3.0, 1e-6);

	small_spec(&spec, 2.0); /* 2 mm pixels: voxel i = -4.5 + 2u */
	dlld_slice_view_centered(&v->geom, &spec, 4.5, 4.5, &view);
	dlld_sample_boxes(m, 1, &spec, &view, cls, 2, boxes, 4, &n);
	CHECK_NEAR(boxes[0].x0, 3.5, 1e-6);
	CHECK_NEAR(boxes[0].x1, 5.0, 1e-6);
	CHECK_NEAR(boxes[0].y0, 4.0, 1e-6);
	CHECK_NEAR(boxes[0].y1, 6.0, 1e-6);
	/* a box moved off the grid is dropped but still counted */
	dlld_slice_view_centered(&v->geom, &spec, 40.0, 40.0, &view);
	CHECK_INT_EQ(dlld_sample_boxes(m, 1, &spec, &view, cls, 2, boxes, 4, &n), 2);
	CHECK_INT_EQ(n, 0);
	dlld_volume_destroy(v);
	dlld_labelmap_destroy(m);
}

static void test_view_round_trip(void)
{
	int32_t dims[3] = {50, 40, 1};
	double sp[3] = {0.7, 0.9, 5}, org[3] = {0, 0, 0}, uv[2];
	struct dlld_geometry g;
	struct dlld_input_spec spec;
	struct dlld_slice_view view;
	struct dlld_augment aug = {.flip_v = true, .scale = 1.2, .shift_mm = {3, -2}};

	dlld_geometry_init(&g, dims, sp, org);
	dlld_input_spec_default(&spec);
	dlld_slice_view_centered(&g, &spec, 20.0, 25.0, &view);
	dlld_slice_view_augment(&g, &spec, &aug, &view);
	/* the voxel under network pixel (10, 300) maps back to it */
	double i = view.origin_ij[0] + 10 * view.step_u_ij[0] + 300 * view.step_v_ij[0];
	double j = view.origin_ij[1] + 10 * view.step_u_ij[1] + 300 * view.step_v_ij[1];
	CHECK(dlld_slice_view_to_net(&view, i, j, uv));
	CHECK_NEAR(uv[0], 10.0, 1e-9);
	CHECK_NEAR(uv[1], 300.0, 1e-9);
	{
		double ij[2];
		dlld_slice_view_to_voxel(&view, 10, 300, ij);
		CHECK_NEAR(ij[0], i, 1e-12);
		CHECK_NEAR(ij[1], j, 1e-12);
	}
	/* the grid centre moved by the shift, in voxels */
	CHECK_NEAR(view.origin_ij[0] + 207.5 * (view.step_u_ij[0] + view.step_v_ij[0]),
		   20.0 + 3.0 / 0.7, 1e-9);
	CHECK_NEAR(view.step_v_ij[1], -1.2 * 0.8 / 0.9, 1e-12);
}

static void test_augment_deterministic(void)
{
	struct dlld_augment_range range = {0.2, 20.0, 30.0f, 0.1f, 0.05f, true};
	struct dlld_augment a, b;
	struct dlld_rng r1, r2;

	dlld_rng_seed(&r1, 5);
	dlld_rng_seed(&r2, 5);
	for (int t = 0; t < 50; t++) {
		dlld_augment_draw(&range, &r1, &a);
		dlld_augment_draw(&range, &r2, &b);
		CHECK(memcmp(&a, &b, sizeof a) == 0);
		CHECK(a.scale >= 0.8 && a.scale <= 1.2);
		CHECK(a.noise_sd >= 0.0f && a.noise_sd <= 0.05f);
	}
}

static void test_spec_check(void)
{
	struct dlld_input_spec spec;
	struct dlld_error err;
	enum dlld_channel_mode mode;

	dlld_input_spec_default(&spec);
	spec.channels = 1; /* 2.5D needs 3 */
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_input_spec_check(&spec, &err), DLLD_STATUS_USAGE);
	CHECK(strstr(err.reason, "2.5D") != NULL);
	dlld_input_spec_default(&spec);
	spec.pixel_mm = 0.0;
	CHECK_INT_EQ(dlld_input_spec_check(&spec, NULL), DLLD_STATUS_USAGE);
	CHECK(dlld_channel_mode_parse("windows", &mode) && mode == DLLD_CHANNEL_MODE_WINDOWS);
	CHECK(!dlld_channel_mode_parse("3d", &mode));
}

int main(void)
{
	dlld_test_run("sample: identity view, 2.5D channels, edge slices", test_identity_view_renders_25d);
	dlld_test_run("sample: bilinear between voxels, air outside", test_bilinear_and_air_outside);
	dlld_test_run("sample: boxes under identity, flip and 2 mm pixels", test_boxes_identity_flip_and_scale);
	dlld_test_run("sample: view inverse under augmentation", test_view_round_trip);
	dlld_test_run("sample: augmentation deterministic per seed", test_augment_deterministic);
	dlld_test_run("sample: input spec validation", test_spec_check);
	return dlld_test_finish();
}

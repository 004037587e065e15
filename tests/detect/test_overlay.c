/* tests/detect/test_overlay.c — overlay PNGs: zoom, window, box colour. */
#include "dlld/detect.h"
#include "harness.h"

#include <png.h>
#include <string.h>

static void test_overlay_draws_box_in_class_colour(void)
{
	int32_t dims[3] = {64, 32, 2};
	double sp[3] = {1, 1, 1}, org[3] = {0, 0, 0};
	struct dlld_geometry g;
	struct dlld_volume *v;
	struct dlld_overlay_box box = {10, 5, 19, 14, DLLD_LESION_CLASS_CYST, "L1 cyst 91"};
	char path[600];
	png_image in;
	static uint8_t buf[512 * 270 * 3];
	uint8_t cyan[3];

	dlld_geometry_init(&g, dims, sp, org);
	v = dlld_volume_create(&g, NULL);
	for (size_t p = 0; p < 64 * 32; p++)
		v->hu[64 * 32 + p] = 60.0f; /* slice 1 = window level: mid gray */
	snprintf(path, sizeof path, "%s/overlay.png", dlld_test_tmpdir());
	CHECK_INT_EQ(dlld_overlay_write(v, 1, 400, 60, &box, 1, "P1 slice 1", path, NULL),
		     DLLD_STATUS_OK);
	memset(&in, 0, sizeof in);
	in.version = PNG_IMAGE_VERSION;
	CHECK(png_image_begin_read_from_file(&in, path));
	in.format = PNG_FORMAT_RGB;
	/* 64 px wide -> zoom 8 -> 512 wide; 32 * 8 + 14 caption rows */
	CHECK(in.width == 512 && in.height == 270);
	CHECK(png_image_finish_read(&in, NULL, buf, 0, NULL));
	dlld_lesion_class_color(DLLD_LESION_CLASS_CYST, cyan);
	/* left edge of the box: x = 10*8 - 2, at a row inside it */
	CHECK(memcmp(buf + 3 * ((size_t)(14 + 10 * 8) * 512 + 78), cyan, 3) == 0);
	/* the slice inside the box is mid gray (window level) */
	CHECK_INT_EQ(buf[3 * ((size_t)(14 + 10 * 8) * 512 + 120)], 128);
	CHECK_INT_EQ(dlld_overlay_write(v, 2, 400, 60, &box, 1, NULL, path, NULL),
		     DLLD_STATUS_USAGE);
	dlld_volume_destroy(v);
}

int main(void)
{
	dlld_test_run("overlay: zoomed slice, box in class colour", test_overlay_draws_box_in_class_colour);
	return dlld_test_finish();
}

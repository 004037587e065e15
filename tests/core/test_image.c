/* tests/core/test_image.c — drawing, font and PNG round trip. */
#include "dlld/image.h"
#include "harness.h"

#include <png.h>
#include <stdlib.h>
#include <string.h>

static const struct dlld_rgb red = {255, 0, 0}, white = {255, 255, 255};

static const uint8_t *px(const struct dlld_image *img, int x, int y)
{
	return img->rgb + 3 * ((size_t)y * (size_t)img->width + (size_t)x);
}

static void test_rect_and_clipping(void)
{
	struct dlld_image *img = dlld_image_create(20, 10, NULL);
	CHECK(img != NULL);
	if (!img)
		return;
	dlld_image_rect(img, 2, 2, 6, 5, red, 1);
	CHECK(px(img, 2, 2)[0] == 255 && px(img, 6, 5)[0] == 255 && px(img, 4, 2)[0] == 255);
	CHECK(px(img, 4, 3)[0] == 0); /* inside stays empty */
	dlld_image_line(img, -50, -50, 100, 100, white, 3); /* clipped, no crash */
	CHECK(px(img, 9, 9)[1] == 255);
	dlld_image_pixel(img, -1, 0, red);
	dlld_image_pixel(img, 20, 10, red);
	dlld_image_destroy(img);
	CHECK(dlld_image_create(0, 5, NULL) == NULL);
}

static void test_text(void)
{
	struct dlld_image *img = dlld_image_create(40, 10, NULL);
	int lit = 0;

	CHECK_INT_EQ(dlld_image_text_width("AB", 1), 11);
	CHECK_INT_EQ(dlld_image_text_width("", 2), 0);
	CHECK_INT_EQ(dlld_image_text(img, 1, 1, "I", white, 1), 7);
	/* 'I' is a 3-wide top bar, a stem and a 3-wide bottom bar: 3 + 5 + 3 pixels */
	for (int y = 0; y < 10; y++)
		for (int x = 0; x < 40; x++)
			lit += px(img, x, y)[0] == 255;
	CHECK_INT_EQ(lit, 11);
	CHECK(px(img, 3, 1)[0] == 255 && px(img, 1, 1)[0] == 0);
	dlld_image_text(img, 30, 1, "\x80\xff", white, 1); /* non-ASCII: no crash */
	dlld_image_destroy(img);
}

static void test_png_round_trip(void)
{
	char path[600];
	struct dlld_image *img = dlld_image_create(7, 5, NULL);
	png_image in;
	uint8_t buf[7 * 5 * 3];

	snprintf(path, sizeof path, "%s/x.png", dlld_test_tmpdir());
	dlld_image_fill(img, (struct dlld_rgb){10, 20, 30});
	dlld_image_pixel(img, 6, 4, red);
	CHECK_INT_EQ(dlld_image_write_png(img, path, NULL), DLLD_STATUS_OK);
	memset(&in, 0, sizeof in);
	in.version = PNG_IMAGE_VERSION;
	CHECK(png_image_begin_read_from_file(&in, path));
	in.format = PNG_FORMAT_RGB;
	CHECK(in.width == 7 && in.height == 5);
	CHECK(png_image_finish_read(&in, NULL, buf, 0, NULL));
	CHECK(memcmp(buf, img->rgb, sizeof buf) == 0);
	CHECK_INT_EQ(dlld_image_write_png(img, "/nonexistent/x.png", NULL), DLLD_STATUS_WRITE);
	dlld_image_destroy(img);
}

int main(void)
{
	dlld_test_run("image: rectangles, lines, clipping", test_rect_and_clipping);
	dlld_test_run("image: 5x7 text", test_text);
	dlld_test_run("image: PNG written and read back", test_png_round_trip);
	return dlld_test_finish();
}

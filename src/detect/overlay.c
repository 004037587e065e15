/* detect/overlay.c — a slice with its detections drawn, as a PNG. */
#include "dlld/detect.h"
#include "dlld/image.h"

#include <math.h>
#include <stdlib.h>

static const uint8_t class_colors[][3] = {
	[DLLD_LESION_CLASS_METASTASIS] = {255, 60, 60},
	[DLLD_LESION_CLASS_CYST] = {60, 220, 255},
	[DLLD_LESION_CLASS_HEMANGIOMA] = {255, 220, 40},
};
_Static_assert(sizeof class_colors / sizeof class_colors[0] == DLLD_LESION_CLASS_COUNT,
	       "class_colors must colour every enum dlld_lesion_class");

void dlld_lesion_class_color(enum dlld_lesion_class cls, uint8_t rgb[3])
{
	static const uint8_t other[3] = {200, 200, 200};
	const uint8_t *c = (unsigned)cls < DLLD_LESION_CLASS_COUNT ? class_colors[cls] : other;
	rgb[0] = c[0];
	rgb[1] = c[1];
	rgb[2] = c[2];
}

/* Copies the windowed slice gray[nx*ny] into img scaled by `zoom`, below
 * `top` rows. */
static void draw_slice(struct dlld_image *img, const uint8_t *gray, int32_t nx, int32_t ny,
		       int zoom, int top)
{
	for (int y = 0; y < ny * zoom; y++) {
		for (int x = 0; x < nx * zoom; x++) {
			uint8_t g = gray[(size_t)(y / zoom) * (size_t)nx + (size_t)(x / zoom)];
			dlld_image_pixel(img, x, y + top, (struct dlld_rgb){g, g, g});
		}
	}
}

enum dlld_status dlld_overlay_write(const struct dlld_volume *v, int32_t k, float width,
				    float level, const struct dlld_overlay_box *boxes, size_t n_boxes,
				    const char *caption, const char *path, struct dlld_error *err)
{
	int32_t nx = v->geom.dims[0], ny = v->geom.dims[1];
	int zoom = nx >= 512 ? 1 : (512 + nx - 1) / nx;
	int top = 14, text_scale = 1;
	struct dlld_image *img;
	uint8_t *gray;
	enum dlld_status st;

	if (k < 0 || k >= v->geom.dims[2])
		return dlld_error_set(err, DLLD_STATUS_USAGE, path, "slice %d outside 0..%d", k,
				      v->geom.dims[2] - 1);
	if (zoom > 8)
		zoom = 8;
	img = dlld_image_create(nx * zoom, ny * zoom + top, err);
	gray = dlld_calloc((size_t)nx * (size_t)ny, 1, "overlay slice", err);
	if (!img || !gray) {
		dlld_image_destroy(img);
		free(gray);
		return DLLD_STATUS_NO_MEMORY;
	}
	dlld_ct_window_slice_u8(v, k, width, level, gray);
	draw_slice(img, gray, nx, ny, zoom, top);
	free(gray);
	if (caption)
		dlld_image_text(img, 2, 3, caption, (struct dlld_rgb){255, 255, 255}, text_scale);
	for (size_t b = 0; b < n_boxes; b++) {
		const struct dlld_overlay_box *box = &boxes[b];
		uint8_t c3[3];
		struct dlld_rgb c;
		int x0 = (int)floor(box->i0 * zoom) - 2, y0 = (int)floor(box->j0 * zoom) - 2 + top;
		int x1 = (int)ceil((box->i1 + 1) * zoom) + 1, y1 = (int)ceil((box->j1 + 1) * zoom) + 1 + top;
		int ty = y0 - 9 >= top ? y0 - 9 : y1 + 2;

		dlld_lesion_class_color(box->cls, c3);
		c = (struct dlld_rgb){c3[0], c3[1], c3[2]};
		dlld_image_rect(img, x0, y0, x1, y1, c, 1);
		if (!box->label[0])
			continue;
		dlld_image_fill_rect(img, x0, ty - 1, x0 + dlld_image_text_width(box->label, 1) + 1,
				     ty + 7, (struct dlld_rgb){0, 0, 0});
		dlld_image_text(img, x0 + 1, ty, box->label, c, 1);
	}
	st = dlld_image_write_png(img, path, err);
	dlld_image_destroy(img);
	return st;
}

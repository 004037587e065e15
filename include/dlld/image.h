/*
 * dlld/image.h — small RGB pictures for people to look at: CT slices with
 * detection boxes and labels, curves for reports. Drawing clips at the
 * edges; PNG files are written atomically through libpng.
 * Part of the core module (docs/build.md).
 */
#ifndef DLLD_IMAGE_H
#define DLLD_IMAGE_H

#include "dlld/core.h"

struct dlld_rgb {
	uint8_t r, g, b;
};

/* An 8-bit RGB picture, rows top to bottom, 3 bytes per pixel. */
struct dlld_image {
	int width, height;
	uint8_t *rgb;
};

/* Returns a new black image, or NULL with err set (sizes 1..32768). */
struct dlld_image *dlld_image_create(int width, int height, struct dlld_error *err);
void dlld_image_destroy(struct dlld_image *img); /* accepts NULL */

/* Fills the whole image with one colour. */
void dlld_image_fill(struct dlld_image *img, struct dlld_rgb c);
/* Sets one pixel; outside the image does nothing. */
void dlld_image_pixel(struct dlld_image *img, int x, int y, struct dlld_rgb c);
/* Draws a line of the given thickness (pixels, >= 1) between two points. */
void dlld_image_line(struct dlld_image *img, double x0, double y0, double x1, double y1,
		     struct dlld_rgb c, int thickness);
/* Draws the outline of the rectangle [x0, x1] × [y0, y1]. */
void dlld_image_rect(struct dlld_image *img, int x0, int y0, int x1, int y1, struct dlld_rgb c,
		     int thickness);
/* Fills the rectangle [x0, x1] × [y0, y1]. */
void dlld_image_fill_rect(struct dlld_image *img, int x0, int y0, int x1, int y1,
			  struct dlld_rgb c);
/* Draws ASCII text with a 5×7 font, each font pixel `scale`×`scale`, top-left
 * at (x, y); returns the x after the last character. Non-ASCII → '?'. */
int dlld_image_text(struct dlld_image *img, int x, int y, const char *text, struct dlld_rgb c,
		    int scale);
/* Returns the width in pixels of text at scale. */
int dlld_image_text_width(const char *text, int scale);

/* Writes img as an 8-bit RGB PNG, atomically. */
enum dlld_status dlld_image_write_png(const struct dlld_image *img, const char *path,
				      struct dlld_error *err);
/* Writes gray[width*height] as an 8-bit grayscale PNG, atomically. */
enum dlld_status dlld_png_write_gray(const char *path, int width, int height,
				     const uint8_t *gray, struct dlld_error *err);

#endif

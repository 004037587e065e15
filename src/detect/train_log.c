/* detect/train_log.c — MODEL/train_log.csv and its picture, train_curves.png. */
#include "detect/train_internal.h"
#include "dlld/image.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const log_header =
	"iteration,learning_rate,loss,xy,wh,obj,noobj,cls,avg_iou,recall50,images_per_s,"
	"val_recall,val_precision\n";

static void put_number(FILE *fp, double x, const char *sep)
{
	if (isnan(x))
		fprintf(fp, "%s", sep);
	else
		fprintf(fp, "%.6g%s", x, sep);
}

enum dlld_status train_log_append(const char *model_dir, const struct train_log_row *row,
				  struct dlld_error *err)
{
	char path[1100];
	bool fresh;
	FILE *fp;

	snprintf(path, sizeof path, "%s/train_log.csv", model_dir);
	fresh = !dlld_path_exists(path);
	fp = fopen(path, "a");
	if (!fp)
		return dlld_error_set(err, DLLD_STATUS_WRITE, path, "cannot append to the log");
	if (fresh)
		fputs(log_header, fp);
	fprintf(fp, "%ld,", row->iteration);
	put_number(fp, row->learning_rate, ",");
	put_number(fp, row->loss, ",");
	put_number(fp, row->xy, ",");
	put_number(fp, row->wh, ",");
	put_number(fp, row->obj, ",");
	put_number(fp, row->noobj, ",");
	put_number(fp, row->cls, ",");
	put_number(fp, row->avg_iou, ",");
	put_number(fp, row->recall50, ",");
	put_number(fp, row->images_per_s, ",");
	put_number(fp, row->val_recall, ",");
	put_number(fp, row->val_precision, "\n");
	if (fclose(fp) != 0)
		return dlld_error_set(err, DLLD_STATUS_WRITE, path, "cannot write the log");
	return DLLD_STATUS_OK;
}

/* A plot panel: data range and pixel box. */
struct panel {
	int x0, y0, x1, y1;
	double xmin, xmax, ymin, ymax;
	bool log_y;
};

static double map_y(const struct panel *p, double y)
{
	double v = p->log_y ? log10(fmax(y, 1e-12)) : y;
	double lo = p->log_y ? log10(fmax(p->ymin, 1e-12)) : p->ymin;
	double hi = p->log_y ? log10(fmax(p->ymax, 1e-12)) : p->ymax;
	return p->y1 - (v - lo) / (hi > lo ? hi - lo : 1.0) * (p->y1 - p->y0);
}

static double map_x(const struct panel *p, double x)
{
	double span = p->xmax > p->xmin ? p->xmax - p->xmin : 1.0;
	return p->x0 + (x - p->xmin) / span * (p->x1 - p->x0);
}

/* Draws column col of the log (rows with a value) as a polyline. */
static void draw_series(struct dlld_image *img, const struct panel *p, const struct dlld_csv *csv,
			int col, struct dlld_rgb c)
{
	double px = NAN, py = NAN;
	for (size_t r = 0; r < dlld_csv_rows(csv); r++) {
		double x, y;
		if (!dlld_parse_double(dlld_csv_cell(csv, r, 0), &x) ||
		    !dlld_parse_double(dlld_csv_cell(csv, r, col), &y))
			continue;
		x = map_x(p, x);
		y = map_y(p, y);
		if (!isnan(px))
			dlld_image_line(img, px, py, x, y, c, 1);
		else
			dlld_image_fill_rect(img, (int)x - 1, (int)y - 1, (int)x + 1, (int)y + 1, c);
		px = x;
		py = y;
	}
}

static void column_range(const struct dlld_csv *csv, int col, double *lo, double *hi)
{
	for (size_t r = 0; r < dlld_csv_rows(csv); r++) {
		double v;
		if (dlld_parse_double(dlld_csv_cell(csv, r, col), &v)) {
			*lo = fmin(*lo, v);
			*hi = fmax(*hi, v);
		}
	}
}

static void draw_frame(struct dlld_image *img, const struct panel *p, const char *title,
		       const char *lo_label, const char *hi_label)
{
	struct dlld_rgb axis = {90, 90, 90}, text = {20, 20, 20};
	dlld_image_rect(img, p->x0, p->y0, p->x1, p->y1, axis, 1);
	dlld_image_text(img, p->x0, p->y0 - 12, title, text, 1);
	dlld_image_text(img, 4, p->y0, hi_label, text, 1);
	dlld_image_text(img, 4, p->y1 - 7, lo_label, text, 1);
}

enum dlld_status train_log_plot(const char *model_dir, struct dlld_error *err)
{
	char path[1100], lo_s[32], hi_s[32];
	struct dlld_csv *csv;
	struct dlld_image *img;
	struct panel loss = {60, 20, 620, 200, INFINITY, -INFINITY, INFINITY, -INFINITY, true};
	struct panel val = {60, 240, 620, 380, 0, 1, 0, 1, false};
	enum dlld_status st;
	int c_loss, c_recall, c_prec;

	snprintf(path, sizeof path, "%s/train_log.csv", model_dir);
	if ((st = dlld_csv_read(path, &csv, err)))
		return st;
	c_loss = dlld_csv_column(csv, "loss");
	c_recall = dlld_csv_column(csv, "val_recall");
	c_prec = dlld_csv_column(csv, "val_precision");
	column_range(csv, 0, &loss.xmin, &loss.xmax);
	column_range(csv, c_loss, &loss.ymin, &loss.ymax);
	val.xmin = loss.xmin;
	val.xmax = loss.xmax;
	img = dlld_image_create(640, 400, err);
	if (!img || !isfinite(loss.ymin)) {
		dlld_csv_destroy(csv);
		dlld_image_destroy(img);
		return img ? dlld_error_set(err, DLLD_STATUS_INCONSISTENT, path, "no rows to plot")
			   : DLLD_STATUS_NO_MEMORY;
	}
	dlld_image_fill(img, (struct dlld_rgb){255, 255, 255});
	snprintf(lo_s, sizeof lo_s, "%.3g", loss.ymin);
	snprintf(hi_s, sizeof hi_s, "%.3g", loss.ymax);
	draw_frame(img, &loss, "loss per image (log scale) vs iteration", lo_s, hi_s);
	draw_series(img, &loss, csv, c_loss, (struct dlld_rgb){200, 30, 30});
	draw_frame(img, &val, "validation: recall (blue), precision (green)", "0", "1");
	draw_series(img, &val, csv, c_recall, (struct dlld_rgb){30, 60, 220});
	draw_series(img, &val, csv, c_prec, (struct dlld_rgb){20, 160, 40});
	snprintf(lo_s, sizeof lo_s, "%.0f", loss.xmin);
	snprintf(hi_s, sizeof hi_s, "%.0f", loss.xmax);
	dlld_image_text(img, val.x0, 386, lo_s, (struct dlld_rgb){20, 20, 20}, 1);
	dlld_image_text(img, val.x1 - dlld_image_text_width(hi_s, 1), 386, hi_s,
			(struct dlld_rgb){20, 20, 20}, 1);
	snprintf(path, sizeof path, "%s/train_curves.png", model_dir);
	st = dlld_image_write_png(img, path, err);
	dlld_image_destroy(img);
	dlld_csv_destroy(csv);
	return st;
}

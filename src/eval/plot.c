/*
 * eval/plot.c — `dlld eval --plots DIR`: empirical AFROC and FROC curves as
 * hand-written SVG (axes, ticks, labels, legend) and as PNG (the same figure
 * drawn with dlld/image.h: lines, rectangles, its 5×7 font), one figure
 * per reader, per group and for all readers, plus the curve points as CSV
 * (curves.csv: reader,curve,x,y).
 *
 * Operating points are joined by straight lines, as RJafroc draws empirical
 * curves; the AFROC ends at (1, 1).
 */
#include "eval/stages.h"

#include "dlld/image.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLOT_W 480
#define PLOT_H 480
#define MARGIN_L 64
#define MARGIN_R 16
#define MARGIN_T 40
#define MARGIN_B 56

static const struct dlld_rgb palette[] = {
	{213, 94, 0}, {0, 114, 178}, {0, 158, 115}, {204, 121, 167},
	{230, 159, 0}, {86, 180, 233}, {120, 120, 120}, {0, 0, 0},
};
#define N_COLORS (sizeof palette / sizeof palette[0])

enum curve_kind { CURVE_AFROC, CURVE_FROC, CURVE_KIND_COUNT };

static const struct {
	const char *name, *title, *xlabel, *ylabel;
} kinds[CURVE_KIND_COUNT] = {
	[CURVE_AFROC] = {"afroc", "AFROC", "FPF (normal cases with a non-lesion mark)",
			 "LLF (lesion localization fraction)"},
	[CURVE_FROC] = {"froc", "FROC", "NLF (non-lesion marks per patient)",
			"LLF (lesion localization fraction)"},
};

struct figure {
	enum curve_kind kind;
	char title[160];
	const struct dlld_eval_reader_result *const *readers;
	size_t n;
	double xmax; /* 1 for AFROC; the largest NLF, rounded up, for FROC */
};

static const struct dlld_eval_curve *curve_of(const struct dlld_eval_reader_result *r,
					      enum curve_kind k)
{
	return k == CURVE_AFROC ? &r->afroc : &r->froc;
}

static double plot_x(const struct figure *f, double x)
{
	return MARGIN_L + x / f->xmax * (PLOT_W - MARGIN_L - MARGIN_R);
}

static double plot_y(double y)
{
	return PLOT_H - MARGIN_B - y * (PLOT_H - MARGIN_T - MARGIN_B);
}

/* ---- SVG ------------------------------------------------------------------------ */
/* Writes s with XML's special characters escaped. */
static void xml_text(FILE *fp, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", fp); break;
		case '<': fputs("&lt;", fp); break;
		case '>': fputs("&gt;", fp); break;
		case '"': fputs("&quot;", fp); break;
		default: fputc(*s, fp);
		}
	}
}

/* Writes the grid, tick labels, frame, axis names and title. */
static void svg_axes(FILE *fp, const struct figure *f)
{
	double x0 = plot_x(f, 0), x1 = plot_x(f, f->xmax), y0 = plot_y(0), y1 = plot_y(1);
	for (int i = 0; i <= 5; i++) {
		double gx = plot_x(f, f->xmax * i / 5), gy = plot_y(i / 5.0);
		fprintf(fp, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#ddd'/>\n", gx, y0,
			gx, y1);
		fprintf(fp, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#ddd'/>\n", x0, gy,
			x1, gy);
		fprintf(fp, "<text x='%.1f' y='%.1f' text-anchor='middle'>%g</text>\n", gx, y0 + 16,
			f->xmax * i / 5);
		fprintf(fp, "<text x='%.1f' y='%.1f' text-anchor='end'>%g</text>\n", x0 - 6, gy + 4,
			i / 5.0);
	}
	fprintf(fp, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='none' stroke='black'/>\n",
		x0, y1, x1 - x0, y0 - y1);
	fprintf(fp, "<text x='%.1f' y='%d' text-anchor='middle'>%s</text>\n", (x0 + x1) / 2,
		PLOT_H - 14, kinds[f->kind].xlabel);
	fprintf(fp, "<text transform='translate(16 %.1f) rotate(-90)' text-anchor='middle'>%s</text>\n",
		(y0 + y1) / 2, kinds[f->kind].ylabel);
	fputs("<text x='240' y='24' text-anchor='middle' font-weight='bold'>", fp);
	xml_text(fp, f->title);
	fputs("</text>\n", fp);
}

/* Writes each reader's polyline, points and legend entry. */
static void svg_curves(FILE *fp, const struct figure *f)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct dlld_eval_curve *c = curve_of(f->readers[i], f->kind);
		struct dlld_rgb rgb = palette[i % N_COLORS];
		fprintf(fp, "<g stroke='rgb(%d,%d,%d)' fill='rgb(%d,%d,%d)'>\n<polyline fill='none' "
			    "stroke-width='2' points='", rgb.r, rgb.g, rgb.b, rgb.r, rgb.g, rgb.b);
		for (size_t p = 0; p < c->n; p++)
			fprintf(fp, "%.2f,%.2f ", plot_x(f, c->x[p]), plot_y(c->y[p]));
		fputs("'/>\n", fp);
		for (size_t p = 0; p < c->n; p++)
			fprintf(fp, "<circle cx='%.2f' cy='%.2f' r='2.5'/>\n", plot_x(f, c->x[p]),
				plot_y(c->y[p]));
		double ly = MARGIN_T + 14 + 16.0 * (double)i;
		fprintf(fp, "<rect x='%d' y='%.1f' width='14' height='4' stroke='none'/>\n",
			PLOT_W - MARGIN_R - 150, ly - 4);
		fprintf(fp, "<text x='%d' y='%.1f' stroke='none' fill='black'>", PLOT_W - MARGIN_R - 130,
			ly);
		xml_text(fp, f->readers[i]->name);
		fprintf(fp, " (%s %.3f)</text>\n</g>\n", f->kind == CURVE_AFROC ? "AFROC" : "CPM",
			f->kind == CURVE_AFROC ? f->readers[i]->fom[DLLD_EVAL_FOM_AFROC]
					       : f->readers[i]->cpm);
	}
}

/* Writes figure f as an SVG file at path, atomically. */
static enum dlld_status write_svg(const struct figure *f, const char *path,
				  struct dlld_error *err)
{
	struct dlld_atomic_file af;
	enum dlld_status st = dlld_atomic_open(&af, path, err);
	if (st)
		return st;
	fprintf(af.fp, "<?xml version='1.0' encoding='UTF-8'?>\n<svg xmlns='http://www.w3.org/2000/svg' "
		       "width='%d' height='%d' viewBox='0 0 %d %d' font-family='sans-serif' "
		       "font-size='12'>\n<rect width='100%%' height='100%%' fill='white'/>\n",
		PLOT_W, PLOT_H, PLOT_W, PLOT_H);
	svg_axes(af.fp, f);
	svg_curves(af.fp, f);
	fputs("</svg>\n", af.fp);
	return dlld_atomic_commit(&af, err);
}

/* ---- PNG ------------------------------------------------------------------------ */
#define WHITE 255 /* background */
#define GRID 221  /* grid lines */

/* Draws the title, tick labels and axis names. */
static void png_labels(struct dlld_image *img, const struct figure *f)
{
	const struct dlld_rgb black = {0, 0, 0};
	char buf[160];
	double y0 = plot_y(0);

	dlld_image_text(img, (PLOT_W - dlld_image_text_width(f->title, 2)) / 2, 10, f->title,
			black, 2);
	for (int i = 0; i <= 5; i++) {
		snprintf(buf, sizeof buf, "%g", f->xmax * i / 5);
		dlld_image_text(img, (int)plot_x(f, f->xmax * i / 5) - dlld_image_text_width(buf, 1) / 2,
				(int)y0 + 9, buf, black, 1);
		snprintf(buf, sizeof buf, "%g", i / 5.0);
		dlld_image_text(img, MARGIN_L - 9 - dlld_image_text_width(buf, 1),
				(int)plot_y(i / 5.0) - 3, buf, black, 1);
	}
	const char *xname = f->kind == CURVE_AFROC ? "FPF" : "NLF (NL marks per patient)";
	dlld_image_text(img,
			(int)(plot_x(f, 0) + plot_x(f, f->xmax) - dlld_image_text_width(xname, 2)) / 2,
			PLOT_H - 24, xname, black, 2);
	dlld_image_text(img, 6, MARGIN_T - 16, "LLF", black, 2);
}

/* Draws the grid, ticks and frame of the plot area. */
static void png_axes(struct dlld_image *img, const struct figure *f)
{
	const struct dlld_rgb grid = {GRID, GRID, GRID}, black = {0, 0, 0};
	double x0 = plot_x(f, 0), x1 = plot_x(f, f->xmax), y0 = plot_y(0), y1 = plot_y(1);

	for (int i = 1; i < 5; i++) {
		double gx = plot_x(f, f->xmax * i / 5), gy = plot_y(i / 5.0);
		dlld_image_line(img, gx, y0, gx, y1, grid, 1);
		dlld_image_line(img, x0, gy, x1, gy, grid, 1);
	}
	for (int i = 0; i <= 5; i++) { /* ticks */
		double gx = plot_x(f, f->xmax * i / 5), gy = plot_y(i / 5.0);
		dlld_image_line(img, gx, y0, gx, y0 + 5, black, 1);
		dlld_image_line(img, x0 - 5, gy, x0, gy, black, 1);
	}
	dlld_image_rect(img, (int)lround(x0), (int)lround(y1), (int)lround(x1), (int)lround(y0),
			black, 1);
}

/* Draws each reader's curve: 3-pixel lines, 5-pixel points. */
static void png_curves(struct dlld_image *img, const struct figure *f)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct dlld_eval_curve *c = curve_of(f->readers[i], f->kind);
		struct dlld_rgb rgb = palette[i % N_COLORS];
		for (size_t p = 1; p < c->n; p++)
			dlld_image_line(img, plot_x(f, c->x[p - 1]), plot_y(c->y[p - 1]),
					plot_x(f, c->x[p]), plot_y(c->y[p]), rgb, 3);
		for (size_t p = 0; p < c->n; p++) {
			int x = (int)lround(plot_x(f, c->x[p])), y = (int)lround(plot_y(c->y[p]));
			dlld_image_fill_rect(img, x - 2, y - 2, x + 2, y + 2, rgb);
		}
	}
}

/* Fills buf with reader i's legend label: name (at most 20 bytes) and AFROC or CPM. */
static void legend_label(const struct figure *f, size_t i, char *buf, size_t size)
{
	snprintf(buf, size, "%.20s %.3f", f->readers[i]->name,
		 f->kind == CURVE_AFROC ? f->readers[i]->fom[DLLD_EVAL_FOM_AFROC] : f->readers[i]->cpm);
}

/* Returns how many pixels of [x0, x1] × [y0, y1] (clipped to the image) are
 * neither background nor grid: the curve pixels inside the plot area. */
static long curve_pixels(const struct dlld_image *img, int x0, int y0, int x1, int y1)
{
	long n = 0;
	for (int y = y0 < 0 ? 0 : y0; y <= y1 && y < img->height; y++)
		for (int x = x0 < 0 ? 0 : x0; x <= x1 && x < img->width; x++) {
			const uint8_t *p = img->rgb + 3 * ((size_t)y * (size_t)img->width + (size_t)x);
			n += !(p[0] == p[1] && p[1] == p[2] && (p[0] == WHITE || p[0] == GRID));
		}
	return n;
}

/* Draws the legend (swatch, label) on a framed white box in the corner of
 * the plot area that hides the fewest curve pixels (top right on ties). */
static void png_legend(struct dlld_image *img, const struct figure *f)
{
	const struct dlld_rgb white = {WHITE, WHITE, WHITE}, frame = {150, 150, 150};
	const struct dlld_rgb black = {0, 0, 0};
	int left = (int)lround(plot_x(f, 0)) + 6, right = (int)lround(plot_x(f, f->xmax)) - 6;
	int top = (int)lround(plot_y(1)) + 6, bottom = (int)lround(plot_y(0)) - 6;
	int w = 0, h = 16 * (int)f->n + 4, best_x = 0, best_y = 0;
	long best = -1;
	char buf[64];

	for (size_t i = 0; i < f->n; i++) {
		legend_label(f, i, buf, sizeof buf);
		int lw = dlld_image_text_width(buf, 1) + 32;
		w = lw > w ? lw : w;
	}
	for (int corner = 0; corner < 4; corner++) { /* TR, BR, TL, BL */
		int x = corner < 2 ? right - w : left, y = corner % 2 ? bottom - h : top;
		long n = curve_pixels(img, x, y, x + w, y + h);
		if (best < 0 || n < best) {
			best = n;
			best_x = x;
			best_y = y;
		}
	}
	dlld_image_fill_rect(img, best_x, best_y, best_x + w, best_y + h, white);
	dlld_image_rect(img, best_x, best_y, best_x + w, best_y + h, frame, 1);
	for (size_t i = 0; i < f->n; i++) {
		int y = best_y + 10 + 16 * (int)i;
		legend_label(f, i, buf, sizeof buf);
		dlld_image_line(img, best_x + 6, y, best_x + 20, y, palette[i % N_COLORS], 3);
		dlld_image_text(img, best_x + 26, y - 3, buf, black, 1);
	}
}

/* Writes figure f as a PNG file at path, atomically. */
static enum dlld_status write_png(const struct figure *f, const char *path,
				  struct dlld_error *err)
{
	struct dlld_image *img = dlld_image_create(PLOT_W, PLOT_H, err);
	enum dlld_status st;

	if (!img)
		return DLLD_STATUS_NO_MEMORY;
	dlld_image_fill(img, (struct dlld_rgb){WHITE, WHITE, WHITE});
	png_axes(img, f);
	png_curves(img, f);
	png_legend(img, f);
	png_labels(img, f);
	st = dlld_image_write_png(img, path, err);
	dlld_image_destroy(img);
	return st;
}

/* ---- figures ------------------------------------------------------------------------ */
/* Fills out with name reduced to [A-Za-z0-9._-] (others → '_'). */
static void safe_name(const char *name, char *out, size_t size)
{
	size_t i = 0;
	for (; name[i] && i + 1 < size; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '-' || c == '_' || (c == '.' && i > 0);
		out[i] = ok ? c : '_';
	}
	out[i] = '\0';
}

/* Sets f's x range and writes dir/<stem>_<kind>.{svg,png}. */
static enum dlld_status write_figure(struct figure *f, const char *dir, const char *stem,
				     struct dlld_error *err)
{
	char path[1200], safe[200];
	enum dlld_status st;

	f->xmax = 1;
	if (f->kind == CURVE_FROC) {
		double m = 0;
		for (size_t i = 0; i < f->n; i++) {
			const struct dlld_eval_curve *c = &f->readers[i]->froc;
			for (size_t p = 0; p < c->n; p++)
				m = fmax(m, c->x[p]);
		}
		f->xmax = m > 1 ? ceil(m) : 1;
	}
	safe_name(stem, safe, sizeof safe);
	snprintf(path, sizeof path, "%s/%s_%s.svg", dir, safe, kinds[f->kind].name);
	if ((st = write_svg(f, path, err)))
		return st;
	snprintf(path, sizeof path, "%s/%s_%s.png", dir, safe, kinds[f->kind].name);
	return write_png(f, path, err);
}

/* Writes both kinds of figure for the readers listed. */
static enum dlld_status write_figures(const char *dir, const char *stem, const char *title,
				      const struct dlld_eval_reader_result *const *readers,
				      size_t n, struct dlld_error *err)
{
	enum dlld_status st = DLLD_STATUS_OK;
	for (int k = 0; k < CURVE_KIND_COUNT && !st; k++) {
		struct figure f = {(enum curve_kind)k, "", readers, n, 1};
		snprintf(f.title, sizeof f.title, "%s: %s", kinds[k].title, title);
		st = write_figure(&f, dir, stem, err);
	}
	return st;
}

/* Writes dir/curves.csv: every operating point of every reader. */
static enum dlld_status write_points(const struct dlld_eval_result *r, const char *dir,
				     struct dlld_error *err)
{
	struct dlld_atomic_file af;
	char path[1100];
	enum dlld_status st;

	snprintf(path, sizeof path, "%s/curves.csv", dir);
	if ((st = dlld_atomic_open(&af, path, err)))
		return st;
	fputs("reader,curve,x,y\n", af.fp);
	for (size_t i = 0; i < r->n_readers; i++)
		for (int k = 0; k < CURVE_KIND_COUNT; k++) {
			const struct dlld_eval_curve *c = curve_of(&r->readers[i], (enum curve_kind)k);
			for (size_t p = 0; p < c->n; p++) {
				dlld_csv_write_cell(af.fp, r->readers[i].name);
				fprintf(af.fp, ",%s,%.17g,%.17g\n", kinds[k].name, c->x[p], c->y[p]);
			}
		}
	return dlld_atomic_commit(&af, err);
}

enum dlld_status dlld_eval_write_plots(const struct dlld_eval_result *r, const char *dir,
				       struct dlld_error *err)
{
	const struct dlld_eval_reader_result **list;
	char stem[300];
	enum dlld_status st;

	if ((st = dlld_mkdir_p(dir, err)))
		return st;
	if (!(list = dlld_calloc(r->n_readers + 1, sizeof *list, "plot readers", err)))
		return DLLD_STATUS_NO_MEMORY;
	for (size_t i = 0; i < r->n_readers && !st; i++) {
		list[0] = &r->readers[i];
		snprintf(stem, sizeof stem, "reader_%s", r->readers[i].name);
		st = write_figures(dir, stem, r->readers[i].name, list, 1, err);
	}
	for (size_t g = 0; g < r->n_groups && !st; g++) {
		for (size_t i = 0; i < r->groups[g].n_readers; i++)
			list[i] = &r->readers[r->groups[g].readers[i]];
		snprintf(stem, sizeof stem, "group_%s", r->groups[g].name);
		st = write_figures(dir, stem, r->groups[g].name, list, r->groups[g].n_readers, err);
	}
	for (size_t i = 0; i < r->n_readers; i++)
		list[i] = &r->readers[i];
	if (!st)
		st = write_figures(dir, "all", "all readers", list, r->n_readers, err);
	free(list);
	return st ? st : write_points(r, dir, err);
}

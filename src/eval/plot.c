/*
 * eval/plot.c — `dlld eval --plots DIR`: empirical AFROC and FROC curves as
 * hand-written SVG (axes, ticks, labels, legend) and as PNG (libpng; the same
 * figure rasterised, labels in a small built-in 5×7 bitmap font), one figure
 * per reader, per group and for all readers, plus the curve points as CSV
 * (curves.csv: reader,curve,x,y).
 *
 * Operating points are joined by straight lines, as RJafroc draws empirical
 * curves; the AFROC ends at (1, 1).
 */
#include "eval/stages.h"

#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLOT_W 480
#define PLOT_H 480
#define MARGIN_L 64
#define MARGIN_R 16
#define MARGIN_T 40
#define MARGIN_B 56

static const unsigned char palette[][3] = {
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

static void svg_curves(FILE *fp, const struct figure *f)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct dlld_eval_curve *c = curve_of(f->readers[i], f->kind);
		const unsigned char *rgb = palette[i % N_COLORS];
		fprintf(fp, "<g stroke='rgb(%d,%d,%d)' fill='rgb(%d,%d,%d)'>\n<polyline fill='none' "
			    "stroke-width='2' points='", rgb[0], rgb[1], rgb[2], rgb[0], rgb[1], rgb[2]);
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

/* ---- PNG -------------------------------------------------------------------------- */
struct canvas {
	unsigned char px[PLOT_H][PLOT_W][3];
};

static void dot(struct canvas *cv, int x, int y, int r, const unsigned char *rgb)
{
	for (int dy = -r; dy <= r; dy++)
		for (int dx = -r; dx <= r; dx++) {
			int xx = x + dx, yy = y + dy;
			if (xx >= 0 && xx < PLOT_W && yy >= 0 && yy < PLOT_H)
				memcpy(cv->px[yy][xx], rgb, 3);
		}
}

/* Draws a line of half-width r by stepping along its longer extent. */
static void line(struct canvas *cv, double x0, double y0, double x1, double y1, int r,
		 const unsigned char *rgb)
{
	double dx = x1 - x0, dy = y1 - y0;
	int steps = (int)ceil(fmax(fabs(dx), fabs(dy)));
	if (steps < 1)
		steps = 1;
	for (int i = 0; i <= steps; i++)
		dot(cv, (int)lround(x0 + dx * i / steps), (int)lround(y0 + dy * i / steps), r, rgb);
}

/* A 5×7 bitmap font (rows top to bottom, bit 4 = left column) for the PNG
 * labels: digits, capitals (lower case is drawn as capitals) and a little
 * punctuation; other characters draw as '?'. */
static const unsigned char glyphs[128][7] = {
	['0'] = {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E},
	['1'] = {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E},
	['2'] = {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F},
	['3'] = {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E},
	['4'] = {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02},
	['5'] = {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E},
	['6'] = {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E},
	['7'] = {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08},
	['8'] = {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E},
	['9'] = {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C},
	['A'] = {0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11},
	['B'] = {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E},
	['C'] = {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E},
	['D'] = {0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C},
	['E'] = {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F},
	['F'] = {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10},
	['G'] = {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F},
	['H'] = {0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11},
	['I'] = {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E},
	['J'] = {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C},
	['K'] = {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11},
	['L'] = {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F},
	['M'] = {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11},
	['N'] = {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11},
	['O'] = {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E},
	['P'] = {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10},
	['Q'] = {0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D},
	['R'] = {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11},
	['S'] = {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E},
	['T'] = {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04},
	['U'] = {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E},
	['V'] = {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04},
	['W'] = {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A},
	['X'] = {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11},
	['Y'] = {0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04},
	['Z'] = {0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F},
	['.'] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C},
	[','] = {0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08},
	['-'] = {0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00},
	['_'] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1F},
	['('] = {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02},
	[')'] = {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08},
	[':'] = {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00},
	['/'] = {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00},
	['?'] = {0x0E, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04},
};

/* Draws s with its top-left corner at (x, y), each font pixel scale × scale. */
static void text(struct canvas *cv, int x, int y, const char *s, int scale,
		 const unsigned char *rgb)
{
	for (; *s; s++, x += 6 * scale) {
		unsigned char c = (unsigned char)*s;
		if (c >= 'a' && c <= 'z')
			c = (unsigned char)(c - 'a' + 'A');
		if (c == ' ')
			continue;
		const unsigned char *g = glyphs[c < 128 ? c : '?'];
		if (!(g[0] | g[1] | g[2] | g[3] | g[4] | g[5] | g[6]))
			g = glyphs['?'];
		for (int row = 0; row < 7; row++)
			for (int col = 0; col < 5; col++)
				if (g[row] & (0x10 >> col))
					for (int dy = 0; dy < scale; dy++)
						for (int dx = 0; dx < scale; dx++) {
							int xx = x + col * scale + dx, yy = y + row * scale + dy;
							if (xx >= 0 && xx < PLOT_W && yy >= 0 && yy < PLOT_H)
								memcpy(cv->px[yy][xx], rgb, 3);
						}
	}
}

/* Returns the pixel width of s in the font at scale. */
static int text_width(const char *s, int scale)
{
	return (int)strlen(s) * 6 * scale - scale;
}

/* Draws the title, tick labels, axis names and legend names. */
static void png_labels(struct canvas *cv, const struct figure *f)
{
	static const unsigned char black[3] = {0, 0, 0};
	char buf[160];
	double y0 = plot_y(0);

	text(cv, (PLOT_W - text_width(f->title, 2)) / 2, 10, f->title, 2, black);
	for (int i = 0; i <= 5; i++) {
		snprintf(buf, sizeof buf, "%g", f->xmax * i / 5);
		text(cv, (int)plot_x(f, f->xmax * i / 5) - text_width(buf, 1) / 2, (int)y0 + 9, buf, 1,
		     black);
		snprintf(buf, sizeof buf, "%g", i / 5.0);
		text(cv, MARGIN_L - 9 - text_width(buf, 1), (int)plot_y(i / 5.0) - 3, buf, 1, black);
	}
	const char *xname = f->kind == CURVE_AFROC ? "FPF" : "NLF (NL marks per patient)";
	text(cv, (int)(plot_x(f, 0) + plot_x(f, f->xmax) - text_width(xname, 2)) / 2, PLOT_H - 24,
	     xname, 2, black);
	text(cv, 6, MARGIN_T - 16, "LLF", 2, black);
	for (size_t i = 0; i < f->n; i++) {
		snprintf(buf, sizeof buf, "%.20s %.3f", f->readers[i]->name,
			 f->kind == CURVE_AFROC ? f->readers[i]->fom[DLLD_EVAL_FOM_AFROC]
						: f->readers[i]->cpm);
		text(cv, PLOT_W - MARGIN_R - 130, MARGIN_T + 9 + 16 * (int)i, buf, 1, black);
	}
}

static void png_draw(struct canvas *cv, const struct figure *f)
{
	static const unsigned char grid[3] = {221, 221, 221}, black[3] = {0, 0, 0};
	double x0 = plot_x(f, 0), x1 = plot_x(f, f->xmax), y0 = plot_y(0), y1 = plot_y(1);

	memset(cv->px, 255, sizeof cv->px);
	for (int i = 1; i < 5; i++) {
		line(cv, plot_x(f, f->xmax * i / 5), y0, plot_x(f, f->xmax * i / 5), y1, 0, grid);
		line(cv, x0, plot_y(i / 5.0), x1, plot_y(i / 5.0), 0, grid);
	}
	for (int i = 0; i <= 5; i++) { /* ticks */
		line(cv, plot_x(f, f->xmax * i / 5), y0, plot_x(f, f->xmax * i / 5), y0 + 5, 0, black);
		line(cv, x0 - 5, plot_y(i / 5.0), x0, plot_y(i / 5.0), 0, black);
	}
	line(cv, x0, y0, x1, y0, 0, black);
	line(cv, x0, y1, x1, y1, 0, black);
	line(cv, x0, y0, x0, y1, 0, black);
	line(cv, x1, y0, x1, y1, 0, black);
	for (size_t i = 0; i < f->n; i++) {
		const struct dlld_eval_curve *c = curve_of(f->readers[i], f->kind);
		const unsigned char *rgb = palette[i % N_COLORS];
		for (size_t p = 1; p < c->n; p++)
			line(cv, plot_x(f, c->x[p - 1]), plot_y(c->y[p - 1]), plot_x(f, c->x[p]),
			     plot_y(c->y[p]), 1, rgb);
		for (size_t p = 0; p < c->n; p++)
			dot(cv, (int)lround(plot_x(f, c->x[p])), (int)lround(plot_y(c->y[p])), 2, rgb);
		line(cv, PLOT_W - MARGIN_R - 150, MARGIN_T + 12 + 16.0 * (double)i,
		     PLOT_W - MARGIN_R - 136, MARGIN_T + 12 + 16.0 * (double)i, 1, rgb);
	}
	png_labels(cv, f);
}

static enum dlld_status write_png(const struct figure *f, const char *path,
				  struct dlld_error *err)
{
	png_image img;
	png_alloc_size_t size = 0;
	struct canvas *cv = dlld_calloc(1, sizeof *cv, "plot canvas", err);
	void *mem = NULL;
	enum dlld_status st = DLLD_STATUS_OK;

	if (!cv)
		return DLLD_STATUS_NO_MEMORY;
	png_draw(cv, f);
	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	img.width = PLOT_W;
	img.height = PLOT_H;
	img.format = PNG_FORMAT_RGB;
	if (!png_image_write_to_memory(&img, NULL, &size, 0, cv->px, 0, NULL) ||
	    !(mem = malloc(size)) ||
	    !png_image_write_to_memory(&img, mem, &size, 0, cv->px, 0, NULL))
		st = dlld_error_set(err, DLLD_STATUS_WRITE, path, "PNG encoding failed: %s",
				    img.message[0] ? img.message : "out of memory");
	if (!st)
		st = dlld_write_file_atomic(path, mem, size, err);
	png_image_free(&img);
	free(mem);
	free(cv);
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

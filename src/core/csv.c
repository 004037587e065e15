/* core/csv.c — RFC 4180 tables with a header row, cells looked up by name. */
#include "dlld/core.h"

#include <stdlib.h>
#include <string.h>

struct dlld_csv {
	char name[512];
	char *text;        /* all cells, NUL-separated, unquoted */
	size_t n_rows;     /* data rows (header excluded) */
	size_t n_cols;
	const char **cells; /* (n_rows + 1) * n_cols, row 0 = header */
	long *lines;        /* file line of each row, row 0 = header */
};

/* Growable arrays for the parser. */
struct cell_list {
	size_t *offsets; /* into text */
	size_t n, cap;
};
struct row_list {
	size_t *first_cell;
	size_t *n_cells;
	long *line;
	size_t n, cap;
};

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *np;

	if (need <= *cap)
		return true;
	ncap = *cap ? *cap * 2 : 64;
	while (ncap < need)
		ncap *= 2;
	if (!dlld_size_mul(ncap, elem, &(size_t){0}))
		return false;
	np = realloc(*p, ncap * elem);
	if (!np)
		return false;
	*p = np;
	*cap = ncap;
	return true;
}

/* Makes room for one more row in all three row arrays. */
static bool grow_rows(struct row_list *rows)
{
	size_t need = rows->n + 1, ncap;
	size_t *first, *count;
	long *line;

	if (need <= rows->cap)
		return true;
	ncap = rows->cap ? rows->cap * 2 : 64;
	first = realloc(rows->first_cell, ncap * sizeof *first);
	if (first)
		rows->first_cell = first;
	count = realloc(rows->n_cells, ncap * sizeof *count);
	if (count)
		rows->n_cells = count;
	line = realloc(rows->line, ncap * sizeof *line);
	if (line)
		rows->line = line;
	if (!first || !count || !line)
		return false;
	rows->cap = ncap;
	return true;
}

void dlld_csv_destroy(struct dlld_csv *csv)
{
	if (!csv)
		return;
	free(csv->text);
	free(csv->cells);
	free(csv->lines);
	free(csv);
}

/* Splits text (copied into csv->text) into rows of cells. */
static enum dlld_status split(struct dlld_csv *csv, const char *src, size_t size,
			      struct cell_list *cells, struct row_list *rows,
			      struct dlld_error *err)
{
	char *out = csv->text;
	size_t i = 0, o = 0;
	long line = 1;

	if (size >= 3 && (unsigned char)src[0] == 0xEF && (unsigned char)src[1] == 0xBB &&
	    (unsigned char)src[2] == 0xBF)
		i = 3;
	while (i < size) {
		size_t cap_c;
		/* skip blank lines between rows */
		if (src[i] == '\n' || src[i] == '\r') {
			if (src[i] == '\n')
				line++;
			i++;
			continue;
		}
		if (!grow_rows(rows))
			return dlld_error_set(err, DLLD_STATUS_NO_MEMORY, csv->name, "table too large");
		rows->first_cell[rows->n] = cells->n;
		rows->n_cells[rows->n] = 0;
		rows->line[rows->n] = line;
		for (;;) { /* one cell */
			cap_c = cells->cap;
			if (!grow((void **)&cells->offsets, &cap_c, cells->n + 1, sizeof(size_t)))
				return dlld_error_set(err, DLLD_STATUS_NO_MEMORY, csv->name,
						      "table too large");
			cells->cap = cap_c;
			cells->offsets[cells->n++] = o;
			rows->n_cells[rows->n]++;
			if (i < size && src[i] == '"') {
				long start_line = line;
				i++;
				for (;;) {
					if (i >= size)
						return dlld_error_set_line(err, DLLD_STATUS_MALFORMED,
									   csv->name, start_line,
									   "unterminated quoted field");
					if (src[i] == '"') {
						if (i + 1 < size && src[i + 1] == '"') {
							out[o++] = '"';
							i += 2;
							continue;
						}
						i++;
						break;
					}
					if (src[i] == '\n')
						line++;
					out[o++] = src[i++];
				}
				if (i < size && src[i] != ',' && src[i] != '\n' && src[i] != '\r')
					return dlld_error_set_line(err, DLLD_STATUS_MALFORMED, csv->name,
								   line,
								   "text after a closing quote");
			} else {
				while (i < size && src[i] != ',' && src[i] != '\n' && src[i] != '\r') {
					if (src[i] == '\0')
						return dlld_error_set_line(err, DLLD_STATUS_MALFORMED,
									   csv->name, line,
									   "NUL byte in text");
					out[o++] = src[i++];
				}
			}
			out[o++] = '\0';
			if (i < size && src[i] == ',') {
				i++;
				continue;
			}
			break;
		}
		if (i < size && src[i] == '\r')
			i++;
		if (i < size && src[i] == '\n') {
			i++;
			line++;
		}
		rows->n++;
	}
	return DLLD_STATUS_OK;
}

static char *trim(char *s)
{
	size_t n;
	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

enum dlld_status dlld_csv_parse(const char *name, const char *text, size_t size,
				struct dlld_csv **out, struct dlld_error *err)
{
	struct cell_list cells = {0};
	struct row_list rows = {0};
	struct dlld_csv *csv;
	enum dlld_status st;
	size_t n_cols, total;

	*out = NULL;
	csv = dlld_calloc(1, sizeof *csv, "CSV table", err);
	if (!csv)
		return DLLD_STATUS_NO_MEMORY;
	snprintf(csv->name, sizeof csv->name, "%s", name);
	csv->text = dlld_calloc(size + 1, 2, "CSV text", err); /* +NUL per cell */
	if (!csv->text) {
		st = DLLD_STATUS_NO_MEMORY;
		goto fail;
	}
	st = split(csv, text, size, &cells, &rows, err);
	if (st)
		goto fail;
	if (rows.n == 0) {
		st = dlld_error_set(err, DLLD_STATUS_MALFORMED, name, "empty table (no header row)");
		goto fail;
	}
	n_cols = rows.n_cells[0];
	for (size_t r = 1; r < rows.n; r++) {
		if (rows.n_cells[r] != n_cols) {
			st = dlld_error_set_line(err, DLLD_STATUS_MALFORMED, name, rows.line[r],
						 "%zu fields, the header has %zu", rows.n_cells[r],
						 n_cols);
			goto fail;
		}
	}
	csv->n_rows = rows.n - 1;
	csv->n_cols = n_cols;
	if (!dlld_size_mul(rows.n, n_cols, &total)) {
		st = dlld_error_set(err, DLLD_STATUS_NO_MEMORY, name, "table too large");
		goto fail;
	}
	csv->cells = dlld_calloc(total, sizeof *csv->cells, "CSV cells", err);
	csv->lines = dlld_calloc(rows.n, sizeof *csv->lines, "CSV lines", err);
	if (!csv->cells || !csv->lines) {
		st = DLLD_STATUS_NO_MEMORY;
		goto fail;
	}
	for (size_t r = 0; r < rows.n; r++) {
		csv->lines[r] = rows.line[r];
		for (size_t c = 0; c < n_cols; c++)
			csv->cells[r * n_cols + c] =
				trim(csv->text + cells.offsets[rows.first_cell[r] + c]);
	}
	for (size_t c = 0; c < n_cols; c++) {
		for (size_t d = 0; d < c; d++) {
			if (csv->cells[c][0] && strcmp(csv->cells[c], csv->cells[d]) == 0) {
				st = dlld_error_set_line(err, DLLD_STATUS_MALFORMED, name, rows.line[0],
							 "duplicate column '%s'", csv->cells[c]);
				goto fail;
			}
		}
	}
	free(cells.offsets);
	free(rows.first_cell);
	free(rows.n_cells);
	free(rows.line);
	*out = csv;
	return DLLD_STATUS_OK;

fail:
	free(cells.offsets);
	free(rows.first_cell);
	free(rows.n_cells);
	free(rows.line);
	dlld_csv_destroy(csv);
	return st;
}

enum dlld_status dlld_csv_read(const char *path, struct dlld_csv **out, struct dlld_error *err)
{
	char *data;
	size_t size;
	enum dlld_status st = dlld_read_file(path, &data, &size, err);

	*out = NULL;
	if (st)
		return st;
	st = dlld_csv_parse(path, data, size, out, err);
	free(data);
	return st;
}

size_t dlld_csv_rows(const struct dlld_csv *csv)
{
	return csv->n_rows;
}

size_t dlld_csv_columns(const struct dlld_csv *csv)
{
	return csv->n_cols;
}

const char *dlld_csv_name(const struct dlld_csv *csv)
{
	return csv->name;
}

int dlld_csv_column(const struct dlld_csv *csv, const char *name)
{
	for (size_t c = 0; c < csv->n_cols; c++)
		if (strcmp(csv->cells[c], name) == 0)
			return (int)c;
	return -1;
}

enum dlld_status dlld_csv_require(const struct dlld_csv *csv, const char *name, int *col,
				  struct dlld_error *err)
{
	*col = dlld_csv_column(csv, name);
	if (*col < 0)
		return dlld_error_set_line(err, DLLD_STATUS_MALFORMED, csv->name, csv->lines[0],
					   "missing required column '%s'", name);
	return DLLD_STATUS_OK;
}

const char *dlld_csv_cell(const struct dlld_csv *csv, size_t row, int col)
{
	if (row >= csv->n_rows || col < 0 || (size_t)col >= csv->n_cols)
		return "";
	return csv->cells[(row + 1) * csv->n_cols + (size_t)col];
}

long dlld_csv_line(const struct dlld_csv *csv, size_t row)
{
	return row < csv->n_rows ? csv->lines[row + 1] : -1;
}

static const char *column_name(const struct dlld_csv *csv, int col)
{
	return col >= 0 && (size_t)col < csv->n_cols ? csv->cells[col] : "?";
}

enum dlld_status dlld_csv_double(const struct dlld_csv *csv, size_t row, int col, double *out,
				 struct dlld_error *err)
{
	const char *s = dlld_csv_cell(csv, row, col);
	if (!dlld_parse_double(s, out))
		return dlld_error_set_line(err, DLLD_STATUS_MALFORMED, csv->name,
					   dlld_csv_line(csv, row), "column '%s': '%s' is not a number",
					   column_name(csv, col), s);
	return DLLD_STATUS_OK;
}

enum dlld_status dlld_csv_long(const struct dlld_csv *csv, size_t row, int col, long *out,
			       struct dlld_error *err)
{
	const char *s = dlld_csv_cell(csv, row, col);
	if (!dlld_parse_long(s, out))
		return dlld_error_set_line(err, DLLD_STATUS_MALFORMED, csv->name,
					   dlld_csv_line(csv, row),
					   "column '%s': '%s' is not an integer", column_name(csv, col),
					   s);
	return DLLD_STATUS_OK;
}

void dlld_csv_write_cell(FILE *fp, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

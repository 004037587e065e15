/*
 * ct/dicom_scan.c — finding DICOM series: walk a folder, read every
 * header through GDCM, group by SeriesInstanceUID, sort each series by
 * position along the slice normal and measure its geometry.
 */
#include "ct/dicom_internal.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SCAN_MAX_DEPTH 32

static enum dlld_status add_file(struct dlld_dicom_scan *s, const char *path, bool single,
				 struct dlld_error *err)
{
	struct dlld_dicom_file f;
	char reason[256] = "";
	enum dlld_gdcm_result r;

	memset(&f, 0, sizeof f);
	switch (dlld_dicom_lengths_fit(path, reason, sizeof reason)) {
	case DLLD_DICOM_GUARD_OK:
		r = dlld_gdcm_read_info(path, &f.info, reason, sizeof reason);
		break;
	case DLLD_DICOM_GUARD_NOT_DICOM:
		r = DLLD_GDCM_RESULT_NOT_DICOM;
		break;
	default:
		r = DLLD_GDCM_RESULT_MALFORMED;
		break;
	}
	if (r == DLLD_GDCM_RESULT_OK && !(f.info.has_rows && f.info.has_columns)) {
		r = DLLD_GDCM_RESULT_NOT_DICOM;
		snprintf(reason, sizeof reason, "DICOM file without an image (no Rows/Columns)");
	}
	if (r != DLLD_GDCM_RESULT_OK) {
		if (single)
			return dlld_error_set(err, DLLD_STATUS_MALFORMED, path, "%s", reason);
		dlld_log(r == DLLD_GDCM_RESULT_NOT_DICOM ? DLLD_LOG_LEVEL_DEBUG : DLLD_LOG_LEVEL_WARNING,
			 "%s: skipped: %s", path, reason);
		s->n_skipped++;
		if (r == DLLD_GDCM_RESULT_MALFORMED && s->n_broken++ == 0)
			snprintf(s->first_broken, sizeof s->first_broken, "%s: %s", path, reason);
		return DLLD_STATUS_OK;
	}
	if (s->n_files == s->cap_files) {
		size_t cap = s->cap_files ? 2 * s->cap_files : 64;
		struct dlld_dicom_file *grown = realloc(s->files, cap * sizeof *grown);
		if (!grown)
			return dlld_error_set(err, DLLD_STATUS_NO_MEMORY, path, "out of memory");
		s->files = grown;
		s->cap_files = cap;
	}
	{
		struct stat st;
		f.file_size = stat(path, &st) == 0 ? (long long)st.st_size : -1;
	}
	f.path = dlld_strdup(path, err);
	if (!f.path)
		return dlld_ct_status(err);
	s->files[s->n_files++] = f;
	return DLLD_STATUS_OK;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Lists dir's entries (without . and ..) sorted by name: new array in *out. */
static enum dlld_status list_dir(const char *dir, char ***out, size_t *n_out,
				 struct dlld_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;

	*out = NULL;
	*n_out = 0;
	if (!d)
		return dlld_error_set(err, DLLD_STATUS_NOT_FOUND, dir, "cannot open folder");
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			char **grown = realloc(names, cap * sizeof *grown);
			if (!grown) {
				free_names(names, n);
				closedir(d);
				return dlld_error_set(err, DLLD_STATUS_NO_MEMORY, dir, "out of memory");
			}
			names = grown;
		}
		names[n] = dlld_path_join(dir, e->d_name, err);
		if (!names[n]) {
			free_names(names, n);
			closedir(d);
			return dlld_ct_status(err);
		}
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, compare_names);
	*out = names;
	*n_out = n;
	return DLLD_STATUS_OK;
}

/* Adds every regular file under dir (symbolic links to folders not followed). */
static enum dlld_status walk(struct dlld_dicom_scan *s, const char *dir, int depth,
			     struct dlld_error *err)
{
	char **names;
	size_t n;
	enum dlld_status st = list_dir(dir, &names, &n, err);

	for (size_t i = 0; i < n && !st; i++) {
		struct stat lst, fst;
		if (lstat(names[i], &lst) != 0)
			continue;
		if (S_ISDIR(lst.st_mode)) {
			if (depth < SCAN_MAX_DEPTH)
				st = walk(s, names[i], depth + 1, err);
			else
				dlld_log(DLLD_LOG_LEVEL_WARNING, "%s: skipped: folders nested too deep",
					 names[i]);
		} else if (stat(names[i], &fst) == 0 && S_ISREG(fst.st_mode)) {
			st = add_file(s, names[i], false, err);
		}
	}
	free_names(names, n);
	return st;
}

static double dot3(const double *a, const double *b)
{
	return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

void dlld_dicom_normal(const double iop[6], double n[3])
{
	const double *r = iop, *c = iop + 3;
	n[0] = r[1] * c[2] - r[2] * c[1];
	n[1] = r[2] * c[0] - r[0] * c[2];
	n[2] = r[0] * c[1] - r[1] * c[0];
}

static int compare_position(const void *a, const void *b, void *ctx)
{
	const struct dlld_dicom_file *files = ctx;
	const struct dlld_dicom_file *fa = &files[*(const size_t *)a];
	const struct dlld_dicom_file *fb = &files[*(const size_t *)b];
	if (fa->position != fb->position)
		return fa->position < fb->position ? -1 : 1;
	return strcmp(fa->path, fb->path);
}

/* True for the uncompressed transfer syntaxes, where the pixel data must
 * fit in the file. */
static bool native_syntax(const char *uid)
{
	static const char *const native[] = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1",
					     "1.2.840.10008.1.2.2"};
	for (size_t i = 0; i < sizeof native / sizeof native[0]; i++)
		if (!strcmp(uid, native[i]))
			return true;
	return false;
}

/* Fills problem when an uncompressed file is too short for its image. */
static bool check_file_size(const struct dlld_dicom_file *f, char *problem, size_t size)
{
	long long need = (long long)f->info.rows * f->info.columns *
			 (f->info.bits_allocated > 0 ? (f->info.bits_allocated + 7) / 8 : 1);
	if (!native_syntax(f->info.transfer_syntax) || f->file_size < 0 || f->file_size >= need)
		return true;
	snprintf(problem, size, "%s: file of %lld bytes is too short for %ldx%ld pixels of %ld bits "
		 "(truncated pixel data)", f->path, f->file_size, f->info.columns, f->info.rows,
		 f->info.bits_allocated);
	return false;
}

/* Checks that the series' images agree (size, orientation, positions). */
static bool check_consistent(struct dlld_dicom_scan *s, struct dlld_dicom_series *ser)
{
	const struct dlld_dicom_file *f0 = &s->files[ser->file_index[0]];
	struct dlld_dicom_series_info *info = &ser->info;

	for (size_t k = 0; k < ser->n_files; k++) {
		const struct dlld_dicom_file *f = &s->files[ser->file_index[k]];
		if (f->info.rows != f0->info.rows || f->info.columns != f0->info.columns) {
			snprintf(info->problem, sizeof info->problem,
				 "mixed image sizes: %s is %ldx%ld, %s is %ldx%ld", f0->path,
				 f0->info.columns, f0->info.rows, f->path, f->info.columns, f->info.rows);
			return false;
		}
		if (ser->n_files > 1 && (!f->info.has_ipp || !f->info.has_iop)) {
			snprintf(info->problem, sizeof info->problem,
				 "%s has no ImagePositionPatient/ImageOrientationPatient: cannot order the slices",
				 f->path);
			return false;
		}
		for (int a = 0; a < 6; a++)
			if (fabs(f->info.iop[a] - f0->info.iop[a]) > 1e-4) {
				snprintf(info->problem, sizeof info->problem,
					 "mixed orientations: ImageOrientationPatient of %s differs from %s",
					 f->path, f0->path);
				return false;
			}
		if (!check_file_size(f, info->problem, sizeof info->problem))
			return false;
		if (f->info.number_of_frames > 1) {
			snprintf(info->problem, sizeof info->problem,
				 "%s: multi-frame images (NumberOfFrames %ld) are not supported",
				 f->path, f->info.number_of_frames);
			return false;
		}
	}
	if (f0->info.rows < 1 || f0->info.columns < 1 || f0->info.rows > DLLD_DICOM_MAX_SIZE ||
	    f0->info.columns > DLLD_DICOM_MAX_SIZE) {
		snprintf(info->problem, sizeof info->problem, "%s: bad image size %ldx%ld", f0->path,
			 f0->info.columns, f0->info.rows);
		return false;
	}
	return true;
}

/* Sorts the series by position along the normal; measures steps and tilt. */
static void analyse_series(struct dlld_dicom_scan *s, struct dlld_dicom_series *ser)
{
	struct dlld_dicom_series_info *info = &ser->info;
	double n[3], *steps;
	size_t m = ser->n_files;

	if (!check_consistent(s, ser))
		return;
	if (m < 2)
		return;
	dlld_dicom_normal(s->files[ser->file_index[0]].info.iop, n);
	for (size_t k = 0; k < m; k++) {
		struct dlld_dicom_file *f = &s->files[ser->file_index[k]];
		f->position = dot3(n, f->info.ipp);
	}
	qsort_r(ser->file_index, m, sizeof *ser->file_index, compare_position, s->files);
	steps = malloc((m - 1) * sizeof *steps);
	if (!steps) {
		snprintf(info->problem, sizeof info->problem, "out of memory");
		return;
	}
	for (size_t k = 0; k + 1 < m; k++) {
		const struct dlld_dicom_file *a = &s->files[ser->file_index[k]];
		const struct dlld_dicom_file *b = &s->files[ser->file_index[k + 1]];
		steps[k] = b->position - a->position;
		if (steps[k] < 1e-3 && !info->problem[0])
			snprintf(info->problem, sizeof info->problem,
				 "duplicate slice position %.3f mm: %s and %s", a->position, a->path,
				 b->path);
	}
	qsort(steps, m - 1, sizeof *steps, dlld_compare_double);
	info->step_min_mm = steps[0];
	info->step_max_mm = steps[m - 2];
	info->slice_step_mm = steps[(m - 2) / 2];
	free(steps);
	{
		double tol = fmax(0.01, 0.01 * info->slice_step_mm);
		info->uneven_spacing = info->step_max_mm - info->slice_step_mm > tol ||
				       info->slice_step_mm - info->step_min_mm > tol;
	}
	{
		const double *p0 = s->files[ser->file_index[0]].info.ipp;
		const double *p1 = s->files[ser->file_index[m - 1]].info.ipp;
		double d[3] = {p1[0] - p0[0], p1[1] - p0[1], p1[2] - p0[2]};
		double len = sqrt(dot3(d, d)), c = len > 0 ? fabs(dot3(d, n)) / len : 1.0;
		info->shear_deg = acos(c > 1.0 ? 1.0 : c) * 180.0 / M_PI;
		info->tilted = info->shear_deg > 0.05;
	}
}

/* Fills the series' summary from its first (lowest) file. */
static void summarise_series(struct dlld_dicom_scan *s, struct dlld_dicom_series *ser)
{
	struct dlld_dicom_series_info *info = &ser->info;
	const struct dlld_dcm_info *h;

	info->n_slices = ser->n_files;
	analyse_series(s, ser);
	h = &s->files[ser->file_index[0]].info;
	snprintf(info->series_uid, sizeof info->series_uid, "%s", h->series_uid);
	snprintf(info->study_uid, sizeof info->study_uid, "%s", h->study_uid);
	snprintf(info->modality, sizeof info->modality, "%s", h->modality);
	snprintf(info->image_type, sizeof info->image_type, "%s", h->image_type);
	snprintf(info->description, sizeof info->description, "%s", h->series_description);
	snprintf(info->patient_id, sizeof info->patient_id, "%s", h->patient_id);
	snprintf(info->transfer_syntax, sizeof info->transfer_syntax, "%s", h->transfer_syntax);
	snprintf(info->first_file, sizeof info->first_file, "%s", s->files[ser->file_index[0]].path);
	info->series_number = h->has_series_number ? h->series_number : -1;
	info->rows = (int32_t)(h->rows > 0 && h->rows <= 65535 ? h->rows : 0);
	info->columns = (int32_t)(h->columns > 0 && h->columns <= 65535 ? h->columns : 0);
	if (h->has_pixel_spacing) {
		info->pixel_spacing_mm[0] = h->pixel_spacing[1];
		info->pixel_spacing_mm[1] = h->pixel_spacing[0];
	}
	info->thickness_mm = h->has_slice_thickness ? h->slice_thickness : 0.0;
	info->header_tilt_deg = h->has_gantry_tilt ? h->gantry_tilt_deg : 0.0;
}

/* Groups the files by SeriesInstanceUID into s->series. */
static enum dlld_status group_series(struct dlld_dicom_scan *s, struct dlld_error *err)
{
	s->series = dlld_calloc(s->n_files, sizeof *s->series, "DICOM series", err);
	if (!s->series)
		return dlld_ct_status(err);
	for (size_t i = 0; i < s->n_files; i++) {
		const char *uid = s->files[i].info.series_uid;
		struct dlld_dicom_series *ser = NULL;
		for (size_t j = 0; j < s->n_series && !ser; j++)
			if (!strcmp(s->files[s->series[j].file_index[0]].info.series_uid, uid))
				ser = &s->series[j];
		if (!ser) {
			ser = &s->series[s->n_series++];
			ser->file_index = dlld_calloc(s->n_files, sizeof *ser->file_index,
						      "DICOM series files", err);
			if (!ser->file_index)
				return dlld_ct_status(err);
		}
		ser->file_index[ser->n_files++] = i;
	}
	return DLLD_STATUS_OK;
}

static int compare_series(const void *a, const void *b)
{
	const struct dlld_dicom_series_info *x = &((const struct dlld_dicom_series *)a)->info;
	const struct dlld_dicom_series_info *y = &((const struct dlld_dicom_series *)b)->info;
	if (x->series_number != y->series_number)
		return x->series_number < y->series_number ? -1 : 1;
	return strcmp(x->series_uid, y->series_uid);
}

/* The automatic choice: loadable, CT, ORIGINAL\PRIMARY, most slices. */
static void rank_series(const struct dlld_dicom_series_info *info, long rank[4])
{
	rank[0] = info->problem[0] == '\0';
	rank[1] = !strcmp(info->modality, "CT");
	rank[2] = !strncmp(info->image_type, "ORIGINAL\\PRIMARY", 16);
	rank[3] = (long)info->n_slices;
}

static void select_series(struct dlld_dicom_scan *s)
{
	long best[4] = {-1, -1, -1, -1};
	size_t chosen = 0;

	for (size_t j = 0; j < s->n_series; j++) {
		long r[4];
		rank_series(&s->series[j].info, r);
		if (memcmp(r, best, sizeof r) != 0) {
			int a = 0;
			while (a < 4 && r[a] == best[a])
				a++;
			if (r[a] > best[a]) {
				memcpy(best, r, sizeof r);
				chosen = j;
			}
		}
	}
	if (s->n_series)
		s->series[chosen].info.auto_selected = true;
}

enum dlld_status dlld_dicom_scan(const char *path, struct dlld_dicom_scan **out,
				 struct dlld_error *err)
{
	struct dlld_dicom_scan *s;
	bool is_dir = dlld_path_is_dir(path);
	enum dlld_status st;

	*out = NULL;
	dlld_gdcm_quiet();
	if (!dlld_path_exists(path))
		return dlld_error_set(err, DLLD_STATUS_NOT_FOUND, path, "no such file or folder");
	s = dlld_calloc(1, sizeof *s, "DICOM scan", err);
	if (!s)
		return dlld_ct_status(err);
	snprintf(s->path, sizeof s->path, "%s", path);
	st = is_dir ? walk(s, path, 0, err) : add_file(s, path, true, err);
	if (!st && s->n_files == 0)
		st = dlld_error_set(err, DLLD_STATUS_NOT_FOUND, path,
				    "no DICOM image found (%zu files skipped)", s->n_skipped);
	if (!st)
		st = group_series(s, err);
	if (st) {
		dlld_dicom_scan_destroy(s);
		return st;
	}
	for (size_t j = 0; j < s->n_series; j++)
		summarise_series(s, &s->series[j]);
	qsort(s->series, s->n_series, sizeof *s->series, compare_series);
	select_series(s);
	*out = s;
	return DLLD_STATUS_OK;
}

void dlld_dicom_scan_destroy(struct dlld_dicom_scan *scan)
{
	if (!scan)
		return;
	for (size_t i = 0; i < scan->n_files; i++)
		free(scan->files[i].path);
	for (size_t j = 0; j < scan->n_series; j++)
		free(scan->series[j].file_index);
	free(scan->files);
	free(scan->series);
	free(scan);
}

size_t dlld_dicom_scan_series_count(const struct dlld_dicom_scan *scan)
{
	return scan->n_series;
}

const struct dlld_dicom_series_info *dlld_dicom_scan_series(const struct dlld_dicom_scan *scan,
							    size_t i)
{
	return &scan->series[i].info;
}

size_t dlld_dicom_scan_skipped(const struct dlld_dicom_scan *scan)
{
	return scan->n_skipped;
}

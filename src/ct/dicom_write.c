/*
 * ct/dicom_write.c — a volume as a CT Image Storage series (synthetic
 * cohorts' `--dicom` output). Deterministic: UIDs are "2.25.<128-bit
 * number>" derived from the seed, the patient id, the UID's role and the
 * slice, and no dates or times are written, so the same input gives
 * byte-identical files.
 */
#include "ct/ct_internal.h"
#include "ct/dicom_gdcm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef unsigned __int128 dlld_u128;

enum uid_role { UID_ROLE_STUDY = 1, UID_ROLE_SERIES, UID_ROLE_FRAME, UID_ROLE_INSTANCE };

static uint64_t mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t hash_string(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

/* Fills uid (>= 45 bytes) with "2.25.<decimal of a 128-bit hash>". */
static void make_uid(char *uid, uint64_t seed, const char *patient, enum uid_role role,
		     uint64_t index)
{
	uint64_t a = mix64(seed ^ mix64(hash_string(patient) ^ mix64((uint64_t)role << 40 ^ index)));
	uint64_t b = mix64(a ^ 0x5851f42d4c957f2dull);
	dlld_u128 x = ((dlld_u128)a << 64 | b) | 1; /* never zero */
	char digits[40];
	int n = 0;

	while (x) {
		digits[n++] = (char)('0' + (int)(x % 10));
		x /= 10;
	}
	memcpy(uid, "2.25.", 5);
	for (int i = 0; i < n; i++)
		uid[5 + i] = digits[n - 1 - i];
	uid[5 + n] = '\0';
}

/* Fills s (>= 17 bytes) with x as a DICOM decimal string of <= 16 chars. */
static void format_ds(char *s, double x)
{
	if (fabs(x) < 1e-9)
		x = 0.0;
	for (int prec = 12; prec > 0; prec--)
		if (snprintf(s, 17, "%.*g", prec, x) <= 16)
			return;
}

/* Fills s with n decimal strings joined by '\'. */
static void format_ds_list(char *s, size_t size, const double *x, int n)
{
	size_t used = 0;
	for (int i = 0; i < n && used < size; i++) {
		char one[17];
		format_ds(one, x[i]);
		used += (size_t)snprintf(s + used, size - used, "%s%s", i ? "\\" : "", one);
	}
}

/* Fills row[3], col[3] with the unit in-plane directions; false when the
 * affine's columns are not orthogonal or the slice axis is sheared. */
static bool plane_directions(const struct dlld_geometry *g, double row[3], double col[3])
{
	double dot_rc = 0, dot_rs = 0, dot_cs = 0;
	for (int r = 0; r < 3; r++) {
		row[r] = g->affine[r][0] / g->spacing_mm[0];
		col[r] = g->affine[r][1] / g->spacing_mm[1];
		dot_rc += row[r] * col[r];
		dot_rs += row[r] * g->affine[r][2] / g->spacing_mm[2];
		dot_cs += col[r] * g->affine[r][2] / g->spacing_mm[2];
	}
	return fabs(dot_rc) < 1e-6 && fabs(dot_rs) < 1e-6 && fabs(dot_cs) < 1e-6;
}

/* The text values of one slice's elements. */
struct slice_text {
	char sop_uid[64], study_uid[64], series_uid[64], frame_uid[64];
	char instance[16], rows[16], columns[16], ipp[60], iop[120], spacing[40], thickness[17];
	char wc[17], ww[17];
};

static enum dlld_status write_slice(const struct dlld_volume *v, const char *dir, int32_t k,
				    const struct dlld_dicom_write_options *o,
				    struct slice_text *t, int16_t *pixels, struct dlld_error *err)
{
	const struct dlld_geometry *g = &v->geom;
	const char *pid = o->patient_id ? o->patient_id : "ANONYMOUS";
	const char *study_desc = o->study_description ? o->study_description : "DLLD synthetic CT";
	const char *series_desc = o->series_description ? o->series_description : "DLLD synthetic CT";
	size_t plane = (size_t)g->dims[0] * (size_t)g->dims[1];
	double ipp[3];
	char path[1100], tmp[1200], reason[256];
	const struct dlld_dcm_element el[] = {
		{0x0008, 0x0005, "CS", "ISO_IR 100"},
		{0x0008, 0x0008, "CS", "ORIGINAL\\PRIMARY\\AXIAL"},
		{0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.2"},
		{0x0008, 0x0018, "UI", t->sop_uid},
		{0x0008, 0x0020, "DA", ""},
		{0x0008, 0x0030, "TM", ""},
		{0x0008, 0x0050, "SH", ""},
		{0x0008, 0x0060, "CS", "CT"},
		{0x0008, 0x0070, "LO", "DLLD"},
		{0x0008, 0x0090, "PN", ""},
		{0x0008, 0x1030, "LO", study_desc},
		{0x0008, 0x103e, "LO", series_desc},
		{0x0010, 0x0010, "PN", o->patient_name ? o->patient_name : pid},
		{0x0010, 0x0020, "LO", pid},
		{0x0010, 0x0030, "DA", ""},
		{0x0010, 0x0040, "CS", ""},
		{0x0018, 0x0050, "DS", t->thickness},
		{0x0018, 0x0060, "DS", ""},
		{0x0020, 0x000d, "UI", t->study_uid},
		{0x0020, 0x000e, "UI", t->series_uid},
		{0x0020, 0x0010, "SH", "1"},
		{0x0020, 0x0011, "IS", "1"},
		{0x0020, 0x0013, "IS", t->instance},
		{0x0020, 0x0032, "DS", t->ipp},
		{0x0020, 0x0037, "DS", t->iop},
		{0x0020, 0x0052, "UI", t->frame_uid},
		{0x0020, 0x1040, "LO", ""},
		{0x0028, 0x0002, "US", "1"},
		{0x0028, 0x0004, "CS", "MONOCHROME2"},
		{0x0028, 0x0010, "US", t->rows},
		{0x0028, 0x0011, "US", t->columns},
		{0x0028, 0x0030, "DS", t->spacing},
		{0x0028, 0x0100, "US", "16"},
		{0x0028, 0x0101, "US", "16"},
		{0x0028, 0x0102, "US", "15"},
		{0x0028, 0x0103, "US", "1"},
		{0x0028, 0x1052, "DS", "-1024"},
		{0x0028, 0x1053, "DS", "1"},
		{0x0028, 0x1054, "LO", "HU"},
		{0x0028, 0x1050, "DS", t->wc}, /* the window stays last: left out when unset */
		{0x0028, 0x1051, "DS", t->ww},
	};
	size_t n_el = sizeof el / sizeof el[0] - (o->window_width > 0 ? 0 : 2);
	enum dlld_status st;

	make_uid(t->sop_uid, o->uid_seed, pid, UID_ROLE_INSTANCE, (uint64_t)k);
	snprintf(t->instance, sizeof t->instance, "%d", k + 1);
	dlld_geometry_to_lps(g, 0, 0, k, ipp);
	format_ds_list(t->ipp, sizeof t->ipp, ipp, 3);
	for (size_t p = 0; p < plane; p++)
		pixels[p] = dlld_ct_round_i16((double)v->hu[(size_t)k * plane + p] + 1024.0);
	snprintf(path, sizeof path, "%s/IM%05d.dcm", dir, k + 1);
	st = dlld_atomic_temp_name(path, tmp, sizeof tmp, err);
	if (st)
		return st;
	if (dlld_gdcm_write_image(tmp, el, n_el, pixels, g->dims[1], g->dims[0], reason,
				  sizeof reason) != DLLD_GDCM_RESULT_OK) {
		remove(tmp);
		return dlld_error_set(err, DLLD_STATUS_WRITE, path, "%s", reason);
	}
	return dlld_atomic_rename(tmp, path, err);
}

enum dlld_status dlld_dicom_write_series(const struct dlld_volume *v, const char *dir,
					 const struct dlld_dicom_write_options *opts,
					 struct dlld_error *err)
{
	static const struct dlld_dicom_write_options defaults;
	const struct dlld_dicom_write_options *o = opts ? opts : &defaults;
	const struct dlld_geometry *g = &v->geom;
	const char *pid = o->patient_id ? o->patient_id : "ANONYMOUS";
	struct slice_text t;
	double row[3], col[3], iop[6], spacing[2] = {g->spacing_mm[1], g->spacing_mm[0]};
	int16_t *pixels;
	enum dlld_status st = DLLD_STATUS_OK;

	if (g->dims[0] > 65535 || g->dims[1] > 65535 || g->dims[2] > 99999)
		return dlld_error_set(err, DLLD_STATUS_USAGE, dir, "volume too large for DICOM");
	if (!plane_directions(g, row, col))
		return dlld_error_set(err, DLLD_STATUS_INCONSISTENT, dir,
				      "cannot write DICOM: the volume's axes are not orthogonal");
	st = dlld_mkdir_p(dir, err);
	if (st)
		return st;
	memset(&t, 0, sizeof t);
	memcpy(iop, row, sizeof row);
	memcpy(iop + 3, col, sizeof col);
	make_uid(t.study_uid, o->uid_seed, pid, UID_ROLE_STUDY, 0);
	make_uid(t.series_uid, o->uid_seed, pid, UID_ROLE_SERIES, 0);
	make_uid(t.frame_uid, o->uid_seed, pid, UID_ROLE_FRAME, 0);
	snprintf(t.rows, sizeof t.rows, "%d", g->dims[1]);
	snprintf(t.columns, sizeof t.columns, "%d", g->dims[0]);
	format_ds_list(t.iop, sizeof t.iop, iop, 6);
	format_ds_list(t.spacing, sizeof t.spacing, spacing, 2);
	format_ds(t.thickness, g->spacing_mm[2]);
	if (o->window_width > 0) {
		format_ds(t.wc, o->window_center);
		format_ds(t.ww, o->window_width);
	}
	pixels = dlld_calloc((size_t)g->dims[0] * (size_t)g->dims[1], sizeof *pixels,
			     "DICOM slice", err);
	if (!pixels)
		return dlld_ct_status(err);
	for (int32_t k = 0; k < g->dims[2] && !st; k++)
		st = write_slice(v, dir, k, o, &t, pixels, err);
	free(pixels);
	return st;
}

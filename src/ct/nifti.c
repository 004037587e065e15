/*
 * ct/nifti.c — NIfTI-1 volumes and label maps through nifticlib's header
 * types and znzlib (.nii and .nii.gz).
 *
 * Reading validates every header field before it sizes anything: dims,
 * datatype/bitpix, vox_offset, scaling and transforms, then the data length
 * against the file. The voxel→RAS transform (sform when sform_code > 0,
 * else qform when qform_code > 0, else pixdim scaling) becomes LPS by
 * negating the x and y rows (DESIGN §3).
 */
#include "ct/ct_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <nifti1_io.h>

/* Converts n stored values to float value * slope + inter. */
typedef void (*nifti_convert_fn)(const void *data, size_t n, double slope, double inter,
				 float *out);
/* Returns stored value v as double. */
typedef double (*nifti_value_fn)(const void *data, size_t v);

#define DEFINE_NIFTI_TYPE(name, T)                                                        \
	static void convert_##name(const void *data, size_t n, double slope, double inter, \
				   float *out)                                              \
	{                                                                                 \
		const T *src = data;                                                      \
		for (size_t i = 0; i < n; i++)                                            \
			out[i] = (float)((double)src[i] * slope + inter);                 \
	}                                                                                 \
	static double value_##name(const void *data, size_t v)                            \
	{                                                                                 \
		return (double)((const T *)data)[v];                                      \
	}
DEFINE_NIFTI_TYPE(uint8, uint8_t)
DEFINE_NIFTI_TYPE(int8, int8_t)
DEFINE_NIFTI_TYPE(int16, int16_t)
DEFINE_NIFTI_TYPE(uint16, uint16_t)
DEFINE_NIFTI_TYPE(int32, int32_t)
DEFINE_NIFTI_TYPE(uint32, uint32_t)
DEFINE_NIFTI_TYPE(float32, float)
DEFINE_NIFTI_TYPE(float64, double)
DEFINE_NIFTI_TYPE(int64, int64_t)
DEFINE_NIFTI_TYPE(uint64, uint64_t)

/* What DLLD reads: one row per NIfTI datatype. */
struct nifti_type_info {
	int code;
	int bitpix;
	const char *name;
	nifti_convert_fn convert;
	nifti_value_fn value;
};

#define NIFTI_TYPE_ROW(code, bits, name) {code, bits, #name, convert_##name, value_##name}
static const struct nifti_type_info nifti_types[] = {
	NIFTI_TYPE_ROW(NIFTI_TYPE_UINT8, 8, uint8),     NIFTI_TYPE_ROW(NIFTI_TYPE_INT8, 8, int8),
	NIFTI_TYPE_ROW(NIFTI_TYPE_INT16, 16, int16),    NIFTI_TYPE_ROW(NIFTI_TYPE_UINT16, 16, uint16),
	NIFTI_TYPE_ROW(NIFTI_TYPE_INT32, 32, int32),    NIFTI_TYPE_ROW(NIFTI_TYPE_UINT32, 32, uint32),
	NIFTI_TYPE_ROW(NIFTI_TYPE_FLOAT32, 32, float32), NIFTI_TYPE_ROW(NIFTI_TYPE_FLOAT64, 64, float64),
	NIFTI_TYPE_ROW(NIFTI_TYPE_INT64, 64, int64),    NIFTI_TYPE_ROW(NIFTI_TYPE_UINT64, 64, uint64),
};

/* DLLD_NIFTI_TYPE_* → NIfTI datatype code. */
static const struct nifti_type_info write_types[] = {
	[DLLD_NIFTI_TYPE_INT16] = NIFTI_TYPE_ROW(NIFTI_TYPE_INT16, 16, int16),
	[DLLD_NIFTI_TYPE_FLOAT32] = NIFTI_TYPE_ROW(NIFTI_TYPE_FLOAT32, 32, float32),
	[DLLD_NIFTI_TYPE_UINT8] = NIFTI_TYPE_ROW(NIFTI_TYPE_UINT8, 8, uint8),
	[DLLD_NIFTI_TYPE_UINT16] = NIFTI_TYPE_ROW(NIFTI_TYPE_UINT16, 16, uint16),
};
_Static_assert(sizeof write_types / sizeof write_types[0] == DLLD_NIFTI_TYPE_COUNT,
	       "write_types must cover enum dlld_nifti_type");

/* Upper bound on voxels in one volume (2^31: 8 GiB as float). */
#define NIFTI_MAX_VOXELS ((size_t)1 << 31)

/* A NIfTI file read into memory: validated header, raw native-endian data. */
struct nifti_raw {
	struct nifti_1_header hdr;
	const struct nifti_type_info *type;
	struct dlld_geometry geom;
	size_t nvox;
	void *data; /* nvox * bitpix/8 bytes, native byte order */
};

static const struct nifti_type_info *nifti_type_find(int code)
{
	for (size_t t = 0; t < sizeof nifti_types / sizeof nifti_types[0]; t++)
		if (nifti_types[t].code == code)
			return &nifti_types[t];
	return NULL;
}

static enum dlld_status bad_field(struct dlld_error *err, const char *path, const char *field,
				  const char *fmt, double value)
{
	return dlld_error_set_where(err, DLLD_STATUS_MALFORMED, path, field, -1, fmt, value);
}

/* Checks dims, datatype and the voxel count; fills raw->nvox and raw->type. */
static enum dlld_status validate_dims(const char *path, struct nifti_raw *raw,
				      struct dlld_error *err)
{
	const struct nifti_1_header *h = &raw->hdr;
	size_t n = 1;

	if (h->dim[0] < 1 || h->dim[0] > 7)
		return bad_field(err, path, "dim[0]", "number of dimensions %g is not in 1..7",
				 h->dim[0]);
	for (int d = 1; d <= h->dim[0]; d++) {
		char field[32]; /* "dim[7]"; room for any int keeps -Wformat-truncation quiet */
		snprintf(field, sizeof field, "dim[%d]", d);
		if (h->dim[d] < 1)
			return bad_field(err, path, field, "size %g is not positive", h->dim[d]);
		if (d > 3 && h->dim[d] != 1)
			return bad_field(err, path, field,
					 "size %g: DLLD reads 3-D volumes only (4-D series are not supported)",
					 h->dim[d]);
	}
	for (int d = 1; d <= h->dim[0]; d++) {
		if (!dlld_size_mul(n, (size_t)h->dim[d], &n) || n > NIFTI_MAX_VOXELS)
			return bad_field(err, path, "dim",
					 "voxel count overflows or exceeds the limit (dim[%g])", d);
	}
	raw->nvox = n;
	raw->type = nifti_type_find(h->datatype);
	if (!raw->type)
		return bad_field(err, path, "datatype", "unsupported datatype code %g", h->datatype);
	if (h->bitpix != raw->type->bitpix)
		return dlld_error_set_where(err, DLLD_STATUS_MALFORMED, path, "bitpix", -1,
					    "bitpix %d does not match datatype %s (%d bits)",
					    h->bitpix, raw->type->name, raw->type->bitpix);
	return DLLD_STATUS_OK;
}

static bool all_finite(const float *v, int n)
{
	for (int i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return false;
	return true;
}

/* Fills raw->geom from sform, qform or pixdim (RAS → LPS). */
static enum dlld_status header_geometry(const char *path, struct nifti_raw *raw,
					struct dlld_error *err)
{
	const struct nifti_1_header *h = &raw->hdr;
	struct dlld_geometry *g = &raw->geom;
	double ras[3][4] = {{0}};

	memset(g, 0, sizeof *g);
	for (int a = 0; a < 3; a++)
		g->dims[a] = a < h->dim[0] ? h->dim[a + 1] : 1;
	if (h->sform_code > 0) {
		const float *rows[3] = {h->srow_x, h->srow_y, h->srow_z};
		for (int r = 0; r < 3; r++) {
			if (!all_finite(rows[r], 4))
				return bad_field(err, path, r == 0 ? "srow_x" : r == 1 ? "srow_y" : "srow_z",
						 "non-finite sform row (sform_code %g)", h->sform_code);
			for (int c = 0; c < 4; c++)
				ras[r][c] = rows[r][c];
		}
	} else if (h->qform_code > 0) {
		float q[6] = {h->quatern_b, h->quatern_c, h->quatern_d,
			      h->qoffset_x, h->qoffset_y, h->qoffset_z};
		mat44 m;
		if (!all_finite(q, 6))
			return bad_field(err, path, "quatern_b", "non-finite qform (qform_code %g)",
					 h->qform_code);
		for (int a = 1; a <= 3; a++)
			if (!(h->pixdim[a] > 0.0f) || !isfinite(h->pixdim[a]))
				return bad_field(err, path, a == 1 ? "pixdim[1]" : a == 2 ? "pixdim[2]" : "pixdim[3]",
						 "voxel size %g is not positive", h->pixdim[a]);
		m = nifti_quatern_to_mat44(q[0], q[1], q[2], q[3], q[4], q[5], h->pixdim[1],
					   h->pixdim[2], h->pixdim[3], h->pixdim[0] < 0 ? -1.0f : 1.0f);
		for (int r = 0; r < 3; r++)
			for (int c = 0; c < 4; c++)
				ras[r][c] = m.m[r][c];
	} else {
		for (int a = 1; a <= 3; a++)
			if (!(h->pixdim[a] > 0.0f) || !isfinite(h->pixdim[a]))
				return bad_field(err, path, a == 1 ? "pixdim[1]" : a == 2 ? "pixdim[2]" : "pixdim[3]",
						 "voxel size %g is not positive", h->pixdim[a]);
		for (int a = 0; a < 3; a++)
			ras[a][a] = h->pixdim[a + 1];
		dlld_log(DLLD_LOG_LEVEL_WARNING,
			 "%s: no qform or sform; assuming RAS axes with pixdim spacing", path);
	}
	for (int r = 0; r < 3; r++)
		for (int c = 0; c < 4; c++)
			g->affine[r][c] = r < 2 ? -ras[r][c] : ras[r][c];
	g->affine[3][3] = 1.0;
	for (int c = 0; c < 3; c++) {
		double s = sqrt(ras[0][c] * ras[0][c] + ras[1][c] * ras[1][c] + ras[2][c] * ras[2][c]);
		if (!(s > 0.0))
			return bad_field(err, path, h->sform_code > 0 ? "srow_x" : "pixdim",
					 "transform column %g has zero length", c);
		g->spacing_mm[c] = s;
	}
	return DLLD_STATUS_OK;
}

/* Validates the header after byte-swapping; fills raw->nvox/type/geom. */
static enum dlld_status validate_header(const char *path, struct nifti_raw *raw,
					struct dlld_error *err)
{
	const struct nifti_1_header *h = &raw->hdr;
	enum dlld_status st;

	if (memcmp(h->magic, "n+1", 4) != 0) {
		if (memcmp(h->magic, "ni1", 4) == 0)
			return dlld_error_set_where(err, DLLD_STATUS_MALFORMED, path, "magic", 344,
						    "two-file NIfTI (.hdr/.img) is not supported");
		return dlld_error_set_where(err, DLLD_STATUS_MALFORMED, path, "magic", 344,
					    "not a single-file NIfTI-1 image (magic is not \"n+1\")");
	}
	st = validate_dims(path, raw, err);
	if (st)
		return st;
	if (!isfinite(h->vox_offset) || h->vox_offset < 352.0f || h->vox_offset > 1e9f)
		return bad_field(err, path, "vox_offset", "data offset %g is not in 352..1e9",
				 h->vox_offset);
	if (!isfinite(h->scl_slope) || !isfinite(h->scl_inter))
		return bad_field(err, path, "scl_slope", "non-finite scaling (slope %g)",
				 h->scl_slope);
	return header_geometry(path, raw, err);
}

/* Reads the 348-byte header, swapping it to native order. */
static enum dlld_status read_header(const char *path, znzFile fp, struct nifti_raw *raw,
				    bool *swapped, struct dlld_error *err)
{
	struct nifti_1_header *h = &raw->hdr;

	if (znzread(h, 1, sizeof *h, fp) != sizeof *h)
		return dlld_error_set_where(err, DLLD_STATUS_MALFORMED, path, "sizeof_hdr", 0,
					    "file too short for a NIfTI-1 header (348 bytes)");
	*swapped = false;
	if (h->sizeof_hdr != 348) {
		int32_t s = h->sizeof_hdr;
		nifti_swap_4bytes(1, &s);
		if (s == 540 || h->sizeof_hdr == 540)
			return dlld_error_set_where(err, DLLD_STATUS_MALFORMED, path, "sizeof_hdr", 0,
						    "NIfTI-2 is not supported; save as NIfTI-1");
		if (s != 348)
			return dlld_error_set_where(err, DLLD_STATUS_MALFORMED, path, "sizeof_hdr", 0,
						    "header size %d is not 348: not a NIfTI-1 file",
						    h->sizeof_hdr);
		swap_nifti_header(h, 1);
		*swapped = true;
	}
	return validate_header(path, raw, err);
}

/* Reads up to nbytes into *out (new), growing the buffer as data arrive,
 * so a header claiming more data than the file holds costs no more memory
 * than the file; fills *got with the bytes read. */
static enum dlld_status read_growing(znzFile fp, size_t nbytes, size_t hint, void **out,
				     size_t *got, struct dlld_error *err)
{
	size_t cap = nbytes < hint ? nbytes : hint, n = 0;
	unsigned char *buf = malloc(cap ? cap : 1);

	*out = NULL;
	if (!buf)
		return dlld_error_set(err, DLLD_STATUS_NO_MEMORY, NULL, "out of memory for NIfTI data");
	while (n < nbytes) {
		size_t want, r;
		if (n == cap) {
			size_t next = cap > nbytes / 2 ? nbytes : 2 * cap;
			unsigned char *grown = realloc(buf, next);
			if (!grown) {
				free(buf);
				return dlld_error_set(err, DLLD_STATUS_NO_MEMORY, NULL,
						      "out of memory for NIfTI data");
			}
			buf = grown;
			cap = next;
		}
		want = cap - n;
		r = znzread(buf + n, 1, want, fp);
		n += r;
		if (r < want)
			break; /* end of file */
	}
	*out = buf;
	*got = n;
	return DLLD_STATUS_OK;
}

/* Returns the likely number of data bytes in path (file size, or gzip's
 * ISIZE trailer up to 64 times the file, minus the data offset), at least
 * 16 MiB: a first buffer size only, never trusted. */
static size_t data_size_hint(const char *path, double vox_offset)
{
	struct stat st;
	unsigned char isize[4];
	double bytes = 0;
	FILE *fp;

	if (stat(path, &st) != 0)
		return (size_t)1 << 24;
	bytes = (double)st.st_size;
	if (nifti_is_gzfile(path) && (fp = fopen(path, "rb")) != NULL) {
		if (fseek(fp, -4, SEEK_END) == 0 && fread(isize, 1, 4, fp) == 4)
			bytes = fmin(64.0 * (double)st.st_size, /* a forged trailer stays cheap */
				     (double)((uint32_t)isize[0] | (uint32_t)isize[1] << 8 |
					      (uint32_t)isize[2] << 16 | (uint32_t)isize[3] << 24));
		fclose(fp);
	}
	bytes -= vox_offset;
	return bytes > (double)(1 << 24) ? (size_t)bytes : (size_t)1 << 24;
}

/* Reads the voxel data at vox_offset. */
static enum dlld_status read_data(const char *path, znzFile fp, struct nifti_raw *raw,
				  bool swapped, struct dlld_error *err)
{
	size_t bytes_per = (size_t)raw->type->bitpix / 8, nbytes;
	long skip = (long)raw->hdr.vox_offset - (long)sizeof raw->hdr;
	char pad[256];
	size_t got = 0;
	enum dlld_status st;

	if (!dlld_size_mul(raw->nvox, bytes_per, &nbytes))
		return bad_field(err, path, "dim", "data size overflows (%g bytes per voxel)",
				 (double)bytes_per);
	/* Skip extensions by reading (gz streams seek by reading anyway). */
	while (skip > 0) {
		size_t chunk = skip > (long)sizeof pad ? sizeof pad : (size_t)skip;
		if (znzread(pad, 1, chunk, fp) != chunk)
			return bad_field(err, path, "vox_offset",
					 "file ends before the data offset %g", raw->hdr.vox_offset);
		skip -= (long)chunk;
	}
	st = read_growing(fp, nbytes, data_size_hint(path, raw->hdr.vox_offset), &raw->data, &got,
			  err);
	if (st)
		return st;
	if (got != nbytes)
		return dlld_error_set_where(err, DLLD_STATUS_MALFORMED, path, "dim",
					    (long long)raw->hdr.vox_offset + (long long)got,
					    "voxel data truncated: %zu of %zu bytes present", got,
					    nbytes);
	if (swapped && bytes_per > 1)
		nifti_swap_Nbytes(raw->nvox, (int)bytes_per, raw->data);
	return DLLD_STATUS_OK;
}

/* Fills raw with the validated header, geometry and data of path. */
static enum dlld_status nifti_load_raw(const char *path, struct nifti_raw *raw,
				       struct dlld_error *err)
{
	znzFile fp;
	bool swapped = false;
	enum dlld_status st;

	memset(raw, 0, sizeof *raw);
	if (!dlld_path_exists(path))
		return dlld_error_set(err, DLLD_STATUS_NOT_FOUND, path, "no such file");
	fp = znzopen(path, "rb", nifti_is_gzfile(path));
	if (znz_isnull(fp))
		return dlld_error_set(err, DLLD_STATUS_NOT_FOUND, path, "cannot open");
	st = read_header(path, fp, raw, &swapped, err);
	if (!st)
		st = read_data(path, fp, raw, swapped, err);
	znzclose(fp);
	if (st) {
		free(raw->data);
		raw->data = NULL;
	}
	return st;
}

static void scaling(const struct nifti_1_header *h, double *slope, double *inter)
{
	*slope = h->scl_slope != 0.0f ? h->scl_slope : 1.0;
	*inter = h->scl_slope != 0.0f ? h->scl_inter : 0.0;
}

enum dlld_status dlld_nifti_read_volume(const char *path, struct dlld_volume **out,
					struct dlld_error *err)
{
	struct nifti_raw raw;
	struct dlld_volume *v;
	double slope, inter;
	enum dlld_status st;

	*out = NULL;
	st = nifti_load_raw(path, &raw, err);
	if (st)
		return st;
	v = dlld_volume_create(&raw.geom, err);
	if (!v) {
		free(raw.data);
		return dlld_ct_status(err);
	}
	scaling(&raw.hdr, &slope, &inter);
	raw.type->convert(raw.data, raw.nvox, slope, inter, v->hu);
	dlld_ct_provenance_path(&v->prov, path);
	snprintf(v->prov.original_datatype, sizeof v->prov.original_datatype, "%s",
		 raw.type->name);
	free(raw.data);
	*out = v;
	return DLLD_STATUS_OK;
}

enum dlld_status dlld_nifti_read_labels(const char *path, struct dlld_labelmap **out,
					struct dlld_error *err)
{
	struct nifti_raw raw;
	struct dlld_labelmap *m;
	double slope, inter;
	enum dlld_status st;

	*out = NULL;
	st = nifti_load_raw(path, &raw, err);
	if (st)
		return st;
	m = dlld_labelmap_create(&raw.geom, err);
	if (!m) {
		free(raw.data);
		return dlld_ct_status(err);
	}
	scaling(&raw.hdr, &slope, &inter);
	for (size_t i = 0; i < raw.nvox; i++) {
		double x = raw.type->value(raw.data, i) * slope + inter;
		if (!(x >= 0.0 && x <= 65535.0) || x != floor(x)) {
			st = dlld_error_set_where(err, DLLD_STATUS_MALFORMED, path, "voxel", (long long)i,
						  "label value %g is not an integer in 0..65535", x);
			free(raw.data);
			dlld_labelmap_destroy(m);
			return st;
		}
		m->label[i] = (uint16_t)x;
	}
	free(raw.data);
	*out = m;
	return DLLD_STATUS_OK;
}

/* Fills h for geometry g and datatype t: sform = qform = LPS affine → RAS. */
static void make_header(const struct dlld_geometry *g, const struct nifti_type_info *t,
			struct nifti_1_header *h)
{
	int dims[8] = {3, g->dims[0], g->dims[1], g->dims[2], 1, 1, 1, 1};
	nifti_image *nim = nifti_make_new_nim(dims, t->code, 0);
	mat44 ras;
	float qb, qc, qd, qx, qy, qz, dx, dy, dz, qfac;

	memset(&ras, 0, sizeof ras);
	for (int r = 0; r < 3; r++)
		for (int c = 0; c < 4; c++)
			ras.m[r][c] = (float)(r < 2 ? -g->affine[r][c] : g->affine[r][c]);
	ras.m[3][3] = 1.0f;
	nifti_mat44_to_quatern(ras, &qb, &qc, &qd, &qx, &qy, &qz, &dx, &dy, &dz, &qfac);
	nim->qform_code = NIFTI_XFORM_SCANNER_ANAT;
	nim->sform_code = NIFTI_XFORM_SCANNER_ANAT;
	nim->quatern_b = qb, nim->quatern_c = qc, nim->quatern_d = qd;
	nim->qoffset_x = qx, nim->qoffset_y = qy, nim->qoffset_z = qz;
	nim->qfac = qfac;
	nim->dx = nim->pixdim[1] = (float)g->spacing_mm[0];
	nim->dy = nim->pixdim[2] = (float)g->spacing_mm[1];
	nim->dz = nim->pixdim[3] = (float)g->spacing_mm[2];
	nim->sto_xyz = ras;
	nim->xyz_units = NIFTI_UNITS_MM;
	nim->nifti_type = NIFTI_FTYPE_NIFTI1_1;
	nim->iname_offset = 352;
	*h = nifti_convert_nim2nhdr(nim);
	nifti_image_free(nim);
}

/* Writes header + data to path atomically (gzip when it ends in .gz). */
static enum dlld_status write_nifti(const char *path, const struct nifti_1_header *h,
				    const void *data, size_t nbytes, struct dlld_error *err)
{
	char tmp[1100];
	static const char extension[4] = {0, 0, 0, 0};
	znzFile fp;
	bool ok;
	enum dlld_status st = dlld_atomic_temp_name(path, tmp, sizeof tmp, err);

	if (st)
		return st;
	fp = znzopen(tmp, "wb", nifti_is_gzfile(path));
	if (znz_isnull(fp))
		return dlld_error_set(err, DLLD_STATUS_WRITE, path, "cannot create");
	ok = znzwrite(h, 1, sizeof *h, fp) == sizeof *h &&
	     znzwrite(extension, 1, sizeof extension, fp) == sizeof extension &&
	     znzwrite(data, 1, nbytes, fp) == nbytes;
	ok = znzclose(fp) == 0 && ok;
	if (!ok) {
		remove(tmp);
		return dlld_error_set(err, DLLD_STATUS_WRITE, path, "write failed (disk full?)");
	}
	return dlld_atomic_rename(tmp, path, err);
}

enum dlld_status dlld_nifti_write_volume(const struct dlld_volume *v, const char *path,
					 enum dlld_nifti_type type, struct dlld_error *err)
{
	const struct nifti_type_info *t;
	struct nifti_1_header h;
	size_t n, nbytes;
	void *buf;
	enum dlld_status st;

	if ((unsigned)type >= DLLD_NIFTI_TYPE_COUNT || !dlld_geometry_voxels(&v->geom, &n))
		return dlld_error_set(err, DLLD_STATUS_USAGE, path, "bad NIfTI type or volume size");
	t = &write_types[type];
	make_header(&v->geom, t, &h);
	if (!dlld_size_mul(n, (size_t)t->bitpix / 8, &nbytes))
		return dlld_error_set(err, DLLD_STATUS_NO_MEMORY, path, "volume too large");
	buf = dlld_calloc(nbytes, 1, "NIfTI output", err);
	if (!buf)
		return dlld_ct_status(err);
	dlld_ct_convert_float(v->hu, n, type, buf);
	st = write_nifti(path, &h, buf, nbytes, err);
	free(buf);
	return st;
}

enum dlld_status dlld_nifti_write_labels(const struct dlld_labelmap *m, const char *path,
					 struct dlld_error *err)
{
	struct nifti_1_header h;
	uint16_t max = 0;
	uint8_t *buf8;
	size_t n;
	enum dlld_status st;

	if (!dlld_geometry_voxels(&m->geom, &n))
		return dlld_error_set(err, DLLD_STATUS_USAGE, path, "bad label map size");
	for (size_t i = 0; i < n; i++)
		max = m->label[i] > max ? m->label[i] : max;
	if (max > 255) {
		make_header(&m->geom, &write_types[DLLD_NIFTI_TYPE_UINT16], &h);
		return write_nifti(path, &h, m->label, n * sizeof *m->label, err);
	}
	make_header(&m->geom, &write_types[DLLD_NIFTI_TYPE_UINT8], &h);
	buf8 = dlld_calloc(n, 1, "NIfTI label output", err);
	if (!buf8)
		return dlld_ct_status(err);
	for (size_t i = 0; i < n; i++)
		buf8[i] = (uint8_t)m->label[i];
	st = write_nifti(path, &h, buf8, n, err);
	free(buf8);
	return st;
}

/* nn/tensorfile.c — see tensorfile.h. */
#include "nn/tensorfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "tensor files are little-endian");

bool dlld_tensorfile_sniff(const char *path)
{
	char magic[8];
	FILE *fp = fopen(path, "rb");
	bool ok = fp && fread(magic, 1, 8, fp) == 8 && memcmp(magic, DLLD_TENSORFILE_MAGIC, 8) == 0;

	if (fp)
		fclose(fp);
	return ok;
}

static enum dlld_status read_bytes(struct dlld_tensor_reader *r, void *dst, size_t n,
				   const char *what, struct dlld_error *err)
{
	if ((long long)n > r->size - r->offset || fread(dst, 1, n, r->fp) != n)
		return dlld_error_set_where(err, DLLD_STATUS_MALFORMED, r->path, what, r->offset,
					    "file ends inside %s", what);
	r->offset += (long long)n;
	return DLLD_STATUS_OK;
}

enum dlld_status dlld_tensor_reader_open(struct dlld_tensor_reader *r, const char *path,
					 struct dlld_error *err)
{
	char magic[8];
	uint32_t version;
	enum dlld_status st;

	memset(r, 0, sizeof *r);
	snprintf(r->path, sizeof r->path, "%s", path);
	r->fp = fopen(path, "rb");
	if (!r->fp)
		return dlld_error_set(err, DLLD_STATUS_NOT_FOUND, path, "cannot open: %s",
				      strerror(errno));
	if (fseeko(r->fp, 0, SEEK_END) != 0 || (r->size = ftello(r->fp)) < 0 ||
	    fseeko(r->fp, 0, SEEK_SET) != 0) {
		dlld_tensor_reader_close(r);
		return dlld_error_set(err, DLLD_STATUS_NOT_FOUND, path, "cannot seek");
	}
	st = read_bytes(r, magic, 8, "magic", err);
	if (st == DLLD_STATUS_OK && memcmp(magic, DLLD_TENSORFILE_MAGIC, 8) != 0)
		st = dlld_error_set_where(err, DLLD_STATUS_MALFORMED, path, "magic", 0,
					  "not a DLLD tensor file");
	if (st == DLLD_STATUS_OK)
		st = read_bytes(r, &version, 4, "version", err);
	if (st == DLLD_STATUS_OK && version != DLLD_TENSORFILE_VERSION)
		st = dlld_error_set_where(err, DLLD_STATUS_MALFORMED, path, "version", 8,
					  "version %u, this build reads %u", version,
					  DLLD_TENSORFILE_VERSION);
	if (st == DLLD_STATUS_OK)
		st = read_bytes(r, &r->remaining, 4, "tensor count", err);
	if (st == DLLD_STATUS_OK)
		st = read_bytes(r, &r->seen, 8, "seen", err);
	if (st != DLLD_STATUS_OK)
		dlld_tensor_reader_close(r);
	return st;
}

enum dlld_status dlld_tensor_reader_next(struct dlld_tensor_reader *r, struct dlld_tensor *t,
					 bool *done, struct dlld_error *err)
{
	uint16_t len;
	uint32_t ndim;
	size_t count = 1, bytes;
	long long at = r->offset;
	enum dlld_status st;

	*done = r->remaining == 0;
	if (*done)
		return r->offset == r->size
			       ? DLLD_STATUS_OK
			       : dlld_error_set_where(err, DLLD_STATUS_MALFORMED, r->path, "end",
						      r->offset, "%lld bytes after the last tensor",
						      r->size - r->offset);
	r->remaining--;
	memset(t, 0, sizeof *t);
	st = read_bytes(r, &len, 2, "tensor name length", err);
	if (st == DLLD_STATUS_OK && (len == 0 || len >= sizeof t->name))
		st = dlld_error_set_where(err, DLLD_STATUS_MALFORMED, r->path, "name", at,
					  "tensor name length %u", len);
	if (st == DLLD_STATUS_OK)
		st = read_bytes(r, t->name, len, "tensor name", err);
	if (st == DLLD_STATUS_OK)
		st = read_bytes(r, &ndim, 4, "ndim", err);
	if (st == DLLD_STATUS_OK && ndim > DLLD_TENSOR_MAX_DIMS)
		st = dlld_error_set_where(err, DLLD_STATUS_MALFORMED, r->path, t->name, at,
					  "%u dimensions (at most %d)", ndim, DLLD_TENSOR_MAX_DIMS);
	if (st == DLLD_STATUS_OK)
		st = read_bytes(r, t->dims, 8 * (size_t)ndim, "dims", err);
	if (st != DLLD_STATUS_OK)
		return st;
	t->ndim = (int)ndim;
	for (uint32_t d = 0; d < ndim; d++)
		if (t->dims[d] > SIZE_MAX || !dlld_size_mul(count, (size_t)t->dims[d], &count))
			return dlld_error_set_where(err, DLLD_STATUS_MALFORMED, r->path, t->name, at,
						   "dimensions overflow");
	if (!dlld_size_mul(count, sizeof(float), &bytes) ||
	    (unsigned long long)bytes > (unsigned long long)(r->size - r->offset))
		return dlld_error_set_where(err, DLLD_STATUS_MALFORMED, r->path, t->name,
					    r->offset, "%zu values but only %lld bytes left",
					    count, r->size - r->offset);
	t->count = count;
	return DLLD_STATUS_OK;
}

enum dlld_status dlld_tensor_reader_data(struct dlld_tensor_reader *r, float *dst, size_t count,
					 struct dlld_error *err)
{
	return read_bytes(r, dst, count * sizeof(float), "tensor data", err);
}

enum dlld_status dlld_tensor_reader_skip(struct dlld_tensor_reader *r, size_t count,
					 struct dlld_error *err)
{
	long long bytes = (long long)(count * sizeof(float));

	if (bytes > r->size - r->offset || fseeko(r->fp, bytes, SEEK_CUR) != 0)
		return dlld_error_set_where(err, DLLD_STATUS_MALFORMED, r->path, "tensor data",
					    r->offset, "file ends inside tensor data");
	r->offset += bytes;
	return DLLD_STATUS_OK;
}

void dlld_tensor_reader_close(struct dlld_tensor_reader *r)
{
	if (r->fp)
		fclose(r->fp);
	r->fp = NULL;
}

enum dlld_status dlld_tensorfile_read(const char *path, struct dlld_tensorfile **out,
				      struct dlld_error *err)
{
	struct dlld_tensor_reader r;
	struct dlld_tensorfile *tf;
	enum dlld_status st = dlld_tensor_reader_open(&r, path, err);
	bool done = false;

	*out = NULL;
	if (st != DLLD_STATUS_OK)
		return st;
	tf = dlld_calloc(1, sizeof *tf, "tensor file", err);
	if (tf)
		tf->tensors = dlld_calloc(r.remaining + 1u, sizeof *tf->tensors, "tensors", err);
	if (!tf || !tf->tensors) {
		st = DLLD_STATUS_NO_MEMORY;
		goto out;
	}
	tf->seen = r.seen;
	while (st == DLLD_STATUS_OK) {
		struct dlld_tensor *t = &tf->tensors[tf->n];
		st = dlld_tensor_reader_next(&r, t, &done, err);
		if (st != DLLD_STATUS_OK || done)
			break;
		tf->n++;
		t->data = dlld_calloc(t->count + 1, sizeof(float), t->name, err);
		st = t->data ? dlld_tensor_reader_data(&r, t->data, t->count, err)
			     : DLLD_STATUS_NO_MEMORY;
	}
out:
	dlld_tensor_reader_close(&r);
	if (st != DLLD_STATUS_OK) {
		dlld_tensorfile_destroy(tf);
		return st;
	}
	*out = tf;
	return st;
}

void dlld_tensorfile_destroy(struct dlld_tensorfile *tf)
{
	if (!tf)
		return;
	for (int i = 0; tf->tensors && i < tf->n; i++)
		free(tf->tensors[i].data);
	free(tf->tensors);
	free(tf);
}

const struct dlld_tensor *dlld_tensorfile_find(const struct dlld_tensorfile *tf, const char *name)
{
	for (int i = 0; i < tf->n; i++)
		if (strcmp(tf->tensors[i].name, name) == 0)
			return &tf->tensors[i];
	return NULL;
}

enum dlld_status dlld_tensorfile_write(const char *path, uint64_t seen,
				       const struct dlld_tensor *tensors, int n,
				       struct dlld_error *err)
{
	struct dlld_atomic_file af;
	uint32_t version = DLLD_TENSORFILE_VERSION, count = (uint32_t)n;
	enum dlld_status st = dlld_atomic_open(&af, path, err);
	bool ok;

	if (st != DLLD_STATUS_OK)
		return st;
	ok = fwrite(DLLD_TENSORFILE_MAGIC, 1, 8, af.fp) == 8 && fwrite(&version, 4, 1, af.fp) == 1 &&
	     fwrite(&count, 4, 1, af.fp) == 1 && fwrite(&seen, 8, 1, af.fp) == 1;
	for (int i = 0; ok && i < n; i++) {
		const struct dlld_tensor *t = &tensors[i];
		uint16_t len = (uint16_t)strlen(t->name);
		uint32_t ndim = (uint32_t)t->ndim;
		ok = fwrite(&len, 2, 1, af.fp) == 1 && fwrite(t->name, 1, len, af.fp) == len &&
		     fwrite(&ndim, 4, 1, af.fp) == 1 &&
		     fwrite(t->dims, 8, ndim, af.fp) == ndim &&
		     fwrite(t->data, sizeof(float), t->count, af.fp) == t->count;
	}
	if (!ok) {
		dlld_atomic_abort(&af);
		return dlld_error_set(err, DLLD_STATUS_WRITE, path, "write failed: %s",
				      strerror(errno));
	}
	return dlld_atomic_commit(&af, err);
}

/*
 * nn/tensorfile.h — DLLD's tensor file: the model weights format and the
 * test fixtures' format (tools/torch_fixtures.py writes it too).
 *
 * Little-endian throughout:
 *   char[8]  magic "DLLDTNSR"
 *   u32      version (1)
 *   u32      number of tensors
 *   u64      seen (images seen in training; 0 when not a checkpoint)
 *   per tensor:
 *     u16    name length (1..255), then the name bytes (no NUL)
 *     u32    ndim (0..8), then ndim × u64 dims
 *     f32    data, prod(dims) values (1 for ndim 0), row-major
 * Readers check every size against the bytes left before trusting it.
 */
#ifndef DLLD_NN_TENSORFILE_H
#define DLLD_NN_TENSORFILE_H

#include "dlld/core.h"

#define DLLD_TENSORFILE_MAGIC "DLLDTNSR"
#define DLLD_TENSORFILE_VERSION 1u
#define DLLD_TENSOR_MAX_DIMS 8

struct dlld_tensor {
	char name[256];
	int ndim;
	uint64_t dims[DLLD_TENSOR_MAX_DIMS];
	size_t count;     /* product of dims */
	float *data;
};

/* Streaming reader: open, then next/read or next/skip per tensor. */
struct dlld_tensor_reader {
	FILE *fp;
	char path[512];
	uint32_t remaining;  /* tensors not yet announced by next */
	uint64_t seen;
	long long offset;    /* bytes consumed */
	long long size;      /* file size */
};

/* Returns whether the file at path starts with the magic. */
bool dlld_tensorfile_sniff(const char *path);
/* Opens path and reads the header: fills r. */
enum dlld_status dlld_tensor_reader_open(struct dlld_tensor_reader *r, const char *path,
					 struct dlld_error *err);
/* Fills t's name, ndim, dims and count (not data) for the next tensor;
 * *done is set at the end (then t is untouched). */
enum dlld_status dlld_tensor_reader_next(struct dlld_tensor_reader *r, struct dlld_tensor *t,
					 bool *done, struct dlld_error *err);
/* Reads the announced tensor's count floats into dst, or skips them. */
enum dlld_status dlld_tensor_reader_data(struct dlld_tensor_reader *r, float *dst, size_t count,
					 struct dlld_error *err);
enum dlld_status dlld_tensor_reader_skip(struct dlld_tensor_reader *r, size_t count,
					 struct dlld_error *err);
void dlld_tensor_reader_close(struct dlld_tensor_reader *r);

/* A whole file in memory. */
struct dlld_tensorfile {
	uint64_t seen;
	int n;
	struct dlld_tensor *tensors; /* data point into their own allocations */
};
/* Reads every tensor of path: returns new file in *out. */
enum dlld_status dlld_tensorfile_read(const char *path, struct dlld_tensorfile **out,
				      struct dlld_error *err);
void dlld_tensorfile_destroy(struct dlld_tensorfile *tf); /* accepts NULL */
/* Borrows the tensor called name, or NULL. */
const struct dlld_tensor *dlld_tensorfile_find(const struct dlld_tensorfile *tf,
					       const char *name);

/* Writes n tensors to path atomically. Borrows tensors. */
enum dlld_status dlld_tensorfile_write(const char *path, uint64_t seen,
				       const struct dlld_tensor *tensors, int n,
				       struct dlld_error *err);

#endif

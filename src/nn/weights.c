/*
 * nn/weights.c — darknet .weights and DLLD tensor files (tensorfile.h).
 *
 * darknet .weights, little-endian: i32 major, minor, revision; `seen` as u64
 * when major·10 + minor >= 2 (and both < 1000), else u32; then, layer by
 * layer, each convolution's biases, [scales, rolling_mean,
 * rolling_variance when batch_normalize], weights — float32, in the order of
 * struct dlld_layer's params. darknet's "transposed" flag (major or minor
 * > 1000) only concerns fully connected layers and is ignored, as darknet
 * ignores it for convolutions. We write major 0, minor 2, revision 0.
 */
#include "nn/network.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nn/tensorfile.h"

static const char *const format_names[DLLD_WEIGHTS_FORMAT_COUNT] = {
	[DLLD_WEIGHTS_FORMAT_DARKNET] = "darknet",
	[DLLD_WEIGHTS_FORMAT_DLLD] = "dlld",
};
_Static_assert(sizeof format_names / sizeof format_names[0] == DLLD_WEIGHTS_FORMAT_COUNT,
	       "weights format names");

const char *dlld_weights_format_name(enum dlld_weights_format format)
{
	return (unsigned)format < DLLD_WEIGHTS_FORMAT_COUNT ? format_names[format] : "?";
}

static int layer_limit(const struct dlld_network *net, int max_layers)
{
	return max_layers > 0 && max_layers < net->n_layers ? max_layers : net->n_layers;
}

/* ---- darknet ------------------------------------------------------------------ */

static enum dlld_status darknet_read(struct dlld_network *net, FILE *fp, const char *path,
				     long long size, int limit, struct dlld_error *err)
{
	int32_t head[3];
	long long at = 12;

	if (size < 16 || fread(head, 4, 3, fp) != 3)
		return dlld_error_set_where(err, DLLD_STATUS_MALFORMED, path, "header", 0,
					    "too short for a darknet .weights header");
	if (head[0] < 1000 && head[1] < 1000 && (int64_t)head[0] * 10 + head[1] >= 2) {
		uint64_t seen;
		if (fread(&seen, 8, 1, fp) != 1)
			return dlld_error_set_where(err, DLLD_STATUS_MALFORMED, path, "seen", at,
						    "file ends in the header");
		net->seen = seen;
		at += 8;
	} else {
		uint32_t seen;
		if (fread(&seen, 4, 1, fp) != 1)
			return dlld_error_set_where(err, DLLD_STATUS_MALFORMED, path, "seen", at,
						    "file ends in the header");
		net->seen = seen;
		at += 4;
	}
	for (int j = 0; j < net->n_params; j++) {
		const struct dlld_param_ref *ref = &net->params[j];
		struct dlld_param *p = &net->layers[ref->layer].params[ref->slot];
		char where[64];
		if (ref->layer >= limit)
			break;
		snprintf(where, sizeof where, "layer %d %s", ref->layer, p->what);
		if ((long long)(p->count * sizeof(float)) > size - at ||
		    fread(p->data, sizeof(float), p->count, fp) != p->count)
			return dlld_error_set_where(err, DLLD_STATUS_MALFORMED, path, where, at,
						    "file ends: %zu floats needed, %lld bytes left",
						    p->count, size - at);
		at += (long long)(p->count * sizeof(float));
	}
	if (limit == net->n_layers && at != size)
		return dlld_error_set_where(err, DLLD_STATUS_INCONSISTENT, path, "end", at,
					    "%lld bytes left after the last layer: not this cfg's weights",
					    size - at);
	return DLLD_STATUS_OK;
}

static enum dlld_status load_darknet(struct dlld_network *net, const char *path, int limit,
				     struct dlld_error *err)
{
	FILE *fp = fopen(path, "rb");
	long long size;
	enum dlld_status st;

	if (!fp)
		return dlld_error_set(err, DLLD_STATUS_NOT_FOUND, path, "cannot open: %s",
				      strerror(errno));
	if (fseeko(fp, 0, SEEK_END) != 0 || (size = ftello(fp)) < 0 || fseeko(fp, 0, SEEK_SET)) {
		fclose(fp);
		return dlld_error_set(err, DLLD_STATUS_NOT_FOUND, path, "cannot seek");
	}
	st = darknet_read(net, fp, path, size, limit, err);
	fclose(fp);
	return st;
}

static enum dlld_status save_darknet(const struct dlld_network *net, const char *path,
				     struct dlld_error *err)
{
	struct dlld_atomic_file af;
	int32_t head[3] = {0, 2, 0};
	uint64_t seen = net->seen;
	enum dlld_status st = dlld_atomic_open(&af, path, err);
	bool ok;

	if (st != DLLD_STATUS_OK)
		return st;
	ok = fwrite(head, 4, 3, af.fp) == 3 && fwrite(&seen, 8, 1, af.fp) == 1;
	for (int j = 0; ok && j < net->n_params; j++) {
		const struct dlld_param *p =
			&net->layers[net->params[j].layer].params[net->params[j].slot];
		ok = fwrite(p->data, sizeof(float), p->count, af.fp) == p->count;
	}
	if (!ok) {
		dlld_atomic_abort(&af);
		return dlld_error_set(err, DLLD_STATUS_WRITE, path, "write failed: %s",
				      strerror(errno));
	}
	return dlld_atomic_commit(&af, err);
}

/* ---- DLLD tensor file ---------------------------------------------------------- */

/* Returns the parameter called name ("<layer>.<what>"), or NULL. */
static struct dlld_param *find_param(struct dlld_network *net, const char *name, int *layer)
{
	for (int j = 0; j < net->n_params; j++) {
		struct dlld_param *p = &net->layers[net->params[j].layer].params[net->params[j].slot];
		char full[300];
		snprintf(full, sizeof full, "%d.%s", net->params[j].layer, p->what);
		if (strcmp(full, name) == 0) {
			*layer = net->params[j].layer;
			return p;
		}
	}
	return NULL;
}

static enum dlld_status load_one(struct dlld_network *net, struct dlld_tensor_reader *r,
				 const struct dlld_tensor *t, int limit, int *loaded,
				 struct dlld_error *err)
{
	int layer = -1;
	struct dlld_param *p = find_param(net, t->name, &layer);

	if (!p)
		return dlld_error_set_where(err, DLLD_STATUS_INCONSISTENT, r->path, t->name,
					    r->offset, "no such parameter in this network");
	if (layer >= limit)
		return dlld_tensor_reader_skip(r, t->count, err);
	bool same_shape = t->ndim == p->ndim;
	for (int d = 0; same_shape && d < p->ndim; d++)
		same_shape = t->dims[d] == (uint64_t)p->dims[d];
	if (t->count != p->count || (t->ndim > 1 && !same_shape))
		return dlld_error_set_where(err, DLLD_STATUS_INCONSISTENT, r->path, t->name,
					    r->offset, "%zu values (%d dims), the network has %zu (%d dims)",
					    t->count, t->ndim, p->count, p->ndim);
	(*loaded)++;
	return dlld_tensor_reader_data(r, p->data, p->count, err);
}

static enum dlld_status load_dlld(struct dlld_network *net, const char *path, int limit,
				  struct dlld_error *err)
{
	struct dlld_tensor_reader r;
	struct dlld_tensor t;
	enum dlld_status st = dlld_tensor_reader_open(&r, path, err);
	int loaded = 0, wanted = 0;
	bool done = false;

	if (st != DLLD_STATUS_OK)
		return st;
	while (st == DLLD_STATUS_OK) {
		st = dlld_tensor_reader_next(&r, &t, &done, err);
		if (st != DLLD_STATUS_OK || done)
			break;
		st = load_one(net, &r, &t, limit, &loaded, err);
	}
	net->seen = r.seen;
	dlld_tensor_reader_close(&r);
	for (int j = 0; j < net->n_params; j++)
		wanted += net->params[j].layer < limit;
	if (st == DLLD_STATUS_OK && loaded != wanted)
		st = dlld_error_set(err, DLLD_STATUS_INCONSISTENT, path,
				    "holds %d of the %d parameter tensors needed", loaded, wanted);
	return st;
}

static enum dlld_status save_dlld(const struct dlld_network *net, const char *path,
				  struct dlld_error *err)
{
	struct dlld_tensor *t = dlld_calloc((size_t)net->n_params + 1, sizeof *t, "tensors", err);
	enum dlld_status st;

	if (!t)
		return DLLD_STATUS_NO_MEMORY;
	for (int j = 0; j < net->n_params; j++) {
		const struct dlld_param *p =
			&net->layers[net->params[j].layer].params[net->params[j].slot];
		snprintf(t[j].name, sizeof t[j].name, "%d.%s", net->params[j].layer, p->what);
		t[j].ndim = p->ndim;
		for (int d = 0; d < p->ndim; d++)
			t[j].dims[d] = (uint64_t)p->dims[d];
		t[j].count = p->count;
		t[j].data = p->data;
	}
	st = dlld_tensorfile_write(path, net->seen, t, net->n_params, err);
	free(t);
	return st;
}

enum dlld_status dlld_net_load_weights(struct dlld_network *net, const char *path,
				       int max_layers, struct dlld_error *err)
{
	int limit = layer_limit(net, max_layers);

	if (net->folded)
		return dlld_error_set(err, DLLD_STATUS_INCONSISTENT, path,
				      "batch norm is already folded: load weights before folding");
	dlld_net_unpack_weights(net);
	if (dlld_tensorfile_sniff(path))
		return load_dlld(net, path, limit, err);
	return load_darknet(net, path, limit, err);
}

enum dlld_status dlld_net_save_weights(const struct dlld_network *net, const char *path,
				       enum dlld_weights_format format, struct dlld_error *err)
{
	if (net->folded)
		return dlld_error_set(err, DLLD_STATUS_INCONSISTENT, path,
				      "a network with folded batch norm cannot be saved");
	if (format == DLLD_WEIGHTS_FORMAT_DLLD)
		return save_dlld(net, path, err);
	return save_darknet(net, path, err);
}

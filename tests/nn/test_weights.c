/* tests/nn/test_weights.c — darknet .weights and DLLD weight files: round
 * trips, header variants, partial loads, and malformed files (truncated,
 * trailing bytes, bad magic/version, absurd sizes) failing cleanly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlld/nn.h"
#include "harness.h"
#include "nn/tensorfile.h"

/* conv(bn) 3→4 3x3, maxpool, conv 4→2 1x1: params 4·4 + 108, 2 + 8. */
static const char cfg[] = "[net]\nwidth=6\nheight=6\nchannels=3\n"
			  "[convolutional]\nbatch_normalize=1\nfilters=4\nsize=3\npad=1\n"
			  "activation=leaky\n[maxpool]\nsize=2\nstride=2\n"
			  "[convolutional]\nfilters=2\nsize=1\nactivation=linear\n";
#define N_PARAMS (4 * 4 + 108 + 2 + 8)

static struct dlld_network *make(uint64_t seed)
{
	struct dlld_network *net = NULL;
	struct dlld_error err;

	CHECK_INT_EQ(dlld_net_create_from_text("w.cfg", cfg, NULL, &net, &err), DLLD_STATUS_OK);
	if (net && seed)
		dlld_net_init_weights(net, seed);
	return net;
}

/* Returns whether every parameter of the first `layers` layers is equal. */
static bool same_params(struct dlld_network *a, struct dlld_network *b, int layers)
{
	for (int j = 0; j < dlld_net_param_tensor_count(a); j++) {
		struct dlld_param_view va, vb;
		dlld_net_param_tensor(a, j, &va);
		dlld_net_param_tensor(b, j, &vb);
		if (va.layer < layers && memcmp(va.data, vb.data, va.count * sizeof(float)) != 0)
			return false;
	}
	return true;
}

static char *tmp(const char *name)
{
	static char path[8][1024];
	static int k;
	char *p = path[k++ % 8];

	snprintf(p, 1024, "%s/%s", dlld_test_tmpdir(), name);
	return p;
}

static void write_bytes(const char *path, const void *data, size_t n)
{
	FILE *fp = fopen(path, "wb");
	CHECK(fp && fwrite(data, 1, n, fp) == n);
	if (fp)
		fclose(fp);
}

static void test_round_trips(void)
{
	struct dlld_network *a = make(3), *b = make(0), *c = make(0);
	struct dlld_error err;
	char *dk = tmp("rt.weights"), *dl = tmp("rt.dlld");

	if (!a || !b || !c)
		goto out;
	CHECK_INT_EQ(dlld_net_param_count(a), N_PARAMS);
	dlld_net_set_seen(a, 123456789012ull);
	CHECK_INT_EQ(dlld_net_save_weights(a, dk, DLLD_WEIGHTS_FORMAT_DARKNET, &err), 0);
	CHECK_INT_EQ(dlld_net_save_weights(a, dl, DLLD_WEIGHTS_FORMAT_DLLD, &err), 0);
	CHECK_INT_EQ(dlld_net_load_weights(b, dk, 0, &err), 0);
	CHECK_INT_EQ(dlld_net_load_weights(c, dl, 0, &err), 0);
	CHECK(same_params(a, b, 99));
	CHECK(same_params(a, c, 99));
	CHECK_INT_EQ(dlld_net_seen(b), 123456789012ull);
	CHECK_INT_EQ(dlld_net_seen(c), 123456789012ull);
	/* DLLD file: named tensors with their shapes */
	struct dlld_tensorfile *tf = NULL;
	CHECK_INT_EQ(dlld_tensorfile_read(dl, &tf, &err), 0);
	if (tf) {
		const struct dlld_tensor *w = dlld_tensorfile_find(tf, "0.weights");
		CHECK(w && w->ndim == 4 && w->dims[0] == 4 && w->dims[1] == 3 && w->dims[3] == 3);
		CHECK(dlld_tensorfile_find(tf, "0.rolling_variance") != NULL);
		CHECK_INT_EQ(tf->seen, 123456789012ull);
		CHECK_INT_EQ(tf->n, 7);
	}
	dlld_tensorfile_destroy(tf);
	/* darknet layout: 20-byte header then the floats */
	char *data = NULL;
	size_t size = 0;
	CHECK_INT_EQ(dlld_read_file(dk, &data, &size, &err), 0);
	CHECK_INT_EQ(size, 20 + 4 * N_PARAMS);
	if (data && size >= 24) {
		int32_t head[3];
		memcpy(head, data, 12);
		CHECK_INT_EQ(head[0], 0);
		CHECK_INT_EQ(head[1], 2);
		struct dlld_param_view v;
		dlld_net_param_tensor(a, 0, &v); /* 0.biases comes first */
		CHECK(memcmp(data + 20, v.data, 4) == 0);
	}
	free(data);
out:
	dlld_net_destroy(a);
	dlld_net_destroy(b);
	dlld_net_destroy(c);
}

/* Version 0.1 headers carry a 32-bit seen. */
static void test_old_header(void)
{
	struct dlld_network *a = make(4), *b = make(0);
	struct dlld_error err;
	char *path = tmp("old.weights");
	size_t n = 16 + 4 * N_PARAMS;
	unsigned char *buf = calloc(1, n);
	int32_t head[4] = {0, 1, 0, 77};
	size_t at = 16;

	if (!a || !b || !buf)
		goto out;
	memcpy(buf, head, 16);
	for (int j = 0; j < dlld_net_param_tensor_count(a); j++) {
		struct dlld_param_view v;
		dlld_net_param_tensor(a, j, &v);
		memcpy(buf + at, v.data, v.count * 4);
		at += v.count * 4;
	}
	write_bytes(path, buf, n);
	CHECK_INT_EQ(dlld_net_load_weights(b, path, 0, &err), 0);
	CHECK(same_params(a, b, 99));
	CHECK_INT_EQ(dlld_net_seen(b), 77);
out:
	free(buf);
	dlld_net_destroy(a);
	dlld_net_destroy(b);
}

/* Transfer learning: the first layer only, from a full file or a file that
 * holds only that layer (darknet's *.conv.N files). */
static void test_partial(void)
{
	struct dlld_network *a = make(5), *b = make(6), *b0 = make(6);
	struct dlld_error err;
	char *full = tmp("full.weights"), *cut = tmp("cut.weights");
	char *data = NULL;
	size_t size = 0;

	if (!a || !b || !b0)
		goto out;
	CHECK_INT_EQ(dlld_net_save_weights(a, full, DLLD_WEIGHTS_FORMAT_DARKNET, &err), 0);
	CHECK_INT_EQ(dlld_net_load_weights(b, full, 1, &err), 0);
	CHECK(same_params(a, b, 1));
	CHECK(!same_params(a, b, 99));
	CHECK(same_params(b, b0, 99) == false);
	/* layers ≥ 1 untouched */
	struct dlld_param_view vb, vb0;
	dlld_net_param_tensor(b, dlld_net_param_tensor_count(b) - 1, &vb);
	dlld_net_param_tensor(b0, dlld_net_param_tensor_count(b0) - 1, &vb0);
	CHECK(memcmp(vb.data, vb0.data, vb.count * 4) == 0);
	CHECK_INT_EQ(dlld_read_file(full, &data, &size, &err), 0);
	write_bytes(cut, data, 20 + 4 * (4 * 4 + 108));
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_net_load_weights(b0, cut, 1, &err), 0);
	CHECK(same_params(a, b0, 1));
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_net_load_weights(b0, cut, 0, &err), DLLD_STATUS_MALFORMED);
	CHECK(strstr(err.where, "layer 2") != NULL);
out:
	free(data);
	dlld_net_destroy(a);
	dlld_net_destroy(b);
	dlld_net_destroy(b0);
}

static void test_bad_darknet(void)
{
	struct dlld_network *a = make(7), *b = make(0);
	struct dlld_error err;
	char *full = tmp("f.weights"), *bad = tmp("bad.weights");
	char *data = NULL, *longer = NULL;
	size_t size = 0;

	if (!a || !b)
		goto out;
	CHECK_INT_EQ(dlld_net_save_weights(a, full, DLLD_WEIGHTS_FORMAT_DARKNET, &err), 0);
	CHECK_INT_EQ(dlld_read_file(full, &data, &size, &err), 0);
	write_bytes(bad, data, size - 3);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_net_load_weights(b, bad, 0, &err), DLLD_STATUS_MALFORMED);
	CHECK_STR_EQ(err.file, bad);
	write_bytes(bad, data, 10);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_net_load_weights(b, bad, 0, &err), DLLD_STATUS_MALFORMED);
	longer = calloc(1, size + 8);
	memcpy(longer, data, size);
	write_bytes(bad, longer, size + 8);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_net_load_weights(b, bad, 0, &err), DLLD_STATUS_INCONSISTENT);
	CHECK(strstr(err.reason, "8 bytes left") != NULL);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_net_load_weights(b, tmp("absent"), 0, &err), DLLD_STATUS_NOT_FOUND);
out:
	free(data);
	free(longer);
	dlld_net_destroy(a);
	dlld_net_destroy(b);
}

/* Hand-built DLLD files: each defect gives its error, never a crash. */
static void test_bad_dlld(void)
{
	struct dlld_network *b = make(0);
	struct dlld_error err;
	char *bad = tmp("bad.dlld");
	unsigned char buf[256];
	size_t n;
	uint32_t u32;
	uint64_t u64;
	uint16_t u16;

#define PUT(v) (memcpy(buf + n, &(v), sizeof(v)), n += sizeof(v))
	if (!b)
		return;
	struct {
		uint32_t version, count;
		uint64_t dim;
		size_t data_floats;
		const char *name;
		enum dlld_status want;
	} cases[] = {
		{2, 1, 4, 4, "0.biases", DLLD_STATUS_MALFORMED},          /* version */
		{1, 1, 1ull << 62, 1, "0.biases", DLLD_STATUS_MALFORMED}, /* absurd size */
		{1, 1, 1, 1, "9.weights", DLLD_STATUS_INCONSISTENT},      /* unknown tensor */
		{1, 1, 3, 3, "0.biases", DLLD_STATUS_INCONSISTENT},       /* wrong count */
		{1, 1, 4, 3, "0.biases", DLLD_STATUS_MALFORMED},          /* short data */
		{1, 5, 4, 4, "0.biases", DLLD_STATUS_MALFORMED},          /* count beyond the file */
		{1, 1, 4, 4, "0.biases", DLLD_STATUS_INCONSISTENT},       /* tensors missing */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		n = 0;
		memcpy(buf, DLLD_TENSORFILE_MAGIC, 8);
		n = 8;
		u32 = cases[i].version;
		PUT(u32);
		u32 = cases[i].count;
		PUT(u32);
		u64 = 0;
		PUT(u64);
		u16 = (uint16_t)strlen(cases[i].name);
		PUT(u16);
		memcpy(buf + n, cases[i].name, u16);
		n += u16;
		u32 = 1;
		PUT(u32);
		u64 = cases[i].dim;
		PUT(u64);
		memset(buf + n, 0, 4 * cases[i].data_floats);
		n += 4 * cases[i].data_floats;
		write_bytes(bad, buf, n);
		dlld_error_clear(&err);
		CHECK_MSG(dlld_net_load_weights(b, bad, 0, &err) == cases[i].want,
			  "case %zu: %s", i, err.reason);
		CHECK_STR_EQ(err.file, bad);
	}
#undef PUT
	dlld_net_destroy(b);
}

/* Folded networks refuse to save or load (their batch norm is gone). */
static void test_folded_refuses(void)
{
	struct dlld_network *a = make(8);
	struct dlld_error err;

	if (!a)
		return;
	dlld_net_fold_batchnorm(a);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_net_save_weights(a, tmp("x.weights"), DLLD_WEIGHTS_FORMAT_DARKNET, &err),
		     DLLD_STATUS_INCONSISTENT);
	dlld_net_destroy(a);
}

int main(void)
{
	dlld_test_run("darknet and DLLD round trips keep every value and seen", test_round_trips);
	dlld_test_run("darknet 0.1 header (32-bit seen)", test_old_header);
	dlld_test_run("partial loads for transfer learning", test_partial);
	dlld_test_run("truncated, too long, missing darknet files", test_bad_darknet);
	dlld_test_run("malformed DLLD files", test_bad_dlld);
	dlld_test_run("folded network cannot be saved", test_folded_refuses);
	return dlld_test_finish();
}

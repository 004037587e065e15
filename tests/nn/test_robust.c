/* tests/nn/test_robust.c — malformed input never crashes: a few thousand
 * seeded random edits of a small cfg (characters deleted, replaced,
 * inserted, digits changed, lines repeated) and of weight files (bytes flipped,
 * files cut) must each give a documented status, and every cfg that plans
 * must run forward and backward. Run under ASan+UBSan by `make SAN=1`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlld/nn.h"
#include "harness.h"

static const char base_cfg[] = "[net]\nwidth=8\nheight=8\nchannels=2\n"
			       "[convolutional]\nbatch_normalize=1\nfilters=4\nsize=3\npad=1\n"
			       "stride=1\ngroups=2\nactivation=leaky\n"
			       "[maxpool]\nsize=2\nstride=2\n"
			       "[convolutional]\nfilters=6\nsize=1\nactivation=linear\n"
			       "[shortcut]\nfrom=-1\nactivation=linear\n"
			       "[route]\nlayers=-1,-3\ngroups=2\ngroup_id=0\n"
			       "[upsample]\nstride=2\n"
			       "[convolutional]\nfilters=12\nsize=1\nactivation=logistic\n"
			       "[yolo]\nmask=0,1\nanchors=1,2,3,4,5,6\nnum=3\nclasses=1\n";

static bool documented(enum dlld_status st)
{
	return st == DLLD_STATUS_OK || st == DLLD_STATUS_MALFORMED ||
	       st == DLLD_STATUS_INCONSISTENT || st == DLLD_STATUS_NO_MEMORY;
}

/* One random edit of text (NUL-terminated, capacity cap). */
static void mutate(char *text, size_t cap, struct dlld_rng *rng)
{
	static const char alphabet[] = "0123456789-,=[]#\n abcdefghijklmnopqrstuvwxyz.";
	size_t len = strlen(text), at = len ? (size_t)dlld_rng_below(rng, len) : 0;
	char c = alphabet[dlld_rng_below(rng, sizeof alphabet - 1)];

	switch (dlld_rng_below(rng, 6)) {
	case 4:
	case 5: /* another digit: keeps the structure, changes a value */
		while (at < len && (text[at] < '0' || text[at] > '9'))
			at++;
		if (at < len)
			text[at] = (char)('0' + dlld_rng_below(rng, 10));
		break;
	case 0: /* delete */
		if (len)
			memmove(text + at, text + at + 1, len - at);
		break;
	case 1: /* replace */
		if (len)
			text[at] = c;
		break;
	case 2: /* insert */
		if (len + 2 < cap) {
			memmove(text + at + 1, text + at, len - at + 1);
			text[at] = c;
		}
		break;
	default: { /* repeat a line */
		char *start = text + at, *end;
		while (start > text && start[-1] != '\n')
			start--;
		end = strchr(start, '\n');
		size_t n = end ? (size_t)(end - start) + 1 : strlen(start);
		if (len + n + 1 < cap) {
			memmove(start + n, start, strlen(start) + 1);
		}
		break;
	}
	}
}

static void exercise(struct dlld_network *net)
{
	struct dlld_shape in = dlld_net_input_shape(net);
	float *x = calloc(dlld_shape_count(in) + 1, sizeof *x);

	for (size_t i = 0; i < dlld_shape_count(in); i++)
		x[i] = (float)(i % 7) - 3.0f;
	dlld_net_init_weights(net, 1);
	dlld_net_set_train(net, true);
	dlld_net_forward(net, NULL, x);
	dlld_net_zero_deltas(net);
	for (int i = 0; i < dlld_net_layer_count(net); i++) {
		struct dlld_shape s;
		dlld_net_output(net, i, &s);
		float *d = dlld_net_delta(net, i);
		for (size_t k = 0; d && k < dlld_shape_count(s); k++)
			d[k] = 0.01f;
	}
	dlld_net_backward(net, NULL, x);
	free(x);
}

static void test_mutated_cfgs(void)
{
	struct dlld_rng rng;
	char text[4096];
	int planned = 0, refused = 0;

	dlld_rng_seed(&rng, 77);
	for (int trial = 0; trial < 3000; trial++) {
		struct dlld_net_options o = {.batch = 2, .training = true};
		struct dlld_network *net = NULL;
		struct dlld_error err;
		enum dlld_status st;
		snprintf(text, sizeof text, "%s", base_cfg);
		for (uint64_t e = 0, n = 1 + dlld_rng_below(&rng, 3); e < n; e++)
			mutate(text, sizeof text, &rng);
		dlld_error_clear(&err);
		st = dlld_net_create_from_text("m.cfg", text, &o, &net, &err);
		CHECK_MSG(documented(st), "trial %d: status %d", trial, st);
		CHECK_MSG((st == DLLD_STATUS_OK) == (net != NULL), "trial %d", trial);
		if (st != DLLD_STATUS_OK) {
			CHECK_MSG(err.reason[0] != '\0', "trial %d: no reason", trial);
			refused++;
			continue;
		}
		if (dlld_net_peak_memory(net) < (64u << 20))
			exercise(net);
		planned++;
		dlld_net_destroy(net);
	}
	CHECK_MSG(planned > 100 && refused > 100, "%d planned, %d refused", planned, refused);
}

static void test_mutated_weights(void)
{
	struct dlld_network *net = NULL;
	struct dlld_error err;
	struct dlld_rng rng;
	const char *dir = dlld_test_tmpdir();
	char path[2][1024], bad[1024];

	CHECK_INT_EQ(dlld_net_create_from_text("w.cfg", base_cfg, NULL, &net, &err), 0);
	if (!net)
		return;
	dlld_net_init_weights(net, 2);
	snprintf(path[0], sizeof path[0], "%s/w.weights", dir);
	snprintf(path[1], sizeof path[1], "%s/w.dlld", dir);
	snprintf(bad, sizeof bad, "%s/bad", dir);
	CHECK_INT_EQ(dlld_net_save_weights(net, path[0], DLLD_WEIGHTS_FORMAT_DARKNET, &err), 0);
	CHECK_INT_EQ(dlld_net_save_weights(net, path[1], DLLD_WEIGHTS_FORMAT_DLLD, &err), 0);
	dlld_rng_seed(&rng, 78);
	for (int trial = 0; trial < 600; trial++) {
		char *data = NULL;
		size_t size = 0;
		FILE *fp;
		CHECK_INT_EQ(dlld_read_file(path[trial % 2], &data, &size, &err), 0);
		if (!data)
			break;
		/* flips in the first 64 bytes (headers, names, dims) or a cut */
		if (dlld_rng_below(&rng, 3) == 0) {
			size = (size_t)dlld_rng_below(&rng, size);
		} else {
			for (int k = 0; k < 3; k++)
				data[dlld_rng_below(&rng, size < 64 ? size : 64)] ^=
					(char)(1u << dlld_rng_below(&rng, 8));
		}
		fp = fopen(bad, "wb");
		if (fp) {
			fwrite(data, 1, size, fp);
			fclose(fp);
		}
		free(data);
		dlld_error_clear(&err);
		enum dlld_status st = dlld_net_load_weights(net, bad, 0, &err);
		CHECK_MSG(documented(st), "trial %d: status %d", trial, st);
	}
	dlld_net_destroy(net);
}

int main(void)
{
	dlld_test_run("3000 mutated cfgs: documented status, no crash", test_mutated_cfgs);
	dlld_test_run("600 mutated weight files: documented status, no crash", test_mutated_weights);
	return dlld_test_finish();
}

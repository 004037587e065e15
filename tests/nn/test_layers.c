/* tests/nn/test_layers.c — every layer kind on tiny inputs whose outputs
 * were worked out by hand; batch-norm folding; box decoding; identical
 * results for 1 and 2 threads. */
#include <stdlib.h>
#include <string.h>

#include "dlld/nn.h"
#include "harness.h"

#define NET(w, h, ch) "[net]\nwidth=" #w "\nheight=" #h "\nchannels=" #ch "\n"

static struct dlld_network *make(const char *cfg, bool training)
{
	struct dlld_net_options o = {.batch = 1, .training = training, .keep_outputs = true};
	struct dlld_error err;
	struct dlld_network *net = NULL;

	dlld_error_clear(&err);
	if (dlld_net_create_from_text("t.cfg", cfg, &o, &net, &err) != DLLD_STATUS_OK)
		CHECK_MSG(false, "%s:%ld: %s", err.file, err.line, err.reason);
	return net;
}

/* Copies values into the parameter called name. */
static void set_param(struct dlld_network *net, const char *name, const float *values, size_t n)
{
	for (int j = 0; j < dlld_net_param_tensor_count(net); j++) {
		struct dlld_param_view v;
		dlld_net_param_tensor(net, j, &v);
		if (strcmp(v.name, name) == 0) {
			CHECK_INT_EQ(v.count, n);
			memcpy(v.data, values, n * sizeof(float));
			return;
		}
	}
	CHECK_MSG(false, "no parameter %s", name);
}

static void check_output(struct dlld_network *net, int layer, const float *want, size_t n,
			 double tol)
{
	struct dlld_shape s;
	const float *out = dlld_net_output(net, layer, &s);

	CHECK_INT_EQ(dlld_shape_count(s), n);
	for (size_t i = 0; i < n && i < dlld_shape_count(s); i++)
		CHECK_NEAR(out[i], want[i], tol);
}

static const float ramp9[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};

static void test_conv_valid(void)
{
	struct dlld_network *net = make(NET(3, 3, 1) "[convolutional]\nfilters=1\nsize=2\n"
						     "activation=linear\n[convolutional]\nfilters=1\n"
						     "size=1\nactivation=leaky\n", false);
	const float w[4] = {1, 2, 3, 4}, b = 0.5f, w1 = 1, b1 = -50;
	const float want0[4] = {37.5f, 47.5f, 67.5f, 77.5f};
	const float want1[4] = {-1.25f, -0.25f, 17.5f, 27.5f};

	if (!net)
		return;
	set_param(net, "0.weights", w, 4);
	set_param(net, "0.biases", &b, 1);
	set_param(net, "1.weights", &w1, 1);
	set_param(net, "1.biases", &b1, 1);
	dlld_net_forward(net, NULL, ramp9);
	check_output(net, 0, want0, 4, 1e-5);
	check_output(net, 1, want1, 4, 1e-5);
	dlld_net_destroy(net);
}

/* pad=1 means size/2 = 1; stride 2: out = (3 + 2 − 3)/2 + 1 = 2. */
static void test_conv_padded_strided(void)
{
	struct dlld_network *net = make(NET(3, 3, 1) "[convolutional]\nfilters=1\nsize=3\n"
						     "stride=2\npad=1\nactivation=linear\n", false);
	const float w[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1}, want[4] = {12, 16, 24, 28};

	if (!net)
		return;
	set_param(net, "0.weights", w, 9);
	dlld_net_forward(net, NULL, ramp9);
	check_output(net, 0, want, 4, 1e-5);
	dlld_net_destroy(net);
}

/* groups=2: filter 0 sees channel 0 only, filter 1 channel 1 only. */
static void test_conv_groups(void)
{
	struct dlld_network *net = make(NET(2, 1, 2) "[convolutional]\nfilters=2\nsize=1\n"
						     "groups=2\nactivation=linear\n", false);
	const float w[2] = {2, -3}, in[4] = {1, 2, 10, 20}, want[4] = {2, 4, -30, -60};

	if (!net)
		return;
	set_param(net, "0.weights", w, 2);
	dlld_net_forward(net, NULL, in);
	check_output(net, 0, want, 4, 1e-5);
	dlld_net_destroy(net);
}

/* Batch norm with rolling statistics, then folded: the same output. */
static void test_batchnorm_and_fold(void)
{
	struct dlld_network *net = make(NET(2, 1, 1) "[convolutional]\nbatch_normalize=1\n"
						     "filters=2\nsize=1\nactivation=leaky\n", false);
	const float w[2] = {1, -2}, beta[2] = {0.5f, 1}, gamma[2] = {2, 3};
	const float mean[2] = {1, 0}, var[2] = {4, 0.25f}, in[2] = {3, 5};
	/* f0: 2·(x − 1)/(2 + 1e-6) + 0.5 → x=3: 2.5, x=5: 4.5
	 * f1: 3·(−2x)/(0.5 + 1e-6) + 1 → −35, −59 → leaky −3.5, −5.9 */
	float want[4] = {2.5f, 4.5f, -3.5f, -5.9f};

	if (!net)
		return;
	set_param(net, "0.weights", w, 2);
	set_param(net, "0.biases", beta, 2);
	set_param(net, "0.scales", gamma, 2);
	set_param(net, "0.rolling_mean", mean, 2);
	set_param(net, "0.rolling_variance", var, 2);
	dlld_net_forward(net, NULL, in);
	check_output(net, 0, want, 4, 1e-4);
	dlld_net_fold_batchnorm(net);
	dlld_net_forward(net, NULL, in);
	check_output(net, 0, want, 4, 1e-4);
	dlld_net_destroy(net);
}

/* 2/2 halves; 2/1 (darknet padding 1) keeps the size, the last row and
 * column seeing only themselves and their right/lower neighbours. */
static void test_maxpool(void)
{
	struct dlld_network *net = make(NET(3, 3, 1) "[maxpool]\nsize=2\nstride=1\n"
						     "[maxpool]\nsize=2\nstride=2\n", false);
	const float in[9] = {1, 9, 2, 4, 3, 8, 7, 5, 6};
	const float want0[9] = {9, 9, 8, 7, 8, 8, 7, 6, 6};
	const float want1[4] = {9, 8, 7, 6};

	if (!net)
		return;
	dlld_net_forward(net, NULL, in);
	check_output(net, 0, want0, 9, 0);
	check_output(net, 1, want1, 4, 0);
	dlld_net_destroy(net);
}

static void test_upsample(void)
{
	struct dlld_network *net = make(NET(2, 2, 1) "[upsample]\nstride=2\nscale=0.5\n", false);
	const float in[4] = {1, 2, 3, 4};
	const float want[16] = {0.5f, 0.5f, 1, 1, 0.5f, 0.5f, 1, 1, 1.5f, 1.5f, 2, 2, 1.5f, 1.5f, 2, 2};

	if (!net)
		return;
	dlld_net_forward(net, NULL, in);
	check_output(net, 0, want, 16, 0);
	dlld_net_destroy(net);
}

/* layer 0: x (identity pool), 1: 2x (upsample stride 1 scale 2),
 * 2: concat(2x, x), 3: second half of layer 2's channels... */
static void test_route_and_shortcut(void)
{
	struct dlld_network *net = make(NET(1, 1, 2) "[maxpool]\nsize=1\nstride=1\n"
						     "[upsample]\nstride=1\nscale=2\n"
						     "[route]\nlayers=-1,0\n"
						     "[route]\nlayers=-1\ngroups=2\ngroup_id=1\n"
						     "[shortcut]\nfrom=1\nalpha=1\nbeta=-1\n"
						     "[route]\nlayers=-1\n", false);
	const float in[2] = {3, -4}, cat[4] = {6, -8, 3, -4}, half[2] = {3, -4};
	const float diff[2] = {-3, 4};

	if (!net)
		return;
	dlld_net_forward(net, NULL, in);
	check_output(net, 2, cat, 4, 0);
	check_output(net, 3, half, 2, 0);
	check_output(net, 4, diff, 2, 0);
	check_output(net, 5, diff, 2, 0);
	CHECK(dlld_net_output(net, 5, NULL) == dlld_net_output(net, 4, NULL)); /* a view */
	dlld_net_destroy(net);
}

/* One cell, one anchor slot, 1 class: channels x y w h obj cls. */
static void test_yolo_and_box(void)
{
	struct dlld_network *net = make(NET(2, 1, 6) "[yolo]\nmask=1\nanchors=2,3,8,4\nnum=2\n"
						     "classes=1\n", false);
	float in[12] = {0, 2, 0, -1, 0.5f, 1, 0, 0, 0, 0, 3, -3};
	struct dlld_yolo_info info;
	struct dlld_shape s;
	const float *out;
	struct dlld_box box;

	if (!net)
		return;
	dlld_net_forward(net, NULL, in);
	out = dlld_net_output(net, 0, &s);
	CHECK_NEAR(out[0], 0.5, 1e-6);
	CHECK_NEAR(out[1], 1 / (1 + exp(-2.0)), 1e-6);
	CHECK_NEAR(out[4], 0.5, 1e-6);   /* tw raw */
	CHECK_NEAR(out[5], 1.0, 1e-6);
	CHECK_NEAR(out[9], 0.5, 1e-6);
	CHECK_NEAR(out[10], 1 / (1 + exp(-3.0)), 1e-6);
	CHECK_NEAR(out[11], 1 / (1 + exp(3.0)), 1e-6);
	CHECK(dlld_net_yolo_info(net, 0, &info));
	CHECK_INT_EQ(info.mask[0], 1);
	box = dlld_yolo_box(&info, out, 2, 1, 0, 1, 0, 16, 8);
	CHECK_NEAR(box.x, (1 + 1 / (1 + exp(-2.0))) / 2, 1e-6);
	CHECK_NEAR(box.y, (0 + 1 / (1 + exp(1.0))) / 1, 1e-6);
	CHECK_NEAR(box.w, exp(1.0) * 8 / 16, 1e-6);
	CHECK_NEAR(box.h, exp(0.0) * 4 / 8, 1e-6);
	box = dlld_yolo_box(&info, out, 2, 1, 0, 0, 0, 16, 8);
	CHECK_NEAR(box.x, 0.25, 1e-6);
	CHECK_NEAR(box.w, exp(0.5) * 8 / 16, 1e-6);
	CHECK_NEAR(box.h, exp(0.0) * 4 / 8, 1e-6);
	dlld_net_destroy(net);
}

/* Backward by hand: conv 1x1 w=2, b=0, linear; L = Σ g·y with g = 1. */
static void test_backward_by_hand(void)
{
	struct dlld_network *net = make(NET(2, 1, 1) "[convolutional]\nfilters=1\nsize=1\n"
						     "activation=linear\n", true);
	const float w = 2, in[2] = {3, 4};
	float dx[2] = {10, 10}, *d;
	struct dlld_param_view v;

	if (!net)
		return;
	set_param(net, "0.weights", &w, 1);
	dlld_net_forward(net, NULL, in);
	dlld_net_zero_deltas(net);
	d = dlld_net_delta(net, 0);
	d[0] = d[1] = 1;
	dlld_net_backward(net, NULL, dx);
	CHECK_NEAR(dx[0], 12, 0); /* accumulated onto 10 */
	CHECK_NEAR(dx[1], 12, 0);
	dlld_net_param_tensor(net, 1, &v);
	CHECK_STR_EQ(v.name, "0.weights");
	CHECK_NEAR(v.grad[0], 7, 0);
	dlld_net_param_tensor(net, 0, &v);
	CHECK_NEAR(v.grad[0], 2, 0);
	/* SGD: lr 0.1, batch 1, momentum 0.9, decay 0.5: u = −7 − 0.5·2 = −8 */
	struct dlld_sgd sgd = {0.1, 0.9, 0.5, 1};
	dlld_net_update(net, &sgd);
	dlld_net_param_tensor(net, 1, &v);
	CHECK_NEAR(v.data[0], 2 - 0.8, 1e-6);
	CHECK_NEAR(v.grad[0], 0, 0);
	dlld_net_param_tensor(net, 0, &v);
	CHECK_NEAR(v.data[0], -0.2, 1e-6); /* bias: no decay */
	dlld_net_destroy(net);
}

/* yolov3-tiny at 96×64, batch 2: forward and backward are bitwise
 * identical on no pool, 1 thread and 2 threads. */
static void test_threads_identical(void)
{
	const char *cfg = "/usr/share/darknet/cfg/yolov3-tiny.cfg";
	struct dlld_net_options o = {.batch = 2, .width = 96, .height = 64, .training = true};
	struct dlld_network *net[3] = {NULL, NULL, NULL};
	struct dlld_pool *pool[3] = {NULL, NULL, NULL};
	struct dlld_error err;
	size_t n_in;
	float *in;
	struct dlld_rng rng;

	if (!dlld_path_exists(cfg))
		SKIP("%s not installed", cfg);
	pool[1] = dlld_pool_create(1, &err);
	pool[2] = dlld_pool_create(2, &err);
	for (int t = 0; t < 3; t++) {
		CHECK_INT_EQ(dlld_net_create_from_cfg(cfg, &o, &net[t], &err), DLLD_STATUS_OK);
		if (!net[t])
			goto out;
		dlld_net_init_weights(net[t], 5);
		dlld_net_set_train(net[t], true);
	}
	n_in = dlld_shape_count(dlld_net_input_shape(net[0]));
	in = malloc(n_in * sizeof *in);
	dlld_rng_seed(&rng, 9);
	for (size_t i = 0; i < n_in; i++)
		in[i] = (float)dlld_rng_uniform(&rng);
	for (int t = 0; t < 3; t++) {
		dlld_net_forward(net[t], pool[t], in);
		dlld_net_zero_deltas(net[t]);
		for (int i = 0; i < dlld_net_layer_count(net[t]); i++) {
			struct dlld_shape s;
			struct dlld_layer_info info;
			dlld_net_layer_info(net[t], i, &info);
			if (info.kind != DLLD_LAYER_KIND_YOLO)
				continue;
			const float *y = dlld_net_output(net[t], i, &s);
			float *d = dlld_net_delta(net[t], i);
			for (size_t k = 0; k < dlld_shape_count(s); k++)
				d[k] = y[k] - 0.25f;
		}
		dlld_net_backward(net[t], pool[t], NULL);
	}
	for (int t = 1; t < 3; t++) {
		for (int i = 0; i < dlld_net_layer_count(net[0]); i++) {
			struct dlld_shape s;
			const float *a = dlld_net_output(net[0], i, &s);
			const float *b = dlld_net_output(net[t], i, NULL);
			CHECK_MSG(memcmp(a, b, dlld_shape_count(s) * sizeof(float)) == 0,
				  "layer %d output differs with pool %d", i, t);
		}
		for (int j = 0; j < dlld_net_param_tensor_count(net[0]); j++) {
			struct dlld_param_view va, vb;
			dlld_net_param_tensor(net[0], j, &va);
			dlld_net_param_tensor(net[t], j, &vb);
			if (va.grad)
				CHECK_MSG(memcmp(va.grad, vb.grad, va.count * sizeof(float)) == 0,
					  "%s gradient differs with pool %d", va.name, t);
		}
	}
	free(in);
out:
	for (int t = 0; t < 3; t++) {
		dlld_net_destroy(net[t]);
		dlld_pool_destroy(pool[t]);
	}
}

/* At batch 1, inference: a concatenating route's inputs write into its
 * output (no copy); results equal a network that keeps every output apart. */
static void test_concat_in_place(void)
{
	const char *cfg = NET(5, 4, 2) "[convolutional]\nfilters=3\nsize=1\nactivation=leaky\n"
				       "[convolutional]\nfilters=4\nsize=3\npad=1\nactivation=leaky\n"
				       "[route]\nlayers=-1,-2\n"
				       "[convolutional]\nfilters=2\nsize=1\nactivation=linear\n";
	struct dlld_net_options o = {.batch = 1};
	struct dlld_network *shared = NULL, *kept = make(cfg, false);
	struct dlld_error err;
	float in[40];
	struct dlld_shape s;

	CHECK_INT_EQ(dlld_net_create_from_text("c.cfg", cfg, &o, &shared, &err), DLLD_STATUS_OK);
	if (!shared || !kept)
		goto out;
	for (int i = 0; i < 40; i++)
		in[i] = (float)((i * 7) % 11) / 11.0f - 0.4f;
	dlld_net_init_weights(shared, 4);
	dlld_net_init_weights(kept, 4);
	dlld_net_forward(shared, NULL, in);
	dlld_net_forward(kept, NULL, in);
	const float *route = dlld_net_output(shared, 2, NULL);
	CHECK(dlld_net_output(shared, 1, NULL) == route);
	CHECK(dlld_net_output(shared, 0, NULL) == route + 4 * 20);
	CHECK(dlld_net_output(kept, 1, NULL) != dlld_net_output(kept, 2, NULL));
	dlld_net_output(shared, 3, &s);
	CHECK(memcmp(dlld_net_output(shared, 3, NULL), dlld_net_output(kept, 3, NULL),
		     dlld_shape_count(s) * sizeof(float)) == 0);
	CHECK(memcmp(route, dlld_net_output(kept, 2, NULL), 7 * 20 * sizeof(float)) == 0);
out:
	dlld_net_destroy(shared);
	dlld_net_destroy(kept);
}

/* Pre-packed weights give bit-identical outputs. */
static void test_packed_identical(void)
{
	const char *cfg = "/usr/share/darknet/cfg/yolov3-tiny.cfg";
	struct dlld_net_options o = {.width = 96, .height = 64};
	struct dlld_network *net = NULL;
	struct dlld_error err;
	struct dlld_shape s;
	float *in, *before;

	if (!dlld_path_exists(cfg))
		SKIP("%s not installed", cfg);
	CHECK_INT_EQ(dlld_net_create_from_cfg(cfg, &o, &net, &err), DLLD_STATUS_OK);
	if (!net)
		return;
	dlld_net_init_weights(net, 3);
	dlld_net_fold_batchnorm(net);
	in = calloc(dlld_shape_count(dlld_net_input_shape(net)), sizeof *in);
	for (size_t i = 0; i < dlld_shape_count(dlld_net_input_shape(net)); i++)
		in[i] = (float)(i % 17) / 17.0f;
	dlld_net_forward(net, NULL, in);
	dlld_net_output(net, 23, &s);
	before = malloc(dlld_shape_count(s) * sizeof *before);
	memcpy(before, dlld_net_output(net, 23, NULL), dlld_shape_count(s) * sizeof *before);
	size_t plain = dlld_net_peak_memory(net);
	CHECK_INT_EQ(dlld_net_pack_weights(net, &err), DLLD_STATUS_OK);
	CHECK(dlld_net_peak_memory(net) > plain + dlld_net_param_count(net) * 3);
	dlld_net_forward(net, NULL, in);
	CHECK(memcmp(before, dlld_net_output(net, 23, NULL), dlld_shape_count(s) * sizeof *before) == 0);
	free(in);
	free(before);
	dlld_net_destroy(net);
}

int main(void)
{
	dlld_test_run("conv 2x2 valid, bias, leaky", test_conv_valid);
	dlld_test_run("conv 3x3 pad 1 stride 2", test_conv_padded_strided);
	dlld_test_run("conv groups", test_conv_groups);
	dlld_test_run("batch norm inference and folding", test_batchnorm_and_fold);
	dlld_test_run("maxpool 2/1 and 2/2 (darknet padding)", test_maxpool);
	dlld_test_run("upsample with scale", test_upsample);
	dlld_test_run("route concat, groups, view; shortcut", test_route_and_shortcut);
	dlld_test_run("yolo activations and box decoding", test_yolo_and_box);
	dlld_test_run("backward and SGD by hand", test_backward_by_hand);
	dlld_test_run("1 and 2 threads give identical results", test_threads_identical);
	dlld_test_run("packed weights give identical results", test_packed_identical);
	dlld_test_run("concatenating route without copies", test_concat_in_place);
	return dlld_test_finish();
}

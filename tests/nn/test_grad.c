/* tests/nn/test_grad.c — finite-difference gradient checks of every layer
 * kind (and a small network using them all), in training mode: batch norm on
 * batch statistics. The loss L = Σ G·out over the yolo layers and the last
 * layer (G random) is summed in double; every input value and every learnable
 * parameter is perturbed by ±h. Points where the one-sided slopes disagree
 * (a leaky or max-pool kink inside ±h) are skipped and counted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlld/nn.h"
#include "harness.h"

#define H 2e-3

struct case_ {
	struct dlld_network *net;
	float *input, *input_grad;
	float **g;        /* per layer: G or NULL */
	size_t n_input;
};

static bool is_output(struct dlld_network *net, int i)
{
	struct dlld_layer_info info;

	dlld_net_layer_info(net, i, &info);
	return info.kind == DLLD_LAYER_KIND_YOLO || i == dlld_net_layer_count(net) - 1;
}

static double loss(struct case_ *c)
{
	double sum = 0.0;

	dlld_net_forward(c->net, NULL, c->input);
	for (int i = 0; i < dlld_net_layer_count(c->net); i++) {
		struct dlld_shape s;
		const float *out = dlld_net_output(c->net, i, &s);
		if (!c->g[i])
			continue;
		for (size_t k = 0; k < dlld_shape_count(s); k++)
			sum += (double)c->g[i][k] * out[k];
	}
	return sum;
}

struct tally {
	int checked, skipped, bad;
};

/* Compares analytic with the central difference at *x. */
static void check_point(struct case_ *c, float *x, float analytic, const char *what, size_t k,
			struct tally *t)
{
	float x0 = *x;
	double l0, lp, lm, sp, sm, fd;

	l0 = loss(c);
	*x = x0 + (float)H;
	lp = loss(c);
	*x = x0 - (float)H;
	lm = loss(c);
	*x = x0;
	sp = (lp - l0) / H;
	sm = (l0 - lm) / H;
	if (fabs(sp - sm) > 0.01 * (fabs(sp) + fabs(sm)) + 4e-3) {
		t->skipped++;
		return;
	}
	fd = (lp - lm) / (2 * H);
	t->checked++;
	if (fabs(fd - analytic) > 5e-3 + 1e-2 * fabs(fd)) {
		if (t->bad++ < 3)
			printf("  %s[%zu]: analytic %.6g, numeric %.6g\n", what, k,
			       (double)analytic, fd);
	}
}

/* Fails when more than max_bad of the checked points disagree (float
 * forwards make a rare kink inside ±h invisible to the slope test). */
static void gradcheck_tol(const char *cfg, int batch, uint64_t seed, double max_bad)
{
	struct dlld_net_options o = {.batch = batch, .training = true};
	struct dlld_error err;
	struct case_ c = {0};
	struct dlld_rng rng;
	struct tally t = {0, 0, 0};
	int n;

	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_net_create_from_text("grad.cfg", cfg, &o, &c.net, &err), DLLD_STATUS_OK);
	if (!c.net) {
		CHECK_MSG(false, "%s", err.reason);
		return;
	}
	n = dlld_net_layer_count(c.net);
	dlld_rng_seed(&rng, seed);
	dlld_net_init_weights(c.net, seed);
	dlld_net_set_train(c.net, true);
	c.n_input = dlld_shape_count(dlld_net_input_shape(c.net));
	c.input = calloc(c.n_input, sizeof(float));
	c.input_grad = calloc(c.n_input, sizeof(float));
	c.g = calloc((size_t)n, sizeof *c.g);
	for (size_t k = 0; k < c.n_input; k++)
		c.input[k] = (float)dlld_rng_range(&rng, -1, 1);
	dlld_net_forward(c.net, NULL, c.input);
	dlld_net_zero_deltas(c.net);
	for (int i = 0; i < n; i++) {
		struct dlld_shape s;
		if (!is_output(c.net, i))
			continue;
		dlld_net_output(c.net, i, &s);
		c.g[i] = calloc(dlld_shape_count(s), sizeof(float));
		for (size_t k = 0; k < dlld_shape_count(s); k++)
			c.g[i][k] = (float)dlld_rng_range(&rng, -1, 1);
		float *d = dlld_net_delta(c.net, i);
		for (size_t k = 0; k < dlld_shape_count(s); k++)
			d[k] += c.g[i][k];
	}
	dlld_net_backward(c.net, NULL, c.input_grad);
	for (size_t k = 0; k < c.n_input; k++)
		check_point(&c, &c.input[k], c.input_grad[k], "input", k, &t);
	for (int j = 0; j < dlld_net_param_tensor_count(c.net); j++) {
		struct dlld_param_view v;
		dlld_net_param_tensor(c.net, j, &v);
		for (size_t k = 0; v.grad && k < v.count; k++)
			check_point(&c, &v.data[k], v.grad[k], v.name, k, &t);
	}
	CHECK_MSG(t.bad <= max_bad * t.checked, "%d of %d gradients wrong", t.bad, t.checked);
	CHECK_MSG(t.checked >= 4 * t.skipped, "%d checked, %d skipped at kinks", t.checked,
		  t.skipped);
	for (int i = 0; i < n; i++)
		free(c.g[i]);
	free(c.g);
	free(c.input);
	free(c.input_grad);
	dlld_net_destroy(c.net);
}

static void gradcheck(const char *cfg, int batch, uint64_t seed)
{
	gradcheck_tol(cfg, batch, seed, 0.0);
}

#define NET(w, h, ch) "[net]\nwidth=" #w "\nheight=" #h "\nchannels=" #ch "\n"

static void test_conv_plain(void)
{
	gradcheck(NET(5, 4, 2) "[convolutional]\nfilters=3\nsize=3\nstride=1\npad=1\n"
			       "activation=leaky\n", 2, 1);
}

static void test_conv_bn_strided_grouped(void)
{
	gradcheck(NET(6, 5, 4) "[convolutional]\nbatch_normalize=1\nfilters=4\nsize=3\nstride=2\n"
			       "pad=1\ngroups=2\nactivation=leaky\n", 2, 2);
}

static void test_conv_pointwise_logistic(void)
{
	gradcheck(NET(4, 3, 3) "[convolutional]\nfilters=2\nsize=1\nstride=1\npad=1\n"
			       "activation=logistic\n", 2, 3);
}

static void test_conv_bn_linear(void)
{
	gradcheck(NET(3, 3, 2) "[convolutional]\nbatch_normalize=1\nfilters=3\nsize=1\n"
			       "activation=linear\n", 3, 4);
}

static void test_maxpool(void)
{
	gradcheck(NET(5, 5, 2) "[convolutional]\nfilters=2\nsize=1\nactivation=linear\n"
			       "[maxpool]\nsize=2\nstride=2\n[maxpool]\nsize=2\nstride=1\n", 2, 5);
}

static void test_upsample(void)
{
	gradcheck(NET(3, 2, 2) "[convolutional]\nfilters=2\nsize=1\nactivation=linear\n"
			       "[upsample]\nstride=2\n[upsample]\nstride=1\nscale=0.5\n", 1, 6);
}

static void test_route(void)
{
	gradcheck(NET(3, 3, 2) "[convolutional]\nfilters=4\nsize=1\nactivation=linear\n"
			       "[convolutional]\nfilters=2\nsize=3\npad=1\nactivation=leaky\n"
			       "[route]\nlayers=-1,-2\n[route]\nlayers=-2\n"
			       "[route]\nlayers=-1,0\ngroups=2\ngroup_id=1\n"
			       "[convolutional]\nfilters=2\nsize=1\nactivation=linear\n", 2, 7);
}

static void test_shortcut(void)
{
	gradcheck(NET(3, 3, 2) "[convolutional]\nfilters=3\nsize=1\nactivation=linear\n"
			       "[convolutional]\nfilters=3\nsize=3\npad=1\nactivation=leaky\n"
			       "[shortcut]\nfrom=-2\nactivation=leaky\nalpha=0.7\nbeta=1.3\n", 2, 8);
}

static void test_yolo(void)
{
	gradcheck(NET(4, 4, 2) "[convolutional]\nfilters=12\nsize=1\nactivation=linear\n"
			       "[yolo]\nmask=1,2\nanchors=2,3,4,5,6,7\nnum=3\nclasses=1\n", 2, 9);
}

/* Every kind together, shaped like yolov3-tiny's head. */
static void test_small_network(void)
{
	gradcheck_tol(NET(8, 8, 3)
		  "[convolutional]\nbatch_normalize=1\nfilters=4\nsize=3\npad=1\nactivation=leaky\n"
		  "[maxpool]\nsize=2\nstride=2\n"
		  "[convolutional]\nbatch_normalize=1\nfilters=6\nsize=3\npad=1\nactivation=leaky\n"
		  "[maxpool]\nsize=2\nstride=1\n"
		  "[convolutional]\nfilters=12\nsize=1\nactivation=linear\n"
		  "[yolo]\nmask=0,1\nanchors=2,3,4,5\nnum=2\nclasses=1\n"
		  "[route]\nlayers=-3\n"
		  "[upsample]\nstride=2\n"
		  "[route]\nlayers=-1,0\n"
		  "[shortcut]\nfrom=-1\n"
		  "[convolutional]\nfilters=12\nsize=1\nactivation=linear\n"
		  "[yolo]\nmask=0,1\nanchors=2,3,4,5\nnum=2\nclasses=1\n",
		  2, 10, 0.005);
}

int main(void)
{
	dlld_test_run("conv 3x3 leaky", test_conv_plain);
	dlld_test_run("conv batch norm, stride 2, groups 2", test_conv_bn_strided_grouped);
	dlld_test_run("conv 1x1 logistic", test_conv_pointwise_logistic);
	dlld_test_run("conv 1x1 batch norm linear", test_conv_bn_linear);
	dlld_test_run("maxpool 2/2 and 2/1", test_maxpool);
	dlld_test_run("upsample and scale", test_upsample);
	dlld_test_run("route concat, view, groups", test_route);
	dlld_test_run("shortcut with alpha, beta, leaky", test_shortcut);
	dlld_test_run("yolo activations", test_yolo);
	dlld_test_run("small network of every kind", test_small_network);
	return dlld_test_finish();
}

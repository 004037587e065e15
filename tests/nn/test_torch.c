/* tests/nn/test_torch.c — the engine against PyTorch: every layer kind and
 * a reduced-width yolov3-tiny (filters/8, 64×64, batch 2), forward and
 * backward in training mode. Fixtures: tests/nn/fixtures/torch_*.{cfg,bin}
 * written by tools/torch_fixtures.py (Debian python3-torch 1.13); tensor
 * names are listed there. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlld/nn.h"
#include "harness.h"
#include "nn/tensorfile.h"

#define FIX "tests/nn/fixtures/torch_"

/* |got − want| ≤ atol + rtol·|want| everywhere; reports the worst. */
static void compare(const char *what, const float *got, const struct dlld_tensor *want,
		    size_t n, double atol, double rtol)
{
	double worst = 0.0;
	size_t at = 0;

	if (!want) {
		CHECK_MSG(false, "%s: missing from the fixture", what);
		return;
	}
	CHECK_MSG(want->count == n, "%s: %zu values, fixture %zu", what, n, want->count);
	for (size_t i = 0; i < n && i < want->count; i++) {
		double excess = fabs((double)got[i] - want->data[i]) -
				(atol + rtol * fabs((double)want->data[i]));
		if (excess > worst) {
			worst = excess;
			at = i;
		}
	}
	CHECK_MSG(worst <= 0.0, "%s[%zu]: %.7g vs torch %.7g", what, at, (double)got[at],
		  (double)want->data[at]);
}

static const struct dlld_tensor *find(const struct dlld_tensorfile *tf, const char *fmt, int i,
				      const char *what)
{
	char name[300];

	snprintf(name, sizeof name, fmt, i, what);
	return dlld_tensorfile_find(tf, name);
}

/* Loads the fixture's parameters into net. */
static void load_params(struct dlld_network *net, const struct dlld_tensorfile *tf)
{
	for (int j = 0; j < dlld_net_param_tensor_count(net); j++) {
		struct dlld_param_view v;
		const struct dlld_tensor *t;
		dlld_net_param_tensor(net, j, &v);
		t = dlld_tensorfile_find(tf, v.name);
		CHECK_MSG(t && t->count == v.count, "parameter %s missing or mis-sized", v.name);
		if (t && t->count == v.count)
			memcpy(v.data, t->data, v.count * sizeof(float));
	}
}

static void check_forward(struct dlld_network *net, const struct dlld_tensorfile *tf,
			  double tol)
{
	for (int i = 0; i < dlld_net_layer_count(net); i++) {
		struct dlld_shape s;
		const float *y = dlld_net_output(net, i, &s);
		char what[32];
		snprintf(what, sizeof what, "out.%d", i);
		compare(what, y, find(tf, "out.%d", i, ""), dlld_shape_count(s), tol, tol);
	}
}

static void check_backward(struct dlld_network *net, const struct dlld_tensorfile *tf,
			   const float *dinput, double tol)
{
	struct dlld_shape in = dlld_net_input_shape(net);

	compare("dinput", dinput, dlld_tensorfile_find(tf, "dinput"), dlld_shape_count(in), tol,
		tol);
	for (int j = 0; j < dlld_net_param_tensor_count(net); j++) {
		struct dlld_param_view v;
		char name[300];
		dlld_net_param_tensor(net, j, &v);
		if (v.grad) {
			snprintf(name, sizeof name, "dgrad.%s", v.name);
			compare(name, v.grad, dlld_tensorfile_find(tf, name), v.count, tol, tol);
		} else {
			snprintf(name, sizeof name, "after.%s", v.name);
			compare(name, v.data, dlld_tensorfile_find(tf, name), v.count, 1e-6, 1e-5);
		}
	}
}

static void run_fixture(const char *name, double fwd_tol, double bwd_tol)
{
	char cfg[256], bin[256];
	struct dlld_tensorfile *tf = NULL;
	struct dlld_network *net = NULL;
	struct dlld_error err;
	const struct dlld_tensor *input;
	float *dinput = NULL;

	snprintf(cfg, sizeof cfg, FIX "%s.cfg", name);
	snprintf(bin, sizeof bin, FIX "%s.bin", name);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_tensorfile_read(bin, &tf, &err), DLLD_STATUS_OK);
	if (!tf)
		return;
	input = dlld_tensorfile_find(tf, "input");
	CHECK(input && input->ndim == 4);
	if (!input || input->ndim != 4)
		goto out;
	struct dlld_net_options o = {.batch = (int)input->dims[0], .training = true};
	CHECK_INT_EQ(dlld_net_create_from_cfg(cfg, &o, &net, &err), DLLD_STATUS_OK);
	if (!net)
		goto out;
	CHECK_INT_EQ(dlld_shape_count(dlld_net_input_shape(net)), input->count);
	load_params(net, tf);
	dlld_net_set_train(net, true);
	dlld_net_forward(net, NULL, input->data);
	check_forward(net, tf, fwd_tol);
	dlld_net_zero_deltas(net);
	for (int i = 0; i < dlld_net_layer_count(net); i++) {
		const struct dlld_tensor *g = find(tf, "grad.%d", i, "");
		struct dlld_shape s;
		dlld_net_output(net, i, &s);
		if (!g)
			continue;
		CHECK_INT_EQ(g->count, dlld_shape_count(s));
		float *d = dlld_net_delta(net, i);
		for (size_t k = 0; k < g->count && k < dlld_shape_count(s); k++)
			d[k] += g->data[k];
	}
	dinput = calloc(input->count, sizeof(float));
	dlld_net_backward(net, NULL, dinput);
	check_backward(net, tf, dinput, bwd_tol);
out:
	free(dinput);
	dlld_net_destroy(net);
	dlld_tensorfile_destroy(tf);
}

static void test_conv(void)
{
	run_fixture("conv", 1e-5, 1e-4);
}

static void test_pool(void)
{
	run_fixture("pool", 1e-5, 1e-4);
}

static void test_route(void)
{
	run_fixture("route", 1e-5, 1e-4);
}

static void test_tiny(void)
{
	run_fixture("tiny", 1e-4, 1e-3);
}

int main(void)
{
	dlld_test_run("conv: batch norm, stride, groups, 1x1 (torch)", test_conv);
	dlld_test_run("maxpool and upsample (torch)", test_pool);
	dlld_test_run("shortcut, route, yolo (torch)", test_route);
	dlld_test_run("yolov3-tiny/8 forward + backward (torch)", test_tiny);
	return dlld_test_finish();
}

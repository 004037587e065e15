/* tests/nn/test_torch.c — the engine against PyTorch: every layer kind, a
 * reduced-width yolov3-tiny (filters/8, 64×64, batch 2) and the real
 * yolov3-tiny cfg at 64×64 with dlld's seed-11 random weights, forward and
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

/* `partial`: the fixture holds only some tensors (compare those). */
static void check_forward(struct dlld_network *net, const struct dlld_tensorfile *tf,
			  double tol, bool partial)
{
	int compared = 0;

	for (int i = 0; i < dlld_net_layer_count(net); i++) {
		struct dlld_shape s;
		const float *y = dlld_net_output(net, i, &s);
		const struct dlld_tensor *want = find(tf, "out.%d", i, "");
		char what[32];
		if (!want && partial)
			continue;
		snprintf(what, sizeof what, "out.%d", i);
		compare(what, y, want, dlld_shape_count(s), tol, tol);
		compared++;
	}
	CHECK(compared > 0);
}

static void check_backward(struct dlld_network *net, const struct dlld_tensorfile *tf,
			   const float *dinput, double tol, bool partial)
{
	int compared = 0;

	struct dlld_shape in = dlld_net_input_shape(net);

	compare("dinput", dinput, dlld_tensorfile_find(tf, "dinput"), dlld_shape_count(in), tol,
		tol);
	for (int j = 0; j < dlld_net_param_tensor_count(net); j++) {
		struct dlld_param_view v;
		char name[300];
		dlld_net_param_tensor(net, j, &v);
		snprintf(name, sizeof name, v.grad ? "dgrad.%s" : "after.%s", v.name);
		if (partial && !dlld_tensorfile_find(tf, name))
			continue;
		if (v.grad)
			compare(name, v.grad, dlld_tensorfile_find(tf, name), v.count, tol, tol);
		else
			compare(name, v.data, dlld_tensorfile_find(tf, name), v.count, 1e-6, 1e-5);
		compared++;
	}
	CHECK(compared > 0);
}

/* One fixture: the network comes from `cfg` (NULL: torch_<name>.cfg) with
 * the fixture's parameters, or, when seed is not 0, with dlld's random
 * weights of that seed at size×size (the fixture then holds some tensors). */
struct fixture {
	const char *name, *cfg;
	uint64_t seed;
	int size;
	double fwd_tol, bwd_tol;
};

static void run_fixture(const struct fixture *fx)
{
	char cfg[256], bin[256];
	struct dlld_tensorfile *tf = NULL;
	struct dlld_network *net = NULL;
	struct dlld_error err;
	const struct dlld_tensor *input;
	float *dinput = NULL;
	bool partial = fx->seed != 0;

	snprintf(cfg, sizeof cfg, FIX "%s.cfg", fx->name);
	snprintf(bin, sizeof bin, FIX "%s.bin", fx->name);
	if (fx->cfg && !dlld_path_exists(fx->cfg))
		SKIP("%s not installed", fx->cfg);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_tensorfile_read(bin, &tf, &err), DLLD_STATUS_OK);
	if (!tf)
		return;
	input = dlld_tensorfile_find(tf, "input");
	CHECK(input && input->ndim == 4);
	if (!input || input->ndim != 4)
		goto out;
	struct dlld_net_options o = {.batch = (int)input->dims[0], .width = fx->size,
				     .height = fx->size, .training = true};
	CHECK_INT_EQ(dlld_net_create_from_cfg(fx->cfg ? fx->cfg : cfg, &o, &net, &err),
		     DLLD_STATUS_OK);
	if (!net)
		goto out;
	CHECK_INT_EQ(dlld_shape_count(dlld_net_input_shape(net)), input->count);
	if (partial)
		dlld_net_init_weights(net, fx->seed);
	else
		load_params(net, tf);
	dlld_net_set_train(net, true);
	dlld_net_forward(net, NULL, input->data);
	check_forward(net, tf, fx->fwd_tol, partial);
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
	check_backward(net, tf, dinput, fx->bwd_tol, partial);
out:
	free(dinput);
	dlld_net_destroy(net);
	dlld_tensorfile_destroy(tf);
}

static const struct fixture fixtures[] = {
	{"conv", NULL, 0, 0, 1e-5, 1e-4},
	{"pool", NULL, 0, 0, 1e-5, 1e-4},
	{"route", NULL, 0, 0, 1e-5, 1e-4},
	{"tiny", NULL, 0, 0, 1e-4, 1e-3},
	{"tiny_full", "/usr/share/darknet/cfg/yolov3-tiny.cfg", 11, 64, 1e-4, 1e-3},
};

static void test_conv(void)
{
	run_fixture(&fixtures[0]);
}

static void test_pool(void)
{
	run_fixture(&fixtures[1]);
}

static void test_route(void)
{
	run_fixture(&fixtures[2]);
}

static void test_tiny(void)
{
	run_fixture(&fixtures[3]);
}

static void test_tiny_full(void)
{
	run_fixture(&fixtures[4]);
}

int main(void)
{
	dlld_test_run("conv: batch norm, stride, groups, 1x1 (torch)", test_conv);
	dlld_test_run("maxpool and upsample (torch)", test_pool);
	dlld_test_run("shortcut, route, yolo (torch)", test_route);
	dlld_test_run("yolov3-tiny/8 forward + backward (torch)", test_tiny);
	dlld_test_run("yolov3-tiny full width 64x64 forward + backward (torch)", test_tiny_full);
	return dlld_test_finish();
}

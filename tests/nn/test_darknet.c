/* tests/nn/test_darknet.c — parity with Debian's real darknet: yolov3-tiny
 * and yolov3 (the unchanged cfgs at 96×64) with dlld's random weights
 * (seed 7) on a committed input; darknet's yolo outputs were dumped by
 * tools/darknet_compare.sh (docs/nn.md) and are committed as fixtures. The
 * weights also go through a darknet .weights file and a DLLD file. */
#include <stdlib.h>
#include <string.h>

#include "dlld/nn.h"
#include "harness.h"

#define CFG "/usr/share/darknet/cfg/yolov3-tiny.cfg"
#define FIX "tests/nn/fixtures/darknet_tiny_96x64"

static float *read_floats(const char *path, size_t n)
{
	struct dlld_error err;
	char *data = NULL;
	size_t size = 0;
	float *out;

	if (dlld_read_file(path, &data, &size, &err) != DLLD_STATUS_OK || size != n * 4) {
		CHECK_MSG(false, "%s: %zu bytes, expected %zu", path, size, n * 4);
		free(data);
		return NULL;
	}
	out = malloc(size);
	memcpy(out, data, size);
	free(data);
	return out;
}

/* Fills *net with yolov3-tiny at 96×64 holding the seed-7 weights, read
 * back from a file of `format` (so the writer and reader are exercised). */
static struct dlld_network *tiny(enum dlld_weights_format format)
{
	struct dlld_net_options o = {.width = 96, .height = 64};
	struct dlld_network *net = NULL, *init = NULL;
	struct dlld_error err;
	char path[1024];

	snprintf(path, sizeof path, "%s/w.%s", dlld_test_tmpdir(),
		 dlld_weights_format_name(format));
	dlld_error_clear(&err);
	if (dlld_net_create_from_cfg(CFG, &o, &init, &err) ||
	    (dlld_net_init_weights(init, 7), dlld_net_save_weights(init, path, format, &err)) ||
	    dlld_net_create_from_cfg(CFG, &o, &net, &err) ||
	    dlld_net_load_weights(net, path, 0, &err))
		CHECK_MSG(false, "%s: %s", err.file, err.reason);
	dlld_net_destroy(init);
	return net;
}

static void compare(struct dlld_network *net, const float *want, size_t n_want, double tol)
{
	size_t at = 0;
	double worst = 0;

	for (int i = 0; i < dlld_net_layer_count(net); i++) {
		struct dlld_yolo_info info;
		struct dlld_shape s;
		const float *y = dlld_net_output(net, i, &s);
		if (!dlld_net_yolo_info(net, i, &info))
			continue;
		CHECK(at + dlld_shape_count(s) <= n_want);
		for (size_t k = 0; k < dlld_shape_count(s) && at + k < n_want; k++) {
			double d = fabs((double)y[k] - want[at + k]);
			worst = d > worst ? d : worst;
		}
		at += dlld_shape_count(s);
	}
	CHECK_INT_EQ(at, n_want);
	CHECK_MSG(worst < tol, "max |dlld - darknet| = %g", worst);
}

static void run_case(enum dlld_weights_format format, bool fold, bool pack, int threads)
{
	const size_t n_in = 3 * 64 * 96, n_out = 255 * (2 * 3 + 4 * 6);
	float *in, *want;
	struct dlld_network *net;
	struct dlld_pool *pool = NULL;
	struct dlld_error err;

	if (!dlld_path_exists(CFG))
		SKIP("%s not installed", CFG);
	in = read_floats(FIX ".in.f32", n_in);
	want = read_floats(FIX ".out.f32", n_out);
	net = tiny(format);
	if (threads > 1)
		pool = dlld_pool_create(threads, &err);
	if (in && want && net) {
		if (fold)
			dlld_net_fold_batchnorm(net);
		if (pack)
			CHECK_INT_EQ(dlld_net_pack_weights(net, &err), DLLD_STATUS_OK);
		dlld_net_forward(net, pool, in);
		compare(net, want, n_out, 1e-4);
	}
	dlld_pool_destroy(pool);
	dlld_net_destroy(net);
	free(in);
	free(want);
}

static void test_darknet_weights_folded(void)
{
	run_case(DLLD_WEIGHTS_FORMAT_DARKNET, true, false, 2);
}

static void test_darknet_weights_unfolded(void)
{
	run_case(DLLD_WEIGHTS_FORMAT_DARKNET, false, false, 1);
}

static void test_dlld_weights(void)
{
	run_case(DLLD_WEIGHTS_FORMAT_DLLD, true, true, 1);
}

/* yolov3 (75 convolutions, 23 shortcuts, 4 routes) at 96×64, seed-7
 * weights with batch norm calibrated on the input (dlld net init --input).
 * Tolerance 5e-3 on values in ±3.6: dlld itself differs by 2.3e-3 between
 * folded and unfolded batch norm here (float rounding through 75 random
 * layers); a wrong layer would differ by O(1). */
static void test_yolov3(void)
{
	const char *cfg = "/usr/share/darknet/cfg/yolov3.cfg";
	struct dlld_net_options o = {.batch = 1, .width = 96, .height = 64};
	const size_t n_in = 3 * 64 * 96, n_out = 255 * (2 * 3 + 4 * 6 + 8 * 12);
	struct dlld_network *net = NULL;
	struct dlld_pool *pool = NULL;
	struct dlld_error err;
	float *in, *want;

	if (!dlld_path_exists(cfg))
		SKIP("%s not installed", cfg);
	in = read_floats("tests/nn/fixtures/darknet_yolov3_96x64.in.f32", n_in);
	want = read_floats("tests/nn/fixtures/darknet_yolov3_96x64.out.f32", n_out);
	pool = dlld_pool_create(2, &err);
	CHECK_INT_EQ(dlld_net_create_from_cfg(cfg, &o, &net, &err), DLLD_STATUS_OK);
	if (net && in && want) {
		dlld_net_init_weights(net, 7);
		dlld_net_calibrate_batchnorm(net, pool, in);
		dlld_net_fold_batchnorm(net);
		dlld_net_forward(net, pool, in);
		compare(net, want, n_out, 5e-3);
	}
	dlld_pool_destroy(pool);
	dlld_net_destroy(net);
	free(in);
	free(want);
}

int main(void)
{
	dlld_test_run("yolov3-tiny = darknet (darknet .weights, folded, 2 threads)",
		      test_darknet_weights_folded);
	dlld_test_run("yolov3-tiny = darknet (batch norm unfolded)", test_darknet_weights_unfolded);
	dlld_test_run("yolov3-tiny = darknet (DLLD weights file, packed weights)", test_dlld_weights);
	dlld_test_run("yolov3 = darknet (calibrated batch norm, 2 threads)", test_yolov3);
	return dlld_test_finish();
}

/* tests/nn/test_cfg.c — darknet cfg parsing and planning against darknet's
 * own summary (fixtures captured with `darknet speed CFG 0`, Debian's
 * darknet 0.0.0+git20180914) and error reports with file:line. */
#include <stdlib.h>
#include <string.h>

#include "dlld/nn.h"
#include "harness.h"

#define DARKNET_CFG "/usr/share/darknet/cfg/"

/* Compares every layer line of darknet's summary with ours. */
static void check_summary(const char *cfg, const char *fixture)
{
	struct dlld_error err;
	struct dlld_network *net = NULL;
	char *text = NULL, *line, *save = NULL;
	size_t size;
	int i = -1;

	if (!dlld_path_exists(cfg))
		SKIP("%s not installed", cfg);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_net_create_from_cfg(cfg, NULL, &net, &err), DLLD_STATUS_OK);
	CHECK_INT_EQ(dlld_read_file(fixture, &text, &size, &err), DLLD_STATUS_OK);
	if (!net || !text) {
		dlld_net_destroy(net);
		free(text);
		return;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
		struct dlld_layer_info info;
		char ours[200];
		if (i < 0)
			continue; /* darknet's header line */
		if (i >= dlld_net_layer_count(net)) {
			CHECK_MSG(false, "darknet has more layers than %d", i);
			break;
		}
		dlld_net_layer_info(net, i, &info);
		snprintf(ours, sizeof ours, "%5d %s", i, info.summary);
		CHECK_STR_EQ(ours, line);
	}
	CHECK_INT_EQ(i, dlld_net_layer_count(net));
	dlld_net_destroy(net);
	free(text);
}

static void test_tiny_summary(void)
{
	check_summary(DARKNET_CFG "yolov3-tiny.cfg", "tests/nn/fixtures/darknet_summary_yolov3-tiny.txt");
}

static void test_yolov3_summary(void)
{
	check_summary(DARKNET_CFG "yolov3.cfg", "tests/nn/fixtures/darknet_summary_yolov3.txt");
}

/* Parameter counts equal the published .weights sizes: (bytes − 20)/4. */
static void test_param_counts(void)
{
	struct dlld_error err;
	struct dlld_network *net = NULL;

	if (!dlld_path_exists(DARKNET_CFG "yolov3.cfg"))
		SKIP("darknet cfgs not installed");
	CHECK_INT_EQ(dlld_net_create_from_cfg(DARKNET_CFG "yolov3-tiny.cfg", NULL, &net, &err), 0);
	if (net)
		CHECK_INT_EQ(dlld_net_param_count(net), (35434956 - 20) / 4);
	dlld_net_destroy(net);
	struct dlld_net_options o = {.width = 416, .height = 416};
	CHECK_INT_EQ(dlld_net_create_from_cfg(DARKNET_CFG "yolov3.cfg", &o, &net, &err), 0);
	if (net) {
		CHECK_INT_EQ(dlld_net_param_count(net), (248007048 - 20) / 4);
		CHECK_NEAR(dlld_net_bflops(net), 65.864, 0.01); /* darknet/YOLOv3 paper @416 */
	}
	dlld_net_destroy(net);
}

static void test_net_section(void)
{
	struct dlld_error err;
	struct dlld_network *net = NULL;
	struct dlld_net_options o = {.channels = 1, .width = 64, .height = 32};

	if (!dlld_path_exists(DARKNET_CFG "yolov3-tiny.cfg"))
		SKIP("darknet cfgs not installed");
	CHECK_INT_EQ(dlld_net_create_from_cfg(DARKNET_CFG "yolov3-tiny.cfg", &o, &net, &err), 0);
	if (!net)
		return;
	const struct dlld_net_config *c = dlld_net_config(net);
	struct dlld_shape in = dlld_net_input_shape(net), out;
	CHECK_INT_EQ(in.c, 1);
	CHECK_INT_EQ(in.h, 32);
	CHECK_INT_EQ(in.w, 64);
	CHECK_INT_EQ(c->policy, DLLD_LR_POLICY_STEPS);
	CHECK_INT_EQ(c->n_steps, 2);
	CHECK_INT_EQ(c->steps[1], 450000);
	CHECK_NEAR(c->scales[0], 0.1, 1e-12);
	CHECK_NEAR(c->learning_rate, 0.001, 1e-12);
	CHECK_INT_EQ(c->burn_in, 1000);
	CHECK_INT_EQ(c->max_batches, 500200);
	CHECK_NEAR(c->hue, 0.1, 1e-12);
	dlld_net_output(net, 16, &out);
	CHECK_INT_EQ(out.h, 1);
	CHECK_INT_EQ(out.w, 2);
	CHECK_INT_EQ(out.c, 255);
	dlld_net_destroy(net);
}

struct bad_cfg {
	const char *text;
	enum dlld_status status;
	long line;
	const char *reason; /* substring */
};

static const struct bad_cfg bad_cfgs[] = {
	{"[net]\nwidth=8\nheight=8\nchannels=3\n[convolution]\n", DLLD_STATUS_MALFORMED, 5,
	 "unknown section"},
	{"[net]\nwidth=8\nheight=8\nchannels=3\n[convolutional]\nfliters=2\n", DLLD_STATUS_MALFORMED,
	 6, "unknown key"},
	{"[net]\nwidth=8\nheight=8\nchannels=3\n[convolutional]\nsize=3\n# c\nsize=3\n",
	 DLLD_STATUS_MALFORMED, 8, "duplicate key"},
	{"[net]\nwidth=8\nheight=8\nchannels=3\n[convolutional]\nfilters=2x\n",
	 DLLD_STATUS_MALFORMED, 6, "bad value"},
	{"[net]\nwidth=8\nheight=8\nchannels=3\n[convolutional]\nactivation=relu6\n",
	 DLLD_STATUS_MALFORMED, 6, "bad value"},
	{"[net]\nwidth=8\nheight=8\nchannels=3\n[convolutional]\nfilters=0\n",
	 DLLD_STATUS_MALFORMED, 6, "bad value"},
	{"width=8\n[net]\n", DLLD_STATUS_MALFORMED, 1, "outside"},
	{"[net]\nwidth\n", DLLD_STATUS_MALFORMED, 2, "key=value"},
	{"[net]\nwidth=8\nheight=8\nchannels=3\n[route]\nlayers=0\n", DLLD_STATUS_MALFORMED, 5,
	 "not before"},
	{"[net]\nwidth=8\nheight=8\nchannels=3\n[maxpool]\n[shortcut]\nfrom=1\n",
	 DLLD_STATUS_MALFORMED, 6, "not before"},
	{"[net]\nwidth=8\nheight=8\nchannels=3\n[convolutional]\nfilters=5\ngroups=2\n",
	 DLLD_STATUS_INCONSISTENT, 5, "groups"},
	{"[net]\nwidth=8\nheight=8\nchannels=3\n[convolutional]\nfilters=8\n[yolo]\nclasses=1\n"
	 "num=1\nanchors=1,1\n",
	 DLLD_STATUS_INCONSISTENT, 7, "channels"},
	{"[net]\nwidth=8\nheight=8\nchannels=3\n[convolutional]\nfilters=6\n[yolo]\nclasses=1\n"
	 "num=2\nanchors=1,1\n",
	 DLLD_STATUS_MALFORMED, 7, "anchor"},
	{"[net]\nwidth=8\nheight=8\nchannels=3\nsteps=1,2\nscales=.1\n[maxpool]\n",
	 DLLD_STATUS_MALFORMED, 1, "scales"},
	{"[net]\nwidth=8\nchannels=3\n[maxpool]\n", DLLD_STATUS_MALFORMED, 1, "height"},
	{"[net]\nwidth=8\nheight=8\nchannels=3\n", DLLD_STATUS_MALFORMED, -1, "no layers"},
	{"[conv]\n", DLLD_STATUS_MALFORMED, 1, "[net]"},
	{"[net]\nwidth=8\nheight=8\nchannels=3\n[maxpool]\nsize=99\n", DLLD_STATUS_MALFORMED, 6,
	 "bad value"},
	{"[net]\nwidth=4\nheight=4\nchannels=3\n[maxpool]\nsize=9\nstride=1\npadding=0\n",
	 DLLD_STATUS_INCONSISTENT, 5, "larger"},
	{"[net]\nwidth=4\nheight=4\nchannels=3\n[maxpool]\nsize=2\nstride=2\npadding=10\n",
	 DLLD_STATUS_INCONSISTENT, 5, "outside"},
	{"[net]\nwidth=65536\nheight=65536\nchannels=3\n[maxpool]\n", DLLD_STATUS_MALFORMED, 1,
	 "too large"},
	{"[net]\nwidth=8192\nheight=8192\nchannels=3\n[upsample]\nstride=64\n",
	 DLLD_STATUS_INCONSISTENT, 5, "too large"},
	{"[net]\nwidth=2048\nheight=2048\nchannels=1\n[convolutional]\nfilters=3000\n"
	 "[convolutional]\nfilters=3000\n",
	 DLLD_STATUS_NO_MEMORY, -1, "GiB"},
};

static void test_bad_cfgs(void)
{
	for (size_t i = 0; i < sizeof bad_cfgs / sizeof bad_cfgs[0]; i++) {
		const struct bad_cfg *b = &bad_cfgs[i];
		struct dlld_error err;
		struct dlld_network *net = NULL;
		enum dlld_status st;
		dlld_error_clear(&err);
		st = dlld_net_create_from_text("bad.cfg", b->text, NULL, &net, &err);
		CHECK_MSG(st == b->status, "case %zu: status %d, expected %d (%s)", i, st, b->status,
			  err.reason);
		CHECK_MSG(err.line == b->line, "case %zu: line %ld, expected %ld", i, err.line,
			  b->line);
		CHECK_MSG(strstr(err.reason, b->reason) != NULL, "case %zu: reason \"%s\"", i,
			  err.reason);
		CHECK_STR_EQ(err.file, "bad.cfg");
		CHECK(net == NULL);
	}
}

/* CRLF line ends, tabs, blanks around '=', comments and a UTF-8 BOM. */
static void test_lenient_syntax(void)
{
	const char *text = "\xEF\xBB\xBF[net]\r\n# comment\r\nwidth = 8\r\n\theight=8\r\n"
			   "channels=1\r\n; another\r\n\r\n[ maxpool ]\r\nsize = 2\r\nstride=2\r\n";
	struct dlld_error err;
	struct dlld_network *net = NULL;
	struct dlld_shape s;

	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_net_create_from_text("ok.cfg", text, NULL, &net, &err), DLLD_STATUS_OK);
	if (!net)
		return;
	dlld_net_output(net, 0, &s);
	CHECK_INT_EQ(s.w, 4);
	CHECK_INT_EQ(s.c, 1);
	dlld_net_destroy(net);
}

static void test_missing_file(void)
{
	struct dlld_error err;
	struct dlld_network *net = NULL;

	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_net_create_from_cfg("/nonexistent/x.cfg", NULL, &net, &err),
		     DLLD_STATUS_NOT_FOUND);
	CHECK(net == NULL);
}

int main(void)
{
	dlld_test_run("yolov3-tiny plans to darknet's summary", test_tiny_summary);
	dlld_test_run("yolov3 plans to darknet's summary", test_yolov3_summary);
	dlld_test_run("parameter counts match the published weights", test_param_counts);
	dlld_test_run("[net] values and overrides", test_net_section);
	dlld_test_run("bad cfgs fail with file:line", test_bad_cfgs);
	dlld_test_run("CRLF, blanks, comments, BOM", test_lenient_syntax);
	dlld_test_run("missing cfg is not found", test_missing_file);
	return dlld_test_finish();
}

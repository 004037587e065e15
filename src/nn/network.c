/*
 * nn/network.c — a cfg becomes a planned network: parse the sections, plan
 * every layer in order (shapes, parameter counts, workspace), then allocate
 * once per category (weights, gradients, velocities, activations, deltas,
 * workspace) and hand the layers views. forward and backward are one loop
 * over the layer table; they allocate nothing.
 */
#include "nn/network.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "nn/cfg.h"

#define NET(field) offsetof(struct dlld_net_config, field)
#define NET_INT(name, field, lo, hi) {name, DLLD_CFG_TYPE_INT, NET(field), 0, 0, lo, hi}
#define NET_DBL(name, field, lo, hi) {name, DLLD_CFG_TYPE_DOUBLE, NET(field), 0, 0, lo, hi}
#define NET_IGNORED(name) {name, DLLD_CFG_TYPE_DOUBLE, NET(ignored), 0, 0, -1e12, 1e12}

/* The [net] keys darknet reads (parse_net_options), plus AlexeyAB's flip
 * and mosaic; keys DLLD has no use for are checked as numbers and dropped. */
static const struct dlld_cfg_key net_keys[] = {
	NET_INT("width", width, 1, 65536),
	NET_INT("height", height, 1, 65536),
	NET_INT("channels", channels, 1, 4096),
	NET_INT("batch", batch, 1, 1 << 20),
	NET_INT("subdivisions", subdivisions, 1, 1 << 20),
	NET_DBL("learning_rate", learning_rate, 0, 1e6),
	NET_DBL("momentum", momentum, 0, 1),
	NET_DBL("decay", decay, 0, 1e6),
	NET_INT("burn_in", burn_in, 0, 1 << 30),
	NET_INT("max_batches", max_batches, 0, 1 << 30),
	NET_DBL("power", power, -1e6, 1e6),
	{"policy", DLLD_CFG_TYPE_POLICY, NET(policy), 0, 0, 0, 0},
	NET_INT("step", step, 1, 1 << 30),
	NET_DBL("scale", scale, -1e6, 1e6),
	NET_DBL("gamma", gamma, -1e6, 1e6),
	{"steps", DLLD_CFG_TYPE_INT_LIST, NET(steps), NET(n_steps), DLLD_NET_MAX_STEPS, -1,
	 1 << 30},
	{"scales", DLLD_CFG_TYPE_DOUBLE_LIST, NET(scales), NET(n_scales), DLLD_NET_MAX_STEPS, -1e6,
	 1e6},
	NET_DBL("angle", angle, -360, 360),
	NET_DBL("saturation", saturation, 0, 1e3),
	NET_DBL("exposure", exposure, 0, 1e3),
	NET_DBL("hue", hue, -1, 1),
	NET_DBL("aspect", aspect, 0, 1e3),
	NET_INT("flip", flip, 0, 1),
	NET_INT("max_crop", max_crop, 0, 1 << 20),
	NET_INT("min_crop", min_crop, 0, 1 << 20),
	NET_IGNORED("max_ratio"), NET_IGNORED("min_ratio"), NET_IGNORED("center"),
	NET_IGNORED("clip"), NET_IGNORED("inputs"), NET_IGNORED("time_steps"),
	NET_IGNORED("notruth"), NET_IGNORED("random"), NET_IGNORED("adam"), NET_IGNORED("B1"),
	NET_IGNORED("B2"), NET_IGNORED("eps"), NET_IGNORED("mosaic"),
	{NULL, DLLD_CFG_TYPE_COUNT, 0, 0, 0, 0, 0},
};

static void net_defaults(struct dlld_net_config *c)
{
	*c = (struct dlld_net_config){
		.batch = 1, .subdivisions = 1, .learning_rate = 0.001, .momentum = 0.9,
		.decay = 0.0001, .power = 4.0, .policy = DLLD_LR_POLICY_CONSTANT, .step = 1,
		.scale = 1.0, .gamma = 1.0, .aspect = 1.0, .saturation = 1.0, .exposure = 1.0,
	};
}

size_t dlld_shape_count(struct dlld_shape s)
{
	return (size_t)s.n * (size_t)s.c * (size_t)s.h * (size_t)s.w;
}

enum dlld_status dlld_plan_add_input(struct dlld_layer *l, const struct dlld_plan *p, int ref,
				     struct dlld_error *err)
{
	int from = ref < 0 ? l->index + ref : ref;
	struct dlld_shape s;

	if (l->n_inputs >= DLLD_LAYER_MAX_INPUTS)
		return dlld_error_set_line(err, DLLD_STATUS_MALFORMED, p->file, l->line,
					   "more than %d inputs", DLLD_LAYER_MAX_INPUTS);
	if (from >= l->index || from < -1 || (from == -1 && ref != -1))
		return dlld_error_set_line(err, DLLD_STATUS_MALFORMED, p->file, l->line,
					   "layer %d refers to layer %d, which is not before it",
					   l->index, from);
	s = from < 0 ? p->net_in : p->layers[from].out;
	l->inputs[l->n_inputs] = from;
	l->in_shapes[l->n_inputs] = s;
	if (l->n_inputs++ == 0)
		l->in = s;
	return DLLD_STATUS_OK;
}

void dlld_plan_add_param(struct dlld_layer *l, const char *what, size_t count, bool learnable,
			 bool decay)
{
	l->params[l->n_params++] = (struct dlld_param){what, count, NULL, NULL, NULL, learnable,
						       decay, 1, {(int)count, 0, 0, 0}};
}

/* Reads [net] and applies the overrides. */
static enum dlld_status plan_input(struct dlld_network *net, const struct dlld_cfg *cfg,
				   const struct dlld_net_options *opts, struct dlld_error *err)
{
	const struct dlld_cfg_section *s = &cfg->sections[0];
	struct dlld_net_config *c = &net->config;
	enum dlld_status st;

	net_defaults(c);
	if (strcmp(s->name, "net") != 0 && strcmp(s->name, "network") != 0)
		return dlld_error_set_line(err, DLLD_STATUS_MALFORMED, net->file, s->line,
					   "the first section must be [net], not [%s]", s->name);
	st = dlld_cfg_apply(net->file, s, net_keys, c, err);
	if (st != DLLD_STATUS_OK)
		return st;
	if (c->n_scales != c->n_steps)
		return dlld_error_set_line(err, DLLD_STATUS_MALFORMED, net->file, s->line,
					   "%d steps but %d scales", c->n_steps, c->n_scales);
	c->width = opts->width ? opts->width : c->width;
	c->height = opts->height ? opts->height : c->height;
	c->channels = opts->channels ? opts->channels : c->channels;
	if (!c->width || !c->height || !c->channels)
		return dlld_error_set_line(err, DLLD_STATUS_MALFORMED, net->file, s->line,
					   "[net] needs width, height and channels");
	if ((size_t)c->width * (size_t)c->height > INT_MAX / 4)
		return dlld_error_set_line(err, DLLD_STATUS_MALFORMED, net->file, s->line,
					   "input of %dx%d is too large", c->width, c->height);
	c->max_crop = c->max_crop ? c->max_crop : 2 * c->width; /* darknet's defaults */
	c->min_crop = c->min_crop ? c->min_crop : c->width;
	net->input = (struct dlld_shape){opts->batch ? opts->batch
						     : (c->batch / c->subdivisions > 0
								? c->batch / c->subdivisions
								: 1),
					 c->channels, c->height, c->width};
	return DLLD_STATUS_OK;
}

static enum dlld_status plan_layer(struct dlld_network *net, const struct dlld_cfg_section *s,
				   int i, struct dlld_error *err)
{
	const struct dlld_layer_ops *ops = dlld_layer_ops_find(s->name);
	struct dlld_layer *l = &net->layers[i];
	struct dlld_plan p = {net->layers, net->input, net->file, net->training};
	enum dlld_status st;

	if (!ops)
		return dlld_error_set_line(err, DLLD_STATUS_MALFORMED, net->file, s->line,
					   "unknown section [%s]", s->name);
	l->kind = ops->kind;
	l->ops = ops;
	l->index = i;
	l->line = s->line;
	ops->defaults(l);
	st = dlld_cfg_apply(net->file, s, ops->keys, l, err);
	if (st == DLLD_STATUS_OK)
		st = ops->plan(l, &p, err);
	/* kernels index a plane and a GEMM dimension with int */
	if (st == DLLD_STATUS_OK && (dlld_shape_count(l->out) > ((size_t)1 << 34) ||
				     dlld_shape_plane(l->out) > INT_MAX))
		st = dlld_error_set_line(err, DLLD_STATUS_NO_MEMORY, net->file, s->line,
					 "output of %dx%dx%d is too large", l->out.w, l->out.h,
					 l->out.c);
	return st;
}

/* Counts parameters and fills the parameter index. */
static enum dlld_status index_params(struct dlld_network *net, struct dlld_error *err)
{
	int j = 0;

	for (int i = 0; i < net->n_layers; i++)
		for (int k = 0; k < net->layers[i].n_params; k++) {
			size_t c = net->layers[i].params[k].count;
			net->n_weights += c;
			if (net->training && net->layers[i].params[k].learnable)
				net->n_grads += c;
			net->n_params++;
		}
	net->params = dlld_calloc((size_t)net->n_params + 1, sizeof *net->params, "parameters",
				  err);
	if (!net->params)
		return DLLD_STATUS_NO_MEMORY;
	for (int i = 0; i < net->n_layers; i++)
		for (int k = 0; k < net->layers[i].n_params; k++)
			net->params[j++] = (struct dlld_param_ref){i, k};
	return DLLD_STATUS_OK;
}

static void assign_params(struct dlld_network *net)
{
	size_t w = 0, g = 0;

	for (int j = 0; j < net->n_params; j++) {
		struct dlld_param *p = &net->layers[net->params[j].layer].params[net->params[j].slot];
		p->data = net->weights + w;
		w += p->count;
		if (net->training && p->learnable) {
			p->grad = net->grads + g;
			p->velocity = net->velocities + g;
			g += p->count;
		}
	}
}

/* Gives every layer its input pointers (the network input is set per run). */
static void link_inputs(struct dlld_network *net)
{
	for (int i = 0; i < net->n_layers; i++) {
		struct dlld_layer *l = &net->layers[i];
		for (int k = 0; k < l->n_inputs; k++) {
			int from = l->inputs[k];
			l->src[k] = from >= 0 ? net->layers[from].output : NULL;
			l->src_delta[k] = from >= 0 ? net->layers[from].delta : NULL;
		}
		if (l->output_is_alias && l->inputs[0] >= 0) {
			l->output = net->layers[l->inputs[0]].output;
			l->delta = net->layers[l->inputs[0]].delta;
		}
	}
}

/* A cfg may ask for absurd sizes; refuse before touching memory. */
#define NET_MAX_GIB 64

static bool within_limit(const struct dlld_network *net)
{
	size_t sizes[] = {net->n_weights, 2 * net->n_grads, net->n_activations, net->n_deltas,
			  net->n_workspace};
	size_t total = 0;

	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		if (!dlld_size_add(total, sizes[i], &total))
			return false;
	return total <= ((size_t)NET_MAX_GIB << 30) / sizeof(float);
}

static enum dlld_status allocate(struct dlld_network *net, struct dlld_error *err)
{
	size_t n = (size_t)net->n_layers;
	struct dlld_place_scratch s = {
		dlld_calloc(n, sizeof(size_t), "plan", err), dlld_calloc(n, sizeof(int), "plan", err),
		dlld_calloc(n, sizeof(int), "plan", err), dlld_calloc(n, sizeof(size_t), "plan", err),
		dlld_calloc(n, sizeof(size_t), "plan", err), dlld_calloc(n, sizeof(int), "plan", err),
	};
	enum dlld_status st = DLLD_STATUS_NO_MEMORY;

	if (!s.offsets || !s.last || !s.block || !s.alloc_offset || !s.alloc_size || !s.alloc_end)
		goto out;
	dlld_net_place_activations(net, false, &s);
	for (int i = 0; i < net->n_layers; i++)
		if (net->layers[i].workspace_floats > net->n_workspace)
			net->n_workspace = net->layers[i].workspace_floats;
	if (!within_limit(net)) {
		dlld_error_set(err, DLLD_STATUS_NO_MEMORY, net->file,
			       "the network would need more than %d GiB", NET_MAX_GIB);
		goto out;
	}
	net->weights = dlld_alloc_aligned(net->n_weights + 1, sizeof(float), "weights", err);
	net->activations = dlld_alloc_aligned(net->n_activations + 1, sizeof(float),
					      "activations", err);
	net->workspace = dlld_alloc_aligned(net->n_workspace + 1, sizeof(float), "workspace", err);
	if (!net->weights || !net->activations || !net->workspace)
		goto out;
	memset(net->weights, 0, net->n_weights * sizeof(float));
	memset(net->activations, 0, net->n_activations * sizeof(float));
	if (net->training) {
		net->grads = dlld_calloc(net->n_grads + 1, sizeof(float), "gradients", err);
		net->velocities = dlld_calloc(net->n_grads + 1, sizeof(float), "velocities", err);
		net->deltas = dlld_calloc(net->n_deltas + 1, sizeof(float), "deltas", err);
		if (!net->grads || !net->velocities || !net->deltas)
			goto out;
	}
	dlld_net_place_activations(net, true, &s);
	assign_params(net);
	link_inputs(net);
	st = DLLD_STATUS_OK;
out:
	free(s.offsets);
	free(s.last);
	free(s.block);
	free(s.alloc_offset);
	free(s.alloc_size);
	free(s.alloc_end);
	return st;
}

static enum dlld_status build(struct dlld_network *net, const struct dlld_cfg *cfg,
			      const struct dlld_net_options *opts, struct dlld_error *err)
{
	enum dlld_status st = plan_input(net, cfg, opts, err);

	if (st != DLLD_STATUS_OK)
		return st;
	net->n_layers = cfg->n_sections - 1;
	if (net->n_layers == 0)
		return dlld_error_set(err, DLLD_STATUS_MALFORMED, net->file, "no layers after [net]");
	net->layers = dlld_calloc((size_t)net->n_layers, sizeof *net->layers, "layers", err);
	if (!net->layers)
		return DLLD_STATUS_NO_MEMORY;
	for (int i = 0; i < net->n_layers && st == DLLD_STATUS_OK; i++)
		st = plan_layer(net, &cfg->sections[i + 1], i, err);
	if (st == DLLD_STATUS_OK)
		st = index_params(net, err);
	if (st == DLLD_STATUS_OK)
		st = allocate(net, err);
	return st;
}

enum dlld_status dlld_net_create_from_text(const char *name, const char *text,
					   const struct dlld_net_options *opts,
					   struct dlld_network **out, struct dlld_error *err)
{
	static const struct dlld_net_options none;
	struct dlld_network *net;
	struct dlld_cfg *cfg = NULL;
	enum dlld_status st;

	*out = NULL;
	opts = opts ? opts : &none;
	net = dlld_calloc(1, sizeof *net, "network", err);
	if (!net)
		return DLLD_STATUS_NO_MEMORY;
	snprintf(net->file, sizeof net->file, "%s", name);
	net->training = opts->training;
	net->keep_outputs = opts->keep_outputs;
	st = dlld_cfg_parse(name, text, &cfg, err);
	if (st == DLLD_STATUS_OK)
		st = build(net, cfg, opts, err);
	dlld_cfg_destroy(cfg);
	if (st != DLLD_STATUS_OK) {
		dlld_net_destroy(net);
		return st;
	}
	*out = net;
	return DLLD_STATUS_OK;
}

enum dlld_status dlld_net_create_from_cfg(const char *path, const struct dlld_net_options *opts,
					  struct dlld_network **out, struct dlld_error *err)
{
	char *text = NULL;
	size_t size;
	enum dlld_status st = dlld_read_file(path, &text, &size, err);

	*out = NULL;
	if (st != DLLD_STATUS_OK)
		return st;
	if (strlen(text) != size)
		st = dlld_error_set(err, DLLD_STATUS_MALFORMED, path, "NUL byte in a cfg file");
	else
		st = dlld_net_create_from_text(path, text, opts, out, err);
	free(text);
	return st;
}

void dlld_net_destroy(struct dlld_network *net)
{
	if (!net)
		return;
	if (net->layers)
		dlld_net_unpack_weights(net);
	dlld_free_aligned(net->weights);
	dlld_free_aligned(net->activations);
	dlld_free_aligned(net->workspace);
	free(net->grads);
	free(net->velocities);
	free(net->deltas);
	free(net->params);
	free(net->layers);
	free(net);
}

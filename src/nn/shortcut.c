/*
 * nn/shortcut.c — [shortcut]: the residual sum of the previous layer and an
 * earlier one (darknet: out = act(alpha·previous + beta·from)).
 *   previous, from, out: [n × c × h × w] (equal shapes required; darknet's
 *   resampling of unequal shapes is not supported)
 */
#include "nn/layer.h"

#include <stddef.h>
#include <stdio.h>

static const struct dlld_cfg_key shortcut_keys[] = {
	{"from", DLLD_CFG_TYPE_INT_LIST, offsetof(struct dlld_layer, u.shortcut.from),
	 offsetof(struct dlld_layer, u.shortcut.n_from), 1, -100000, 100000},
	{"activation", DLLD_CFG_TYPE_ACTIVATION, offsetof(struct dlld_layer, u.shortcut.activation),
	 0, 0, 0, 0},
	{"alpha", DLLD_CFG_TYPE_DOUBLE, offsetof(struct dlld_layer, u.shortcut.alpha), 0, 0, -1e6,
	 1e6},
	{"beta", DLLD_CFG_TYPE_DOUBLE, offsetof(struct dlld_layer, u.shortcut.beta), 0, 0, -1e6,
	 1e6},
	{NULL, DLLD_CFG_TYPE_COUNT, 0, 0, 0, 0, 0},
};

static void shortcut_defaults(struct dlld_layer *l)
{
	l->u.shortcut = (struct dlld_shortcut_cfg){
		.n_from = 0, .activation = DLLD_GEMM_ACT_LINEAR, .alpha = 1.0, .beta = 1.0};
}

static enum dlld_status shortcut_plan(struct dlld_layer *l, const struct dlld_plan *p,
				      struct dlld_error *err)
{
	enum dlld_status st;
	struct dlld_shape a, b;

	if (l->u.shortcut.n_from != 1)
		return dlld_error_set_line(err, DLLD_STATUS_MALFORMED, p->file, l->line,
					   "[shortcut] needs from=");
	st = dlld_plan_add_input(l, p, -1, err);
	if (st == DLLD_STATUS_OK)
		st = dlld_plan_add_input(l, p, l->u.shortcut.from[0], err);
	if (st != DLLD_STATUS_OK)
		return st;
	a = l->in_shapes[0];
	b = l->in_shapes[1];
	if (a.c != b.c || a.h != b.h || a.w != b.w)
		return dlld_error_set_line(err, DLLD_STATUS_INCONSISTENT, p->file, l->line,
					   "shortcut of %dx%dx%d onto %dx%dx%d: shapes must match",
					   b.w, b.h, b.c, a.w, a.h, a.c);
	l->out = a;
	return DLLD_STATUS_OK;
}

static void shortcut_init(struct dlld_layer *l, struct dlld_rng *rng)
{
	(void)l;
	(void)rng;
}

#define CHUNK 16384 /* values per task */

static size_t n_chunks(const struct dlld_layer *l)
{
	return (dlld_shape_count(l->out) + CHUNK - 1) / CHUNK;
}

static void forward_chunk(void *ctx, size_t task, int worker)
{
	const struct dlld_layer *l = ctx;
	size_t lo = task * CHUNK, n = dlld_shape_count(l->out) - lo;
	float alpha = (float)l->u.shortcut.alpha, beta = (float)l->u.shortcut.beta;

	(void)worker;
	n = n < CHUNK ? n : CHUNK;
	for (size_t i = lo; i < lo + n; i++)
		l->output[i] = alpha * l->src[0][i] + beta * l->src[1][i];
	dlld_act_forward(l->u.shortcut.activation, l->output + lo, n);
}

static void backward_chunk(void *ctx, size_t task, int worker)
{
	const struct dlld_layer *l = ctx;
	size_t lo = task * CHUNK, n = dlld_shape_count(l->out) - lo;
	float weight[2] = {(float)l->u.shortcut.alpha, (float)l->u.shortcut.beta};

	(void)worker;
	n = n < CHUNK ? n : CHUNK;
	dlld_act_gradient(l->u.shortcut.activation, l->output + lo, l->delta + lo, n);
	for (int k = 0; k < 2; k++) {
		float *dx = l->src_delta[k];
		if (!dx)
			continue;
		for (size_t i = lo; i < lo + n; i++)
			dx[i] += weight[k] * l->delta[i];
	}
}

static void shortcut_forward(struct dlld_layer *l, const struct dlld_run *run)
{
	dlld_layer_parallel(run->pool, n_chunks(l), forward_chunk, l);
}

static void shortcut_backward(struct dlld_layer *l, const struct dlld_run *run)
{
	dlld_layer_parallel(run->pool, n_chunks(l), backward_chunk, l);
}

static void shortcut_describe(const struct dlld_layer *l, char *buf, size_t size)
{
	struct dlld_shape f = l->in_shapes[1], o = l->out;

	snprintf(buf, size, "res  %3d                %4d x%4d x%4d   ->  %4d x%4d x%4d",
		 l->inputs[1], f.w, f.h, f.c, o.w, o.h, o.c);
}

const struct dlld_layer_ops dlld_shortcut_ops = {
	.kind = DLLD_LAYER_KIND_SHORTCUT,
	.keys = shortcut_keys,
	.defaults = shortcut_defaults,
	.plan = shortcut_plan,
	.init = shortcut_init,
	.forward = shortcut_forward,
	.backward = shortcut_backward,
	.fold = NULL,
	.pack = NULL,
	.unpack = NULL,
	.describe = shortcut_describe,
};

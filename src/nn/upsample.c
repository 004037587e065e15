/*
 * nn/upsample.c — [upsample]: nearest neighbour by an integer stride,
 * times `scale` (darknet's default 1).
 *   in [n × c × h × w]   out [n × c × h·stride × w·stride]
 *   out(y, x) = scale · in(y / stride, x / stride)
 */
#include "nn/layer.h"

#include <stddef.h>
#include <stdio.h>

static const struct dlld_cfg_key upsample_keys[] = {
	{"stride", DLLD_CFG_TYPE_INT, offsetof(struct dlld_layer, u.upsample.stride), 0, 0, 1, 64},
	{"scale", DLLD_CFG_TYPE_DOUBLE, offsetof(struct dlld_layer, u.upsample.scale), 0, 0, -1e6,
	 1e6},
	{NULL, DLLD_CFG_TYPE_COUNT, 0, 0, 0, 0, 0},
};

static void upsample_defaults(struct dlld_layer *l)
{
	l->u.upsample = (struct dlld_upsample_cfg){.stride = 2, .scale = 1.0};
}

static enum dlld_status upsample_plan(struct dlld_layer *l, const struct dlld_plan *p,
				      struct dlld_error *err)
{
	enum dlld_status st = dlld_plan_add_input(l, p, -1, err);
	int s = l->u.upsample.stride;

	if (st != DLLD_STATUS_OK)
		return st;
	if (l->in.h > 65536 / s || l->in.w > 65536 / s)
		return dlld_error_set_line(err, DLLD_STATUS_INCONSISTENT, p->file, l->line,
					   "upsampled size too large");
	l->out = (struct dlld_shape){l->in.n, l->in.c, l->in.h * s, l->in.w * s};
	return DLLD_STATUS_OK;
}

static void upsample_init(struct dlld_layer *l, struct dlld_rng *rng)
{
	(void)l;
	(void)rng;
}

/* One channel plane of every image: task = b·c + ch. */
static void forward_plane(void *ctx, size_t task, int worker)
{
	const struct dlld_layer *l = ctx;
	int s = l->u.upsample.stride;
	float scale = (float)l->u.upsample.scale;
	const float *x = l->src[0] + task * dlld_shape_plane(l->in);
	float *y = l->output + task * dlld_shape_plane(l->out);

	(void)worker;
	for (int oy = 0; oy < l->out.h; oy++)
		for (int ox = 0; ox < l->out.w; ox++)
			y[oy * l->out.w + ox] = scale * x[(oy / s) * l->in.w + ox / s];
}

static void backward_plane(void *ctx, size_t task, int worker)
{
	const struct dlld_layer *l = ctx;
	int s = l->u.upsample.stride;
	float scale = (float)l->u.upsample.scale;
	float *dx = l->src_delta[0] + task * dlld_shape_plane(l->in);
	const float *dy = l->delta + task * dlld_shape_plane(l->out);

	(void)worker;
	for (int oy = 0; oy < l->out.h; oy++)
		for (int ox = 0; ox < l->out.w; ox++)
			dx[(oy / s) * l->in.w + ox / s] += scale * dy[oy * l->out.w + ox];
}

static void upsample_forward(struct dlld_layer *l, const struct dlld_run *run)
{
	dlld_layer_parallel(run->pool, (size_t)l->in.n * (size_t)l->in.c, forward_plane, l);
}

static void upsample_backward(struct dlld_layer *l, const struct dlld_run *run)
{
	if (l->src_delta[0])
		dlld_layer_parallel(run->pool, (size_t)l->in.n * (size_t)l->in.c, backward_plane,
				    l);
}

static void upsample_describe(const struct dlld_layer *l, char *buf, size_t size)
{
	snprintf(buf, size, "upsample           %2dx  %4d x%4d x%4d   ->  %4d x%4d x%4d",
		 l->u.upsample.stride, l->in.w, l->in.h, l->in.c, l->out.w, l->out.h, l->out.c);
}

const struct dlld_layer_ops dlld_upsample_ops = {
	.kind = DLLD_LAYER_KIND_UPSAMPLE,
	.keys = upsample_keys,
	.defaults = upsample_defaults,
	.plan = upsample_plan,
	.init = upsample_init,
	.forward = upsample_forward,
	.backward = upsample_backward,
	.fold = NULL,
	.pack = NULL,
	.unpack = NULL,
	.describe = upsample_describe,
};

/*
 * nn/maxpool.c — [maxpool] with darknet's padding semantics.
 *
 * padding defaults to size − 1; out = (in + padding − size)/stride + 1; the
 * window of output (oy, ox) starts at (oy·stride − padding/2, ox·stride −
 * padding/2) and positions outside the input are ignored (−∞). So yolov3-
 * tiny's size 2 stride 1 keeps 13×13 by looking one pixel right and down.
 * The first maximum in row-major window order wins; training networks keep
 * its index (state: one uint32 per output, stored in a float slot) and
 * backward routes the whole delta there.
 *   in  [n × c × h × w]   out [n × c × out_h × out_w]
 */
#include "nn/layer.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define KEY(name, field, lo, hi) \
	{name, DLLD_CFG_TYPE_INT, offsetof(struct dlld_layer, u.maxpool.field), 0, 0, lo, hi}

static const struct dlld_cfg_key maxpool_keys[] = {
	KEY("size", size, 1, 64),
	KEY("stride", stride, 1, 64),
	KEY("padding", padding, 0, 128),
	{NULL, DLLD_CFG_TYPE_COUNT, 0, 0, 0, 0, 0},
};

static void maxpool_defaults(struct dlld_layer *l)
{
	l->u.maxpool = (struct dlld_maxpool_cfg){.size = 1, .stride = 1, .padding = -1};
}

static enum dlld_status maxpool_plan(struct dlld_layer *l, const struct dlld_plan *p,
				     struct dlld_error *err)
{
	struct dlld_maxpool_cfg *m = &l->u.maxpool;
	enum dlld_status st = dlld_plan_add_input(l, p, -1, err);

	if (st != DLLD_STATUS_OK)
		return st;
	if (m->padding < 0)
		m->padding = m->size - 1;
	if (l->in.h + m->padding < m->size || l->in.w + m->padding < m->size)
		return dlld_error_set_line(err, DLLD_STATUS_INCONSISTENT, p->file, l->line,
					   "window %d larger than the %dx%d input", m->size, l->in.w,
					   l->in.h);
	l->out = (struct dlld_shape){l->in.n, l->in.c,
				     (l->in.h + m->padding - m->size) / m->stride + 1,
				     (l->in.w + m->padding - m->size) / m->stride + 1};
	/* every window must see at least one input pixel */
	if (m->size - m->padding / 2 <= 0 ||
	    (l->out.h - 1) * m->stride - m->padding / 2 >= l->in.h ||
	    (l->out.w - 1) * m->stride - m->padding / 2 >= l->in.w)
		return dlld_error_set_line(err, DLLD_STATUS_INCONSISTENT, p->file, l->line,
					   "padding=%d leaves windows outside the input",
					   m->padding);
	if (p->training)
		l->state_floats = dlld_shape_count(l->out);
	return DLLD_STATUS_OK;
}

static void maxpool_init(struct dlld_layer *l, struct dlld_rng *rng)
{
	(void)l;
	(void)rng;
}

static inline float max2(float a, float b)
{
	return b > a ? b : a;
}

/* The maximum of the window at (y0, x0), clipped to the input. */
static float window_max(const struct dlld_layer *l, const float *x, int y0, int x0)
{
	int size = l->u.maxpool.size, w = l->in.w;
	int ylo = y0 < 0 ? 0 : y0, yhi = y0 + size < l->in.h ? y0 + size : l->in.h;
	int xlo = x0 < 0 ? 0 : x0, xhi = x0 + size < w ? x0 + size : w;
	float best = x[ylo * w + xlo];

	for (int yy = ylo; yy < yhi; yy++)
		for (int xx = xlo; xx < xhi; xx++)
			best = max2(best, x[yy * w + xx]);
	return best;
}

/* One channel plane of every image: task = b·c + ch. 2×2 windows inside
 * the input (all but the last row/column with stride 1) take a fast path. */
static void forward_plane(void *ctx, size_t task, int worker)
{
	struct dlld_layer *l = ctx;
	const struct dlld_maxpool_cfg *m = &l->u.maxpool;
	const float *x = l->src[0] + task * dlld_shape_plane(l->in);
	float *y = l->output + task * dlld_shape_plane(l->out);
	int off = m->padding / 2, w = l->in.w, s = m->stride;

	(void)worker;
	for (int oy = 0; oy < l->out.h; oy++) {
		int y0 = oy * s - off, ox = 0;
		float *out = y + oy * l->out.w;
		if (m->size == 2 && y0 >= 0 && y0 + 1 < l->in.h) {
			const float *r0 = x + y0 * w, *r1 = r0 + w;
			for (; ox < l->out.w; ox++) {
				int x0 = ox * s - off;
				if (x0 < 0 || x0 + 1 >= w)
					break;
				out[ox] = max2(max2(r0[x0], r0[x0 + 1]), max2(r1[x0], r1[x0 + 1]));
			}
		}
		for (; ox < l->out.w; ox++)
			out[ox] = window_max(l, x, y0, ox * s - off);
	}
}

/* Training: as forward_plane, keeping the index of each window's first
 * maximum (row-major) in l->state. */
static void forward_plane_train(void *ctx, size_t task, int worker)
{
	struct dlld_layer *l = ctx;
	const struct dlld_maxpool_cfg *m = &l->u.maxpool;
	const float *x = l->src[0] + task * dlld_shape_plane(l->in);
	float *y = l->output + task * dlld_shape_plane(l->out);
	float *index = l->state + task * dlld_shape_plane(l->out);
	int off = m->padding / 2, w = l->in.w;

	(void)worker;
	for (int oy = 0; oy < l->out.h; oy++) {
		int y0 = oy * m->stride - off;
		int ylo = y0 < 0 ? 0 : y0, yhi = y0 + m->size < l->in.h ? y0 + m->size : l->in.h;
		for (int ox = 0; ox < l->out.w; ox++) {
			int x0 = ox * m->stride - off;
			int xlo = x0 < 0 ? 0 : x0, xhi = x0 + m->size < w ? x0 + m->size : w;
			int arg = ylo * w + xlo;
			for (int yy = ylo; yy < yhi; yy++)
				for (int xx = xlo; xx < xhi; xx++)
					arg = x[yy * w + xx] > x[arg] ? yy * w + xx : arg;
			uint32_t u = (uint32_t)arg;
			y[oy * l->out.w + ox] = x[arg];
			memcpy(&index[oy * l->out.w + ox], &u, sizeof u);
		}
	}
}

static void backward_plane(void *ctx, size_t task, int worker)
{
	struct dlld_layer *l = ctx;
	float *dx = l->src_delta[0] + task * dlld_shape_plane(l->in);
	const float *dy = l->delta + task * dlld_shape_plane(l->out);
	const float *index = l->state + task * dlld_shape_plane(l->out);

	(void)worker;
	for (size_t o = 0; o < dlld_shape_plane(l->out); o++) {
		uint32_t arg;
		memcpy(&arg, &index[o], sizeof arg);
		dx[arg] += dy[o];
	}
}

static void maxpool_forward(struct dlld_layer *l, const struct dlld_run *run)
{
	dlld_layer_parallel(run->pool, (size_t)l->in.n * (size_t)l->in.c,
			    l->state ? forward_plane_train : forward_plane, l);
}

static void maxpool_backward(struct dlld_layer *l, const struct dlld_run *run)
{
	if (l->src_delta[0])
		dlld_layer_parallel(run->pool, (size_t)l->in.n * (size_t)l->in.c, backward_plane,
				    l);
}

static void maxpool_describe(const struct dlld_layer *l, char *buf, size_t size)
{
	const struct dlld_maxpool_cfg *m = &l->u.maxpool;

	snprintf(buf, size, "max          %d x %d / %d  %4d x%4d x%4d   ->  %4d x%4d x%4d", m->size,
		 m->size, m->stride, l->in.w, l->in.h, l->in.c, l->out.w, l->out.h, l->out.c);
}

const struct dlld_layer_ops dlld_maxpool_ops = {
	.kind = DLLD_LAYER_KIND_MAXPOOL,
	.keys = maxpool_keys,
	.defaults = maxpool_defaults,
	.plan = maxpool_plan,
	.init = maxpool_init,
	.forward = maxpool_forward,
	.backward = maxpool_backward,
	.fold = NULL,
	.pack = NULL,
	.unpack = NULL,
	.describe = maxpool_describe,
};

/*
 * nn/conv.c — [convolutional]: grouped 2D convolution as im2col → GEMM,
 * optional batch normalization, then the activation.
 *
 * Shapes (per image b, group g of G; c_g = c/G, n_g = filters/G, K = c_g·s²):
 *   weights  [filters × c_g × s × s]    (darknet order: row f = filter f)
 *   col      [K × out_h·out_w]           (backward's workspace; forward packs it
 *                                        from the image inside the GEMM; none
 *                                        for 1×1 stride 1)
 *   output   [filters × out_h × out_w]   z = W_g · col_g per group
 * Batch norm (darknet's ε outside the root):  x̂ = (z − μ)/(σ + 1e-6),
 * y = act(γ·x̂ + β); training uses the batch's μ and biased σ² and moves the
 * rolling statistics by 1 %; inference uses the rolling ones. Without batch
 * norm y = act(z + bias). Folded or without batch norm, the bias and the
 * activation run inside the GEMM epilogue (dlld_gemm_bias_act).
 * Training state: x̂ [n × filters × out_h × out_w], μ[filters], σ[filters].
 */
#include "nn/layer.h"

#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "nn/im2col.h"

#define BN_EPS 1e-6f
#define BN_ROLLING 0.01f

#define KEY(name, field, lo, hi) \
	{name, DLLD_CFG_TYPE_INT, offsetof(struct dlld_layer, u.conv.field), 0, 0, lo, hi}

static const struct dlld_cfg_key conv_keys[] = {
	KEY("filters", filters, 1, 65536),
	KEY("size", size, 1, 63),
	KEY("stride", stride, 1, 64),
	KEY("pad", pad, 0, 1),
	KEY("padding", padding, 0, 64),
	KEY("groups", groups, 1, 65536),
	KEY("batch_normalize", batch_normalize, 0, 1),
	{"activation", DLLD_CFG_TYPE_ACTIVATION, offsetof(struct dlld_layer, u.conv.activation), 0,
	 0, 0, 0},
	{NULL, DLLD_CFG_TYPE_COUNT, 0, 0, 0, 0, 0},
};

/* Parameter slots, in darknet's .weights order. */
enum { P_BIASES, P_SCALES, P_MEAN, P_VARIANCE };

static void conv_defaults(struct dlld_layer *l)
{
	l->u.conv = (struct dlld_conv_cfg){
		.filters = 1, .size = 1, .stride = 1, .groups = 1,
		.activation = DLLD_GEMM_ACT_LOGISTIC, /* darknet's default */
	};
}

static bool is_pointwise(const struct dlld_layer *l)
{
	const struct dlld_conv_cfg *c = &l->u.conv;
	return c->size == 1 && c->stride == 1 && c->padding == 0;
}

/* Whether ∂x is itself a stride-1 convolution of ∂z (by the flipped,
 * transposed weights) — then backward needs no column matrix at all. */
static bool transposed_as_conv(const struct dlld_layer *l)
{
	const struct dlld_conv_cfg *c = &l->u.conv;
	return !is_pointwise(l) && c->stride == 1 && c->padding <= c->size - 1;
}

static struct dlld_param *weights(struct dlld_layer *l)
{
	return &l->params[l->n_params - 1];
}

static struct dlld_im2col geometry(const struct dlld_layer *l)
{
	const struct dlld_conv_cfg *c = &l->u.conv;
	return (struct dlld_im2col){l->in.c / c->groups, l->in.h, l->in.w, c->size, c->stride,
				    c->padding, l->out.h, l->out.w};
}

static enum dlld_status conv_plan(struct dlld_layer *l, const struct dlld_plan *p,
				  struct dlld_error *err)
{
	struct dlld_conv_cfg *c = &l->u.conv;
	enum dlld_status st = dlld_plan_add_input(l, p, -1, err);
	size_t n = (size_t)c->filters, k, plane;

	if (st != DLLD_STATUS_OK)
		return st;
	if (c->pad)
		c->padding = c->size / 2;
	if (l->in.c % c->groups || c->filters % c->groups)
		return dlld_error_set_line(err, DLLD_STATUS_INCONSISTENT, p->file, l->line,
					   "groups=%d must divide the %d input channels and the %d filters",
					   c->groups, l->in.c, c->filters);
	l->out = (struct dlld_shape){l->in.n, c->filters,
				     (l->in.h + 2 * c->padding - c->size) / c->stride + 1,
				     (l->in.w + 2 * c->padding - c->size) / c->stride + 1};
	if (l->in.h + 2 * c->padding < c->size || l->in.w + 2 * c->padding < c->size)
		return dlld_error_set_line(err, DLLD_STATUS_INCONSISTENT, p->file, l->line,
					   "kernel %d larger than the padded %dx%d input", c->size,
					   l->in.w, l->in.h);
	k = (size_t)(l->in.c / c->groups) * (size_t)c->size * (size_t)c->size;
	plane = dlld_shape_plane(l->out);
	if (k > INT_MAX || dlld_shape_plane(l->in) > INT_MAX)
		return dlld_error_set_line(err, DLLD_STATUS_INCONSISTENT, p->file, l->line,
					   "convolution of %zu values per output is too large", k);
	dlld_plan_add_param(l, "biases", n, true, false);
	if (c->batch_normalize) {
		dlld_plan_add_param(l, "scales", n, true, false);
		dlld_plan_add_param(l, "rolling_mean", n, false, false);
		dlld_plan_add_param(l, "rolling_variance", n, false, false);
		if (p->training)
			l->state_floats = dlld_shape_count(l->out) + 2 * n;
	}
	dlld_plan_add_param(l, "weights", n * k, true, true);
	weights(l)->ndim = 4;
	memcpy(weights(l)->dims, (int[4]){c->filters, l->in.c / c->groups, c->size, c->size},
	       sizeof weights(l)->dims);
	/* forward and ∂W pack im2col panels straight from the image; ∂x is a
	 * convolution by the flipped weights at stride 1, else the column
	 * matrix's gradient, then col2im */
	l->workspace_floats = is_pointwise(l) || !p->training ? 0
			      : transposed_as_conv(l)	   ? n * k
							   : k * plane;
	l->bflops = 2.0 * (double)(n * k) * (double)plane / 1e9;
	return DLLD_STATUS_OK;
}

static void conv_init(struct dlld_layer *l, struct dlld_rng *rng)
{
	struct dlld_param *w = weights(l);
	size_t fan_in = w->count / (size_t)l->u.conv.filters;
	double a = sqrt(6.0 / (double)fan_in);
	static const double lo[] = {-0.1, 0.5, -0.1, 0.5}, hi[] = {0.1, 1.5, 0.1, 1.5};

	for (int p = 0; p < l->n_params - 1; p++)
		for (size_t i = 0; i < l->params[p].count; i++)
			l->params[p].data[i] = dlld_layer_uniform(rng, lo[p], hi[p]);
	for (size_t i = 0; i < w->count; i++)
		w->data[i] = dlld_layer_uniform(rng, -a, a);
}

/* z[b] = W · im2col(x[b]) per group, into l->output (bias and activation
 * in the GEMM epilogue when `fused`): one GEMM call per group for the whole
 * batch, so the weights are packed once. */
static void conv_gemm(struct dlld_layer *l, const struct dlld_run *run, bool fused)
{
	const struct dlld_conv_cfg *c = &l->u.conv;
	struct dlld_im2col g = geometry(l);
	int n_g = c->filters / c->groups, k = g.channels * c->size * c->size;
	int plane = l->out.h * l->out.w;
	size_t in_group = (size_t)g.channels * (size_t)l->in.h * (size_t)l->in.w;
	const float *w = weights(l)->data, *bias = l->params[P_BIASES].data;
	enum dlld_gemm_act act = fused ? c->activation : DLLD_GEMM_ACT_LINEAR;

	for (int grp = 0; grp < c->groups; grp++) {
		struct dlld_gemm_args a = {
			.m = n_g, .n = plane, .k = k, .alpha = 1.0f,
			.a = w + (size_t)(grp * n_g) * (size_t)k, .lda = k,
			.packed_a = c->packed, /* only ungrouped layers are packed */
			.b = l->src[0] + (size_t)grp * in_group, .ldb = plane,
			.conv = is_pointwise(l) ? NULL : &g,
			.c = l->output + (size_t)(grp * n_g) * (size_t)plane, .ldc = plane,
			.bias = fused ? bias + grp * n_g : NULL, .act = act,
			.batch = l->in.n, .b_stride = (size_t)c->groups * in_group,
			.c_stride = (size_t)c->filters * (size_t)plane,
		};
		dlld_gemm_run(run->pool, &a);
	}
}

struct channel_job {
	struct dlld_layer *l;
	bool train;     /* batch norm on batch statistics, kept for backward */
	bool calibrate; /* rolling statistics := this batch's, then normalize */
};

/* Channel f's batch mean and biased standard deviation of l->output. */
static void batch_statistics(const struct dlld_layer *l, size_t f, float *mean, float *sigma)
{
	size_t plane = dlld_shape_plane(l->out), count = plane * (size_t)l->out.n;
	double s = 0.0, ss = 0.0, mu;

	for (int b = 0; b < l->out.n; b++) {
		const float *z = l->output + ((size_t)b * (size_t)l->out.c + f) * plane;
		for (size_t i = 0; i < plane; i++)
			s += z[i];
	}
	mu = s / (double)count;
	for (int b = 0; b < l->out.n; b++) {
		const float *z = l->output + ((size_t)b * (size_t)l->out.c + f) * plane;
		for (size_t i = 0; i < plane; i++)
			ss += ((double)z[i] - mu) * ((double)z[i] - mu);
	}
	*mean = (float)mu;
	*sigma = (float)sqrt(ss / (double)count);
}

/* Batch norm of channel `task` in place (keeping x̂ when training), then
 * γ, β and the activation. */
static void batch_norm_channel(void *ctx, size_t task, int worker)
{
	const struct channel_job *j = ctx;
	struct dlld_layer *l = j->l;
	size_t plane = dlld_shape_plane(l->out), n = (size_t)l->out.c, f = task;
	size_t count = plane * (size_t)l->out.n;
	float scale = l->params[P_SCALES].data[f], shift = l->params[P_BIASES].data[f];
	float *rmean = l->params[P_MEAN].data, *rvar = l->params[P_VARIANCE].data;
	float *x_hat = j->train && !j->calibrate ? l->state : NULL;
	float mu = rmean[f], sigma = sqrtf(rvar[f]);

	(void)worker;
	if (j->calibrate) { /* + 0.01: near-constant channels must not amplify rounding */
		batch_statistics(l, f, &mu, &sigma);
		rmean[f] = mu;
		rvar[f] = sigma * sigma + 1e-2f;
		sigma = sqrtf(rvar[f]);
	} else if (j->train) {
		float *mean = l->state + dlld_shape_count(l->out), *sig = mean + n;
		batch_statistics(l, f, &mean[f], &sig[f]);
		mu = mean[f];
		sigma = sig[f];
		float unbiased = count > 1 ? sigma * sigma * (float)count / (float)(count - 1) : 0.0f;
		rmean[f] = (1.0f - BN_ROLLING) * rmean[f] + BN_ROLLING * mu;
		rvar[f] = (1.0f - BN_ROLLING) * rvar[f] + BN_ROLLING * unbiased;
	}
	float inv = 1.0f / (sigma + BN_EPS);
	for (int b = 0; b < l->out.n; b++) {
		size_t at = ((size_t)b * n + f) * plane;
		float *z = l->output + at;
		for (size_t i = 0; i < plane; i++) {
			float xh = (z[i] - mu) * inv;
			if (x_hat)
				x_hat[at + i] = xh;
			z[i] = scale * xh + shift;
		}
		dlld_act_forward(l->u.conv.activation, z, plane);
	}
}

static void conv_forward(struct dlld_layer *l, const struct dlld_run *run)
{
	bool bn = l->u.conv.batch_normalize && !l->u.conv.folded;
	struct channel_job j = {l, run->train && l->state, run->calibrate};

	conv_gemm(l, run, !bn);
	if (bn)
		dlld_layer_parallel(run->pool, (size_t)l->out.c, batch_norm_channel, &j);
}

/* Sums of dy and dy·x̂ over channel f of every image. */
static void channel_sums(const struct dlld_layer *l, size_t f, const float *x_hat, double *s_dy,
			 double *s_dyx)
{
	size_t plane = dlld_shape_plane(l->out);

	*s_dy = 0.0;
	*s_dyx = 0.0;
	for (int b = 0; b < l->out.n; b++) {
		size_t at = ((size_t)b * (size_t)l->out.c + f) * plane;
		for (size_t i = 0; i < plane; i++) {
			*s_dy += l->delta[at + i];
			if (x_hat)
				*s_dyx += (double)l->delta[at + i] * x_hat[at + i];
		}
	}
}

/* Channel `task` of l->delta: through the activation's derivative, then,
 * with batch norm, into ∂L/∂z in place, accumulating the γ and β (or bias)
 * gradients. With batch statistics ∂z = (g − mean g)/(σ + ε) −
 * x̂·mean(g·x̂)/σ, where g = γ·∂y. */
static void backward_channel(void *ctx, size_t task, int worker)
{
	const struct channel_job *j = ctx;
	struct dlld_layer *l = j->l;
	size_t plane = dlld_shape_plane(l->out), n = (size_t)l->out.c, f = task;
	size_t count = plane * (size_t)l->out.n;
	bool bn = l->u.conv.batch_normalize && !l->u.conv.folded;
	const float *x_hat = j->train ? l->state : NULL;
	double s_dy, s_dyx;

	(void)worker;
	for (int b = 0; b < l->out.n; b++) {
		size_t at = ((size_t)b * n + f) * plane;
		dlld_act_gradient(l->u.conv.activation, l->output + at, l->delta + at, plane);
	}
	channel_sums(l, f, bn ? x_hat : NULL, &s_dy, &s_dyx);
	l->params[P_BIASES].grad[f] += (float)s_dy;
	if (!bn)
		return;
	if (x_hat)
		l->params[P_SCALES].grad[f] += (float)s_dyx;
	float gamma = l->params[P_SCALES].data[f];
	float sigma = j->train ? l->state[dlld_shape_count(l->out) + n + f]
			       : sqrtf(l->params[P_VARIANCE].data[f]);
	double s = (double)sigma + BN_EPS;
	double mean_g = gamma * s_dy / (double)count, mean_gx = gamma * s_dyx / (double)count;
	double k2 = j->train && sigma > 0.0f ? mean_gx / sigma : 0.0;
	/* in double, rounded once: training runs are sensitive to the last bit */
	for (int b = 0; b < l->out.n; b++) {
		size_t at = ((size_t)b * n + f) * plane;
		float *d = l->delta + at;
		for (size_t i = 0; i < plane; i++) {
			double g = (double)gamma * d[i];
			d[i] = j->train ? (float)((g - mean_g) / s - x_hat[at + i] * k2) : (float)(g / s);
		}
	}
}

/* The geometry of ∂x = conv(∂z, W'): ∂z's n_g planes in, padding size − 1 −
 * pad, out the input's plane. */
static struct dlld_im2col transposed_geometry(const struct dlld_layer *l)
{
	const struct dlld_conv_cfg *c = &l->u.conv;
	return (struct dlld_im2col){c->filters / c->groups, l->out.h, l->out.w, c->size, 1,
				    c->size - 1 - c->padding, l->in.h, l->in.w};
}

/* W'[ch][(f·s + s−1−ky)·s + s−1−kx] = W[f][ch][ky][kx] for every group
 * (group g's W' at g·c_g·n_g·s²), into `flipped`. */
static void flip_weights(struct dlld_layer *l, float *flipped)
{
	const struct dlld_conv_cfg *c = &l->u.conv;
	int n_g = c->filters / c->groups, c_g = l->in.c / c->groups, s = c->size, ss = s * s;
	const float *w = weights(l)->data;

	for (int grp = 0; grp < c->groups; grp++) {
		float *wg = flipped + (size_t)grp * (size_t)c_g * (size_t)n_g * (size_t)ss;
		for (int f = 0; f < n_g; f++)
			for (int ch = 0; ch < c_g; ch++) {
				const float *src = w + ((size_t)(grp * n_g + f) * (size_t)c_g + (size_t)ch) *
							       (size_t)ss;
				float *dst = wg + (size_t)ch * (size_t)n_g * (size_t)ss + (size_t)f * (size_t)ss;
				for (int q = 0; q < ss; q++)
					dst[ss - 1 - q] = src[q];
			}
	}
}

/* ∂W += ∂z·colᵀ (col packed straight from the image) per image and group;
 * ∂x += conv(∂z, W') for stride 1, one call per group for the whole batch,
 * else ∂x += col2im(Wᵀ·∂z) per image. */
static void conv_backward_gemm(struct dlld_layer *l, const struct dlld_run *run)
{
	const struct dlld_conv_cfg *c = &l->u.conv;
	struct dlld_im2col g = geometry(l), gt = transposed_geometry(l);
	int n_g = c->filters / c->groups, k = g.channels * c->size * c->size;
	int plane = l->out.h * l->out.w, in_plane = l->in.h * l->in.w;
	size_t in_group = (size_t)g.channels * (size_t)in_plane;
	size_t out_image = (size_t)c->filters * (size_t)plane;
	struct dlld_param *w = weights(l);
	bool as_conv = transposed_as_conv(l) && l->src_delta[0];

	for (int b = 0; b < l->in.n; b++) {
		for (int grp = 0; grp < c->groups; grp++) {
			size_t in_at = ((size_t)b * (size_t)c->groups + (size_t)grp) * in_group;
			const float *dz = l->delta + (size_t)b * out_image +
					  (size_t)(grp * n_g) * (size_t)plane;
			const float *wg = w->data + (size_t)(grp * n_g) * (size_t)k;
			float *dwg = w->grad + (size_t)(grp * n_g) * (size_t)k;
			struct dlld_gemm_args dw = {
				.trans_b = true, .m = n_g, .n = k, .k = plane, .alpha = 1.0f,
				.a = dz, .lda = plane, .b = l->src[0] + in_at, .ldb = plane,
				.conv = is_pointwise(l) ? NULL : &g, .beta = 1.0f, .c = dwg, .ldc = k,
				.act = DLLD_GEMM_ACT_LINEAR,
			};
			dlld_gemm_run(run->pool, &dw);
			if (!l->src_delta[0] || as_conv)
				continue;
			if (is_pointwise(l)) {
				dlld_gemm(run->pool, true, false, k, plane, n_g, 1.0f, wg, k, dz, plane,
					  1.0f, l->src_delta[0] + in_at, plane);
				continue;
			}
			dlld_gemm(run->pool, true, false, k, plane, n_g, 1.0f, wg, k, dz, plane, 0.0f,
				  run->workspace, plane);
			dlld_col2im(run->pool, &g, run->workspace, l->src_delta[0] + in_at);
		}
	}
	if (!as_conv)
		return;
	flip_weights(l, run->workspace);
	for (int grp = 0; grp < c->groups; grp++) {
		int kt = n_g * c->size * c->size;
		struct dlld_gemm_args dx = {
			.m = g.channels, .n = in_plane, .k = kt, .alpha = 1.0f,
			.a = run->workspace + (size_t)grp * (size_t)g.channels * (size_t)kt,
			.lda = kt, .b = l->delta + (size_t)(grp * n_g) * (size_t)plane,
			.conv = &gt, .beta = 1.0f, .c = l->src_delta[0] + (size_t)grp * in_group,
			.ldc = in_plane, .act = DLLD_GEMM_ACT_LINEAR, .batch = l->in.n,
			.b_stride = out_image, .c_stride = (size_t)l->in.c * (size_t)in_plane,
		};
		dlld_gemm_run(run->pool, &dx);
	}
}

static void conv_backward(struct dlld_layer *l, const struct dlld_run *run)
{
	struct channel_job j = {l, run->train && l->state, false};

	dlld_layer_parallel(run->pool, (size_t)l->out.c, backward_channel, &j);
	conv_backward_gemm(l, run);
}

static void conv_fold(struct dlld_layer *l)
{
	struct dlld_param *w = weights(l);
	size_t k = w->count / (size_t)l->u.conv.filters;

	if (!l->u.conv.batch_normalize || l->u.conv.folded)
		return;
	for (int f = 0; f < l->u.conv.filters; f++) {
		float scale = l->params[P_SCALES].data[f] /
			      (sqrtf(l->params[P_VARIANCE].data[f]) + BN_EPS);
		for (size_t i = 0; i < k; i++)
			w->data[(size_t)f * k + i] *= scale;
		l->params[P_BIASES].data[f] -= l->params[P_MEAN].data[f] * scale;
	}
	l->u.conv.folded = true;
}

/* Only ungrouped convolutions are packed (one packed matrix per layer). */
static enum dlld_status conv_pack(struct dlld_layer *l, size_t *bytes, struct dlld_error *err)
{
	struct dlld_conv_cfg *c = &l->u.conv;
	int k = (int)(weights(l)->count / (size_t)c->filters);

	if (c->groups != 1)
		return DLLD_STATUS_OK;
	if (!c->packed)
		c->packed = dlld_gemm_pack_a(c->filters, k, weights(l)->data, k, err);
	if (!c->packed)
		return DLLD_STATUS_NO_MEMORY;
	*bytes += dlld_gemm_packed_bytes(c->packed);
	return DLLD_STATUS_OK;
}

static void conv_unpack(struct dlld_layer *l)
{
	dlld_gemm_packed_destroy(l->u.conv.packed);
	l->u.conv.packed = NULL;
}

static void conv_describe(const struct dlld_layer *l, char *buf, size_t size)
{
	const struct dlld_conv_cfg *c = &l->u.conv;

	snprintf(buf, size, "conv  %5d %2d x%2d /%2d  %4d x%4d x%4d   ->  %4d x%4d x%4d  %5.3f BFLOPs",
		 c->filters, c->size, c->size, c->stride, l->in.w, l->in.h, l->in.c, l->out.w,
		 l->out.h, l->out.c, l->bflops);
}

const struct dlld_layer_ops dlld_conv_ops = {
	.kind = DLLD_LAYER_KIND_CONVOLUTIONAL,
	.keys = conv_keys,
	.defaults = conv_defaults,
	.plan = conv_plan,
	.init = conv_init,
	.forward = conv_forward,
	.backward = conv_backward,
	.fold = conv_fold,
	.pack = conv_pack,
	.unpack = conv_unpack,
	.describe = conv_describe,
};

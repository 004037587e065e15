/* nn/activation.c — darknet's activations (nn/gemm.h defines them) and
 * their derivatives, taken from the output y as darknet does:
 * leaky' = y > 0 ? 1 : 0.1, logistic' = y·(1 − y), linear' = 1. */
#include "nn/layer.h"

#include <math.h>
#include <string.h>

static float derivative(enum dlld_gemm_act act, float y)
{
	switch (act) {
	case DLLD_GEMM_ACT_LEAKY:
		return y > 0.0f ? 1.0f : 0.1f;
	case DLLD_GEMM_ACT_LOGISTIC:
		return y * (1.0f - y);
	case DLLD_GEMM_ACT_LINEAR:
	case DLLD_GEMM_ACT_COUNT:
		break;
	}
	return 1.0f;
}

/* 1 when the sign bit of v is clear, else 0.1 — branch-free, so -O2
 * vectorises the blocks of 8 below. 0.1f + 0.9f is exactly 1; ±0 give ±0
 * either way and NaN stays NaN, so x·factor equals x > 0 ? x : 0.1·x. */
static inline float leaky_factor(float v)
{
	uint32_t bits;

	memcpy(&bits, &v, sizeof bits);
	return 0.1f + 0.9f * (float)(int32_t)(1u - (bits >> 31));
}

/* Leaky in blocks of 8, then the tail. */
static void leaky_forward(float *x, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8)
		for (size_t k = 0; k < 8; k++)
			x[i + k] *= leaky_factor(x[i + k]);
	for (; i < n; i++)
		x[i] *= x[i] > 0.0f ? 1.0f : 0.1f;
}

/* Multiplies dy by leaky'(y) = y > 0 ? 1 : 0.1, in blocks of 8 as above. */
static void leaky_gradient(const float *restrict y, float *restrict dy, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8)
		for (size_t k = 0; k < 8; k++)
			dy[i + k] *= leaky_factor(y[i + k]);
	for (; i < n; i++)
		dy[i] *= y[i] > 0.0f ? 1.0f : 0.1f;
}

/* One loop per activation (the formulas of dlld_gemm_act_apply). */
void dlld_act_forward(enum dlld_gemm_act act, float *x, size_t n)
{
	switch (act) {
	case DLLD_GEMM_ACT_LEAKY:
		leaky_forward(x, n);
		break;
	case DLLD_GEMM_ACT_LOGISTIC:
		for (size_t i = 0; i < n; i++)
			x[i] = 1.0f / (1.0f + expf(-x[i]));
		break;
	case DLLD_GEMM_ACT_LINEAR:
	case DLLD_GEMM_ACT_COUNT:
		break;
	}
}

void dlld_act_backward(enum dlld_gemm_act act, const float *y, const float *dy, float *dx,
		       size_t n)
{
	for (size_t i = 0; i < n; i++)
		dx[i] += dy[i] * derivative(act, y[i]);
}

void dlld_act_gradient(enum dlld_gemm_act act, const float *y, float *dy, size_t n)
{
	switch (act) {
	case DLLD_GEMM_ACT_LEAKY:
		leaky_gradient(y, dy, n);
		break;
	case DLLD_GEMM_ACT_LOGISTIC:
		for (size_t i = 0; i < n; i++)
			dy[i] *= y[i] * (1.0f - y[i]);
		break;
	case DLLD_GEMM_ACT_LINEAR:
	case DLLD_GEMM_ACT_COUNT:
		break;
	}
}

float dlld_layer_uniform(struct dlld_rng *rng, double lo, double hi)
{
	return (float)dlld_rng_range(rng, lo, hi);
}

void dlld_layer_parallel(struct dlld_pool *pool, size_t n_tasks, dlld_pool_task_fn fn, void *ctx)
{
	if (!pool) {
		for (size_t t = 0; t < n_tasks; t++)
			fn(ctx, t, 0);
		return;
	}
	dlld_pool_run(pool, n_tasks, fn, ctx);
}

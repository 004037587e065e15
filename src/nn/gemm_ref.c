/* nn/gemm_ref.c — the reference GEMM, the activation names, the portable
 * micro-kernel and the scalar tile epilogue every kernel shares. */
#include <assert.h>

#include "nn/gemm_kernel.h"

const char *const dlld_gemm_act_names[DLLD_GEMM_ACT_COUNT] = {
	[DLLD_GEMM_ACT_LINEAR] = "linear",
	[DLLD_GEMM_ACT_LEAKY] = "leaky",
	[DLLD_GEMM_ACT_LOGISTIC] = "logistic",
};
static_assert(DLLD_GEMM_ACT_COUNT == 3, "dlld_gemm_act_names lists every activation");

void dlld_gemm_ref(bool trans_a, bool trans_b, int m, int n, int k, float alpha,
		   const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
	for (int i = 0; i < m; i++) {
		for (int j = 0; j < n; j++) {
			float sum = 0.0f;
			for (int p = 0; p < k; p++) {
				float x = trans_a ? a[(size_t)p * (size_t)lda + (size_t)i]
						  : a[(size_t)i * (size_t)lda + (size_t)p];
				float y = trans_b ? b[(size_t)j * (size_t)ldb + (size_t)p]
						  : b[(size_t)p * (size_t)ldb + (size_t)j];
				sum += x * y;
			}
			float *cij = &c[(size_t)i * (size_t)ldc + (size_t)j];
			float v = alpha * sum;
			if (beta != 0.0f)
				v += beta * *cij;
			*cij = v;
		}
	}
}

void dlld_gemm_store_tile(const float *acc, int acc_ld, const struct dlld_gemm_tile *t)
{
	for (int i = 0; i < t->rows; i++) {
		float *ci = t->c + (size_t)i * t->ldc;
		for (int j = 0; j < t->cols; j++) {
			float v = t->alpha * acc[i * acc_ld + j];
			if (t->beta != 0.0f) {
				float old = t->beta * ci[j];
				v = v + old;
			}
			if (t->bias)
				v = v + t->bias[i];
			ci[j] = dlld_gemm_act_apply(t->act, v);
		}
	}
}

void dlld_gemm_logistic_tile(const struct dlld_gemm_tile *t)
{
	for (int i = 0; i < t->rows; i++) {
		float *ci = t->c + (size_t)i * t->ldc;
		for (int j = 0; j < t->cols; j++)
			ci[j] = dlld_gemm_act_apply(DLLD_GEMM_ACT_LOGISTIC, ci[j]);
	}
}

/* The portable 4×8 micro-kernel (any CPU; the compiler may vectorise it). */
enum { SCALAR_MR = 4, SCALAR_NR = 8 };

static void scalar_tile(const struct dlld_gemm_tile *t)
{
	float acc[SCALAR_MR * SCALAR_NR] = {0};
	const float *a = t->a, *b = t->b;

	for (int p = 0; p < t->kc; p++) {
		for (int i = 0; i < SCALAR_MR; i++) {
			for (int j = 0; j < SCALAR_NR; j++) {
				float prod = a[i] * b[j];
				acc[i * SCALAR_NR + j] += prod;
			}
		}
		a += SCALAR_MR;
		b += SCALAR_NR;
	}
	dlld_gemm_store_tile(acc, SCALAR_NR, t);
}

const struct dlld_gemm_kernel_impl dlld_gemm_impl_scalar = {SCALAR_MR, SCALAR_NR, scalar_tile};

/*
 * nn/gemm.h — single-precision matrix multiply for the nn engine.
 *
 * All matrices are row-major; lda/ldb/ldc are row strides in floats. The fast
 * path packs A and B into panels and runs a register-blocked micro-kernel
 * chosen at run time from what the CPU supports (AVX-512, AVX2+FMA, or plain
 * C), so one binary is fast everywhere with no environment variable. Work is
 * split over blocks of rows and columns of C, never over K, and the blocking
 * does not depend on the thread count: results are bitwise identical for 1
 * and N threads.
 *
 * Memory: op(A) (and, when several tasks share columns, op(B)) is packed once
 * per call into a buffer of the calling thread that grows to the largest
 * matrix seen and is freed when that thread exits; so after the first call
 * of each size nothing is allocated (with pre-packed A, never). Per-task
 * packing buffers live on the stack of the thread running the task (632 KiB).
 * If the buffer cannot grow, tasks pack their own blocks instead (slower,
 * same results): these functions cannot fail.
 *
 * Convolution (darknet layout): weights W[out_c × c·size·size] as A, the
 * im2col matrix [c·size·size × out_h·out_w] as B, the output [out_c ×
 * out_h·out_w] as C. A 1×1 stride-1 convolution needs no im2col: B is the
 * input itself (k = c, n = h·w, ldb = h·w). The per-channel bias and the
 * activation are applied while each C tile is still in registers:
 * dlld_gemm_bias_act. Better still, dlld_gemm_conv_bias_act packs B straight
 * from the image (no im2col buffer at all). Weights used for many forwards
 * can be packed once (dlld_gemm_pack_a) and reused. A mini-batch of images
 * sharing the weights is one call (dlld_gemm_args.batch): A packed once.
 * docs/perf.md has the design and the measurements.
 */
#ifndef DLLD_NN_GEMM_H
#define DLLD_NN_GEMM_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#include "dlld/core.h"
#include "nn/im2col.h"

/* The activations the fused epilogue applies, as darknet defines them:
 * linear x; leaky x > 0 ? x : 0.1·x; logistic 1 / (1 + exp(-x)). */
enum dlld_gemm_act {
	DLLD_GEMM_ACT_LINEAR,
	DLLD_GEMM_ACT_LEAKY,
	DLLD_GEMM_ACT_LOGISTIC,
	DLLD_GEMM_ACT_COUNT
};
/* "linear", "leaky", "logistic" (darknet's cfg names). */
extern const char *const dlld_gemm_act_names[DLLD_GEMM_ACT_COUNT];

/* Returns act(x), the scalar definition every kernel matches (inline: the
 * engine's activation loops call it per element). */
static inline float dlld_gemm_act_apply(enum dlld_gemm_act act, float x)
{
	switch (act) {
	case DLLD_GEMM_ACT_LEAKY:
		return x > 0.0f ? x : 0.1f * x;
	case DLLD_GEMM_ACT_LOGISTIC:
		return 1.0f / (1.0f + expf(-x));
	case DLLD_GEMM_ACT_LINEAR:
	case DLLD_GEMM_ACT_COUNT:
		break;
	}
	return x;
}

/* The micro-kernels; AUTO picks the fastest the CPU supports. */
enum dlld_gemm_kernel {
	DLLD_GEMM_KERNEL_AUTO,
	DLLD_GEMM_KERNEL_SCALAR,
	DLLD_GEMM_KERNEL_AVX2,   /* AVX2 + FMA, 6×16 register tile */
	DLLD_GEMM_KERNEL_AVX512, /* AVX-512F, 8×32 register tile */
	DLLD_GEMM_KERNEL_COUNT
};
/* "auto", "scalar", "avx2", "avx512". */
extern const char *const dlld_gemm_kernel_names[DLLD_GEMM_KERNEL_COUNT];

/* Returns whether this CPU can run `kernel` (AUTO and SCALAR: always). */
bool dlld_gemm_kernel_supported(enum dlld_gemm_kernel kernel);
/* Returns the kernel AUTO resolves to on this CPU (never AUTO). */
enum dlld_gemm_kernel dlld_gemm_kernel_best(void);

/* C[m×n] = alpha·op(A)·op(B) + beta·C; op(X) = X or Xᵀ. op(A) is m×k, op(B)
 * is k×n. beta == 0 overwrites C without reading it (NaN in C is fine).
 * pool may be NULL (single thread). Borrows everything; fills c. */
void dlld_gemm(struct dlld_pool *pool, bool trans_a, bool trans_b, int m, int n, int k,
	       float alpha, const float *a, int lda, const float *b, int ldb,
	       float beta, float *c, int ldc);

/* The reference twin: the plain triple loop (sum over k in order, in float),
 * single-threaded. Same contract as dlld_gemm. */
void dlld_gemm_ref(bool trans_a, bool trans_b, int m, int n, int k, float alpha,
		   const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);

/* Convolution inference: C[m×n] = act(A[m×k]·B[k×n] + bias[row]), no
 * transposes, C overwritten (not read). bias may be NULL (no bias). The bias
 * and activation are applied on each C tile as the last K block finishes.
 * (BLAS-style argument list kept for symmetry with dlld_gemm.) Borrows all. */
void dlld_gemm_bias_act(struct dlld_pool *pool, int m, int n, int k, const float *a, int lda,
			const float *b, int ldb, const float *bias, enum dlld_gemm_act act,
			float *c, int ldc);

struct dlld_gemm_packed; /* pre-packed weights, below */

/* Convolution inference without an im2col buffer: out[m × out_h·out_w] =
 * act(A[m × channels·size²] · im2col(im) + bias[row]) for one image `im`
 * [channels × h × w] (one group), geometry `conv` (nn/im2col.h). The B panels
 * are packed straight from the image, so the column matrix never exists:
 * less memory and one pass less over it. A is the weights (lda = row stride)
 * or, when packed is not NULL, the pre-packed weights (a, lda ignored).
 * out is overwritten, row stride out_h·out_w. Borrows all; fills out. */
void dlld_gemm_conv_bias_act(struct dlld_pool *pool, int m, const float *a, int lda,
			     const struct dlld_gemm_packed *packed, const struct dlld_im2col *conv,
			     const float *im, const float *bias, enum dlld_gemm_act act,
			     float *out);

/* ---- pre-packed A (weights packed once after loading) ---------------------
 * The packed layout belongs to the kernel chosen when packing; it stays valid
 * on the same machine. Results equal dlld_gemm_bias_act's bit for bit. */

/* Returns new packed copy of A[m×k] (row stride lda), or NULL with err set
 * (DLLD_STATUS_NO_MEMORY). Borrows a. */
struct dlld_gemm_packed *dlld_gemm_pack_a(int m, int k, const float *a, int lda,
					  struct dlld_error *err);
void dlld_gemm_packed_destroy(struct dlld_gemm_packed *packed); /* accepts NULL */
/* Returns the packed size in bytes (for memory accounting). */
size_t dlld_gemm_packed_bytes(const struct dlld_gemm_packed *packed);

/* As dlld_gemm_bias_act with A pre-packed (m and k come from `packed`).
 * Borrows everything; fills c. */
void dlld_gemm_packed_bias_act(struct dlld_pool *pool, const struct dlld_gemm_packed *packed,
			       int n, const float *b, int ldb, const float *bias,
			       enum dlld_gemm_act act, float *c, int ldc);

/* ---- the general entry (tests, benchmarks) -------------------------------- */
struct dlld_gemm_args {
	bool trans_a, trans_b;
	int m, n, k;
	float alpha;
	const float *a; /* op(A) m×k; ignored when packed_a is set */
	int lda;
	const struct dlld_gemm_packed *packed_a; /* or NULL */
	const float *b; /* op(B) k×n, or the image when conv is set */
	int ldb;
	/* B = im2col(b), or with trans_b op(B) = im2col(b)ᵀ (a convolution's
	 * weight gradient ∂z·colᵀ), packed straight from the image b; or NULL */
	const struct dlld_im2col *conv;
	float beta;
	float *c; /* m×n */
	int ldc;
	const float *bias;       /* m per-row values added after alpha·AB + beta·C, or NULL */
	enum dlld_gemm_act act;  /* applied last */
	enum dlld_gemm_kernel kernel; /* AUTO unless testing a specific one */
	/* A batch of independent products sharing A (packed once for all):
	 * image i reads b + i·b_stride and writes c + i·c_stride (floats).
	 * batch 0 or 1: one product. E.g. a convolution's forward over a
	 * mini-batch: .conv set, b = x, b_stride = c·h·w, c_stride = filters·
	 * out_h·out_w. */
	int batch;
	size_t b_stride, c_stride;
};

/* Runs args; an unsupported kernel falls back to AUTO; with packed_a, the
 * kernel it was packed for runs (and its m, k are used). Borrows args. */
void dlld_gemm_run(struct dlld_pool *pool, const struct dlld_gemm_args *args);

#endif

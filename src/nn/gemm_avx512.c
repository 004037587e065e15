/* nn/gemm_avx512.c — the 8×32 AVX-512F micro-kernel (gemm_kernel_body.h).
 * Compiled for every x86-64 CPU; run only where CPUID reports AVX-512F. */
#include <immintrin.h>

#include "nn/gemm_kernel.h"

#define KB_TARGET __attribute__((target("avx512f")))
#define KB_V __m512
#define KB_LANES 16
#define KB_MR 8
#define KB_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#define KB_ZERO() _mm512_setzero_ps()
#define KB_LOAD(p) _mm512_load_ps(p)
#define KB_LOADU(p) _mm512_loadu_ps(p)
#define KB_STOREU(p, v) _mm512_storeu_ps((p), (v))
#define KB_SET1(x) _mm512_set1_ps(x)
#define KB_FMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define KB_MUL(a, b) _mm512_mul_ps((a), (b))
#define KB_ADD(a, b) _mm512_add_ps((a), (b))
#define KB_MAX(a, b) _mm512_max_ps((a), (b))

#include "nn/gemm_kernel_body.h"

const struct dlld_gemm_kernel_impl dlld_gemm_impl_avx512 = {KB_MR, KB_NR, kb_tile};

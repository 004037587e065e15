/* nn/gemm_avx2.c — the 6×16 AVX2 + FMA micro-kernel (gemm_kernel_body.h).
 * Compiled for every x86-64 CPU; run only where CPUID reports AVX2 and FMA. */
#include <immintrin.h>

#include "nn/gemm_kernel.h"

#define KB_TARGET __attribute__((target("avx2,fma")))
#define KB_V __m256
#define KB_LANES 8
#define KB_MR 6
#define KB_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)
#define KB_ZERO() _mm256_setzero_ps()
#define KB_LOAD(p) _mm256_load_ps(p)
#define KB_LOADU(p) _mm256_loadu_ps(p)
#define KB_STOREU(p, v) _mm256_storeu_ps((p), (v))
#define KB_SET1(x) _mm256_set1_ps(x)
#define KB_FMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define KB_MUL(a, b) _mm256_mul_ps((a), (b))
#define KB_ADD(a, b) _mm256_add_ps((a), (b))
#define KB_MAX(a, b) _mm256_max_ps((a), (b))

#include "nn/gemm_kernel_body.h"

const struct dlld_gemm_kernel_impl dlld_gemm_impl_avx2 = {KB_MR, KB_NR, kb_tile};

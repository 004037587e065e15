/* tests/nn/test_gemm_tile512.c — the micro-kernel template at the AVX-512
 * kernel's geometry (8 × 32 tile, 16-float vectors), run on AVX2 hardware.
 *
 * gemm_avx512.c instantiates nn/gemm_kernel_body.h with 512-bit operations;
 * CPUs without AVX-512 cannot run it, so the dispatch tests in test_gemm.c
 * skip it there. This test instantiates the same template with a 16-float
 * vector made of two AVX2 registers, so the tile logic at 8 × 32 (register
 * naming, row/column edges, epilogue order, logistic pass) is checked on
 * every AVX2 machine; only the one-to-one mapping of each operation to its
 * _mm512_ intrinsic is left to the AVX-512 machines' run of test_gemm. */
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "nn/gemm_kernel.h"

#define EMU __attribute__((target("avx2,fma")))

typedef struct {
	__m256 lo, hi;
} v16;

EMU static inline v16 v16_zero(void)
{
	return (v16){_mm256_setzero_ps(), _mm256_setzero_ps()};
}
EMU static inline v16 v16_load(const float *p)
{
	return (v16){_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)};
}
EMU static inline void v16_store(float *p, v16 v)
{
	_mm256_storeu_ps(p, v.lo);
	_mm256_storeu_ps(p + 8, v.hi);
}
EMU static inline v16 v16_set1(float x)
{
	return (v16){_mm256_set1_ps(x), _mm256_set1_ps(x)};
}
EMU static inline v16 v16_fma(v16 a, v16 b, v16 c)
{
	return (v16){_mm256_fmadd_ps(a.lo, b.lo, c.lo), _mm256_fmadd_ps(a.hi, b.hi, c.hi)};
}
EMU static inline v16 v16_mul(v16 a, v16 b)
{
	return (v16){_mm256_mul_ps(a.lo, b.lo), _mm256_mul_ps(a.hi, b.hi)};
}
EMU static inline v16 v16_add(v16 a, v16 b)
{
	return (v16){_mm256_add_ps(a.lo, b.lo), _mm256_add_ps(a.hi, b.hi)};
}
EMU static inline v16 v16_max(v16 a, v16 b)
{
	return (v16){_mm256_max_ps(a.lo, b.lo), _mm256_max_ps(a.hi, b.hi)};
}

#define KB_TARGET EMU
#define KB_V v16
#define KB_LANES 16
#define KB_MR 8
#define KB_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#define KB_ZERO() v16_zero()
#define KB_LOAD(p) v16_load(p)
#define KB_LOADU(p) v16_load(p)
#define KB_STOREU(p, v) v16_store((p), (v))
#define KB_SET1(x) v16_set1(x)
#define KB_FMA(a, b, c) v16_fma((a), (b), (c))
#define KB_MUL(a, b) v16_mul((a), (b))
#define KB_ADD(a, b) v16_add((a), (b))
#define KB_MAX(a, b) v16_max((a), (b))

#include "nn/gemm_kernel_body.h"

enum { MR = KB_MR, NR = KB_NR, KC = 37, LDC = NR + 5 };

/* One tile through kb_tile and through a scalar model of gemm_kernel.h. */
static int check_tile(int rows, int cols, float alpha, float beta, bool bias,
		      enum dlld_gemm_act act, struct dlld_rng *rng)
{
	_Alignas(64) float a[KC * MR];
	_Alignas(64) float b[KC * NR];
	float c[MR * LDC], want[MR * LDC], bias_v[MR];
	int bad = 0;

	for (int i = 0; i < KC * MR; i++)
		a[i] = (float)dlld_rng_range(rng, -1, 1);
	for (int i = 0; i < KC * NR; i++)
		b[i] = (float)dlld_rng_range(rng, -1, 1);
	for (int i = 0; i < MR * LDC; i++)
		c[i] = want[i] = (float)dlld_rng_range(rng, -1, 1);
	for (int i = 0; i < MR; i++)
		bias_v[i] = (float)dlld_rng_range(rng, -1, 1);
	for (int i = 0; i < rows; i++) {
		for (int j = 0; j < cols; j++) {
			double acc = 0.0;
			for (int p = 0; p < KC; p++)
				acc += (double)a[p * MR + i] * b[p * NR + j];
			float v = alpha * (float)acc;
			if (beta != 0.0f)
				v += beta * want[i * LDC + j];
			if (bias)
				v += bias_v[i];
			want[i * LDC + j] = dlld_gemm_act_apply(act, v);
		}
	}
	struct dlld_gemm_tile t = {.kc = KC, .a = a, .b = b, .c = c, .ldc = LDC, .rows = rows,
				   .cols = cols, .alpha = alpha, .beta = beta,
				   .bias = bias ? bias_v : NULL, .act = act};
	kb_tile(&t);
	for (int i = 0; i < MR * LDC; i++) {
		bool inside = i / LDC < rows && i % LDC < cols;
		double tol = inside ? 1e-5 * (KC + 4) : 0.0; /* outside: untouched */
		if (!(fabs((double)c[i] - want[i]) <= tol))
			bad++;
	}
	return bad;
}

static void test_tile_8x32(void)
{
	static const int edges[][2] = {{MR, NR}, {1, 1}, {MR, 1}, {1, NR}, {5, 17}, {7, 31}};
	static const float ab[][2] = {{1, 0}, {0.5f, 1}, {-2, -0.25f}};
	struct dlld_rng rng;

	if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
		SKIP("no AVX2 + FMA to emulate 16-float vectors with");
	dlld_rng_seed(&rng, 11);
	for (size_t e = 0; e < sizeof edges / sizeof edges[0]; e++)
		for (size_t s = 0; s < sizeof ab / sizeof ab[0]; s++)
			for (int act = 0; act < DLLD_GEMM_ACT_COUNT; act++) {
				int bad = check_tile(edges[e][0], edges[e][1], ab[s][0], ab[s][1],
						     act != 0, (enum dlld_gemm_act)act, &rng);
				CHECK_MSG(bad == 0, "%d x %d alpha %g beta %g %s: %d wrong",
					  edges[e][0], edges[e][1], (double)ab[s][0],
					  (double)ab[s][1], dlld_gemm_act_names[act], bad);
			}
}

int main(void)
{
	dlld_test_run("the 8 x 32 kernel template (AVX-512 geometry) on AVX2", test_tile_8x32);
	return dlld_test_finish();
}

/*
 * nn/gemm_kernel_body.h — the register-tiled micro-kernel, written once and
 * instantiated per instruction set (gemm_avx2.c, gemm_avx512.c); include it
 * once per file after defining:
 *
 *   KB_TARGET      function attribute enabling the instruction set
 *   KB_V           the vector type; KB_LANES floats per vector
 *   KB_MR          rows of the tile; KB_ROWS(X) expands X(0) ... X(KB_MR - 1)
 *   KB_ZERO() KB_LOAD(p) (aligned) KB_LOADU(p) KB_STOREU(p, v) KB_SET1(x)
 *   KB_FMA(a, b, c) (a·b + c, one rounding) KB_MUL KB_ADD KB_MAX
 *
 * The tile is KB_MR × 2·KB_LANES: each row of C is two vectors, so each step
 * of k loads two B vectors, broadcasts KB_MR values of A and issues 2·KB_MR
 * independent FMAs into 2·KB_MR accumulator registers (AVX2: 12 of 16
 * registers; AVX-512: 16 of 32). It defines static kb_tile, the kernel.
 */

#define KB_NR (2 * KB_LANES)

/* The epilogue of gemm_kernel.h for one vector of one row. */
KB_TARGET static inline KB_V kb_finish(KB_V acc, const float *c, const float *bias,
				       const struct dlld_gemm_tile *t)
{
	KB_V v = KB_MUL(acc, KB_SET1(t->alpha));

	if (t->beta != 0.0f)
		v = KB_ADD(v, KB_MUL(KB_SET1(t->beta), KB_LOADU(c)));
	if (bias)
		v = KB_ADD(v, KB_SET1(*bias));
	if (t->act == DLLD_GEMM_ACT_LEAKY) /* max(x, 0.1x) == (x > 0 ? x : 0.1x) */
		v = KB_MAX(v, KB_MUL(v, KB_SET1(0.1f)));
	return v;
}

#define KB_DECL(i) KB_V c##i##0 = KB_ZERO(), c##i##1 = KB_ZERO();
#define KB_STEP(i)                                                     \
	{                                                              \
		KB_V x = KB_SET1(a[i]);                                \
		c##i##0 = KB_FMA(x, b0, c##i##0);                      \
		c##i##1 = KB_FMA(x, b1, c##i##1);                      \
	}
#define KB_STORE(i)                                                    \
	{                                                              \
		float *ci = t->c + (size_t)(i) * t->ldc;               \
		const float *bi = t->bias ? t->bias + (i) : NULL;      \
		KB_STOREU(ci, kb_finish(c##i##0, ci, bi, t));          \
		KB_STOREU(ci + KB_LANES, kb_finish(c##i##1, ci + KB_LANES, bi, t)); \
	}
#define KB_PREFETCH_C(i)                                               \
	{                                                              \
		const float *ci = t->c + (size_t)(i) * t->ldc;         \
		__builtin_prefetch(ci, 1);                             \
		__builtin_prefetch(ci + KB_NR - 1, 1);                 \
	}
#define KB_SPILL(i)                                                    \
	{                                                              \
		KB_STOREU(acc + (i) * KB_NR, c##i##0);                 \
		KB_STOREU(acc + (i) * KB_NR + KB_LANES, c##i##1);      \
	}

/* Computes one tile (see gemm_kernel.h). Borrows t; fills the C tile. */
KB_TARGET static void kb_tile(const struct dlld_gemm_tile *t)
{
	KB_ROWS(KB_DECL)
	const float *a = t->a, *b = t->b;

	KB_ROWS(KB_PREFETCH_C) /* C arrives while the FMAs run */
	for (int p = 0; p < t->kc; p++) {
		KB_V b0 = KB_LOAD(b), b1 = KB_LOAD(b + KB_LANES);
		KB_ROWS(KB_STEP)
		a += KB_MR;
		b += KB_NR;
	}
	if (t->rows == KB_MR && t->cols == KB_NR) {
		KB_ROWS(KB_STORE)
		if (t->act == DLLD_GEMM_ACT_LOGISTIC)
			dlld_gemm_logistic_tile(t);
	} else {
		_Alignas(64) float acc[KB_MR * KB_NR];
		KB_ROWS(KB_SPILL)
		dlld_gemm_store_tile(acc, KB_NR, t);
	}
}

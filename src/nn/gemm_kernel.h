/*
 * nn/gemm_kernel.h — what the GEMM driver (gemm.c) and the per-instruction-set
 * micro-kernels (gemm_scalar.c, gemm_avx2.c, gemm_avx512.c) share. Internal.
 *
 * A micro-kernel multiplies one packed A panel (kc × mr, k-major: the mr
 * values of column p of A are contiguous) by one packed B panel (kc × nr,
 * k-major) into an mr × nr accumulator, then finishes the C tile:
 *
 *     C = act(alpha·acc + beta·C + bias[row])
 *
 * in that order, each step rounded separately (no FMA in the epilogue), so a
 * full tile written with vectors and an edge tile written by
 * dlld_gemm_store_tile give identical bits. beta == 0 does not read C.
 */
#ifndef DLLD_NN_GEMM_KERNEL_H
#define DLLD_NN_GEMM_KERNEL_H

#include "nn/gemm.h"

/* Cache blocking (gemm.c): a K block, the rows of an A block (a multiple of
 * every kernel's mr: 4, 6, 8), the columns of a B block (of every nr: 8, 16,
 * 32). Constants, so results do not depend on the thread count. */
enum {
	DLLD_GEMM_KC = 256,
	DLLD_GEMM_MC = 120,
	DLLD_GEMM_NC = 512,
};

struct dlld_gemm_tile {
	int kc;           /* depth of this K block (may be 0) */
	const float *a;   /* packed A panel, kc × mr */
	const float *b;   /* packed B panel, kc × nr, 64-byte aligned */
	float *c;         /* top-left of the C tile */
	size_t ldc;
	int rows, cols;   /* valid part of the tile: rows <= mr, cols <= nr */
	float alpha, beta;
	const float *bias; /* bias of the tile's first row, or NULL */
	enum dlld_gemm_act act;
};

struct dlld_gemm_kernel_impl {
	int mr, nr;
	void (*tile)(const struct dlld_gemm_tile *t);
};

extern const struct dlld_gemm_kernel_impl dlld_gemm_impl_scalar;
extern const struct dlld_gemm_kernel_impl dlld_gemm_impl_avx2;
extern const struct dlld_gemm_kernel_impl dlld_gemm_impl_avx512;

/* Finishes the valid rows × cols of a tile from acc (row stride acc_ld) with
 * the scalar epilogue. Borrows acc; fills t->c. */
void dlld_gemm_store_tile(const float *acc, int acc_ld, const struct dlld_gemm_tile *t);
/* Applies the logistic function in place to the valid part of the C tile
 * (the vector epilogues leave it to this scalar pass). Fills t->c. */
void dlld_gemm_logistic_tile(const struct dlld_gemm_tile *t);

/* ---- packing (gemm_pack.c) ----------------------------------------------- */

/* Fills dst with rows [row0, row0 + rows) × columns [p0, p0 + kc) of op(A)
 * as ceil(rows/mr) panels of kc × mr, zero past row g->m and past `rows`. */
void dlld_gemm_pack_a_block(const struct dlld_gemm_args *g, int mr, int row0, int rows, int p0,
			    int kc, float *dst);
/* Fills rows [row0, row0 + rows) (row0 a multiple of mr) of a whole packed
 * op(A) (layout: K block p0 at p0·m_pad, its panels of kc × mr in row
 * order), reading each row of A in one sweep. Zero past row g->m. */
void dlld_gemm_pack_a_rows(const struct dlld_gemm_args *g, int mr, size_t m_pad, int row0,
			   int rows, float *data);
/* Fills dst with rows [p0, p0 + kc) × columns [col0, col0 + cols) of op(B)
 * (or of the implicit im2col matrix when g->conv is set) as ceil(cols/nr)
 * panels of kc × nr, zero past column `cols`. */
void dlld_gemm_pack_b_block(const struct dlld_gemm_args *g, int nr, int p0, int kc, int col0,
			    int cols, float *dst);

/* The calling thread's grow-only packing buffers, freed when it exits. */
enum dlld_gemm_scratch {
	DLLD_GEMM_SCRATCH_A,
	DLLD_GEMM_SCRATCH_B,
	DLLD_GEMM_SCRATCH_COUNT
};
/* Borrows a 64-byte-aligned buffer of at least count floats, or NULL. */
float *dlld_gemm_scratch(enum dlld_gemm_scratch slot, size_t count);

#endif

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

#endif

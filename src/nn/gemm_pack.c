/* nn/gemm_pack.c — packing op(A), op(B) and convolution images into the
 * micro-kernels' panels, and the per-thread packing scratch (gemm_kernel.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "nn/gemm_kernel.h"

enum { PREFETCH_ROWS = 4 }; /* rows of B ahead that pack_b prefetches */

/* Prefetches the n floats at p (the next K block of a row being packed). */
static void prefetch_run(const float *p, int n)
{
	for (int q = 0; q < n; q += 16)
		__builtin_prefetch(p + q);
}

void dlld_gemm_pack_a_block(const struct dlld_gemm_args *g, int mr, int row0, int rows, int p0,
			    int kc, float *dst)
{
	int next = g->k - (p0 + kc) < kc ? g->k - (p0 + kc) : kc;

	for (int r0 = 0; r0 < rows; r0 += mr) {
		float *panel = dst + (size_t)r0 * (size_t)kc;
		if (g->trans_a) { /* row p of a holds column p of op(A): mr contiguous values */
			for (int p = 0; p < kc; p++) {
				const float *src = g->a + (size_t)(p0 + p) * (size_t)g->lda;
				for (int r = 0; r < mr; r++) {
					int i = row0 + r0 + r;
					bool in = i < g->m && r0 + r < rows;
					panel[p * mr + r] = in ? src[i] : 0.0f;
				}
			}
			continue;
		}
		for (int r = 0; r < mr; r++) {
			int i = row0 + r0 + r;
			if (i >= g->m || r0 + r >= rows) {
				for (int p = 0; p < kc; p++)
					panel[p * mr + r] = 0.0f;
				continue;
			}
			const float *src = g->a + (size_t)i * (size_t)g->lda + (size_t)p0;
			prefetch_run(src + kc, next);
			for (int p = 0; p < kc; p++)
				panel[p * mr + r] = src[p];
		}
	}
}

void dlld_gemm_pack_a_rows(const struct dlld_gemm_args *g, int mr, size_t m_pad, int row0,
			   int rows, float *data)
{
	if (g->trans_a) {
		for (int p0 = 0; p0 < g->k; p0 += DLLD_GEMM_KC) {
			int kc = g->k - p0 < DLLD_GEMM_KC ? g->k - p0 : DLLD_GEMM_KC;
			dlld_gemm_pack_a_block(g, mr, row0, rows, p0, kc,
					       data + (size_t)p0 * m_pad + (size_t)row0 * (size_t)kc);
		}
		return;
	}
	for (int r0 = row0; r0 < row0 + rows; r0 += mr) {
		for (int r = 0; r < mr; r++) { /* row i of A in one sequential sweep */
			int i = r0 + r;
			const float *src = g->a + (size_t)i * (size_t)g->lda;
			for (int p0 = 0; p0 < g->k; p0 += DLLD_GEMM_KC) {
				int kc = g->k - p0 < DLLD_GEMM_KC ? g->k - p0 : DLLD_GEMM_KC;
				float *panel = data + (size_t)p0 * m_pad + (size_t)r0 * (size_t)kc;
				for (int p = 0; p < kc; p++)
					panel[p * mr + r] = i < g->m ? src[p0 + p] : 0.0f;
			}
		}
	}
}

/* Copies w <= nr floats and zero-fills the panel row to nr. */
static void copy_row(float *dst, const float *src, int w, int nr)
{
	int j = 0;
	for (; j + 8 <= w; j += 8)
		memcpy(dst + j, src + j, 8 * sizeof(float)); /* constant size: inlined */
	for (; j < w; j++)
		dst[j] = src[j];
	for (; j < nr; j++)
		dst[j] = 0.0f;
}

/* B as stored: reads B in its own row order (one contiguous run per row),
 * which keeps the prefetcher and the TLB happy on a tall im2col matrix. */
static void pack_b_rows(const struct dlld_gemm_args *g, int nr, int p0, int kc, int col0,
			int cols, float *dst)
{
	for (int p = 0; p < kc; p++) {
		const float *src = g->b + (size_t)(p0 + p) * (size_t)g->ldb + (size_t)col0;
		if (p + PREFETCH_ROWS < kc) /* a new page per row: help the prefetcher */
			for (int j = 0; j < cols; j += 16)
				__builtin_prefetch(src + PREFETCH_ROWS * (size_t)g->ldb + j);
		for (int j0 = 0; j0 < cols; j0 += nr)
			copy_row(dst + (size_t)j0 * (size_t)kc + (size_t)p * (size_t)nr, src + j0,
				 cols - j0 < nr ? cols - j0 : nr, nr);
	}
}

/* Bᵀ stored: column j of op(B) is row j of b. */
static void pack_b_transposed(const struct dlld_gemm_args *g, int nr, int p0, int kc, int col0,
			      int cols, float *dst)
{
	int next = g->k - (p0 + kc) < kc ? g->k - (p0 + kc) : kc;

	for (int j0 = 0; j0 < cols; j0 += nr) {
		float *panel = dst + (size_t)j0 * (size_t)kc;
		int w = cols - j0 < nr ? cols - j0 : nr;
		for (int j = 0; j < nr; j++) {
			const float *src = g->b + (size_t)(col0 + j0 + j) * (size_t)g->ldb + (size_t)p0;
			if (j >= w) {
				for (int p = 0; p < kc; p++)
					panel[p * nr + j] = 0.0f;
				continue;
			}
			prefetch_run(src + kc, next);
			for (int p = 0; p < kc; p++)
				panel[p * nr + j] = src[p];
		}
	}
}

/* Fills row[0, cols) with columns [col0, col0 + cols) of row (ch, ky, kx)
 * of the im2col matrix (plane = image plane ch): per output row, zeros where
 * the kernel hangs over the border, the image row in between. */
static void conv_row(const struct dlld_im2col *cv, const float *plane, int ky, int kx, int col0,
		     int cols, float *row)
{
	int s = cv->stride, off = kx - cv->pad; /* ix = ox·s + off */
	int lo = off >= 0 ? 0 : (-off + s - 1) / s;                /* first ox inside */
	int hi = cv->w - off <= 0 ? 0 : (cv->w - off - 1) / s + 1; /* first ox past */
	int oy = col0 / cv->out_w, ox = col0 % cv->out_w;

	hi = hi < cv->out_w ? hi : cv->out_w;
	for (int j = 0; j < cols; oy++, ox = 0) {
		int run = cols - j < cv->out_w - ox ? cols - j : cv->out_w - ox;
		int iy = oy * s - cv->pad + ky, a = ox > lo ? ox : lo, b = ox + run < hi ? ox + run : hi;
		float *d = row + j - ox; /* d[ox] is this output pixel */
		if (iy < 0 || iy >= cv->h || a >= b) {
			memset(row + j, 0, (size_t)run * sizeof *row);
			j += run;
			continue;
		}
		const float *src = plane + (size_t)iy * (size_t)cv->w;
		for (int x = ox; x < a; x++)
			d[x] = 0.0f;
		if (s == 1)
			memcpy(d + a, src + a + off, (size_t)(b - a) * sizeof *d);
		else
			for (int x = a; x < b; x++)
				d[x] = src[x * s + off];
		for (int x = b; x < ox + run; x++)
			d[x] = 0.0f;
		j += run;
	}
}

/* Implicit im2col: row r = (ch·size + ky)·size + kx of the column matrix is
 * built for the block's columns, then cut into panels (nn/im2col.h layout). */
static void pack_b_conv(const struct dlld_gemm_args *g, int nr, int p0, int kc, int col0,
			int cols, float *dst)
{
	const struct dlld_im2col *cv = g->conv;
	int ss = cv->size * cv->size;
	_Alignas(64) float row[DLLD_GEMM_NC];

	for (int p = 0; p < kc; p++) {
		int r = p0 + p;
		const float *plane = g->b + (size_t)(r / ss) * (size_t)cv->h * (size_t)cv->w;
		conv_row(cv, plane, r / cv->size % cv->size, r % cv->size, col0, cols, row);
		for (int j0 = 0; j0 < cols; j0 += nr)
			copy_row(dst + (size_t)j0 * (size_t)kc + (size_t)p * (size_t)nr, row + j0,
				 cols - j0 < nr ? cols - j0 : nr, nr);
	}
}

/* Implicit im2col, transposed (a weight gradient ∂z·colᵀ): column j of
 * op(B) is row j = (ch·size + ky)·size + kx of the column matrix, so each
 * panel column is rows [p0, p0 + kc) of that row, built with conv_row (one
 * image-row copy per output row) and then spread across the panel. */
static void pack_b_conv_transposed(const struct dlld_gemm_args *g, int nr, int p0, int kc,
				   int col0, int cols, float *dst)
{
	const struct dlld_im2col *cv = g->conv;
	int ss = cv->size * cv->size;
	_Alignas(64) float run[DLLD_GEMM_KC];

	for (int j0 = 0; j0 < cols; j0 += nr) {
		float *panel = dst + (size_t)j0 * (size_t)kc;
		int w = cols - j0 < nr ? cols - j0 : nr;
		for (int j = 0; j < nr; j++) {
			if (j >= w) {
				for (int p = 0; p < kc; p++)
					panel[p * nr + j] = 0.0f;
				continue;
			}
			int r = col0 + j0 + j;
			const float *plane = g->b + (size_t)(r / ss) * (size_t)cv->h * (size_t)cv->w;
			conv_row(cv, plane, r / cv->size % cv->size, r % cv->size, p0, kc, run);
			for (int p = 0; p < kc; p++)
				panel[p * nr + j] = run[p];
		}
	}
}

void dlld_gemm_pack_b_block(const struct dlld_gemm_args *g, int nr, int p0, int kc, int col0,
			    int cols, float *dst)
{
	if (g->conv && g->trans_b)
		pack_b_conv_transposed(g, nr, p0, kc, col0, cols, dst);
	else if (g->conv)
		pack_b_conv(g, nr, p0, kc, col0, cols, dst);
	else if (g->trans_b)
		pack_b_transposed(g, nr, p0, kc, col0, cols, dst);
	else
		pack_b_rows(g, nr, p0, kc, col0, cols, dst);
}

/* ---- per-thread scratch ------------------------------------------------------ */

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static bool scratch_key_ok;

struct scratch {
	size_t count[DLLD_GEMM_SCRATCH_COUNT];
	float *data[DLLD_GEMM_SCRATCH_COUNT];
};

static void scratch_free(void *p)
{
	struct scratch *s = p;
	for (int i = 0; s && i < DLLD_GEMM_SCRATCH_COUNT; i++)
		dlld_free_aligned(s->data[i]);
	free(s);
}

static void scratch_init(void)
{
	scratch_key_ok = pthread_key_create(&scratch_key, scratch_free) == 0;
}

float *dlld_gemm_scratch(enum dlld_gemm_scratch slot, size_t count)
{
	pthread_once(&scratch_once, scratch_init);
	if (!scratch_key_ok)
		return NULL;
	struct scratch *s = pthread_getspecific(scratch_key);
	if (!s) {
		s = calloc(1, sizeof *s);
		if (!s || pthread_setspecific(scratch_key, s) != 0) {
			free(s);
			return NULL;
		}
	}
	if (s->count[slot] < count) {
		float *data = dlld_alloc_aligned(count, sizeof(float), "GEMM scratch", NULL);
		if (!data)
			return NULL;
		dlld_free_aligned(s->data[slot]);
		s->data[slot] = data;
		s->count[slot] = count;
	}
	return s->data[slot];
}

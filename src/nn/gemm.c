/*
 * nn/gemm.c — the blocked, packed, threaded GEMM driver (see gemm.h).
 *
 * First all of op(A) is packed (once per call, in parallel, into the caller's
 * scratch) unless it comes pre-packed. Then the loops, outermost first
 * (Goto/BLIS): a task owns one image of a batch, a block of at most GEMM_NC
 * columns and a range of rows of C. For each K block of GEMM_KC it packs its
 * B block (kc × nc, in L2) into nr-wide panels — or, when several tasks share
 * a column block, takes it from a B packed once up front; for each GEMM_MC
 * rows it takes the A block (mc × kc, mr-tall panels); then the micro-kernel
 * runs over every mr × nr tile, a B panel staying in L1 while the A panels
 * stream from L2. Block sizes are constants, and task bounds are multiples
 * of mr and nr, so every C element is computed by the same operations in the
 * same order whatever the thread count. docs/perf.md has the measurements.
 */
#include <assert.h>
#include <stdlib.h>

#include "nn/gemm_kernel.h"

enum {
	GEMM_KC = DLLD_GEMM_KC,
	GEMM_MC = DLLD_GEMM_MC,
	GEMM_NC = DLLD_GEMM_NC,
	GEMM_TASKS_PER_THREAD = 4,
};

const char *const dlld_gemm_kernel_names[DLLD_GEMM_KERNEL_COUNT] = {
	[DLLD_GEMM_KERNEL_AUTO] = "auto",
	[DLLD_GEMM_KERNEL_SCALAR] = "scalar",
	[DLLD_GEMM_KERNEL_AVX2] = "avx2",
	[DLLD_GEMM_KERNEL_AVX512] = "avx512",
};
static_assert(DLLD_GEMM_KERNEL_COUNT == 4, "dlld_gemm_kernel_names lists every kernel");

static const struct dlld_gemm_kernel_impl *const kernel_impls[DLLD_GEMM_KERNEL_COUNT] = {
	[DLLD_GEMM_KERNEL_AUTO] = NULL,
	[DLLD_GEMM_KERNEL_SCALAR] = &dlld_gemm_impl_scalar,
	[DLLD_GEMM_KERNEL_AVX2] = &dlld_gemm_impl_avx2,
	[DLLD_GEMM_KERNEL_AVX512] = &dlld_gemm_impl_avx512,
};

bool dlld_gemm_kernel_supported(enum dlld_gemm_kernel kernel)
{
	switch (kernel) {
	case DLLD_GEMM_KERNEL_AVX512:
		return __builtin_cpu_supports("avx512f");
	case DLLD_GEMM_KERNEL_AVX2:
		return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
	case DLLD_GEMM_KERNEL_AUTO:
	case DLLD_GEMM_KERNEL_SCALAR:
		return true;
	case DLLD_GEMM_KERNEL_COUNT:
		break;
	}
	return false;
}

enum dlld_gemm_kernel dlld_gemm_kernel_best(void)
{
	if (dlld_gemm_kernel_supported(DLLD_GEMM_KERNEL_AVX512))
		return DLLD_GEMM_KERNEL_AVX512;
	if (dlld_gemm_kernel_supported(DLLD_GEMM_KERNEL_AVX2))
		return DLLD_GEMM_KERNEL_AVX2;
	return DLLD_GEMM_KERNEL_SCALAR;
}

static enum dlld_gemm_kernel kernel_resolve(enum dlld_gemm_kernel kernel)
{
	if (kernel <= DLLD_GEMM_KERNEL_AUTO || kernel >= DLLD_GEMM_KERNEL_COUNT ||
	    !dlld_gemm_kernel_supported(kernel))
		return dlld_gemm_kernel_best();
	return kernel;
}

static int round_up(int x, int to)
{
	return (x + to - 1) / to * to;
}

/* ---- packing -------------------------------------------------------------- */

struct dlld_gemm_packed {
	enum dlld_gemm_kernel kernel;
	int m, k;
	size_t m_pad; /* m rounded up to the kernel's mr */
	float *data;  /* per K block of GEMM_KC: m_pad/mr panels of kc × mr */
};

/* Returns the packed panel of `packed` holding row `row` (a multiple of mr)
 * in the K block starting at p0. */
static const float *packed_panel(const struct dlld_gemm_packed *packed, int p0, int row)
{
	int kc = packed->k - p0 < GEMM_KC ? packed->k - p0 : GEMM_KC;
	return packed->data + (size_t)p0 * packed->m_pad + (size_t)row * (size_t)kc;
}

/* ---- the blocked driver ----------------------------------------------------- */

struct gemm_job {
	const struct dlld_gemm_args *g;
	const struct dlld_gemm_kernel_impl *kern;
	int m_step;   /* rows per task, a multiple of mr */
	int m_parts;  /* tasks per column block */
	int n_blocks; /* column blocks per image */
	const float *packed_b; /* all of op(B) packed, or NULL: tasks pack their block */
};

/* Returns where the packed B panels of columns [n0, n1) in the K block at p0
 * start in a whole packed B. Column block n0 starts at n0·k; inside it, K
 * block p0 starts at p0·round_up(width, nr) and holds the block's kc × nr
 * panels one after the other. */
static size_t packed_b_offset(const struct gemm_job *job, int n0, int n1, int p0)
{
	return (size_t)n0 * (size_t)job->g->k + (size_t)p0 * (size_t)round_up(n1 - n0, job->kern->nr);
}

/* Runs every tile of rows [row0, row0 + rows) of one packed B block. */
static void run_tiles(const struct gemm_job *job, const float *ap, const float *bp, int row0,
		      int rows, int col0, int cols, struct dlld_gemm_tile *t)
{
	const struct dlld_gemm_kernel_impl *kern = job->kern;
	const struct dlld_gemm_args *g = job->g;
	const float *bias = t->bias;

	for (int j = 0; j < cols; j += kern->nr) {
		t->b = bp + (size_t)j * (size_t)t->kc;
		t->cols = cols - j < kern->nr ? cols - j : kern->nr;
		for (int i = 0; i < rows; i += kern->mr) {
			t->a = ap + (size_t)i * (size_t)t->kc;
			t->rows = rows - i < kern->mr ? rows - i : kern->mr;
			t->c = g->c + (size_t)(row0 + i) * t->ldc + (size_t)(col0 + j);
			t->bias = bias ? bias + row0 + i : NULL;
			kern->tile(t);
		}
	}
}

/* One task: rows [m0, m1) × columns [n0, n1) of C, all of K. Its packing
 * buffers, when A or B is not packed beforehand, are on this thread's stack
 * (GEMM_KC·(GEMM_MC + GEMM_NC) floats, 632 KiB). */
static void gemm_task(void *ctx, size_t task, int worker)
{
	const struct gemm_job *batch_job = ctx;
	size_t per_image = (size_t)batch_job->m_parts * (size_t)batch_job->n_blocks;
	size_t image = task / per_image;
	struct dlld_gemm_args gi = *batch_job->g; /* this task's image */
	struct gemm_job ji = *batch_job;
	const struct gemm_job *job = &ji;
	const struct dlld_gemm_args *g = &gi;

	task %= per_image;
	gi.b += image * gi.b_stride;
	gi.c += image * gi.c_stride;
	ji.g = &gi;
	int mr = job->kern->mr, nr = job->kern->nr;
	int m0 = (int)(task % (size_t)job->m_parts) * job->m_step;
	int n0 = (int)(task / (size_t)job->m_parts) * GEMM_NC;
	int m1 = m0 + job->m_step < g->m ? m0 + job->m_step : g->m;
	int n1 = n0 + GEMM_NC < g->n ? n0 + GEMM_NC : g->n;
	_Alignas(64) float bbuf[GEMM_KC * GEMM_NC];
	_Alignas(64) float abuf[GEMM_KC * GEMM_MC];

	(void)worker;
	for (int p0 = 0; p0 == 0 || p0 < g->k; p0 += GEMM_KC) {
		int kc = g->k - p0 < GEMM_KC ? g->k - p0 : GEMM_KC;
		bool last = p0 + kc >= g->k;
		struct dlld_gemm_tile t = {
			.kc = kc,
			.ldc = (size_t)g->ldc,
			.alpha = g->alpha,
			.beta = p0 == 0 ? g->beta : 1.0f,
			.bias = last ? g->bias : NULL,
			.act = last ? g->act : DLLD_GEMM_ACT_LINEAR,
		};
		const float *bias = t.bias, *bp = bbuf;
		if (job->packed_b)
			bp = job->packed_b + packed_b_offset(job, n0, n1, p0);
		else
			dlld_gemm_pack_b_block(g, nr, p0, kc, n0, n1 - n0, bbuf);
		for (int i0 = m0; i0 < m1; i0 += GEMM_MC) {
			int mc = m1 - i0 < GEMM_MC ? m1 - i0 : GEMM_MC;
			const float *ap = abuf;
			if (g->packed_a)
				ap = packed_panel(g->packed_a, p0, i0);
			else
				dlld_gemm_pack_a_block(g, mr, i0, mc, p0, kc, abuf);
			t.bias = bias;
			run_tiles(job, ap, bp, i0, mc, n0, n1 - n0, &t);
		}
	}
}

/* ---- packing all of A or B before the tasks ----------------------------------- */

struct pack_job {
	const struct dlld_gemm_args *g;
	int mr, nr, k_blocks;
	struct dlld_gemm_packed *packed_a;
	const struct gemm_job *gemm;
	float *b;
};

/* Packs the A rows of task `task` (GEMM_MC rows each) for all of K. */
static void pack_a_task(void *ctx, size_t task, int worker)
{
	const struct pack_job *job = ctx;
	int row0 = (int)task * GEMM_MC, m_pad = (int)job->packed_a->m_pad;

	(void)worker;
	dlld_gemm_pack_a_rows(job->g, job->mr, job->packed_a->m_pad, row0,
			      m_pad - row0 < GEMM_MC ? m_pad - row0 : GEMM_MC, job->packed_a->data);
}

/* Packs (column block, K block) `task` of B (layout: packed_b_offset). */
static void pack_b_task(void *ctx, size_t task, int worker)
{
	const struct pack_job *job = ctx;
	const struct dlld_gemm_args *g = job->g;
	int n0 = (int)(task / (size_t)job->k_blocks) * GEMM_NC;
	int p0 = (int)(task % (size_t)job->k_blocks) * GEMM_KC;
	int n1 = n0 + GEMM_NC < g->n ? n0 + GEMM_NC : g->n;
	int kc = g->k - p0 < GEMM_KC ? g->k - p0 : GEMM_KC;

	(void)worker;
	dlld_gemm_pack_b_block(g, job->nr, p0, kc, n0, n1 - n0,
			       job->b + packed_b_offset(job->gemm, n0, n1, p0));
}

/* Packs all of op(A) once into the calling thread's scratch and points
 * g->packed_a at `view`; leaves g alone (tasks pack their own A blocks) when
 * the scratch cannot grow. */
static void pack_a_whole(struct dlld_pool *pool, struct dlld_gemm_args *g,
			 enum dlld_gemm_kernel kernel, struct dlld_gemm_packed *view)
{
	int mr = kernel_impls[kernel]->mr;

	*view = (struct dlld_gemm_packed){.kernel = kernel, .m = g->m, .k = g->k,
					  .m_pad = (size_t)round_up(g->m, mr)};
	view->data = dlld_gemm_scratch(DLLD_GEMM_SCRATCH_A, view->m_pad * (size_t)g->k);
	if (!view->data)
		return;
	struct pack_job job = {.g = g, .mr = mr, .packed_a = view};
	dlld_pool_run(pool, (view->m_pad + GEMM_MC - 1) / GEMM_MC, pack_a_task, &job);
	g->packed_a = view;
}

/* Packs all of op(B) once (used when several tasks share a column block, so
 * each would pack it again); leaves job->packed_b NULL when out of scratch. */
static void pack_b_whole(struct dlld_pool *pool, struct gemm_job *job)
{
	const struct dlld_gemm_args *g = job->g;
	int nr = job->kern->nr;
	size_t count = (size_t)round_up(g->n, nr) * (size_t)g->k;
	float *b = dlld_gemm_scratch(DLLD_GEMM_SCRATCH_B, count);

	if (!b)
		return;
	struct pack_job pj = {.g = g, .nr = nr, .k_blocks = (g->k + GEMM_KC - 1) / GEMM_KC,
			      .gemm = job, .b = b};
	size_t n_blocks = (size_t)((g->n + GEMM_NC - 1) / GEMM_NC);
	dlld_pool_run(pool, n_blocks * (size_t)pj.k_blocks, pack_b_task, &pj);
	job->packed_b = b;
}

void dlld_gemm_run(struct dlld_pool *pool, const struct dlld_gemm_args *args)
{
	struct dlld_gemm_args g = *args;
	enum dlld_gemm_kernel kernel = kernel_resolve(g.kernel);
	struct dlld_gemm_packed view;

	if (g.packed_a) {
		kernel = g.packed_a->kernel;
		g.m = g.packed_a->m;
		g.k = g.packed_a->k;
	}
	if (g.m <= 0 || g.n <= 0)
		return;
	if (!g.packed_a && g.k > 0)
		pack_a_whole(pool, &g, kernel, &view);
	struct gemm_job job = {.g = &g, .kern = kernel_impls[kernel]};
	int mr = job.kern->mr;
	int batch = g.batch > 1 ? g.batch : 1;
	int n_blocks = (g.n + GEMM_NC - 1) / GEMM_NC, blocks = n_blocks * batch;
	int want = GEMM_TASKS_PER_THREAD * dlld_pool_threads(pool);
	int parts = blocks >= want ? 1 : (want + blocks - 1) / blocks;

	if (dlld_pool_threads(pool) == 1)
		parts = 1;
	job.m_step = round_up((g.m + parts - 1) / parts, mr);
	job.m_parts = (g.m + job.m_step - 1) / job.m_step;
	job.n_blocks = n_blocks;
	if (job.m_parts > 1 && g.k > 0 && batch == 1)
		pack_b_whole(pool, &job);
	dlld_pool_run(pool, (size_t)job.m_parts * (size_t)blocks, gemm_task, &job);
}

void dlld_gemm(struct dlld_pool *pool, bool trans_a, bool trans_b, int m, int n, int k,
	       float alpha, const float *a, int lda, const float *b, int ldb,
	       float beta, float *c, int ldc)
{
	struct dlld_gemm_args g = {
		.trans_a = trans_a, .trans_b = trans_b, .m = m, .n = n, .k = k,
		.alpha = alpha, .a = a, .lda = lda, .b = b, .ldb = ldb,
		.beta = beta, .c = c, .ldc = ldc, .act = DLLD_GEMM_ACT_LINEAR,
	};
	dlld_gemm_run(pool, &g);
}

void dlld_gemm_bias_act(struct dlld_pool *pool, int m, int n, int k, const float *a, int lda,
			const float *b, int ldb, const float *bias, enum dlld_gemm_act act,
			float *c, int ldc)
{
	struct dlld_gemm_args g = {
		.m = m, .n = n, .k = k, .alpha = 1.0f, .a = a, .lda = lda, .b = b, .ldb = ldb,
		.beta = 0.0f, .c = c, .ldc = ldc, .bias = bias, .act = act,
	};
	dlld_gemm_run(pool, &g);
}

void dlld_gemm_conv_bias_act(struct dlld_pool *pool, int m, const float *a, int lda,
			     const struct dlld_gemm_packed *packed, const struct dlld_im2col *conv,
			     const float *im, const float *bias, enum dlld_gemm_act act,
			     float *out)
{
	int n = conv->out_h * conv->out_w;
	struct dlld_gemm_args g = {
		.m = m, .n = n, .k = conv->channels * conv->size * conv->size, .alpha = 1.0f,
		.a = a, .lda = lda, .packed_a = packed, .b = im, .conv = conv, .beta = 0.0f,
		.c = out, .ldc = n, .bias = bias, .act = act,
	};
	dlld_gemm_run(pool, &g);
}

/* ---- pre-packed A ------------------------------------------------------------ */

struct dlld_gemm_packed *dlld_gemm_pack_a(int m, int k, const float *a, int lda,
					  struct dlld_error *err)
{
	enum dlld_gemm_kernel kernel = dlld_gemm_kernel_best();
	int mr = kernel_impls[kernel]->mr;
	struct dlld_gemm_packed *packed = dlld_calloc(1, sizeof *packed, "packed weights", err);

	if (!packed)
		return NULL;
	if (m < 1 || k < 0) {
		dlld_error_set(err, DLLD_STATUS_USAGE, NULL, "packed weights: bad shape %d × %d", m, k);
		free(packed);
		return NULL;
	}
	packed->kernel = kernel;
	packed->m = m;
	packed->k = k;
	packed->m_pad = (size_t)round_up(m, mr);
	/* both factors are below 2^31: the product fits size_t */
	packed->data = dlld_alloc_aligned(packed->m_pad * (size_t)(k > 0 ? k : 1), sizeof(float),
					  "packed weights", err);
	if (!packed->data) {
		free(packed);
		return NULL;
	}
	struct dlld_gemm_args g = {.m = m, .k = k, .a = a, .lda = lda};
	dlld_gemm_pack_a_rows(&g, mr, packed->m_pad, 0, (int)packed->m_pad, packed->data);
	return packed;
}

void dlld_gemm_packed_destroy(struct dlld_gemm_packed *packed)
{
	if (!packed)
		return;
	dlld_free_aligned(packed->data);
	free(packed);
}

size_t dlld_gemm_packed_bytes(const struct dlld_gemm_packed *packed)
{
	return packed ? packed->m_pad * (size_t)packed->k * sizeof(float) : 0;
}

void dlld_gemm_packed_bias_act(struct dlld_pool *pool, const struct dlld_gemm_packed *packed,
			       int n, const float *b, int ldb, const float *bias,
			       enum dlld_gemm_act act, float *c, int ldc)
{
	struct dlld_gemm_args g = {
		.m = packed->m, .n = n, .k = packed->k, .alpha = 1.0f, .packed_a = packed,
		.b = b, .ldb = ldb, .beta = 0.0f, .c = c, .ldc = ldc, .bias = bias, .act = act,
	};
	dlld_gemm_run(pool, &g);
}

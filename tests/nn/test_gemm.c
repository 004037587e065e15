/* tests/nn/test_gemm.c — every GEMM kernel this CPU runs against
 * dlld_gemm_ref on awkward shapes, 1- vs 2-thread bitwise equality, the fused
 * bias + activation epilogue, pre-packed weights, and hand-computed cases. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "nn/gemm.h"

struct shape {
	bool ta, tb;
	int m, n, k;
	float alpha, beta;
	int pad; /* extra floats per row of every matrix (lda > cols) */
};

static float *random_matrix(struct dlld_rng *rng, size_t count)
{
	float *x = malloc(count * sizeof *x);
	for (size_t i = 0; x && i < count; i++)
		x[i] = (float)(dlld_rng_uniform(rng) * 2.0 - 1.0);
	return x;
}

/* Checks |got - want| <= tol(k) elementwise over an m × n matrix. */
static int count_mismatches(const float *got, const float *want, int m, int n, int ld, int k)
{
	double tol = 1e-5 * (k + 4);
	int bad = 0;

	for (int i = 0; i < m; i++)
		for (int j = 0; j < n; j++) {
			double d = fabs((double)got[i * ld + j] - want[i * ld + j]);
			if (!(d <= tol))
				bad++;
		}
	return bad;
}

/* Runs one shape with one kernel through dlld_gemm_run and the reference. */
static void check_shape(struct dlld_pool *pool, enum dlld_gemm_kernel kernel, struct shape s,
			struct dlld_rng *rng)
{
	int rows_a = s.ta ? s.k : s.m, cols_a = s.ta ? s.m : s.k;
	int rows_b = s.tb ? s.n : s.k, cols_b = s.tb ? s.k : s.n;
	int lda = cols_a + s.pad, ldb = cols_b + s.pad, ldc = s.n + s.pad;
	size_t c_count = (size_t)s.m * (size_t)ldc;
	float *a = random_matrix(rng, (size_t)rows_a * (size_t)lda + 1);
	float *b = random_matrix(rng, (size_t)rows_b * (size_t)ldb + 1);
	float *c = random_matrix(rng, c_count + 1);
	float *want = malloc((c_count + 1) * sizeof *want);

	if (!a || !b || !c || !want) {
		CHECK_MSG(false, "out of memory");
		goto out;
	}
	memcpy(want, c, (c_count + 1) * sizeof *want);
	dlld_gemm_ref(s.ta, s.tb, s.m, s.n, s.k, s.alpha, a, lda, b, ldb, s.beta, want, ldc);
	struct dlld_gemm_args g = {
		.trans_a = s.ta, .trans_b = s.tb, .m = s.m, .n = s.n, .k = s.k, .alpha = s.alpha,
		.a = a, .lda = lda, .b = b, .ldb = ldb, .beta = s.beta, .c = c, .ldc = ldc,
		.kernel = kernel,
	};
	dlld_gemm_run(pool, &g);
	int bad = count_mismatches(c, want, s.m, s.n, ldc, s.k);
	CHECK_MSG(bad == 0, "%s: %s%s m=%d n=%d k=%d alpha=%g beta=%g pad=%d: %d wrong",
		  dlld_gemm_kernel_names[kernel], s.ta ? "Aᵀ" : "A", s.tb ? "Bᵀ" : "B", s.m, s.n,
		  s.k, (double)s.alpha, (double)s.beta, s.pad, bad);
	CHECK_MSG(c[c_count] == want[c_count], "wrote past the end of C");
out:
	free(a);
	free(b);
	free(c);
	free(want);
}

static const struct shape shapes[] = {
	{false, false, 1, 1, 1, 1.0f, 0.0f, 0},
	{false, false, 1, 1, 0, 1.0f, 0.5f, 0}, /* k = 0: C = beta·C */
	{false, false, 7, 13, 5, 1.0f, 0.0f, 0},
	{false, false, 6, 16, 256, 1.0f, 0.0f, 0}, /* exactly one AVX2 tile and K block */
	{false, false, 8, 32, 257, 1.0f, 1.0f, 0}, /* one AVX-512 tile, K block + 1 */
	{false, false, 37, 41, 43, 1.0f, 0.0f, 3},
	{false, false, 127, 131, 521, 0.5f, -2.0f, 1}, /* several K blocks, beta */
	{false, false, 121, 515, 31, 1.0f, 0.0f, 0},   /* MC + 1 rows, NC + 3 columns */
	{false, false, 16, 1031, 27, 1.0f, 0.0f, 0},   /* first conv of yolov3-tiny, thin */
	{false, false, 255, 169, 300, 1.0f, 0.0f, 0},  /* yolo head on 13 × 13 */
	{true, false, 29, 23, 301, 1.0f, 0.0f, 2},
	{false, true, 19, 47, 263, -1.0f, 1.0f, 0},
	{true, true, 33, 17, 65, 2.0f, 0.25f, 5},
	{true, false, 1, 97, 1, 1.0f, 0.0f, 0},
	{false, true, 97, 1, 2, 1.0f, 0.0f, 0},
};

static void test_kernels_vs_ref(void)
{
	struct dlld_rng rng;
	int tested = 0;

	dlld_rng_seed(&rng, 4);
	for (int kernel = 1; kernel < DLLD_GEMM_KERNEL_COUNT; kernel++) {
		if (!dlld_gemm_kernel_supported((enum dlld_gemm_kernel)kernel)) {
			printf("  kernel %s: not supported by this CPU, not tested\n",
			       dlld_gemm_kernel_names[kernel]);
			continue;
		}
		tested++;
		for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
			check_shape(NULL, (enum dlld_gemm_kernel)kernel, shapes[i], &rng);
	}
	CHECK(tested >= 2);
}

static void test_threads_match_ref(void)
{
	struct dlld_error err;
	struct dlld_pool *pool = dlld_pool_create(3, &err);
	struct dlld_rng rng;

	CHECK(pool != NULL);
	if (!pool)
		return;
	dlld_rng_seed(&rng, 5);
	for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
		check_shape(pool, DLLD_GEMM_KERNEL_AUTO, shapes[i], &rng);
	dlld_pool_destroy(pool);
}

/* Returns new C of m × n from dlld_gemm_bias_act with `threads` threads. */
static float *run_bias_act(int threads, int m, int n, int k, const float *a, const float *b,
			   const float *bias, enum dlld_gemm_act act)
{
	struct dlld_error err;
	struct dlld_pool *pool = threads > 1 ? dlld_pool_create(threads, &err) : NULL;
	float *c = malloc((size_t)m * (size_t)n * sizeof *c);

	if (c)
		dlld_gemm_bias_act(pool, m, n, k, a, k, b, n, bias, act, c, n);
	dlld_pool_destroy(pool);
	return c;
}

static void test_threads_bitwise(void)
{
	struct dlld_rng rng;
	int m = 70, n = 1500, k = 600; /* several tasks in both directions, 3 K blocks */

	dlld_rng_seed(&rng, 6);
	float *a = random_matrix(&rng, (size_t)m * (size_t)k), *b = random_matrix(&rng, (size_t)k * (size_t)n);
	float *bias = random_matrix(&rng, (size_t)m);
	float *c1 = run_bias_act(1, m, n, k, a, b, bias, DLLD_GEMM_ACT_LEAKY);
	float *c2 = run_bias_act(2, m, n, k, a, b, bias, DLLD_GEMM_ACT_LEAKY);
	float *c3 = run_bias_act(3, m, n, k, a, b, bias, DLLD_GEMM_ACT_LEAKY);

	CHECK(a && b && bias && c1 && c2 && c3);
	if (c1 && c2 && c3) {
		CHECK(memcmp(c1, c2, (size_t)m * (size_t)n * sizeof *c1) == 0);
		CHECK(memcmp(c1, c3, (size_t)m * (size_t)n * sizeof *c1) == 0);
	}
	free(a);
	free(b);
	free(bias);
	free(c1);
	free(c2);
	free(c3);
}

/* The fused epilogue equals the reference GEMM then bias then activation. */
static void test_bias_act_vs_ref(void)
{
	static const int dims[][3] = {{1, 1, 1}, {16, 173, 27}, {45, 70, 300}, {9, 33, 513}};
	struct dlld_rng rng;

	dlld_rng_seed(&rng, 7);
	for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++) {
		int m = dims[d][0], n = dims[d][1], k = dims[d][2];
		float *a = random_matrix(&rng, (size_t)m * (size_t)k), *b = random_matrix(&rng, (size_t)k * (size_t)n);
		float *bias = random_matrix(&rng, (size_t)m);
		float *want = malloc((size_t)m * (size_t)n * sizeof *want);
		CHECK(a && b && bias && want);
		if (!a || !b || !bias || !want)
			return;
		for (int act = 0; act < DLLD_GEMM_ACT_COUNT; act++) {
			dlld_gemm_ref(false, false, m, n, k, 1.0f, a, k, b, n, 0.0f, want, n);
			for (int i = 0; i < m; i++)
				for (int j = 0; j < n; j++)
					want[i * n + j] = dlld_gemm_act_apply(
						(enum dlld_gemm_act)act, want[i * n + j] + bias[i]);
			float *got = run_bias_act(2, m, n, k, a, b, bias, (enum dlld_gemm_act)act);
			CHECK(got != NULL);
			int bad = got ? count_mismatches(got, want, m, n, n, k) : -1;
			CHECK_MSG(bad == 0, "%s m=%d n=%d k=%d: %d wrong",
				  dlld_gemm_act_names[act], m, n, k, bad);
			free(got);
		}
		free(a);
		free(b);
		free(bias);
		free(want);
	}
}

/* Pre-packed weights give the same bits as packing on the fly. */
static void test_packed_matches_unpacked(void)
{
	struct dlld_rng rng;
	struct dlld_error err;
	int m = 75, n = 600, k = 290;

	dlld_rng_seed(&rng, 8);
	float *a = random_matrix(&rng, (size_t)m * (size_t)k), *b = random_matrix(&rng, (size_t)k * (size_t)n);
	float *bias = random_matrix(&rng, (size_t)m);
	float *c1 = run_bias_act(1, m, n, k, a, b, bias, DLLD_GEMM_ACT_LOGISTIC);
	float *c2 = malloc((size_t)m * (size_t)n * sizeof *c2);
	struct dlld_gemm_packed *packed = dlld_gemm_pack_a(m, k, a, k, &err);

	CHECK(a && b && bias && c1 && c2 && packed);
	if (a && b && bias && c1 && c2 && packed) {
		CHECK(dlld_gemm_packed_bytes(packed) >= (size_t)m * (size_t)k * sizeof(float));
		dlld_gemm_packed_bias_act(NULL, packed, n, b, n, bias, DLLD_GEMM_ACT_LOGISTIC, c2, n);
		CHECK(memcmp(c1, c2, (size_t)m * (size_t)n * sizeof *c1) == 0);
	}
	dlld_gemm_packed_destroy(packed);
	free(a);
	free(b);
	free(bias);
	free(c1);
	free(c2);
}

/* The convolution of one image, straight from the definition. */
static void conv_naive(const struct dlld_im2col *cv, int m, const float *w, const float *im,
		       const float *bias, enum dlld_gemm_act act, float *out)
{
	int k = cv->channels * cv->size * cv->size;
	for (int f = 0; f < m; f++)
		for (int oy = 0; oy < cv->out_h; oy++)
			for (int ox = 0; ox < cv->out_w; ox++) {
				double sum = 0.0;
				for (int r = 0; r < k; r++) {
					int ch = r / (cv->size * cv->size);
					int iy = oy * cv->stride - cv->pad + r / cv->size % cv->size;
					int ix = ox * cv->stride - cv->pad + r % cv->size;
					if (iy >= 0 && iy < cv->h && ix >= 0 && ix < cv->w)
						sum += (double)w[f * k + r] *
						       im[(ch * cv->h + iy) * cv->w + ix];
				}
				out[(f * cv->out_h + oy) * cv->out_w + ox] =
					dlld_gemm_act_apply(act, (float)sum + bias[f]);
			}
}

/* Fills col with the explicit im2col matrix [channels·size² × out_h·out_w]. */
static void im2col_naive(const struct dlld_im2col *cv, const float *im, float *col)
{
	int k = cv->channels * cv->size * cv->size, n = cv->out_h * cv->out_w;
	for (int r = 0; r < k; r++)
		for (int j = 0; j < n; j++) {
			int ch = r / (cv->size * cv->size);
			int iy = j / cv->out_w * cv->stride - cv->pad + r / cv->size % cv->size;
			int ix = j % cv->out_w * cv->stride - cv->pad + r % cv->size;
			bool in = iy >= 0 && iy < cv->h && ix >= 0 && ix < cv->w;
			col[r * n + j] = in ? im[(ch * cv->h + iy) * cv->w + ix] : 0.0f;
		}
}

/* Implicit im2col equals the definition, and equals the explicit im2col
 * matrix through dlld_gemm_bias_act bit for bit (same panels), for 1 and 2
 * threads and with pre-packed weights. */
static void test_conv_implicit_im2col(void)
{
	static const struct dlld_im2col geoms[] = {
		/* channels, h, w, size, stride, pad, out_h, out_w */
		{3, 13, 11, 3, 1, 1, 13, 11},
		{5, 9, 16, 3, 2, 1, 5, 8},
		{2, 7, 7, 1, 2, 0, 4, 4},
		{4, 20, 21, 5, 1, 2, 20, 21},
		{70, 26, 26, 3, 1, 1, 26, 26}, /* K = 630: three K blocks */
	};
	static const int ms[] = {7, 19, 1, 33, 20};
	struct dlld_rng rng;
	struct dlld_error err;
	struct dlld_pool *pool = dlld_pool_create(2, &err);

	dlld_rng_seed(&rng, 9);
	for (size_t t = 0; t < sizeof geoms / sizeof geoms[0]; t++) {
		const struct dlld_im2col *cv = &geoms[t];
		int m = ms[t], k = cv->channels * cv->size * cv->size, n = cv->out_h * cv->out_w;
		size_t out_count = (size_t)m * (size_t)n;
		float *w = random_matrix(&rng, (size_t)m * (size_t)k);
		float *im = random_matrix(&rng, (size_t)cv->channels * (size_t)cv->h * (size_t)cv->w);
		float *bias = random_matrix(&rng, (size_t)m);
		float *col = malloc((size_t)k * (size_t)n * sizeof *col);
		float *want = malloc(out_count * sizeof *want), *got1 = malloc(out_count * sizeof *got1);
		float *got2 = malloc(out_count * sizeof *got2), *expl = malloc(out_count * sizeof *expl);
		struct dlld_gemm_packed *packed = w ? dlld_gemm_pack_a(m, k, w, k, &err) : NULL;
		CHECK(pool && w && im && bias && col && want && got1 && got2 && expl && packed);
		if (pool && w && im && bias && col && want && got1 && got2 && expl && packed) {
			conv_naive(cv, m, w, im, bias, DLLD_GEMM_ACT_LEAKY, want);
			im2col_naive(cv, im, col);
			dlld_gemm_bias_act(NULL, m, n, k, w, k, col, n, bias, DLLD_GEMM_ACT_LEAKY, expl, n);
			dlld_gemm_conv_bias_act(NULL, m, w, k, NULL, cv, im, bias, DLLD_GEMM_ACT_LEAKY,
						got1);
			dlld_gemm_conv_bias_act(pool, m, NULL, 0, packed, cv, im, bias,
						DLLD_GEMM_ACT_LEAKY, got2);
			int bad = count_mismatches(got1, want, m, n, n, k);
			CHECK_MSG(bad == 0, "geometry %zu: %d wrong", t, bad);
			CHECK_MSG(memcmp(got1, expl, out_count * sizeof *got1) == 0,
				  "geometry %zu: implicit != explicit im2col", t);
			CHECK_MSG(memcmp(got1, got2, out_count * sizeof *got1) == 0,
				  "geometry %zu: 2 threads + packed != 1 thread", t);
		}
		dlld_gemm_packed_destroy(packed);
		free(w);
		free(im);
		free(bias);
		free(col);
		free(want);
		free(got1);
		free(got2);
		free(expl);
	}
	dlld_pool_destroy(pool);
}

/* A weight gradient ∂W += ∂z·im2col(x)ᵀ with the transposed column matrix
 * packed straight from the image equals the explicit im2col matrix through
 * dlld_gemm (trans_b) bit for bit, accumulating into C (beta 1), for 1 and
 * 2 threads; and the explicit one is near the reference. */
static void test_conv_weight_gradient(void)
{
	static const struct dlld_im2col geoms[] = {
		/* channels, h, w, size, stride, pad, out_h, out_w */
		{3, 13, 11, 3, 1, 1, 13, 11},
		{5, 9, 16, 3, 2, 1, 5, 8},
		{4, 20, 21, 5, 1, 2, 20, 21},
		{70, 26, 26, 3, 1, 1, 26, 26}, /* K = 630 columns of ∂W: two column blocks */
		{2, 40, 40, 3, 1, 1, 40, 40},  /* 1600 pixels: several K blocks */
	};
	static const int ms[] = {7, 19, 33, 20, 16};
	struct dlld_rng rng;
	struct dlld_error err;
	struct dlld_pool *pool = dlld_pool_create(2, &err);

	dlld_rng_seed(&rng, 11);
	for (size_t t = 0; t < sizeof geoms / sizeof geoms[0]; t++) {
		const struct dlld_im2col *cv = &geoms[t];
		int m = ms[t], k = cv->channels * cv->size * cv->size, n = cv->out_h * cv->out_w;
		size_t dw_count = (size_t)m * (size_t)k;
		float *dz = random_matrix(&rng, (size_t)m * (size_t)n);
		float *im = random_matrix(&rng, (size_t)cv->channels * (size_t)cv->h * (size_t)cv->w);
		float *start = random_matrix(&rng, dw_count);
		float *col = malloc((size_t)k * (size_t)n * sizeof *col);
		float *want = malloc(dw_count * sizeof *want), *expl = malloc(dw_count * sizeof *expl);
		float *got1 = malloc(dw_count * sizeof *got1), *got2 = malloc(dw_count * sizeof *got2);
		CHECK(pool && dz && im && start && col && want && expl && got1 && got2);
		if (pool && dz && im && start && col && want && expl && got1 && got2) {
			im2col_naive(cv, im, col);
			memcpy(want, start, dw_count * sizeof *want);
			memcpy(expl, start, dw_count * sizeof *expl);
			memcpy(got1, start, dw_count * sizeof *got1);
			memcpy(got2, start, dw_count * sizeof *got2);
			dlld_gemm_ref(false, true, m, k, n, 1.0f, dz, n, col, n, 1.0f, want, k);
			dlld_gemm(NULL, false, true, m, k, n, 1.0f, dz, n, col, n, 1.0f, expl, k);
			struct dlld_gemm_args g = {
				.trans_b = true, .m = m, .n = k, .k = n, .alpha = 1.0f, .a = dz,
				.lda = n, .b = im, .conv = cv, .beta = 1.0f, .c = got1, .ldc = k,
			};
			dlld_gemm_run(NULL, &g);
			g.c = got2;
			dlld_gemm_run(pool, &g);
			int bad = count_mismatches(expl, want, m, k, k, n);
			CHECK_MSG(bad == 0, "geometry %zu: %d wrong", t, bad);
			CHECK_MSG(memcmp(got1, expl, dw_count * sizeof *got1) == 0,
				  "geometry %zu: implicit != explicit im2col", t);
			CHECK_MSG(memcmp(got1, got2, dw_count * sizeof *got1) == 0,
				  "geometry %zu: 2 threads != 1 thread", t);
		}
		free(dz);
		free(im);
		free(start);
		free(col);
		free(want);
		free(expl);
		free(got1);
		free(got2);
	}
	dlld_pool_destroy(pool);
}

/* A batch of convolutions sharing the weights equals one call per image,
 * bit for bit, with 1 and 2 threads. */
static void test_conv_batch(void)
{
	const struct dlld_im2col cv = {6, 15, 17, 3, 2, 1, 8, 9};
	enum { M = 13, BATCH = 3 };
	int k = cv.channels * cv.size * cv.size, n = cv.out_h * cv.out_w;
	size_t in_stride = (size_t)cv.channels * (size_t)cv.h * (size_t)cv.w;
	size_t out_stride = (size_t)M * (size_t)n;
	struct dlld_rng rng;
	struct dlld_error err;
	struct dlld_pool *pool = dlld_pool_create(2, &err);

	dlld_rng_seed(&rng, 10);
	float *w = random_matrix(&rng, (size_t)M * (size_t)k);
	float *im = random_matrix(&rng, BATCH * in_stride), *bias = random_matrix(&rng, M);
	float *one = malloc(BATCH * out_stride * sizeof *one);
	float *all = malloc(BATCH * out_stride * sizeof *all);
	CHECK(pool && w && im && bias && one && all);
	for (int threads = 1; threads <= 2 && pool && w && im && bias && one && all; threads++) {
		struct dlld_pool *p = threads == 1 ? NULL : pool;
		for (int i = 0; i < BATCH; i++)
			dlld_gemm_conv_bias_act(p, M, w, k, NULL, &cv, im + (size_t)i * in_stride, bias,
						DLLD_GEMM_ACT_LEAKY, one + (size_t)i * out_stride);
		struct dlld_gemm_args g = {
			.m = M, .n = n, .k = k, .alpha = 1.0f, .a = w, .lda = k, .b = im, .conv = &cv,
			.c = all, .ldc = n, .bias = bias, .act = DLLD_GEMM_ACT_LEAKY,
			.batch = BATCH, .b_stride = in_stride, .c_stride = out_stride,
		};
		dlld_gemm_run(p, &g);
		CHECK_MSG(memcmp(one, all, BATCH * out_stride * sizeof *one) == 0,
			  "%d thread(s): batch != one call per image", threads);
	}
	dlld_pool_destroy(pool);
	free(w);
	free(im);
	free(bias);
	free(one);
	free(all);
}

/* [1 2; 3 4]·[5 6; 7 8] = [19 22; 43 50]; with Bᵀ, alpha, beta, bias, leaky. */
static void test_hand_computed(void)
{
	const float a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8};
	float c[4] = {NAN, NAN, NAN, NAN};

	for (int kernel = 1; kernel < DLLD_GEMM_KERNEL_COUNT; kernel++) {
		if (!dlld_gemm_kernel_supported((enum dlld_gemm_kernel)kernel))
			continue;
		struct dlld_gemm_args g = {.m = 2, .n = 2, .k = 2, .alpha = 1, .a = a, .lda = 2,
					   .b = b, .ldb = 2, .c = c, .ldc = 2,
					   .kernel = (enum dlld_gemm_kernel)kernel};
		dlld_gemm_run(NULL, &g);
		CHECK(c[0] == 19 && c[1] == 22 && c[2] == 43 && c[3] == 50);
		g.trans_b = true; /* [1 2; 3 4]·[5 7; 6 8] = [17 23; 39 53]; 2·that − C */
		g.alpha = 2;
		g.beta = -1;
		dlld_gemm_run(NULL, &g);
		CHECK(c[0] == 15 && c[1] == 24 && c[2] == 35 && c[3] == 56);
	}
	const float bias[2] = {-20, -50};
	dlld_gemm_bias_act(NULL, 2, 2, 2, a, 2, b, 2, bias, DLLD_GEMM_ACT_LEAKY, c, 2);
	CHECK(c[0] == -0.1f && c[1] == 2 && c[2] == -0.7f && c[3] == 0);
	CHECK_NEAR(dlld_gemm_act_apply(DLLD_GEMM_ACT_LOGISTIC, 0.0f), 0.5, 0);
}

int main(void)
{
	printf("  best kernel on this CPU: %s\n", dlld_gemm_kernel_names[dlld_gemm_kernel_best()]);
	dlld_test_run("every kernel matches the reference on odd shapes", test_kernels_vs_ref);
	dlld_test_run("3 threads match the reference", test_threads_match_ref);
	dlld_test_run("1, 2 and 3 threads give identical bits", test_threads_bitwise);
	dlld_test_run("fused bias + activation matches ref + separate steps", test_bias_act_vs_ref);
	dlld_test_run("pre-packed weights give identical bits", test_packed_matches_unpacked);
	dlld_test_run("convolution with implicit im2col", test_conv_implicit_im2col);
	dlld_test_run("a batch of convolutions sharing the weights", test_conv_batch);
	dlld_test_run("weight gradient with implicit transposed im2col", test_conv_weight_gradient);
	dlld_test_run("hand-computed 2 × 2 cases", test_hand_computed);
	return dlld_test_finish();
}

/*
 * bench/bench_nn_gemm.c — single-precision GEMM: DLLD's kernels against
 * OpenBLAS (linked; its core type is whatever it detects, or what
 * OPENBLAS_CORETYPE forces before it loads) and oneDNN (dlopen'ed
 * libdnnl.so.2, dnnl_sgemm), on square matrices and the convolution shapes of
 * yolov3, with 1 and 2 threads, plus the FMA throughput peak of one core.
 *
 *     build-x/bench/bench_nn_gemm [--reps N] [--quick]
 *
 * Prints one tab-separated row per (shape, implementation, threads) with the
 * median milliseconds and GFLOP/s over N repetitions (default 7). Run by
 * bench/run_nn.sh; the choice it supports is written up in docs/perf.md.
 */
#include <cblas.h>
#include <dlfcn.h>
#include <getopt.h>
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dlld/core.h"
#include "nn/gemm.h"
#include "nn/im2col.h"

void openblas_set_num_threads(int num_threads);
char *openblas_get_corename(void);

typedef int (*dnnl_sgemm_fn)(char ta, char tb, int64_t m, int64_t n, int64_t k, float alpha,
			     const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
			     float *c, int64_t ldc);
typedef void (*omp_set_fn)(int n);

struct shape {
	const char *name;
	bool ta, tb;
	int m, n, k;
};

/* Square problems, then yolov3@416's convolutions as darknet lays them out
 * (W[out × c·s·s] · im2col[c·s·s × out_h·out_w]) and two of their gradients. */
static const struct shape shapes[] = {
	{"square 512", false, false, 512, 512, 512},
	{"square 1536", false, false, 1536, 1536, 1536},
	{"conv0 3x3 3->32 @416", false, false, 32, 173056, 27},
	{"conv1 3x3/2 32->64 @416", false, false, 64, 43264, 288},
	{"conv 1x1 64->32 @208", false, false, 32, 43264, 64},
	{"conv 3x3 128->256 @52", false, false, 256, 2704, 1152},
	{"conv 3x3 512->1024 @13", false, false, 1024, 169, 4608},
	{"dW 3x3 128->256 @52 (B^T)", false, true, 256, 1152, 2704},
	{"dX 3x3 128->256 @52 (A^T)", true, false, 1152, 2704, 256},
};

struct impl {
	const char *name;
	int threads;
	struct dlld_pool *pool;
	enum dlld_gemm_kernel kernel;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static dnnl_sgemm_fn dnnl_sgemm;
static omp_set_fn dnnl_omp_set;

static void load_dnnl(void)
{
	void *h = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return;
	*(void **)&dnnl_sgemm = dlsym(h, "dnnl_sgemm");
	*(void **)&dnnl_omp_set = dlsym(h, "omp_set_num_threads");
}

/* Runs one GEMM with `impl`. */
static void run_once(const char *lib, const struct impl *im, const struct shape *s,
		     const float *a, const float *b, float *c)
{
	int lda = s->ta ? s->m : s->k, ldb = s->tb ? s->k : s->n;
	if (strcmp(lib, "dlld") == 0) {
		struct dlld_gemm_args g = {
			.trans_a = s->ta, .trans_b = s->tb, .m = s->m, .n = s->n, .k = s->k,
			.alpha = 1, .a = a, .lda = lda, .b = b, .ldb = ldb, .c = c, .ldc = s->n,
			.kernel = im->kernel,
		};
		dlld_gemm_run(im->pool, &g);
	} else if (strcmp(lib, "openblas") == 0) {
		cblas_sgemm(CblasRowMajor, s->ta ? CblasTrans : CblasNoTrans,
			    s->tb ? CblasTrans : CblasNoTrans, s->m, s->n, s->k, 1.0f, a, lda, b,
			    ldb, 0.0f, c, s->n);
	} else {
		dnnl_sgemm(s->ta ? 'T' : 'N', s->tb ? 'T' : 'N', s->m, s->n, s->k, 1.0f, a, lda, b,
			   ldb, 0.0f, c, s->n);
	}
}

/* Prints the median time of `reps` runs (after one warm-up). */
static void bench(const char *lib, const struct impl *im, const struct shape *s, int reps,
		  const float *a, const float *b, float *c)
{
	double t[64];
	if (reps > 64)
		reps = 64;
	run_once(lib, im, s, a, b, c);
	for (int r = 0; r < reps; r++) {
		double t0 = now_s();
		run_once(lib, im, s, a, b, c);
		t[r] = now_s() - t0;
	}
	qsort(t, (size_t)reps, sizeof t[0], dlld_compare_double);
	double med = t[reps / 2];
	double flops = 2.0 * s->m * (double)s->n * s->k;
	printf("%s\t%s\t%d\t%.3f\t%.1f\n", s->name, im->name, im->threads, med * 1e3,
	       flops / med * 1e-9);
	fflush(stdout);
}

/* Returns the FMA throughput of one core in GFLOP/s (AVX2: 10 independent
 * 8-wide chains; hides the 4-cycle latency on two FMA pipes). */
__attribute__((target("avx2,fma"))) static double fma_peak_avx2(void)
{
	__m256 acc[10];
	__m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
	long iters = 20000000;
	for (int i = 0; i < 10; i++)
		acc[i] = _mm256_set1_ps((float)i);
	double t0 = now_s();
	for (long it = 0; it < iters; it++) {
		acc[0] = _mm256_fmadd_ps(acc[0], x, y);
		acc[1] = _mm256_fmadd_ps(acc[1], x, y);
		acc[2] = _mm256_fmadd_ps(acc[2], x, y);
		acc[3] = _mm256_fmadd_ps(acc[3], x, y);
		acc[4] = _mm256_fmadd_ps(acc[4], x, y);
		acc[5] = _mm256_fmadd_ps(acc[5], x, y);
		acc[6] = _mm256_fmadd_ps(acc[6], x, y);
		acc[7] = _mm256_fmadd_ps(acc[7], x, y);
		acc[8] = _mm256_fmadd_ps(acc[8], x, y);
		acc[9] = _mm256_fmadd_ps(acc[9], x, y);
	}
	double dt = now_s() - t0;
	float sink[8];
	__m256 s = acc[0];
	for (int i = 1; i < 10; i++)
		s = _mm256_add_ps(s, acc[i]);
	_mm256_storeu_ps(sink, s);
	if (sink[0] == 12345.0f)
		printf("#\n");
	return (double)iters * 10 * 16 / dt * 1e-9;
}

/* yolov3 convolutions (one image, one group) for the im2col comparison. */
struct conv_case {
	const char *name;
	int filters;
	struct dlld_im2col g;
};
static const struct conv_case convs[] = {
	{"conv0 3x3 3->32 @416", 32, {3, 416, 416, 3, 1, 1, 416, 416}},
	{"conv1 3x3/2 32->64 @416", 64, {32, 416, 416, 3, 2, 1, 208, 208}},
	{"conv 3x3 128->256 @52", 256, {128, 52, 52, 3, 1, 1, 52, 52}},
	{"conv 3x3 512->1024 @13", 1024, {512, 13, 13, 3, 1, 1, 13, 13}},
};

enum conv_way { CONV_EXPLICIT, CONV_IMPLICIT, CONV_IMPLICIT_PACKED, CONV_WAY_COUNT };
static const char *const conv_way_names[CONV_WAY_COUNT] = {
	"im2col+gemm", "implicit", "implicit+packed-w"};

/* Prints the median ms of one convolution done each way (2 threads). */
static void bench_conv(struct dlld_pool *pool, const struct conv_case *cc, int reps,
		       const float *w, const float *im, float *col, float *out)
{
	int k = cc->g.channels * cc->g.size * cc->g.size, n = cc->g.out_h * cc->g.out_w;
	struct dlld_error err;
	struct dlld_gemm_packed *packed = dlld_gemm_pack_a(cc->filters, k, w, k, &err);
	double t[64], flops = 2.0 * cc->filters * (double)k * n;

	for (int way = 0; packed && way < CONV_WAY_COUNT; way++) {
		for (int r = 0; r <= reps; r++) {
			double t0 = now_s();
			if (way == CONV_EXPLICIT) {
				dlld_im2col(pool, &cc->g, im, col);
				dlld_gemm_bias_act(pool, cc->filters, n, k, w, k, col, n, w,
						   DLLD_GEMM_ACT_LEAKY, out, n);
			} else {
				dlld_gemm_conv_bias_act(pool, cc->filters, w, k,
							way == CONV_IMPLICIT ? NULL : packed, &cc->g,
							im, w, DLLD_GEMM_ACT_LEAKY, out);
			}
			if (r > 0)
				t[r - 1] = now_s() - t0;
		}
		qsort(t, (size_t)reps, sizeof t[0], dlld_compare_double);
		printf("%s\t%s\t%d\t%.3f\t%.1f\n", cc->name, conv_way_names[way],
		       dlld_pool_threads(pool), t[reps / 2] * 1e3, flops / t[reps / 2] * 1e-9);
		fflush(stdout);
	}
	dlld_gemm_packed_destroy(packed);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"reps", required_argument, NULL, 'r'},
					     {"quick", no_argument, NULL, 'q'},
					     {NULL, 0, NULL, 0}};
	int reps = 7, c;
	bool quick = false;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r')
			reps = atoi(optarg);
		else if (c == 'q')
			quick = true;
		else
			return 1;
	}
	if (reps < 1)
		reps = 1;
	struct dlld_error err;
	struct dlld_pool *pool2 = dlld_pool_create(2, &err);
	struct dlld_rng rng;
	size_t max = 1536 * 1536;
	for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
		size_t ab = (size_t)shapes[i].m * (size_t)shapes[i].k;
		size_t bb = (size_t)shapes[i].k * (size_t)shapes[i].n;
		size_t cb = (size_t)shapes[i].m * (size_t)shapes[i].n;
		max = ab > max ? ab : max;
		max = bb > max ? bb : max;
		max = cb > max ? cb : max;
	}
	float *a = malloc(max * sizeof *a), *b = malloc(max * sizeof *b), *cm = malloc(max * sizeof *cm);
	if (!pool2 || !a || !b || !cm)
		return 6;
	dlld_rng_seed(&rng, 1);
	for (size_t i = 0; i < max; i++) {
		a[i] = (float)dlld_rng_uniform(&rng) - 0.5f;
		b[i] = (float)dlld_rng_uniform(&rng) - 0.5f;
	}
	load_dnnl();
	printf("# cpu best dlld kernel: %s; OpenBLAS core: %s; oneDNN: %s\n",
	       dlld_gemm_kernel_names[dlld_gemm_kernel_best()], openblas_get_corename(),
	       dnnl_sgemm ? "libdnnl.so.2" : "not found");
	if (dlld_gemm_kernel_supported(DLLD_GEMM_KERNEL_AVX2))
		printf("# fma peak (AVX2, 1 core): %.1f GFLOP/s\n", fma_peak_avx2());
	printf("shape\timpl\tthreads\tms\tgflops\n");
	struct impl dl[] = {
		{"dlld", 1, NULL, DLLD_GEMM_KERNEL_AUTO},
		{"dlld", 2, pool2, DLLD_GEMM_KERNEL_AUTO},
		{"dlld-avx2", 1, NULL, DLLD_GEMM_KERNEL_AVX2},
		{"dlld-scalar", 1, NULL, DLLD_GEMM_KERNEL_SCALAR},
	};
	size_t n_shapes = quick ? 3 : sizeof shapes / sizeof shapes[0];
	for (size_t i = 0; i < n_shapes; i++) {
		const struct shape *s = &shapes[i];
		for (int t = 1; t <= 2; t++) {
			struct impl ob = {"openblas", t, NULL, DLLD_GEMM_KERNEL_AUTO};
			struct impl dn = {"onednn", t, NULL, DLLD_GEMM_KERNEL_AUTO};
			bench("dlld", &dl[t - 1], s, reps, a, b, cm);
			openblas_set_num_threads(t);
			bench("openblas", &ob, s, reps, a, b, cm);
			if (dnnl_sgemm) {
				if (dnnl_omp_set)
					dnnl_omp_set(t);
				bench("onednn", &dn, s, reps, a, b, cm);
			}
		}
		if (i < 2 && dlld_gemm_kernel_best() == DLLD_GEMM_KERNEL_AVX512)
			bench("dlld", &dl[2], s, reps, a, b, cm);
		if (i == 0)
			bench("dlld", &dl[3], s, reps, a, b, cm);
	}
	float *out = quick ? NULL : malloc(max * sizeof *out);
	for (size_t i = 0; out && i < sizeof convs / sizeof convs[0]; i++)
		bench_conv(pool2, &convs[i], reps < 64 ? reps : 63, a, b, cm, out);
	free(out);
	dlld_pool_destroy(pool2);
	free(a);
	free(b);
	free(cm);
	return 0;
}

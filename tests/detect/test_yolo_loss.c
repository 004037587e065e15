/* tests/detect/test_yolo_loss.c — darknet's YOLOv3 loss: a hand-computed
 * case, finite differences, and the PyTorch fixture (tools/torch_yolo_loss.py). */
#include "dlld/detect.h"
#include "harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fills info with the anchors, a mask and the class count. */
static void make_info(struct dlld_yolo_info *info, const float *anchors, int n_anchors,
		      const int *mask, int n_mask, int classes)
{
	memset(info, 0, sizeof *info);
	info->classes = classes;
	info->n_anchors = n_anchors;
	info->n_mask = n_mask;
	memcpy(info->anchors, anchors, 2 * (size_t)n_anchors * sizeof *anchors);
	memcpy(info->mask, mask, (size_t)n_mask * sizeof *mask);
	info->ignore_thresh = 0.7;
}

/* Fills out = the yolo layer's activation of z (σ on all but tw, th). */
static void activate(const struct dlld_yolo_head *h, int n, const float *z, float *out)
{
	size_t plane = (size_t)h->grid_w * (size_t)h->grid_h;
	int per = 5 + h->info->classes;
	for (int b = 0; b < n; b++)
		for (int c = 0; c < h->info->n_mask * per; c++)
			for (size_t q = 0; q < plane; q++) {
				size_t i = ((size_t)b * (size_t)(h->info->n_mask * per) + (size_t)c) * plane + q;
				int e = c % per;
				out[i] = e == 2 || e == 3 ? z[i] : (float)(1.0 / (1.0 + exp(-(double)z[i])));
			}
}

static void test_iou(void)
{
	CHECK_NEAR(dlld_box_iou((struct dlld_box){0.5f, 0.5f, 0.2f, 0.2f},
				(struct dlld_box){0.6f, 0.5f, 0.2f, 0.2f}),
		   0.02 / 0.06, 1e-6);
	CHECK_NEAR(dlld_box_iou((struct dlld_box){0.1f, 0.1f, 0.1f, 0.1f},
				(struct dlld_box){0.9f, 0.9f, 0.1f, 0.1f}),
		   0.0, 0.0);
}

/* 2×2 grid, one anchor of 16×16 px on a 64 px input, one class, z = 0: the
 * truth sits exactly where the cell-(0,0) prediction is. */
static void test_hand_case(void)
{
	float anchors[2] = {16, 16}, z[6 * 4] = {0}, out[6 * 4], g[6 * 4] = {0};
	int mask[1] = {0}, nt = 1;
	struct dlld_yolo_info info;
	struct dlld_yolo_head h = {&info, 2, 2, 64, 64};
	struct dlld_yolo_loss_options o = {0.7f};
	struct dlld_yolo_truth t = {{0.25f, 0.25f, 0.25f, 0.25f}, 0};
	const struct dlld_yolo_truth *tp = &t;
	struct dlld_yolo_loss_terms terms;
	double ln2 = log(2.0), scale = 2.0 - 0.0625;

	make_info(&info, anchors, 1, mask, 1, 1);
	activate(&h, 1, z, out);
	dlld_yolo_loss(&h, &o, 1, out, &tp, &nt, g, &terms);
	CHECK_INT_EQ(terms.n_truths, 1);
	CHECK_NEAR(terms.sum_iou, 1.0, 1e-6);
	CHECK_INT_EQ(terms.recall75, 1);
	CHECK_NEAR(terms.xy, scale * 2.0 * ln2, 1e-9); /* BCE(0.5, 0.5) = ln 2 */
	CHECK_NEAR(terms.wh, 0.0, 1e-12);
	CHECK_NEAR(terms.obj, ln2, 1e-9);
	CHECK_NEAR(terms.noobj, 3.0 * ln2, 1e-9);
	CHECK_NEAR(terms.cls, ln2, 1e-9);
	CHECK_NEAR(g[4 * 4 + 0], -0.5, 1e-7); /* objectness toward 1 */
	CHECK_NEAR(g[4 * 4 + 1], 0.5, 1e-7);  /* background toward 0 */
	CHECK_NEAR(g[5 * 4 + 0], -0.5, 1e-7); /* class toward 1 */
	CHECK_NEAR(g[5 * 4 + 1], 0.0, 0.0);   /* no class loss off the truth */
	CHECK_NEAR(g[0 * 4 + 0], 0.0, 1e-7);  /* x already right */
	dlld_yolo_loss(&h, &o, 1, out, &tp, &nt, g, &terms); /* gradients accumulate */
	CHECK_NEAR(g[4 * 4 + 0], -1.0, 1e-7);
}

/* Two images, a head with 3 of 6 network anchors, 3 classes, several truths
 * (two sharing a prediction); the analytic gradient matches central
 * differences of the loss with respect to z. */
static void test_finite_differences(void)
{
	float anchors[12] = {10, 14, 23, 27, 37, 58, 81, 82, 135, 169, 344, 319};
	int mask[3] = {0, 1, 2}, nt[2] = {4, 1};
	struct dlld_yolo_info info;
	struct dlld_yolo_head h = {&info, 5, 4, 160, 128};
	struct dlld_yolo_loss_options o = {0.7f};
	size_t n = 2 * 3 * 8 * 20;
	float *z = malloc(n * sizeof *z), *out = malloc(n * sizeof *out);
	float *g = calloc(n, sizeof *g), *g0 = calloc(n, sizeof *g0);
	struct dlld_yolo_truth t0[4] = {
		{{0.30f, 0.40f, 0.15f, 0.20f}, 1},
		{{0.33f, 0.45f, 0.10f, 0.12f}, 2}, /* same cell, smaller anchor */
		{{0.75f, 0.70f, 0.90f, 0.90f}, 0}, /* belongs to another head: only ignores */
		{{0.32f, 0.42f, 0.16f, 0.21f}, 0}, /* same cell and anchor as the first */
	};
	struct dlld_yolo_truth t1[1] = {{{0.55f, 0.15f, 0.07f, 0.09f}, 0}};
	const struct dlld_yolo_truth *tp[2] = {t0, t1};
	struct dlld_yolo_loss_terms terms;
	struct dlld_rng rng;
	double worst = 0.0;

	make_info(&info, anchors, 6, mask, 3, 3);
	dlld_rng_seed(&rng, 3);
	for (size_t q = 0; q < n; q++)
		z[q] = (float)(0.5 * dlld_rng_normal(&rng));
	activate(&h, 2, z, out);
	dlld_yolo_loss(&h, &o, 2, out, tp, nt, g, &terms);
	CHECK_INT_EQ(terms.n_truths, 4);
	CHECK_INT_EQ(terms.n_cells, 3); /* t0[0] and t0[3] share a prediction */
	for (size_t q = 0; q < n; q++) {
		const float eps = 1e-2f;
		float keep = z[q];
		double lp, lm, fd;
		z[q] = keep + eps;
		activate(&h, 2, z, out);
		dlld_yolo_loss(&h, &o, 2, out, tp, nt, g0, &terms);
		lp = terms.total;
		z[q] = keep - eps;
		activate(&h, 2, z, out);
		dlld_yolo_loss(&h, &o, 2, out, tp, nt, g0, &terms);
		lm = terms.total;
		z[q] = keep;
		fd = (lp - lm) / (2.0 * (double)eps);
		worst = fmax(worst, fabs(fd - g[q]) / fmax(1.0, fabs(fd)));
	}
	CHECK_MSG(worst < 1e-4, "worst relative gradient error %g", worst);
	free(z);
	free(out);
	free(g);
	free(g0);
}

/* tools/torch_yolo_loss.py computes the same loss with PyTorch autograd. */
static void test_pytorch_fixture(void)
{
	FILE *fp = fopen("tests/detect/fixtures/yolo_loss.txt", "r");
	float anchors[12];
	int mask[3], w, hh, nc, na, nall, nw, nh, nimg, nt[4], n_z;
	struct dlld_yolo_truth truths[4][8];
	const struct dlld_yolo_truth *tp[4];
	float *z, *out, *g, *want_g;
	double want[5], worst = 0.0;
	struct dlld_yolo_loss_terms terms;
	struct dlld_yolo_loss_options o = {0.7f};
	struct dlld_yolo_info info;

	if (!fp)
		SKIP("tests/detect/fixtures/yolo_loss.txt missing");
	CHECK(fscanf(fp, "%d %d %d %d %d %d %d %d", &w, &hh, &nc, &na, &nall, &nw, &nh, &nimg) == 8);
	CHECK(nall <= 6 && na <= 3 && nimg <= 4);
	for (int a = 0; a < 2 * nall; a++)
		CHECK(fscanf(fp, "%f", &anchors[a]) == 1);
	for (int a = 0; a < na; a++)
		CHECK(fscanf(fp, "%d", &mask[a]) == 1);
	for (int b = 0; b < nimg; b++) {
		CHECK(fscanf(fp, "%d", &nt[b]) == 1 && nt[b] <= 8);
		for (int t = 0; t < nt[b]; t++)
			CHECK(fscanf(fp, "%f %f %f %f %d", &truths[b][t].box.x, &truths[b][t].box.y,
				     &truths[b][t].box.w, &truths[b][t].box.h, &truths[b][t].cls) == 5);
		tp[b] = truths[b];
	}
	CHECK(fscanf(fp, "%d", &n_z) == 1);
	z = malloc((size_t)n_z * sizeof *z);
	out = malloc((size_t)n_z * sizeof *out);
	g = calloc((size_t)n_z, sizeof *g);
	want_g = malloc((size_t)n_z * sizeof *want_g);
	for (int q = 0; q < n_z; q++)
		CHECK(fscanf(fp, "%f", &z[q]) == 1);
	for (int k = 0; k < 5; k++)
		CHECK(fscanf(fp, "%lf", &want[k]) == 1);
	for (int q = 0; q < n_z; q++)
		CHECK(fscanf(fp, "%f", &want_g[q]) == 1);
	fclose(fp);
	make_info(&info, anchors, nall, mask, na, nc);
	{
		struct dlld_yolo_head h = {&info, w, hh, nw, nh};
		activate(&h, nimg, z, out);
		dlld_yolo_loss(&h, &o, nimg, out, tp, nt, g, &terms);
	}
	CHECK_NEAR(terms.xy, want[0], 1e-4 * fmax(1.0, want[0]));
	CHECK_NEAR(terms.wh, want[1], 1e-4 * fmax(1.0, want[1]));
	CHECK_NEAR(terms.obj, want[2], 1e-4 * fmax(1.0, want[2]));
	CHECK_NEAR(terms.noobj, want[3], 1e-4 * fmax(1.0, want[3]));
	CHECK_NEAR(terms.cls, want[4], 1e-4 * fmax(1.0, want[4]));
	for (int q = 0; q < n_z; q++)
		worst = fmax(worst, fabs((double)g[q] - want_g[q]));
	CHECK_MSG(worst < 1e-5, "worst gradient difference %g", worst);
	free(z);
	free(out);
	free(g);
	free(want_g);
}

int main(void)
{
	dlld_test_run("yolo: box IoU", test_iou);
	dlld_test_run("yolo loss: hand-computed case", test_hand_case);
	dlld_test_run("yolo loss: gradient = finite differences", test_finite_differences);
	dlld_test_run("yolo loss: equals the PyTorch reference", test_pytorch_fixture);
	return dlld_test_finish();
}

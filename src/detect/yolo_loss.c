/* detect/yolo_loss.c — YOLOv3 box decoding and darknet's YOLOv3 loss.
 *
 * darknet writes a `delta` that is minus the gradient with respect to the
 * head's raw input (for the logistic channels it is target − σ(z), the
 * gradient of a logistic cross-entropy; for w and h it is the gradient of
 * half a squared error). This file writes the same numbers as +gradient and
 * also the loss whose gradient they are, so the loss can be checked by
 * finite differences and against PyTorch. */
#include "dlld/detect.h"

#include <math.h>
#include <string.h>

#define MAX_TRUTHS 256 /* per image; more are ignored (darknet keeps 90) */

static double sigmoid(double z)
{
	return 1.0 / (1.0 + exp(-z));
}

/* log(1 + e^z) without overflow. */
static double softplus(double z)
{
	return z > 0.0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

/* Logistic cross-entropy of raw z against target t: loss and gradient. */
static double bce(double z, double t, double *grad)
{
	*grad = sigmoid(z) - t;
	return softplus(z) - t * z;
}

static size_t plane_index(const struct dlld_yolo_head *head, int a, int channel, int col, int row)
{
	size_t plane = (size_t)head->w * (size_t)head->h;
	return ((size_t)a * (size_t)(5 + head->n_classes) + (size_t)channel) * plane +
	       (size_t)row * (size_t)head->w + (size_t)col;
}

struct dlld_yolo_box dlld_yolo_decode(const struct dlld_yolo_head *head, const float *z, int a,
				      int col, int row)
{
	size_t stride = (size_t)head->w * (size_t)head->h;
	size_t q = plane_index(head, a, 0, col, row);
	int anchor = head->mask[a];
	struct dlld_yolo_box b;

	b.x = (float)((col + sigmoid(z[q])) / head->w);
	b.y = (float)((row + sigmoid(z[q + stride])) / head->h);
	b.w = (float)(exp(z[q + 2 * stride]) * head->anchors[2 * anchor] / head->net_w);
	b.h = (float)(exp(z[q + 3 * stride]) * head->anchors[2 * anchor + 1] / head->net_h);
	return b;
}

static float overlap(float x1, float w1, float x2, float w2)
{
	float left = fmaxf(x1 - 0.5f * w1, x2 - 0.5f * w2);
	float right = fminf(x1 + 0.5f * w1, x2 + 0.5f * w2);
	return right - left;
}

float dlld_yolo_iou(struct dlld_yolo_box a, struct dlld_yolo_box b)
{
	float iw = overlap(a.x, a.w, b.x, b.w), ih = overlap(a.y, a.h, b.y, b.h);
	float inter = iw > 0.0f && ih > 0.0f ? iw * ih : 0.0f;
	float uni = a.w * a.h + b.w * b.h - inter;
	return uni > 0.0f ? inter / uni : 0.0f;
}

/* Returns the network-wide anchor whose shape best fits the truth. */
static int best_anchor(const struct dlld_yolo_head *head, struct dlld_yolo_box t)
{
	struct dlld_yolo_box shape = {0.0f, 0.0f, t.w, t.h};
	float best = -1.0f;
	int best_n = 0;

	for (int n = 0; n < head->n_all; n++) {
		struct dlld_yolo_box anchor = {0.0f, 0.0f, head->anchors[2 * n] / (float)head->net_w,
					       head->anchors[2 * n + 1] / (float)head->net_h};
		float iou = dlld_yolo_iou(anchor, shape);
		if (iou > best) {
			best = iou;
			best_n = n;
		}
	}
	return best_n;
}

/* A prediction trained toward a truth: cell, anchor, the truth giving its
 * box (the last one wins, as in darknet) and the classes marked positive. */
struct assignment {
	int a, col, row;
	int truth;
	bool cls_positive[64];
};

/* Fills as[] with this image's assignments to this head (truths sharing a
 * cell and anchor share one) and *n_assigned with the truths assigned;
 * returns the number of assignments. */
static int assign(const struct dlld_yolo_head *head, const struct dlld_yolo_truth *truths, int n_truths,
		  struct assignment *as, int *n_assigned)
{
	int n_as = 0;

	*n_assigned = 0;
	for (int t = 0; t < n_truths && t < MAX_TRUTHS; t++) {
		struct dlld_yolo_box tb = truths[t].box;
		int best = best_anchor(head, tb), a = -1, col, row, k;
		for (int m = 0; m < head->n_anchors; m++)
			if (head->mask[m] == best)
				a = m;
		if (a < 0 || truths[t].cls < 0 || truths[t].cls >= head->n_classes ||
		    truths[t].cls >= 64)
			continue;
		col = (int)(tb.x * (float)head->w);
		row = (int)(tb.y * (float)head->h);
		col = col < 0 ? 0 : (col >= head->w ? head->w - 1 : col);
		row = row < 0 ? 0 : (row >= head->h ? head->h - 1 : row);
		for (k = 0; k < n_as; k++)
			if (as[k].a == a && as[k].col == col && as[k].row == row)
				break;
		if (k == n_as) {
			memset(&as[k], 0, sizeof as[k]);
			as[k].a = a;
			as[k].col = col;
			as[k].row = row;
			n_as++;
		}
		as[k].truth = t;
		as[k].cls_positive[truths[t].cls] = true;
		(*n_assigned)++;
	}
	return n_as;
}

/* Box, objectness and class terms of one assignment. */
static void assigned_terms(const struct dlld_yolo_head *head, const float *z, float *grad,
			   const struct dlld_yolo_truth *truths, const struct assignment *as,
			   struct dlld_yolo_loss_terms *terms)
{
	size_t stride = (size_t)head->w * (size_t)head->h;
	size_t q = plane_index(head, as->a, 0, as->col, as->row);
	struct dlld_yolo_box tb = truths[as->truth].box;
	int anchor = head->mask[as->a];
	double scale = 2.0 - (double)tb.w * (double)tb.h;
	double target[4] = {
		(double)tb.x * head->w - as->col,
		(double)tb.y * head->h - as->row,
		log((double)tb.w * head->net_w / head->anchors[2 * anchor]),
		log((double)tb.h * head->net_h / head->anchors[2 * anchor + 1]),
	};
	float iou = dlld_yolo_iou(dlld_yolo_decode(head, z, as->a, as->col, as->row), tb);
	double g;

	for (int c = 0; c < 2; c++) {
		terms->xy += scale * bce(z[q + (size_t)c * stride], target[c], &g);
		grad[q + (size_t)c * stride] += (float)(scale * g);
	}
	for (int c = 2; c < 4; c++) {
		double d = z[q + (size_t)c * stride] - target[c];
		terms->wh += 0.5 * scale * d * d;
		grad[q + (size_t)c * stride] += (float)(scale * d);
	}
	terms->obj += bce(z[q + 4 * stride], 1.0, &g);
	grad[q + 4 * stride] += (float)g;
	terms->sum_obj += sigmoid(z[q + 4 * stride]);
	for (int c = 0; c < head->n_classes; c++) {
		size_t qc = q + (size_t)(5 + c) * stride;
		terms->cls += bce(z[qc], as->cls_positive[c] ? 1.0 : 0.0, &g);
		grad[qc] += (float)g;
	}
	terms->sum_iou += iou;
	terms->recall50 += iou > 0.5f;
	terms->recall75 += iou > 0.75f;
}

/* Objectness-0 terms of every unassigned prediction that overlaps no truth
 * by more than the ignore threshold. */
static void background_terms(const struct dlld_yolo_head *head, const struct dlld_yolo_loss_options *o,
			     const float *z, float *grad, const struct dlld_yolo_truth *truths,
			     int n_truths, const struct assignment *as, int n_as,
			     struct dlld_yolo_loss_terms *terms)
{
	for (int a = 0; a < head->n_anchors; a++) {
		for (int row = 0; row < head->h; row++) {
			for (int col = 0; col < head->w; col++) {
				size_t qo = plane_index(head, a, 4, col, row);
				struct dlld_yolo_box pred = dlld_yolo_decode(head, z, a, col, row);
				float best = 0.0f;
				bool assigned = false;
				double g;

				terms->sum_noobj += sigmoid(z[qo]);
				for (int k = 0; k < n_as; k++)
					assigned |= as[k].a == a && as[k].col == col && as[k].row == row;
				if (assigned)
					continue;
				for (int t = 0; t < n_truths && t < MAX_TRUTHS; t++)
					best = fmaxf(best, dlld_yolo_iou(pred, truths[t].box));
				if (best > o->ignore_thresh)
					continue;
				terms->noobj += bce(z[qo], 0.0, &g);
				grad[qo] += (float)g;
			}
		}
	}
}

void dlld_yolo_loss(const struct dlld_yolo_head *head, const struct dlld_yolo_loss_options *opts,
		    int n, const float *z, const struct dlld_yolo_truth *const *truths,
		    const int *n_truths, float *grad, struct dlld_yolo_loss_terms *terms)
{
	size_t image = (size_t)head->n_anchors * (size_t)(5 + head->n_classes) * (size_t)head->w *
		       (size_t)head->h;
	struct assignment as[MAX_TRUTHS];

	memset(terms, 0, sizeof *terms);
	for (int b = 0; b < n; b++) {
		const float *zb = z + (size_t)b * image;
		float *gb = grad + (size_t)b * image;
		int n_assigned;
		int n_as = assign(head, truths[b], n_truths[b], as, &n_assigned);

		background_terms(head, opts, zb, gb, truths[b], n_truths[b], as, n_as, terms);
		for (int k = 0; k < n_as; k++)
			assigned_terms(head, zb, gb, truths[b], &as[k], terms);
		terms->n_truths += n_assigned;
		terms->n_cells += n_as;
	}
	terms->total = terms->xy + terms->wh + terms->obj + terms->noobj + terms->cls;
}

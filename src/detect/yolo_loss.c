/* detect/yolo_loss.c — darknet's YOLOv3 loss, as a true loss.
 *
 * darknet writes a `delta` that is minus the gradient with respect to the
 * head's input z (for the logistic channels it is target − σ(z), the gradient
 * of a logistic cross-entropy; for w and h it is the gradient of half a
 * squared error). This file writes the same numbers as +gradient and also
 * the loss whose gradient they are, so the loss can be checked by finite
 * differences and against PyTorch. Boxes are decoded by the engine's
 * dlld_yolo_box, the decoder inference uses too. */
#include "dlld/detect.h"

#include <math.h>
#include <string.h>

#define MAX_TRUTHS 256 /* per image; more are ignored (darknet keeps 90) */

/* Logistic cross-entropy of probability p against target t (p − t is the
 * gradient with respect to the logit). */
static double bce(double p, double t)
{
	double lo = 1e-12, hi = 1.0 - 1e-12;
	double q = p < lo ? lo : (p > hi ? hi : p);
	return -(t * log(q) + (1.0 - t) * log(1.0 - q));
}

static size_t plane_index(const struct dlld_yolo_head *head, int slot, int channel, int col, int row)
{
	size_t plane = (size_t)head->grid_w * (size_t)head->grid_h;
	return ((size_t)slot * (size_t)(5 + head->info->classes) + (size_t)channel) * plane +
	       (size_t)row * (size_t)head->grid_w + (size_t)col;
}

static struct dlld_box decode(const struct dlld_yolo_head *head, const float *out, int slot, int col,
			      int row)
{
	return dlld_yolo_box(head->info, out, head->grid_w, head->grid_h, slot, col, row, head->net_w,
			     head->net_h);
}

static float overlap(float x1, float w1, float x2, float w2)
{
	float left = fmaxf(x1 - 0.5f * w1, x2 - 0.5f * w2);
	float right = fminf(x1 + 0.5f * w1, x2 + 0.5f * w2);
	return right - left;
}

float dlld_box_iou(struct dlld_box a, struct dlld_box b)
{
	float iw = overlap(a.x, a.w, b.x, b.w), ih = overlap(a.y, a.h, b.y, b.h);
	float inter = iw > 0.0f && ih > 0.0f ? iw * ih : 0.0f;
	float uni = a.w * a.h + b.w * b.h - inter;
	return uni > 0.0f ? inter / uni : 0.0f;
}

/* Returns the network-wide anchor whose shape best fits the truth. */
static int best_anchor(const struct dlld_yolo_head *head, struct dlld_box t)
{
	const struct dlld_yolo_info *info = head->info;
	struct dlld_box shape = {0.0f, 0.0f, t.w, t.h};
	float best = -1.0f;
	int best_n = 0;

	for (int n = 0; n < info->n_anchors; n++) {
		struct dlld_box anchor = {0.0f, 0.0f, info->anchors[2 * n] / (float)head->net_w,
					  info->anchors[2 * n + 1] / (float)head->net_h};
		float iou = dlld_box_iou(anchor, shape);
		if (iou > best) {
			best = iou;
			best_n = n;
		}
	}
	return best_n;
}

/* A prediction trained toward a truth: cell, anchor slot, the truth giving
 * its box (the last one wins, as in darknet) and the classes marked positive. */
struct assignment {
	int slot, col, row;
	int truth;
	bool cls_positive[64];
};

/* Fills as[] with this image's assignments to this head and *n_assigned
 * with the truths assigned; returns the number of assignments. */
static int assign(const struct dlld_yolo_head *head, const struct dlld_yolo_truth *truths,
		  int n_truths, struct assignment *as, int *n_assigned)
{
	const struct dlld_yolo_info *info = head->info;
	int n_as = 0;

	*n_assigned = 0;
	for (int t = 0; t < n_truths && t < MAX_TRUTHS; t++) {
		struct dlld_box tb = truths[t].box;
		int best = best_anchor(head, tb), slot = -1, col, row, k;
		for (int m = 0; m < info->n_mask; m++)
			if (info->mask[m] == best)
				slot = m;
		if (slot < 0 || truths[t].cls < 0 || truths[t].cls >= info->classes ||
		    truths[t].cls >= 64)
			continue;
		col = (int)(tb.x * (float)head->grid_w);
		row = (int)(tb.y * (float)head->grid_h);
		col = col < 0 ? 0 : (col >= head->grid_w ? head->grid_w - 1 : col);
		row = row < 0 ? 0 : (row >= head->grid_h ? head->grid_h - 1 : row);
		for (k = 0; k < n_as; k++)
			if (as[k].slot == slot && as[k].col == col && as[k].row == row)
				break;
		if (k == n_as) {
			memset(&as[k], 0, sizeof as[k]);
			as[k].slot = slot;
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
static void assigned_terms(const struct dlld_yolo_head *head, const float *out, float *grad,
			   const struct dlld_yolo_truth *truths, const struct assignment *as,
			   struct dlld_yolo_loss_terms *terms)
{
	size_t stride = (size_t)head->grid_w * (size_t)head->grid_h;
	size_t q = plane_index(head, as->slot, 0, as->col, as->row);
	struct dlld_box tb = truths[as->truth].box;
	int anchor = head->info->mask[as->slot];
	double scale = 2.0 - (double)tb.w * (double)tb.h;
	double target[4] = {
		(double)tb.x * head->grid_w - as->col,
		(double)tb.y * head->grid_h - as->row,
		log((double)tb.w * head->net_w / head->info->anchors[2 * anchor]),
		log((double)tb.h * head->net_h / head->info->anchors[2 * anchor + 1]),
	};
	float iou = dlld_box_iou(decode(head, out, as->slot, as->col, as->row), tb);

	for (int c = 0; c < 2; c++) {
		double p = out[q + (size_t)c * stride];
		terms->xy += scale * bce(p, target[c]);
		grad[q + (size_t)c * stride] += (float)(scale * (p - target[c]));
	}
	for (int c = 2; c < 4; c++) {
		double d = out[q + (size_t)c * stride] - target[c];
		terms->wh += 0.5 * scale * d * d;
		grad[q + (size_t)c * stride] += (float)(scale * d);
	}
	terms->obj += bce(out[q + 4 * stride], 1.0);
	grad[q + 4 * stride] += out[q + 4 * stride] - 1.0f;
	terms->sum_obj += out[q + 4 * stride];
	for (int c = 0; c < head->info->classes; c++) {
		size_t qc = q + (size_t)(5 + c) * stride;
		double t = as->cls_positive[c] ? 1.0 : 0.0;
		terms->cls += bce(out[qc], t);
		grad[qc] += (float)(out[qc] - t);
	}
	terms->sum_iou += iou;
	terms->recall50 += iou > 0.5f;
	terms->recall75 += iou > 0.75f;
}

/* Objectness-0 terms of every unassigned prediction that overlaps no truth
 * by more than the ignore threshold. */
static void background_terms(const struct dlld_yolo_head *head,
			     const struct dlld_yolo_loss_options *o, const float *out, float *grad,
			     const struct dlld_yolo_truth *truths, int n_truths,
			     const struct assignment *as, int n_as,
			     struct dlld_yolo_loss_terms *terms)
{
	for (int slot = 0; slot < head->info->n_mask; slot++) {
		for (int row = 0; row < head->grid_h; row++) {
			for (int col = 0; col < head->grid_w; col++) {
				size_t qo = plane_index(head, slot, 4, col, row);
				struct dlld_box pred = decode(head, out, slot, col, row);
				float best = 0.0f;
				bool assigned = false;

				terms->sum_noobj += out[qo];
				for (int k = 0; k < n_as; k++)
					assigned |= as[k].slot == slot && as[k].col == col &&
						    as[k].row == row;
				if (assigned)
					continue;
				for (int t = 0; t < n_truths && t < MAX_TRUTHS; t++)
					best = fmaxf(best, dlld_box_iou(pred, truths[t].box));
				if (best > o->ignore_thresh)
					continue;
				terms->noobj += bce(out[qo], 0.0);
				grad[qo] += out[qo];
			}
		}
	}
}

void dlld_yolo_loss(const struct dlld_yolo_head *head, const struct dlld_yolo_loss_options *opts,
		    int n, const float *out, const struct dlld_yolo_truth *const *truths,
		    const int *n_truths, float *grad_z, struct dlld_yolo_loss_terms *terms)
{
	size_t image = (size_t)head->info->n_mask * (size_t)(5 + head->info->classes) *
		       (size_t)head->grid_w * (size_t)head->grid_h;
	struct assignment as[MAX_TRUTHS];

	memset(terms, 0, sizeof *terms);
	for (int b = 0; b < n; b++) {
		const float *ob = out + (size_t)b * image;
		float *gb = grad_z + (size_t)b * image;
		int n_assigned;
		int n_as = assign(head, truths[b], n_truths[b], as, &n_assigned);

		background_terms(head, opts, ob, gb, truths[b], n_truths[b], as, n_as, terms);
		for (int k = 0; k < n_as; k++)
			assigned_terms(head, ob, gb, truths[b], &as[k], terms);
		terms->n_truths += n_assigned;
		terms->n_cells += n_as;
	}
	terms->total = terms->xy + terms->wh + terms->obj + terms->noobj + terms->cls;
}

/*
 * nn/yolo.c — [yolo]: the detection head's activations (the loss lives
 * apart, in the training code; it fills this layer's delta).
 *   in, out [n × A·(5 + classes) × h × w], A = number of mask entries;
 *   per anchor slot a, entry e at channel a·(5 + classes) + e:
 *   e = 0, 1: logistic (x, y offsets in the cell); e = 2, 3: raw tw, th;
 *   e = 4: logistic objectness; e ≥ 5: logistic class scores.
 * That is darknet's yolo output; dlld_yolo_box decodes boxes from it.
 */
#include "nn/layer.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define YOLO(field) offsetof(struct dlld_layer, u.yolo.info.field)

static const struct dlld_cfg_key yolo_keys[] = {
	{"mask", DLLD_CFG_TYPE_INT_LIST, YOLO(mask), YOLO(n_mask), DLLD_YOLO_MAX_ANCHORS, 0,
	 DLLD_YOLO_MAX_ANCHORS - 1},
	{"anchors", DLLD_CFG_TYPE_FLOAT_LIST, YOLO(anchors),
	 offsetof(struct dlld_layer, u.yolo.n_anchor_values), 2 * DLLD_YOLO_MAX_ANCHORS, 0, 1e5},
	{"classes", DLLD_CFG_TYPE_INT, YOLO(classes), 0, 0, 0, 100000},
	{"num", DLLD_CFG_TYPE_INT, YOLO(n_anchors), 0, 0, 1, DLLD_YOLO_MAX_ANCHORS},
	{"jitter", DLLD_CFG_TYPE_DOUBLE, YOLO(jitter), 0, 0, 0, 1},
	{"ignore_thresh", DLLD_CFG_TYPE_DOUBLE, YOLO(ignore_thresh), 0, 0, 0, 1},
	{"truth_thresh", DLLD_CFG_TYPE_DOUBLE, YOLO(truth_thresh), 0, 0, 0, 1},
	{"random", DLLD_CFG_TYPE_INT, YOLO(random), 0, 0, 0, 1},
	{NULL, DLLD_CFG_TYPE_COUNT, 0, 0, 0, 0, 0},
};

static void yolo_defaults(struct dlld_layer *l)
{
	memset(&l->u.yolo, 0, sizeof l->u.yolo);
	l->u.yolo.info.classes = 20;
	l->u.yolo.info.n_anchors = 1;
	l->u.yolo.info.jitter = 0.2;
	l->u.yolo.info.ignore_thresh = 0.5;
	l->u.yolo.info.truth_thresh = 1.0;
}

static enum dlld_status yolo_plan(struct dlld_layer *l, const struct dlld_plan *p,
				  struct dlld_error *err)
{
	struct dlld_yolo_info *y = &l->u.yolo.info;
	enum dlld_status st = dlld_plan_add_input(l, p, -1, err);

	if (st != DLLD_STATUS_OK)
		return st;
	if (y->n_mask == 0) {
		y->n_mask = y->n_anchors;
		for (int i = 0; i < y->n_mask; i++)
			y->mask[i] = i;
	}
	if (l->u.yolo.n_anchor_values != 2 * y->n_anchors)
		return dlld_error_set_line(err, DLLD_STATUS_MALFORMED, p->file, l->line,
					   "num=%d needs %d anchor values, got %d", y->n_anchors,
					   2 * y->n_anchors, l->u.yolo.n_anchor_values);
	for (int i = 0; i < y->n_mask; i++)
		if (y->mask[i] >= y->n_anchors)
			return dlld_error_set_line(err, DLLD_STATUS_MALFORMED, p->file, l->line,
						   "mask entry %d is not below num=%d", y->mask[i],
						   y->n_anchors);
	if ((long)l->in.c != (long)y->n_mask * (5L + y->classes))
		return dlld_error_set_line(err, DLLD_STATUS_INCONSISTENT, p->file, l->line,
					   "%d input channels, expected %d mask anchors x (5 + %d classes) = %ld",
					   l->in.c, y->n_mask, y->classes,
					   (long)y->n_mask * (5L + y->classes));
	l->out = l->in;
	return DLLD_STATUS_OK;
}

static void yolo_init(struct dlld_layer *l, struct dlld_rng *rng)
{
	(void)l;
	(void)rng;
}

/* Whether channel ch (within one image) goes through the logistic. */
static bool is_logistic(const struct dlld_layer *l, int ch)
{
	int e = ch % (5 + l->u.yolo.info.classes);
	return e != 2 && e != 3;
}

/* One channel plane of every image: task = b·c + ch. */
static void forward_plane(void *ctx, size_t task, int worker)
{
	const struct dlld_layer *l = ctx;
	size_t plane = dlld_shape_plane(l->out);
	float *y = l->output + task * plane;

	(void)worker;
	memcpy(y, l->src[0] + task * plane, plane * sizeof(float));
	if (is_logistic(l, (int)(task % (size_t)l->out.c)))
		dlld_act_forward(DLLD_GEMM_ACT_LOGISTIC, y, plane);
}

static void backward_plane(void *ctx, size_t task, int worker)
{
	const struct dlld_layer *l = ctx;
	size_t plane = dlld_shape_plane(l->out), at = task * plane;
	bool logistic = is_logistic(l, (int)(task % (size_t)l->out.c));

	(void)worker;
	dlld_act_backward(logistic ? DLLD_GEMM_ACT_LOGISTIC : DLLD_GEMM_ACT_LINEAR,
			  l->output + at, l->delta + at, l->src_delta[0] + at, plane);
}

static void yolo_forward(struct dlld_layer *l, const struct dlld_run *run)
{
	dlld_layer_parallel(run->pool, (size_t)l->out.n * (size_t)l->out.c, forward_plane, l);
}

static void yolo_backward(struct dlld_layer *l, const struct dlld_run *run)
{
	if (l->src_delta[0])
		dlld_layer_parallel(run->pool, (size_t)l->out.n * (size_t)l->out.c,
				    backward_plane, l);
}

static void yolo_describe(const struct dlld_layer *l, char *buf, size_t size)
{
	(void)l;
	snprintf(buf, size, "yolo");
}

struct dlld_box dlld_yolo_box(const struct dlld_yolo_info *info, const float *out, int grid_w,
			      int grid_h, int slot, int col, int row, int net_w, int net_h)
{
	size_t plane = (size_t)grid_w * (size_t)grid_h;
	size_t cell = (size_t)row * (size_t)grid_w + (size_t)col;
	const float *a = out + (size_t)slot * (size_t)(5 + info->classes) * plane + cell;
	int anchor = info->mask[slot];

	return (struct dlld_box){
		.x = ((float)col + a[0]) / (float)grid_w,
		.y = ((float)row + a[plane]) / (float)grid_h,
		.w = expf(a[2 * plane]) * info->anchors[2 * anchor] / (float)net_w,
		.h = expf(a[3 * plane]) * info->anchors[2 * anchor + 1] / (float)net_h,
	};
}

const struct dlld_layer_ops dlld_yolo_ops = {
	.kind = DLLD_LAYER_KIND_YOLO,
	.keys = yolo_keys,
	.defaults = yolo_defaults,
	.plan = yolo_plan,
	.init = yolo_init,
	.forward = yolo_forward,
	.backward = yolo_backward,
	.fold = NULL,
	.pack = NULL,
	.unpack = NULL,
	.describe = yolo_describe,
};

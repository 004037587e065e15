/* detect/infer.c — a trained model run over the liver's slices of a CT volume. */
#include "dlld/detect.h"

#include <stdlib.h>
#include <string.h>

void dlld_detect_options_default(struct dlld_detect_options *o)
{
	o->slice_margin = 1;
	o->max_per_slice = 32;
}

/* Growable output array. */
struct box_list {
	struct dlld_voxel_box *items;
	size_t n, cap;
};

static bool push(struct box_list *l, const struct dlld_voxel_box *b)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct dlld_voxel_box *p = realloc(l->items, cap * sizeof *p);
		if (!p)
			return false;
		l->items = p;
		l->cap = cap;
	}
	l->items[l->n++] = *b;
	return true;
}

/* Fills out with the voxel-space box of detection d on slice k under view
 * (an upright view: no flips at inference). */
static void to_voxels(const struct dlld_slice_detection *d, int32_t k, int size,
		      const struct dlld_slice_view *view, struct dlld_voxel_box *out)
{
	/* network pixel u covers [u - 0.5, u + 0.5]; box edges are at x·size */
	double lo[2], hi[2];

	dlld_slice_view_to_voxel(view, (d->box.x - 0.5 * d->box.w) * size - 0.5,
				 (d->box.y - 0.5 * d->box.h) * size - 0.5, lo);
	dlld_slice_view_to_voxel(view, (d->box.x + 0.5 * d->box.w) * size - 0.5,
				 (d->box.y + 0.5 * d->box.h) * size - 0.5, hi);
	memset(out, 0, sizeof *out);
	out->k = k;
	out->i0 = lo[0];
	out->j0 = lo[1];
	out->i1 = hi[0];
	out->j1 = hi[1];
	out->objectness = d->objectness;
	memcpy(out->prob, d->prob, sizeof out->prob);
	out->confidence = d->confidence;
	out->cls = d->cls;
}

enum dlld_status dlld_detect_volume(struct dlld_model *model, const struct dlld_volume *v,
				    const struct dlld_labelmap *liver,
				    const struct dlld_detect_options *o, struct dlld_pool *pool,
				    struct dlld_voxel_box **boxes, size_t *n,
				    struct dlld_error *err)
{
	const struct dlld_input_spec *spec = &model->spec;
	struct dlld_shape in = dlld_net_input_shape(model->net);
	size_t image = (size_t)spec->channels * (size_t)spec->size * (size_t)spec->size;
	struct dlld_liver_box lb;
	struct dlld_slice_view view;
	struct box_list list = {0};
	struct dlld_slice_detection *det;
	float *input;
	int32_t k0 = 0, k1 = v->geom.dims[2] - 1;
	double ci = 0.5 * (v->geom.dims[0] - 1), cj = 0.5 * (v->geom.dims[1] - 1);
	enum dlld_status st = DLLD_STATUS_OK;

	*boxes = NULL;
	*n = 0;
	if (in.c != spec->channels || in.w != spec->size || in.h != spec->size)
		return dlld_error_set(err, DLLD_STATUS_INCONSISTENT, model->dir,
				      "network input %dx%dx%d differs from model.json's input",
				      in.c, in.h, in.w);
	if (liver && dlld_liver_box_find(liver, &lb)) {
		k0 = lb.lo[2] - o->slice_margin < 0 ? 0 : lb.lo[2] - o->slice_margin;
		k1 = lb.hi[2] + o->slice_margin > k1 ? k1 : lb.hi[2] + o->slice_margin;
		ci = 0.5 * (lb.lo[0] + lb.hi[0]);
		cj = 0.5 * (lb.lo[1] + lb.hi[1]);
	}
	dlld_slice_view_centered(&v->geom, spec, ci, cj, &view);
	input = dlld_alloc_aligned((size_t)in.n * image, sizeof(float), "detection input", err);
	det = dlld_calloc(o->max_per_slice, sizeof *det, "detections", err);
	if (!input || !det) {
		st = DLLD_STATUS_NO_MEMORY;
		goto done;
	}
	for (int32_t first = k0; first <= k1 && !st; first += in.n) {
		int nb = k1 - first + 1 < in.n ? k1 - first + 1 : in.n;
		for (int b = 0; b < in.n; b++) /* a short last batch repeats its first slice */
			dlld_sample_render(v, first + (b < nb ? b : 0), spec, &view, NULL, NULL,
					   input + (size_t)b * image);
		dlld_net_forward(model->net, pool, input);
		for (int b = 0; b < nb && !st; b++) {
			size_t m = dlld_detect_decode(model->net, model->yolo_layers, model->n_yolo, b,
						      &model->thresholds, det, o->max_per_slice);
			for (size_t d = 0; d < m && !st; d++) {
				struct dlld_voxel_box vb;
				to_voxels(&det[d], first + b, spec->size, &view, &vb);
				if (!push(&list, &vb))
					st = dlld_error_set(err, DLLD_STATUS_NO_MEMORY, NULL,
							    "too many detections");
			}
		}
	}
done:
	dlld_free_aligned(input);
	free(det);
	if (st) {
		free(list.items);
		return st;
	}
	*boxes = list.items;
	*n = list.n;
	return DLLD_STATUS_OK;
}

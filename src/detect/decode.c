/* detect/decode.c — yolo outputs to boxes on one image: threshold and NMS. */
#include "dlld/detect.h"

#include <stdlib.h>

static int by_confidence_desc(const void *pa, const void *pb)
{
	const struct dlld_slice_detection *a = pa, *b = pb;
	return (a->confidence < b->confidence) - (a->confidence > b->confidence);
}

/* Appends the predictions of one yolo layer above threshold; returns the
 * new count (never above max_out: the least confident are dropped later). */
static size_t decode_layer(const struct dlld_network *net, int layer, int b, float threshold,
			   struct dlld_slice_detection *out, size_t n, size_t max_out)
{
	struct dlld_yolo_info info;
	struct dlld_shape s, in = dlld_net_input_shape(net);
	const float *all = dlld_net_output(net, layer, &s);
	const float *o;
	size_t plane = (size_t)s.h * (size_t)s.w;

	if (!dlld_net_yolo_info(net, layer, &info))
		return n;
	o = all + (size_t)b * (size_t)s.c * plane;
	for (int slot = 0; slot < info.n_mask; slot++) {
		const float *a = o + (size_t)slot * (size_t)(5 + info.classes) * plane;
		for (int row = 0; row < s.h; row++) {
			for (int col = 0; col < s.w; col++) {
				size_t q = (size_t)row * (size_t)s.w + (size_t)col;
				struct dlld_slice_detection d = {0};
				float best = 0.0f;

				d.objectness = a[4 * plane + q];
				if (d.objectness < threshold)
					continue;
				for (int c = 0; c < DLLD_LESION_CLASS_COUNT && c < info.classes; c++) {
					d.prob[c] = a[(size_t)(5 + c) * plane + q];
					if (d.prob[c] > best) {
						best = d.prob[c];
						d.cls = (enum dlld_lesion_class)c;
					}
				}
				d.confidence = d.objectness * best;
				if (d.confidence < threshold)
					continue;
				d.box = dlld_yolo_box(&info, o, s.w, s.h, slot, col, row, in.w, in.h);
				if (n < max_out) {
					out[n++] = d;
				} else {
					/* full: replace the least confident if this one beats it */
					size_t worst = 0;
					for (size_t k = 1; k < n; k++)
						if (out[k].confidence < out[worst].confidence)
							worst = k;
					if (n && out[worst].confidence < d.confidence)
						out[worst] = d;
				}
			}
		}
	}
	return n;
}

size_t dlld_detect_decode(const struct dlld_network *net, const int *yolo_layers, int n_yolo,
			  int b, const struct dlld_detect_thresholds *t,
			  struct dlld_slice_detection *out, size_t max_out)
{
	size_t n = 0, kept = 0;

	for (int h = 0; h < n_yolo; h++)
		n = decode_layer(net, yolo_layers[h], b, t->confidence, out, n, max_out);
	qsort(out, n, sizeof *out, by_confidence_desc);
	for (size_t i = 0; i < n; i++) {
		bool suppressed = false;
		for (size_t k = 0; k < kept && !suppressed; k++)
			suppressed = dlld_box_iou(out[i].box, out[k].box) > t->nms_iou;
		if (!suppressed)
			out[kept++] = out[i];
	}
	return kept;
}

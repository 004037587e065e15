/* detect/train_batch.c — minibatches for training: the patient split, the
 * per-minibatch RNG streams and the loader thread that renders ahead. */
#include "detect/train_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* RNG streams: 0 = the split, 1 + m = minibatch m. */
#define STREAM_SPLIT 0
#define STREAM_BATCH0 1

void train_split_free(struct train_split *split)
{
	free(split->positive);
	free(split->negative);
	free(split->val);
	memset(split, 0, sizeof *split);
}

enum dlld_status train_split_make(const struct dlld_dataset *ds, const struct dlld_train_options *o,
				  struct train_split *split, struct dlld_error *err)
{
	size_t n_cases = dlld_dataset_cases(ds), n = dlld_dataset_count(ds);
	bool *is_val = dlld_calloc(n_cases, sizeof *is_val, "split", err);
	size_t *order = dlld_calloc(n_cases, sizeof *order, "split", err);
	struct dlld_rng rng;

	memset(split, 0, sizeof *split);
	split->positive = dlld_calloc(n, sizeof(size_t), "split", err);
	split->negative = dlld_calloc(n, sizeof(size_t), "split", err);
	split->val = dlld_calloc(n, sizeof(size_t), "split", err);
	if (!is_val || !order || !split->positive || !split->negative || !split->val) {
		free(is_val);
		free(order);
		train_split_free(split);
		return DLLD_STATUS_NO_MEMORY;
	}
	dlld_rng_seed_stream(&rng, o->seed, STREAM_SPLIT);
	for (size_t c = 0; c < n_cases; c++)
		order[c] = c;
	for (size_t c = n_cases; c > 1; c--) { /* Fisher–Yates */
		size_t r = (size_t)dlld_rng_below(&rng, c), t = order[c - 1];
		order[c - 1] = order[r];
		order[r] = t;
	}
	if (n_cases >= 2 && o->val_fraction > 0.0) {
		split->n_val_cases = (size_t)ceil(o->val_fraction * (double)n_cases);
		if (split->n_val_cases >= n_cases)
			split->n_val_cases = n_cases - 1;
	}
	for (size_t c = 0; c < split->n_val_cases; c++)
		is_val[order[c]] = true;
	for (size_t s = 0; s < n; s++) {
		const struct dlld_dataset_sample *smp = dlld_dataset_sample(ds, s);
		if (is_val[smp->case_index])
			split->val[split->n_val++] = s;
		else if (smp->n_lesions)
			split->positive[split->n_positive++] = s;
		else
			split->negative[split->n_negative++] = s;
	}
	free(is_val);
	free(order);
	if (!split->n_positive && !split->n_negative) {
		train_split_free(split);
		return dlld_error_set(err, DLLD_STATUS_INCONSISTENT, NULL,
				      "no training slices left after holding out validation patients");
	}
	return DLLD_STATUS_OK;
}

/* Converts network-pixel boxes to truths (fractions of the input). */
static int to_truths(const struct dlld_sample_box *boxes, size_t n, int size,
		     struct dlld_yolo_truth *truths)
{
	float s = (float)size;
	for (size_t k = 0; k < n; k++) {
		truths[k].box.x = 0.5f * (boxes[k].x0 + boxes[k].x1) / s;
		truths[k].box.y = 0.5f * (boxes[k].y0 + boxes[k].y1) / s;
		truths[k].box.w = (boxes[k].x1 - boxes[k].x0) / s;
		truths[k].box.h = (boxes[k].y1 - boxes[k].y0) / s;
		truths[k].cls = (int)boxes[k].cls;
	}
	return (int)n;
}

void train_batch_render(const struct dlld_dataset *ds, const struct train_split *split,
			const struct dlld_train_options *o, int batch, long index,
			struct dlld_dataset_scratch *scratch, struct train_batch *out)
{
	const struct dlld_input_spec *spec = &o->data.spec;
	size_t image = (size_t)spec->channels * (size_t)spec->size * (size_t)spec->size;
	struct dlld_rng rng;

	dlld_rng_seed_stream(&rng, o->seed, STREAM_BATCH0 + (uint64_t)index);
	for (int b = 0; b < batch; b++) {
		struct dlld_sample_box boxes[TRAIN_MAX_BOXES];
		struct dlld_augment aug;
		bool positive = split->n_positive &&
				(!split->n_negative || dlld_rng_uniform(&rng) < o->positive_fraction);
		const size_t *list = positive ? split->positive : split->negative;
		size_t count = positive ? split->n_positive : split->n_negative;
		size_t s = list[dlld_rng_below(&rng, count)], n;

		dlld_augment_draw(&o->augment, &rng, &aug);
		n = dlld_dataset_render(ds, s, &aug, &rng, scratch, out->images + (size_t)b * image,
					boxes, TRAIN_MAX_BOXES);
		out->n_truths[b] = to_truths(boxes, n, spec->size, out->truths[b]);
		out->truth_ptr[b] = out->truths[b];
	}
	out->index = index;
}

static void *loader_main(void *p)
{
	struct train_loader *l = p;

	pthread_mutex_lock(&l->lock);
	for (;;) {
		long m = l->next_render;
		struct train_batch *buf = &l->buf[m & 1];
		while (!l->quit && m < l->end && buf->index != -1)
			pthread_cond_wait(&l->changed, &l->lock);
		if (l->quit || m >= l->end)
			break;
		pthread_mutex_unlock(&l->lock);
		train_batch_render(l->ds, l->split, l->opts, l->batch, m, l->scratch, buf);
		pthread_mutex_lock(&l->lock);
		buf->index = m;
		l->next_render = m + 1;
		pthread_cond_broadcast(&l->changed);
	}
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

enum dlld_status train_loader_start(struct train_loader *l, const struct dlld_dataset *ds,
				    const struct train_split *split,
				    const struct dlld_train_options *o, int batch, long first,
				    long end, struct dlld_error *err)
{
	const struct dlld_input_spec *spec = &o->data.spec;

	memset(l, 0, sizeof *l);
	if (batch < 1 || batch > 64)
		return dlld_error_set(err, DLLD_STATUS_USAGE, o->cfg_path,
				      "minibatch of %d images (batch/subdivisions) not in 1..64", batch);
	l->ds = ds;
	l->split = split;
	l->opts = o;
	l->batch = batch;
	l->image_floats = (size_t)spec->channels * (size_t)spec->size * (size_t)spec->size;
	l->next_render = first;
	l->end = end;
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->changed, NULL);
	l->scratch = dlld_dataset_scratch_create(ds, err);
	for (int k = 0; k < 2; k++) {
		l->buf[k].index = -1;
		l->buf[k].images = dlld_alloc_aligned((size_t)batch * l->image_floats, sizeof(float),
						      "minibatch", err);
	}
	if (!l->scratch || !l->buf[0].images || !l->buf[1].images) {
		train_loader_stop(l);
		return DLLD_STATUS_NO_MEMORY;
	}
	if (pthread_create(&l->thread, NULL, loader_main, l) != 0) {
		train_loader_stop(l);
		return dlld_error_set(err, DLLD_STATUS_NO_MEMORY, NULL, "cannot start the loader thread");
	}
	l->started = true;
	return DLLD_STATUS_OK;
}

const struct train_batch *train_loader_get(struct train_loader *l, long index)
{
	struct train_batch *buf = &l->buf[index & 1];

	pthread_mutex_lock(&l->lock);
	while (buf->index != index)
		pthread_cond_wait(&l->changed, &l->lock);
	pthread_mutex_unlock(&l->lock);
	return buf;
}

void train_loader_release(struct train_loader *l, long index)
{
	pthread_mutex_lock(&l->lock);
	l->buf[index & 1].index = -1;
	pthread_cond_broadcast(&l->changed);
	pthread_mutex_unlock(&l->lock);
}

void train_loader_stop(struct train_loader *l)
{
	if (l->started) {
		pthread_mutex_lock(&l->lock);
		l->quit = true;
		pthread_cond_broadcast(&l->changed);
		pthread_mutex_unlock(&l->lock);
		pthread_join(l->thread, NULL);
		l->started = false;
	}
	dlld_dataset_scratch_destroy(l->scratch);
	l->scratch = NULL;
	for (int k = 0; k < 2; k++) {
		dlld_free_aligned(l->buf[k].images);
		l->buf[k].images = NULL;
	}
	pthread_mutex_destroy(&l->lock);
	pthread_cond_destroy(&l->changed);
}

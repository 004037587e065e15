/* detect/train.c — training a detector: the loop, the learning-rate
 * schedule, validation and checkpoints (docs/training.md). */
#include "detect/train_internal.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HEADS 8

void dlld_train_options_default(struct dlld_train_options *o)
{
	memset(o, 0, sizeof *o);
	dlld_dataset_options_default(&o->data);
	o->augment = (struct dlld_augment_range){
		.scale_jitter = 0.15, .shift_mm = 25.0, .window_shift_hu = 20.0f,
		.window_scale_jitter = 0.15f, .noise_sd_max = 0.02f, .flips = true};
	o->seed = 1;
	o->checkpoint_every = 100;
	o->validate_every = 200;
	o->positive_fraction = 0.7;
	o->val_fraction = 0.1;
	o->val_max_slices = 128;
}

/* The network being trained and what the loop needs of it. */
struct trainer {
	const struct dlld_train_options *o;
	struct dlld_network *net;
	struct dlld_pool *pool;
	const struct dlld_dataset *ds;
	struct train_split split;
	int batch, subdivisions;        /* images per minibatch, minibatches per iteration */
	int n_heads;
	int head_layer[MAX_HEADS];
	struct dlld_yolo_info head_info[MAX_HEADS];
	char *cfg_text;
	char ckpt_dir[1100];
};

/* darknet's get_current_rate, or cosine decay; it = iterations done. */
static double learning_rate(const struct trainer *t, long it, long total)
{
	const struct dlld_net_config *c = dlld_net_config(t->net);
	double lr = c->learning_rate;

	if (it < c->burn_in)
		return lr * pow((double)it / c->burn_in, c->power);
	if (t->o->cosine)
		return lr * 0.5 * (1.0 + cos(M_PI * (double)it / (double)(total > 0 ? total : 1)));
	switch (c->policy) {
	case DLLD_LR_POLICY_STEPS:
		for (int s = 0; s < c->n_steps && c->steps[s] <= it; s++)
			lr *= c->scales[s];
		return lr;
	case DLLD_LR_POLICY_STEP:
		return lr * pow(c->scale, (double)(it / (c->step > 0 ? c->step : 1)));
	case DLLD_LR_POLICY_EXP:
		return lr * pow(c->gamma, (double)it);
	case DLLD_LR_POLICY_POLY:
		return lr * pow(1.0 - (double)it / (double)c->max_batches, c->power);
	default:
		return lr;
	}
}

static enum dlld_status find_heads(struct trainer *t, struct dlld_error *err)
{
	int n = dlld_net_layer_count(t->net);

	for (int i = 1; i < n; i++) {
		struct dlld_yolo_info info;
		struct dlld_layer_info li, below;
		if (!dlld_net_yolo_info(t->net, i, &info))
			continue;
		dlld_net_layer_info(t->net, i, &li);
		dlld_net_layer_info(t->net, i - 1, &below);
		if (t->n_heads == MAX_HEADS || info.classes != DLLD_LESION_CLASS_COUNT ||
		    below.out.c != li.in.c || below.out.h != li.in.h)
			return dlld_error_set_line(err, DLLD_STATUS_INCONSISTENT, t->o->cfg_path,
						   li.cfg_line,
						   "yolo layer %d must take the layer above it as input and "
						   "predict %d classes", i, DLLD_LESION_CLASS_COUNT);
		t->head_layer[t->n_heads] = i;
		t->head_info[t->n_heads++] = info;
	}
	if (!t->n_heads)
		return dlld_error_set(err, DLLD_STATUS_INCONSISTENT, t->o->cfg_path, "no yolo layer");
	return DLLD_STATUS_OK;
}

/* Runs one minibatch forward and backward; adds its loss terms to sum. */
static void step_minibatch(struct trainer *t, const struct train_batch *mb,
			   struct dlld_yolo_loss_terms *sum)
{
	struct dlld_shape in = dlld_net_input_shape(t->net);
	struct dlld_yolo_loss_options lo;

	dlld_net_forward(t->net, t->pool, mb->images);
	dlld_net_zero_deltas(t->net);
	for (int h = 0; h < t->n_heads; h++) {
		struct dlld_shape s;
		const float *out = dlld_net_output(t->net, t->head_layer[h], &s);
		struct dlld_yolo_head head = {&t->head_info[h], s.w, s.h, in.w, in.h};
		struct dlld_yolo_loss_terms terms;

		lo.ignore_thresh = (float)t->head_info[h].ignore_thresh;
		/* the gradient is with respect to the yolo layer's input: the conv below */
		dlld_yolo_loss(&head, &lo, t->batch, out, mb->truth_ptr, mb->n_truths,
			       dlld_net_delta(t->net, t->head_layer[h] - 1), &terms);
		sum->xy += terms.xy;
		sum->wh += terms.wh;
		sum->obj += terms.obj;
		sum->noobj += terms.noobj;
		sum->cls += terms.cls;
		sum->total += terms.total;
		sum->n_truths += terms.n_truths;
		sum->sum_iou += terms.sum_iou;
		sum->recall50 += terms.recall50;
	}
	dlld_net_backward(t->net, t->pool, NULL);
}

/* Slice-level validation: recall of truth boxes and precision of predicted
 * boxes at IoU >= 0.3, on up to val_max_slices held-out slices. */
static void validate(struct trainer *t, struct dlld_dataset_scratch *scratch, float *images,
		     double *recall, double *precision)
{
	struct dlld_detect_thresholds thr;
	size_t n_val = t->split.n_val, want = (size_t)t->o->val_max_slices;
	size_t take = n_val < want ? n_val : want, truths = 0, found = 0, preds = 0, good = 0;
	size_t image = (size_t)t->o->data.spec.channels * (size_t)t->o->data.spec.size *
		       (size_t)t->o->data.spec.size;
	float size = (float)t->o->data.spec.size;
	struct dlld_sample_box boxes[64][TRAIN_MAX_BOXES];
	size_t n_boxes[64];

	*recall = *precision = NAN;
	if (!take)
		return;
	dlld_detect_thresholds_default(&thr);
	thr.confidence = 0.25f;
	dlld_net_set_train(t->net, false);
	for (size_t first = 0; first < take; first += (size_t)t->batch) {
		int nb = (int)(take - first < (size_t)t->batch ? take - first : (size_t)t->batch);
		for (int b = 0; b < t->batch; b++) {
			size_t s = t->split.val[(first + (size_t)(b < nb ? b : 0)) * n_val / take];
			n_boxes[b] = dlld_dataset_render(t->ds, s, NULL, NULL, scratch,
							 images + (size_t)b * image, boxes[b],
							 TRAIN_MAX_BOXES);
		}
		dlld_net_forward(t->net, t->pool, images);
		for (int b = 0; b < nb; b++) {
			struct dlld_slice_detection det[64];
			size_t n = dlld_detect_decode(t->net, t->head_layer, t->n_heads, b, &thr, det, 64);
			bool hit[TRAIN_MAX_BOXES] = {false};
			for (size_t d = 0; d < n; d++) {
				bool ok = false;
				for (size_t k = 0; k < n_boxes[b]; k++) {
					const struct dlld_sample_box *tb = &boxes[b][k];
					struct dlld_box truth = {0.5f * (tb->x0 + tb->x1) / size,
								 0.5f * (tb->y0 + tb->y1) / size,
								 (tb->x1 - tb->x0) / size,
								 (tb->y1 - tb->y0) / size};
					if (dlld_box_iou(det[d].box, truth) >= 0.3f)
						ok = hit[k] = true;
				}
				good += ok;
			}
			preds += n;
			truths += n_boxes[b];
			for (size_t k = 0; k < n_boxes[b]; k++)
				found += hit[k];
		}
	}
	dlld_net_set_train(t->net, true);
	*recall = truths ? (double)found / (double)truths : NAN;
	*precision = preds ? (double)good / (double)preds : NAN;
}

#define VELOCITY_MAGIC "DLLDVEL1"

/* Writes the SGD velocities (momentum) of every learnable tensor: magic,
 * u32 tensor count, then per tensor u64 count and the floats, little-endian
 * as the machine writes them (checked on reading). */
static enum dlld_status save_velocities(struct dlld_network *net, const char *path,
					struct dlld_error *err)
{
	struct dlld_atomic_file af;
	int n = dlld_net_param_tensor_count(net);
	uint32_t count = (uint32_t)n;
	enum dlld_status st = dlld_atomic_open(&af, path, err);
	bool ok;

	if (st)
		return st;
	ok = fwrite(VELOCITY_MAGIC, 1, 8, af.fp) == 8 && fwrite(&count, sizeof count, 1, af.fp) == 1;
	for (int j = 0; j < n && ok; j++) {
		struct dlld_param_view v;
		uint64_t c;
		dlld_net_param_tensor(net, j, &v);
		c = v.velocity ? (uint64_t)v.count : 0;
		ok = fwrite(&c, sizeof c, 1, af.fp) == 1 &&
		     (!c || fwrite(v.velocity, sizeof(float), v.count, af.fp) == v.count);
	}
	if (!ok) {
		dlld_atomic_abort(&af);
		return dlld_error_set(err, DLLD_STATUS_WRITE, path, "write failed");
	}
	return dlld_atomic_commit(&af, err);
}

static enum dlld_status load_velocities(struct dlld_network *net, const char *path,
					struct dlld_error *err)
{
	FILE *fp = fopen(path, "rb");
	char magic[8];
	uint32_t count;
	int n = dlld_net_param_tensor_count(net);
	enum dlld_status st = DLLD_STATUS_OK;

	if (!fp)
		return dlld_error_set(err, DLLD_STATUS_NOT_FOUND, path, "cannot open");
	if (fread(magic, 1, 8, fp) != 8 || memcmp(magic, VELOCITY_MAGIC, 8) ||
	    fread(&count, sizeof count, 1, fp) != 1 || count != (uint32_t)n)
		st = dlld_error_set_where(err, DLLD_STATUS_MALFORMED, path, "header", 0,
					  "not a velocity file of this network");
	for (int j = 0; j < n && !st; j++) {
		struct dlld_param_view v;
		uint64_t c;
		dlld_net_param_tensor(net, j, &v);
		if (fread(&c, sizeof c, 1, fp) != 1 || c != (v.velocity ? (uint64_t)v.count : 0) ||
		    (c && fread(v.velocity, sizeof(float), v.count, fp) != v.count))
			st = dlld_error_set_where(err, DLLD_STATUS_MALFORMED, path, v.name, ftell(fp),
						  "truncated or of another shape");
	}
	fclose(fp);
	return st;
}

/* Writes MODEL/checkpoint/{weights,velocity,state.json} for `iteration` done. */
static enum dlld_status save_checkpoint(const struct trainer *t, long iteration,
					struct dlld_error *err)
{
	char path[1200], state[256];
	enum dlld_status st;

	if ((st = dlld_mkdir_p(t->ckpt_dir, err)))
		return st;
	snprintf(path, sizeof path, "%s/weights", t->ckpt_dir);
	if ((st = dlld_net_save_weights(t->net, path, DLLD_WEIGHTS_FORMAT_DLLD, err)))
		return st;
	snprintf(path, sizeof path, "%s/velocity", t->ckpt_dir);
	if ((st = save_velocities(t->net, path, err)))
		return st;
	snprintf(path, sizeof path, "%s/state.json", t->ckpt_dir);
	snprintf(state, sizeof state, "{\"iteration\": %ld, \"seed\": %llu}\n", iteration,
		 (unsigned long long)t->o->seed);
	return dlld_write_file_atomic(path, state, strlen(state), err);
}

/* Fills *iteration from MODEL/checkpoint and loads its weights. */
static enum dlld_status load_checkpoint(struct trainer *t, long *iteration, struct dlld_error *err)
{
	char path[1200], *text;
	size_t size;
	cJSON *root;
	const cJSON *it, *seed;
	double it_value, seed_value;
	bool ok;
	enum dlld_status st;

	snprintf(path, sizeof path, "%s/state.json", t->ckpt_dir);
	if ((st = dlld_read_file(path, &text, &size, err)))
		return st;
	root = cJSON_ParseWithLength(text, size);
	free(text);
	it = cJSON_GetObjectItemCaseSensitive(root, "iteration");
	seed = cJSON_GetObjectItemCaseSensitive(root, "seed");
	ok = cJSON_IsNumber(it) && it->valuedouble >= 0 && cJSON_IsNumber(seed);
	it_value = ok ? it->valuedouble : 0.0;
	seed_value = ok ? seed->valuedouble : 0.0;
	cJSON_Delete(root);
	if (!ok)
		return dlld_error_set(err, DLLD_STATUS_MALFORMED, path,
				      "needs a non-negative \"iteration\" and a \"seed\"");
	if ((uint64_t)seed_value != t->o->seed)
		return dlld_error_set(err, DLLD_STATUS_INCONSISTENT, path,
				      "checkpoint was trained with seed %.0f, not %llu", seed_value,
				      (unsigned long long)t->o->seed);
	*iteration = (long)it_value;
	snprintf(path, sizeof path, "%s/weights", t->ckpt_dir);
	if ((st = dlld_net_load_weights(t->net, path, 0, err)))
		return st;
	snprintf(path, sizeof path, "%s/velocity", t->ckpt_dir);
	return load_velocities(t->net, path, err);
}

/* Writes the final model directory with provenance and metrics. */
static enum dlld_status save_model(const struct trainer *t, long iterations,
				   const struct dlld_train_result *r, struct dlld_error *err)
{
	struct dlld_detect_thresholds thr;
	struct dlld_model_info info = {0};
	char training[2048], metrics[256];
	cJSON *desc = cJSON_CreateString(t->o->data_description ? t->o->data_description : "");
	char *desc_text = cJSON_PrintUnformatted(desc);
	enum dlld_status st;

	dlld_detect_thresholds_default(&thr);
	snprintf(training, sizeof training,
		 "{\"data\": %s, \"seed\": %llu, \"iterations\": %ld, \"batch\": %d, "
		 "\"subdivisions\": %d, \"cases\": %zu, \"validation_cases\": %zu, "
		 "\"positive_fraction\": %g, \"schedule\": \"%s\", \"init_weights\": %s, "
		 "\"interrupted\": %s}",
		 desc_text ? desc_text : "\"\"", (unsigned long long)t->o->seed, iterations,
		 t->batch * t->subdivisions, t->subdivisions, dlld_dataset_cases(t->ds),
		 t->split.n_val_cases, t->o->positive_fraction, t->o->cosine ? "cosine" : "cfg",
		 t->o->init_weights ? "true" : "false", r->stopped ? "true" : "false");
	if (isnan(r->val_recall))
		snprintf(metrics, sizeof metrics, "{\"loss\": %.6g}", r->last_loss);
	else
		snprintf(metrics, sizeof metrics,
			 "{\"loss\": %.6g, \"val_slice_recall\": %.6g, \"val_slice_precision\": %.6g}",
			 r->last_loss, r->val_recall, isnan(r->val_precision) ? 0.0 : r->val_precision);
	info.name = "dlld";
	info.spec = &t->o->data.spec;
	info.thresholds = &thr;
	info.training_json = training;
	info.metrics_json = metrics;
	st = dlld_model_save(t->o->model_dir, t->cfg_text, t->net, &info, err);
	free(desc_text);
	cJSON_Delete(desc);
	return st;
}

/* Starts every head's objectness at probability 0.01 instead of 0.5 (the
 * prior of RetinaNet, Lin et al. 2017): with thousands of background cells
 * per image and a handful of lesions, a 0.5 start spends the first hundreds
 * of iterations only unlearning background objectness. */
static void init_objectness_prior(struct trainer *t)
{
	const float prior = -4.59512f; /* logit(0.01) */
	int n = dlld_net_param_tensor_count(t->net);

	for (int h = 0; h < t->n_heads; h++) {
		int conv = t->head_layer[h] - 1, per = 5 + t->head_info[h].classes;
		for (int j = 0; j < n; j++) {
			struct dlld_param_view v;
			char name[48];
			dlld_net_param_tensor(t->net, j, &v);
			snprintf(name, sizeof name, "%d.biases", conv);
			if (strcmp(v.name, name) != 0)
				continue;
			for (int slot = 0; slot < t->head_info[h].n_mask; slot++)
				if ((size_t)(slot * per + 4) < v.count)
					v.data[slot * per + 4] = prior;
		}
	}
}

/* Creates the network, its weights (fresh, transferred or resumed). */
static enum dlld_status setup_net(struct trainer *t, long *start, struct dlld_error *err)
{
	const struct dlld_train_options *o = t->o;
	const struct dlld_net_config *c;
	struct dlld_net_options no = {0};
	enum dlld_status st;

	no.width = no.height = o->data.spec.size;
	no.channels = o->data.spec.channels;
	no.training = true;
	if ((st = dlld_net_create_from_cfg(o->cfg_path, &no, &t->net, err)))
		return st;
	c = dlld_net_config(t->net);
	t->batch = dlld_net_input_shape(t->net).n;
	t->subdivisions = c->subdivisions > 0 ? c->subdivisions : 1;
	if ((st = find_heads(t, err)))
		return st;
	dlld_net_init_weights(t->net, o->seed);
	init_objectness_prior(t);
	*start = 0;
	if (o->resume)
		return load_checkpoint(t, start, err);
	if (o->init_weights)
		return dlld_net_load_weights(t->net, o->init_weights, o->init_layers, err);
	return DLLD_STATUS_OK;
}

/* One iteration: all minibatches, then the SGD step. Fills row. */
static void iterate(struct trainer *t, struct train_loader *loader, long it, long total,
		    struct train_log_row *row)
{
	struct dlld_yolo_loss_terms sum = {0};
	struct dlld_sgd sgd;
	const struct dlld_net_config *c = dlld_net_config(t->net);
	double t0 = dlld_time_now(), images = (double)t->batch * t->subdivisions;

	for (int s = 0; s < t->subdivisions; s++) {
		long m = it * t->subdivisions + s;
		step_minibatch(t, train_loader_get(loader, m), &sum);
		train_loader_release(loader, m);
	}
	sgd.learning_rate = learning_rate(t, it, total);
	sgd.momentum = c->momentum;
	sgd.decay = c->decay;
	sgd.batch = t->batch * t->subdivisions;
	dlld_net_update(t->net, &sgd);
	dlld_net_set_seen(t->net, dlld_net_seen(t->net) + (uint64_t)sgd.batch);
	*row = (struct train_log_row){
		.iteration = it + 1, .learning_rate = sgd.learning_rate,
		.loss = sum.total / images, .xy = sum.xy / images, .wh = sum.wh / images,
		.obj = sum.obj / images, .noobj = sum.noobj / images, .cls = sum.cls / images,
		.avg_iou = sum.n_truths ? sum.sum_iou / sum.n_truths : NAN,
		.recall50 = sum.n_truths ? (double)sum.recall50 / sum.n_truths : NAN,
		.images_per_s = images / fmax(dlld_time_now() - t0, 1e-9),
		.val_recall = NAN, .val_precision = NAN};
}

static enum dlld_status run_loop(struct trainer *t, long start, long total,
				 struct dlld_train_result *r, struct dlld_error *err)
{
	const struct dlld_train_options *o = t->o;
	struct train_loader *loader = dlld_calloc(1, sizeof *loader, "loader", err);
	struct dlld_dataset_scratch *scratch = NULL;
	float *val_images = NULL;
	size_t image = (size_t)o->data.spec.channels * (size_t)o->data.spec.size *
		       (size_t)o->data.spec.size;
	struct dlld_progress progress;
	enum dlld_status st;
	long it;

	if (!loader)
		return DLLD_STATUS_NO_MEMORY;
	scratch = dlld_dataset_scratch_create(t->ds, err);
	val_images = dlld_alloc_aligned((size_t)t->batch * image, sizeof(float), "validation", err);
	if (!scratch || !val_images) {
		st = DLLD_STATUS_NO_MEMORY;
		goto done;
	}
	if ((st = train_loader_start(loader, t->ds, &t->split, o, t->batch, start * t->subdivisions,
				     total * t->subdivisions, err)))
		goto done;
	dlld_net_set_train(t->net, true);
	dlld_progress_begin(&progress, "train", "it", (uint64_t)(total - start));
	for (it = start; it < total; it++) {
		struct train_log_row row;
		bool last = it + 1 == total, stop = o->stop && *o->stop;

		iterate(t, loader, it, total, &row);
		r->iterations = it + 1;
		r->last_loss = row.loss;
		stop = stop || (o->stop && *o->stop);
		if ((o->validate_every && (it + 1) % o->validate_every == 0) || last || stop) {
			validate(t, scratch, val_images, &row.val_recall, &row.val_precision);
			r->val_recall = row.val_recall;
			r->val_precision = row.val_precision;
			dlld_log(DLLD_LOG_LEVEL_INFO,
				 "iteration %ld: loss %.4g, validation slice recall %.3f, precision %.3f",
				 it + 1, row.loss, row.val_recall, row.val_precision);
		}
		if ((st = train_log_append(o->model_dir, &row, err)))
			break;
		if ((o->checkpoint_every && (it + 1) % o->checkpoint_every == 0) || last || stop) {
			if ((st = save_checkpoint(t, it + 1, err)))
				break;
		}
		dlld_progress_update(&progress, (uint64_t)(it + 1 - start));
		if (stop) {
			r->stopped = true;
			break;
		}
	}
	dlld_progress_end(&progress);
done:
	train_loader_stop(loader);
	free(loader);
	dlld_dataset_scratch_destroy(scratch);
	dlld_free_aligned(val_images);
	return st;
}

/* Returns the iterations to run: explicit, from epochs, or the cfg's. */
static long total_iterations(const struct trainer *t)
{
	double per_iteration = (double)t->batch * t->subdivisions;
	if (t->o->iterations > 0)
		return t->o->iterations;
	if (t->o->epochs > 0.0)
		return (long)ceil(t->o->epochs * (double)(t->split.n_positive + t->split.n_negative) /
				  per_iteration);
	return dlld_net_config(t->net)->max_batches;
}

enum dlld_status dlld_train(const struct dlld_cohort *const *cohorts, size_t n_cohorts,
			    const struct dlld_train_options *o, struct dlld_train_result *r,
			    struct dlld_error *err)
{
	struct trainer t = {0};
	struct dlld_dataset *ds = NULL;
	size_t cfg_size;
	long start = 0, total;
	enum dlld_status st;

	memset(r, 0, sizeof *r);
	r->val_recall = r->val_precision = NAN;
	t.o = o;
	snprintf(t.ckpt_dir, sizeof t.ckpt_dir, "%s/checkpoint", o->model_dir);
	if ((st = dlld_mkdir_p(o->model_dir, err)) ||
	    (st = dlld_read_file(o->cfg_path, &t.cfg_text, &cfg_size, err)))
		goto done;
	t.pool = dlld_pool_create(o->threads, err);
	if (!t.pool) {
		st = DLLD_STATUS_NO_MEMORY;
		goto done;
	}
	if ((st = setup_net(&t, &start, err)) ||
	    (st = dlld_dataset_create(cohorts, n_cohorts, &o->data, t.pool, &ds, err)))
		goto done;
	t.ds = ds;
	if ((st = train_split_make(ds, o, &t.split, err)))
		goto done;
	total = total_iterations(&t);
	dlld_log(DLLD_LOG_LEVEL_INFO,
		 "training on %zu slices of %zu patients (%zu with lesions), %zu validation "
		 "slices of %zu patients; iterations %ld..%ld, %d x %d images each",
		 t.split.n_positive + t.split.n_negative, dlld_dataset_cases(ds) - t.split.n_val_cases,
		 t.split.n_positive, t.split.n_val, t.split.n_val_cases, start, total,
		 t.subdivisions, t.batch);
	if (start >= total) {
		st = dlld_error_set(err, DLLD_STATUS_USAGE, t.ckpt_dir,
				    "checkpoint is at iteration %ld, nothing left of %ld", start, total);
		goto done;
	}
	if ((st = run_loop(&t, start, total, r, err)))
		goto done;
	/* an interrupted run still leaves a usable model of its last iteration */
	st = save_model(&t, r->iterations, r, err);
	if (!st)
		st = train_log_plot(o->model_dir, err);
done:
	train_split_free(&t.split);
	dlld_dataset_destroy(ds);
	dlld_net_destroy(t.net);
	dlld_pool_destroy(t.pool);
	free(t.cfg_text);
	return st;
}

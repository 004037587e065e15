/*
 * detect/train_internal.h — the parts of training shared by train.c (the
 * loop), train_batch.c (minibatches and the loader thread) and train_log.c
 * (the CSV log and the curves).
 */
#ifndef DLLD_DETECT_TRAIN_INTERNAL_H
#define DLLD_DETECT_TRAIN_INTERNAL_H

#include "dlld/detect.h"

#include <pthread.h>

#define TRAIN_MAX_BOXES 64 /* truths per image */

/* Which samples of the data set each role draws from. */
struct train_split {
	size_t *positive, n_positive;  /* training slices with a lesion */
	size_t *negative, n_negative;  /* training slices without */
	size_t *val, n_val;            /* validation slices (held-out patients) */
	size_t n_val_cases;
};

/* One rendered minibatch. */
struct train_batch {
	long index;                    /* global minibatch number, -1 = empty */
	float *images;                 /* batch × C × size × size */
	struct dlld_yolo_truth truths[64][TRAIN_MAX_BOXES]; /* per image (batch <= 64) */
	int n_truths[64];
	const struct dlld_yolo_truth *truth_ptr[64];
};

/* Renders minibatches ahead of the compute on its own thread. */
struct train_loader {
	const struct dlld_dataset *ds;
	const struct train_split *split;
	const struct dlld_train_options *opts;
	int batch;                     /* images per minibatch */
	size_t image_floats;
	struct dlld_dataset_scratch *scratch;
	struct train_batch buf[2];
	long next_render;              /* the next minibatch the thread renders */
	long end;                      /* render minibatches < end */
	bool quit;
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t changed;
};

/* Fills split from the data set: patients shuffled by seed, the first
 * val_fraction of them held out. */
enum dlld_status train_split_make(const struct dlld_dataset *ds, const struct dlld_train_options *o,
				  struct train_split *split, struct dlld_error *err);
void train_split_free(struct train_split *split);

/* Fills batch with minibatch `index` (deterministic in seed and index). */
void train_batch_render(const struct dlld_dataset *ds, const struct train_split *split,
			const struct dlld_train_options *o, int batch, long index,
			struct dlld_dataset_scratch *scratch, struct train_batch *out);

/* Starts the loader on minibatches [first, end). */
enum dlld_status train_loader_start(struct train_loader *l, const struct dlld_dataset *ds,
				    const struct train_split *split,
				    const struct dlld_train_options *o, int batch, long first,
				    long end, struct dlld_error *err);
/* Borrows minibatch `index` once rendered (waits); release it when done. */
const struct train_batch *train_loader_get(struct train_loader *l, long index);
void train_loader_release(struct train_loader *l, long index);
void train_loader_stop(struct train_loader *l);

/* One line of the training log. */
struct train_log_row {
	long iteration;
	double learning_rate;
	double loss, xy, wh, obj, noobj, cls; /* per image */
	double avg_iou, recall50;
	double images_per_s;
	double val_recall, val_precision;     /* NAN when not validated */
};

/* Appends row to MODEL/train_log.csv (creating it with a header). */
enum dlld_status train_log_append(const char *model_dir, const struct train_log_row *row,
				  struct dlld_error *err);
/* Draws MODEL/train_curves.png from MODEL/train_log.csv. */
enum dlld_status train_log_plot(const char *model_dir, struct dlld_error *err);

#endif

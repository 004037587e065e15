/*
 * dlld/nn.h — the neural-network engine: a darknet cfg (YOLOv3 family)
 * planned into one network, darknet and DLLD weights, forward, backward and
 * an SGD update, on float32 NCHW tensors.
 *
 * Life of a network:
 *     dlld_net_create_from_cfg(path, &opts, &net, &err)  parse + plan + allocate
 *     dlld_net_load_weights(net, path, 0, &err)           darknet .weights or DLLD format
 *     dlld_net_fold_batchnorm(net)                        inference only
 *     dlld_net_forward(net, pool, input)                  allocates nothing
 *     dlld_net_output(net, layer, &shape)                 borrows a layer's output
 * Training (opts.training = true) adds per-layer deltas, gradients and SGD
 * velocities:
 *     dlld_net_set_train(net, true)      batch norm uses batch statistics
 *     dlld_net_forward(...)
 *     dlld_net_zero_deltas(net); fill dlld_net_delta(net, yolo_layer) with ∂L/∂output
 *     dlld_net_backward(net, pool, NULL) accumulates parameter gradients
 *     dlld_net_update(net, &sgd)         applies and clears them
 *
 * Sign convention (as PyTorch): a delta or gradient buffer holds ∂L/∂x of the
 * loss L being minimised; backward ADDS into them; update subtracts.
 *
 * Nothing here prints or exits; errors name the file and cfg line.
 */
#ifndef DLLD_NN_H
#define DLLD_NN_H

#include "dlld/core.h"

/* ---- shapes and layer kinds ------------------------------------------------ */
struct dlld_shape {
	int n, c, h, w; /* batch, channels, rows, columns (NCHW) */
};

/* Returns n·c·h·w. */
size_t dlld_shape_count(struct dlld_shape s);

enum dlld_layer_kind {
	DLLD_LAYER_KIND_CONVOLUTIONAL,
	DLLD_LAYER_KIND_MAXPOOL,
	DLLD_LAYER_KIND_UPSAMPLE,
	DLLD_LAYER_KIND_ROUTE,
	DLLD_LAYER_KIND_SHORTCUT,
	DLLD_LAYER_KIND_YOLO,
	DLLD_LAYER_KIND_COUNT
};
/* Returns the cfg section name ("convolutional", ...). */
const char *dlld_layer_kind_name(enum dlld_layer_kind kind);

/* ---- the [net] section: what training needs ------------------------------- */
enum dlld_lr_policy {
	DLLD_LR_POLICY_CONSTANT,
	DLLD_LR_POLICY_STEP,
	DLLD_LR_POLICY_STEPS,
	DLLD_LR_POLICY_EXP,
	DLLD_LR_POLICY_POLY,
	DLLD_LR_POLICY_SIG,
	DLLD_LR_POLICY_RANDOM,
	DLLD_LR_POLICY_COUNT
};
/* Returns darknet's cfg name ("steps", ...). */
const char *dlld_lr_policy_name(enum dlld_lr_policy policy);

#define DLLD_NET_MAX_STEPS 16

/* Values of [net] as darknet reads them (darknet's defaults where absent). */
struct dlld_net_config {
	int width, height, channels;
	int batch, subdivisions;
	double learning_rate, momentum, decay;
	int burn_in, max_batches;
	double power;                 /* burn-in and poly exponent (default 4) */
	enum dlld_lr_policy policy;
	int step;                     /* policy=step */
	double scale, gamma;          /* policy=step / exp / sig */
	int n_steps, n_scales;        /* policy=steps: equal counts */
	int steps[DLLD_NET_MAX_STEPS];
	double scales[DLLD_NET_MAX_STEPS];
	/* augmentation (stored for the training code; the engine ignores it) */
	double angle, saturation, exposure, hue, aspect;
	int flip, min_crop, max_crop;
	double ignored;               /* sink of accepted keys DLLD does not use */
};

/* ---- creating a network ------------------------------------------------------ */
struct dlld_network;
struct dlld_pool;

/* Overrides of the cfg's [net] section; 0 keeps the cfg's value. */
struct dlld_net_options {
	int batch;        /* images per forward (cfg: batch / subdivisions) */
	int width, height;
	int channels;     /* e.g. 1 for one CT window, 3 for 2.5D slices */
	bool training;    /* also plan deltas, gradients and SGD velocities */
	bool keep_outputs; /* every layer's output stays readable after forward
			      (inference otherwise reuses the memory of outputs
			      no later layer reads; yolo outputs always stay) */
};

/* Parses and plans the cfg at path and allocates the network. Returns new
 * network in *out. Errors (file:line): an unknown section or key, a duplicate
 * key, a bad or out-of-range value, a route/shortcut to a missing layer,
 * inconsistent shapes (DLLD_STATUS_MALFORMED / _INCONSISTENT); memory (6).
 * opts may be NULL. */
enum dlld_status dlld_net_create_from_cfg(const char *path, const struct dlld_net_options *opts,
					  struct dlld_network **out, struct dlld_error *err);
/* As dlld_net_create_from_cfg, from cfg text in memory; `name` names it in
 * messages. Borrows text. */
enum dlld_status dlld_net_create_from_text(const char *name, const char *text,
					   const struct dlld_net_options *opts,
					   struct dlld_network **out, struct dlld_error *err);
void dlld_net_destroy(struct dlld_network *net); /* accepts NULL */

/* Borrows the [net] values (after overrides). */
const struct dlld_net_config *dlld_net_config(const struct dlld_network *net);
/* Returns the input shape (batch, channels, height, width). */
struct dlld_shape dlld_net_input_shape(const struct dlld_network *net);
int dlld_net_layer_count(const struct dlld_network *net);

/* What one layer is, for summaries and the loss. */
struct dlld_layer_info {
	enum dlld_layer_kind kind;
	long cfg_line;          /* line of its [section] */
	struct dlld_shape in;   /* (first) input */
	struct dlld_shape out;
	size_t n_params;        /* learnable + batch-norm statistics, as in .weights */
	double bflops;          /* as darknet prints: 2·MACs / 1e9 per image */
	char summary[160];      /* darknet's one-line description, without the index */
};
/* Fills *info for layer i (0 <= i < dlld_net_layer_count). */
void dlld_net_layer_info(const struct dlld_network *net, int i, struct dlld_layer_info *info);
/* Returns the sum of the conv layers' BFLOPs (per image). */
double dlld_net_bflops(const struct dlld_network *net);
/* Returns the total number of parameters. */
size_t dlld_net_param_count(const struct dlld_network *net);
/* Returns the bytes the network holds (weights, gradients, activations,
 * deltas, workspace): its peak, since forward and backward allocate nothing. */
size_t dlld_net_peak_memory(const struct dlld_network *net);

/* ---- weights ------------------------------------------------------------------ */
enum dlld_weights_format {
	DLLD_WEIGHTS_FORMAT_DARKNET, /* darknet .weights (major 0, minor 2: 64-bit seen) */
	DLLD_WEIGHTS_FORMAT_DLLD,    /* DLLD tensor file (docs/nn.md) */
	DLLD_WEIGHTS_FORMAT_COUNT
};
const char *dlld_weights_format_name(enum dlld_weights_format format);

/* Reads weights (format recognised by its magic) into the first
 * `max_layers` layers (0 = all): transfer learning loads e.g. the first 74.
 * The file must hold at least those layers; a full load refuses trailing
 * data. Errors name the file, the layer and the offset. */
enum dlld_status dlld_net_load_weights(struct dlld_network *net, const char *path,
				       int max_layers, struct dlld_error *err);
/* Writes all weights atomically. A folded network cannot be saved. */
enum dlld_status dlld_net_save_weights(const struct dlld_network *net, const char *path,
				       enum dlld_weights_format format, struct dlld_error *err);
/* Fills the weights with random values from seed: convolution weights
 * uniform ±sqrt(6/fan_in), biases and batch-norm shifts ±0.1, scales in
 * [0.5, 1.5], rolling means ±0.1, rolling variances in [0.5, 1.5]. */
void dlld_net_init_weights(struct dlld_network *net, uint64_t seed);
/* Sets every batch norm's rolling mean and (biased) variance + 0.01 to the
 * statistics of `input` in one forward pass, layer after layer, so random
 * weights of a deep network (yolov3) stay well scaled in inference; used by
 * the darknet comparison. No-op on a folded network. Borrows input. */
void dlld_net_calibrate_batchnorm(struct dlld_network *net, struct dlld_pool *pool,
				  const float *input);
/* Images seen in training (the .weights header's `seen`). */
uint64_t dlld_net_seen(const struct dlld_network *net);
void dlld_net_set_seen(struct dlld_network *net, uint64_t seen);

/* Inference: folds each batch normalization into its convolution's weights
 * and biases (w·γ/(√var + 1e-6), β − mean·γ/(√var + 1e-6), darknet's
 * epsilon). Afterwards training and saving are refused. Idempotent. */
void dlld_net_fold_batchnorm(struct dlld_network *net);

/* Inference speed-up: keeps a copy of every ungrouped convolution's weights
 * in the GEMM kernel's packed layout, so forward does not repack them each
 * call (costs about the weights' size again; counted by peak_memory). Call
 * after loading and folding; loading, init, folding and update drop it.
 * Errors: out of memory (then nothing stays packed). */
enum dlld_status dlld_net_pack_weights(struct dlld_network *net, struct dlld_error *err);

/* ---- running -------------------------------------------------------------------- */
/* Batch norm: batch statistics (train) or rolling ones (default). */
void dlld_net_set_train(struct dlld_network *net, bool train);

/* Runs the network on input (dlld_net_input_shape floats, NCHW). pool may be
 * NULL; results are identical for any thread count. Borrows input. */
void dlld_net_forward(struct dlld_network *net, struct dlld_pool *pool, const float *input);
/* Borrows layer i's output of the last forward; fills *shape if not NULL.
 * Inference networks reuse the memory of outputs no later layer reads: there
 * only the yolo layers' and the last layer's outputs stay valid after the
 * forward (all do with opts.training or opts.keep_outputs). */
const float *dlld_net_output(const struct dlld_network *net, int i, struct dlld_shape *shape);

/* Training networks only (else NULL / no-op). */
/* Borrows layer i's delta ∂L/∂output (same shape as the output): the loss
 * fills the yolo layers' deltas before backward. */
float *dlld_net_delta(struct dlld_network *net, int i);
/* Fills every layer delta with 0. */
void dlld_net_zero_deltas(struct dlld_network *net);
/* Propagates the deltas back through the network, accumulating parameter
 * gradients, and, when input_delta is not NULL, ADDS ∂L/∂input to it. */
void dlld_net_backward(struct dlld_network *net, struct dlld_pool *pool, float *input_delta);

/* One parameter tensor, for tests, optimisers and checkpoints. */
struct dlld_param_view {
	char name[48];      /* "<layer>.<what>": "3.weights", "3.biases", "3.scales",
			       "3.rolling_mean", "3.rolling_variance" */
	float *data;
	float *grad;        /* NULL unless training; NULL for rolling statistics */
	float *velocity;    /* SGD momentum; NULL unless training; NULL for rolling statistics */
	size_t count;
	int layer;
};
int dlld_net_param_tensor_count(const struct dlld_network *net);
/* Fills *view with parameter tensor j (0 <= j < dlld_net_param_tensor_count). */
void dlld_net_param_tensor(struct dlld_network *net, int j, struct dlld_param_view *view);

/* SGD with momentum and weight decay, darknet's update in PyTorch's sign:
 * per tensor u = momentum·v − g (− decay·batch·w for convolution weights
 * only), w += (learning_rate/batch)·u, v = u; then g = 0. */
struct dlld_sgd {
	double learning_rate; /* per image: the step uses learning_rate / batch */
	double momentum;
	double decay;
	int batch;
};
void dlld_net_update(struct dlld_network *net, const struct dlld_sgd *sgd);

/* ---- YOLO layers ------------------------------------------------------------------ */
#define DLLD_YOLO_MAX_ANCHORS 16

/* A yolo layer's configuration. Its output has the input's shape; channel
 * a·(5 + classes) + e of anchor slot a holds, per cell: e = 0,1 logistic(tx),
 * logistic(ty); e = 2,3 the raw tw, th; e = 4 logistic(objectness);
 * e = 5.. logistic(class scores) — exactly darknet's yolo output. */
struct dlld_yolo_info {
	int classes;
	int n_mask;                             /* anchor slots at this scale */
	int mask[DLLD_YOLO_MAX_ANCHORS];        /* index into anchors */
	int n_anchors;                          /* num */
	float anchors[2 * DLLD_YOLO_MAX_ANCHORS]; /* w,h pairs in input pixels */
	double jitter, ignore_thresh, truth_thresh;
	int random;
};
/* Fills *info and returns true when layer i is a yolo layer. */
bool dlld_net_yolo_info(const struct dlld_network *net, int i, struct dlld_yolo_info *info);

/* A box: centre and size as fractions of the network input. */
struct dlld_box {
	float x, y, w, h;
};
/* Decodes the box of anchor slot `slot` at cell (col, row) of a yolo output
 * (one image: out points at that image's C×H×W block, H×W = grid): x =
 * (col + out_x)/W, y = (row + out_y)/H, w = exp(tw)·anchor_w/net_w, h =
 * exp(th)·anchor_h/net_h. The one decoder shared by inference and the loss. */
struct dlld_box dlld_yolo_box(const struct dlld_yolo_info *info, const float *out, int grid_w,
			      int grid_h, int slot, int col, int row, int net_w, int net_h);

#endif

/*
 * nn/layer.h — one layer of the engine and the ops table every layer kind
 * fills (one file per kind: conv.c, maxpool.c, upsample.c, route.c,
 * shortcut.c, yolo.c; registered in registry.c).
 *
 * A layer is planned once (shapes, parameter counts, workspace), then given
 * views into the network's per-category allocations (weights, gradients,
 * velocities, activations, deltas, workspace); forward and backward only
 * read and write those views. Buffer conventions: nn/tensor.h.
 */
#ifndef DLLD_NN_LAYER_H
#define DLLD_NN_LAYER_H

#include "dlld/nn.h"
#include "nn/gemm.h"
#include "nn/tensor.h"

#define DLLD_LAYER_MAX_INPUTS 8
#define DLLD_LAYER_MAX_PARAMS 5

/* One parameter tensor of a layer ("weights", "biases", ...). */
struct dlld_param {
	const char *what;  /* static name, as in darknet's .weights order */
	size_t count;
	float *data;       /* view into the weights allocation */
	float *grad;       /* NULL unless training and learnable */
	float *velocity;   /* SGD momentum buffer; NULL unless training and learnable */
	bool learnable;    /* false for batch-norm rolling statistics */
	bool decay;        /* weight decay applies (convolution weights) */
	int ndim;          /* shape, for DLLD weight files: [count] unless set */
	int dims[4];
};

/* [convolutional] */
struct dlld_conv_cfg {
	int filters, size, stride, pad, padding, groups, batch_normalize;
	enum dlld_gemm_act activation;
	bool folded;       /* batch norm folded into weights and biases */
	struct dlld_gemm_packed *packed; /* weights pre-packed for inference, or NULL */
};
/* [maxpool] */
struct dlld_maxpool_cfg {
	int size, stride, padding;
};
/* [upsample] */
struct dlld_upsample_cfg {
	int stride;
	double scale;
};
/* [route]: layers in `refs` as written (relative or absolute) */
struct dlld_route_cfg {
	int n_refs;
	int refs[DLLD_LAYER_MAX_INPUTS];
	int groups, group_id;
};
/* [shortcut] */
struct dlld_shortcut_cfg {
	int n_from;
	int from[1];
	enum dlld_gemm_act activation;
	double alpha, beta;
};

/* [yolo]: the public info plus the anchors list's length as written */
struct dlld_yolo_cfg {
	struct dlld_yolo_info info;
	int n_anchor_values;
};

struct dlld_layer_ops;

struct dlld_layer {
	enum dlld_layer_kind kind;
	const struct dlld_layer_ops *ops;
	int index;
	long line;                          /* cfg line of the [section] */
	struct dlld_shape in, out;          /* in = inputs[0]'s shape */

	int n_inputs;
	int inputs[DLLD_LAYER_MAX_INPUTS];  /* producing layers; -1 = network input */
	struct dlld_shape in_shapes[DLLD_LAYER_MAX_INPUTS];
	const float *src[DLLD_LAYER_MAX_INPUTS]; /* their outputs (set by the network) */
	float *src_delta[DLLD_LAYER_MAX_INPUTS]; /* their deltas, or NULL */

	float *output;                      /* out, n·c·h·w */
	float *delta;                       /* ∂L/∂output; NULL unless training */
	bool output_is_alias;               /* output/delta are views of inputs[0]'s */
	bool output_is_concat;              /* route whose inputs write into its
					       output (inference, batch 1): no copy */

	int n_params;
	struct dlld_param params[DLLD_LAYER_MAX_PARAMS];

	size_t workspace_floats;            /* scratch shared by all layers */
	size_t state_floats;                /* kept from forward to backward (training) */
	float *state;
	double bflops;

	union {
		struct dlld_conv_cfg conv;
		struct dlld_maxpool_cfg maxpool;
		struct dlld_upsample_cfg upsample;
		struct dlld_route_cfg route;
		struct dlld_shortcut_cfg shortcut;
		struct dlld_yolo_cfg yolo;
	} u;
};

/* What plan sees: the layers before this one and the network input. */
struct dlld_plan {
	const struct dlld_layer *layers;    /* [0, index) are planned */
	struct dlld_shape net_in;
	const char *file;
	bool training;
};

/* What forward and backward see. */
struct dlld_run {
	struct dlld_pool *pool;             /* may be NULL */
	float *workspace;                   /* max workspace_floats of all layers */
	bool train;                         /* batch norm on batch statistics */
	bool calibrate;                     /* batch norm: rolling := batch statistics */
};

/* Value types of cfg keys. */
enum dlld_cfg_type {
	DLLD_CFG_TYPE_INT,
	DLLD_CFG_TYPE_DOUBLE,
	DLLD_CFG_TYPE_INT_LIST,
	DLLD_CFG_TYPE_DOUBLE_LIST,
	DLLD_CFG_TYPE_FLOAT_LIST,
	DLLD_CFG_TYPE_ACTIVATION,
	DLLD_CFG_TYPE_POLICY,
	DLLD_CFG_TYPE_COUNT
};

/* One accepted key: its value is stored at `offset` in the struct being
 * filled (a struct dlld_layer or struct dlld_net_config); lists store their
 * length at `count_offset` and hold at most `max_count` values. Numbers
 * outside [min, max] are errors. */
struct dlld_cfg_key {
	const char *name;
	enum dlld_cfg_type type;
	size_t offset;
	size_t count_offset;
	int max_count;
	double min, max;
};

/* The ops of one layer kind. Every pointer is set except fold, pack and
 * unpack (NULL: nothing to fold or pack). */
struct dlld_layer_ops {
	enum dlld_layer_kind kind;
	const struct dlld_cfg_key *keys;    /* ended by a NULL name */
	/* Fills l's cfg values with darknet's defaults (before the keys). */
	void (*defaults)(struct dlld_layer *l);
	/* Resolves inputs, checks values, sets out, params (counts only),
	 * workspace_floats, state_floats, bflops. */
	enum dlld_status (*plan)(struct dlld_layer *l, const struct dlld_plan *p,
				 struct dlld_error *err);
	/* Fills the parameters with plausible random values. */
	void (*init)(struct dlld_layer *l, struct dlld_rng *rng);
	/* Writes l->output from l->src. */
	void (*forward)(struct dlld_layer *l, const struct dlld_run *run);
	/* Adds ∂L/∂input into l->src_delta (non-NULL ones) and ∂L/∂param into
	 * the params' grads, from l->delta. */
	void (*backward)(struct dlld_layer *l, const struct dlld_run *run);
	/* Folds batch normalization into weights and biases. */
	void (*fold)(struct dlld_layer *l);
	/* Packs the weights for the inference GEMM (a copy that forward uses
	 * until unpack); adds the bytes it holds to *bytes. */
	enum dlld_status (*pack)(struct dlld_layer *l, size_t *bytes, struct dlld_error *err);
	/* Frees the packed copy (accepts a layer without one). */
	void (*unpack)(struct dlld_layer *l);
	/* Fills buf with darknet's summary line (without the layer index). */
	void (*describe)(const struct dlld_layer *l, char *buf, size_t size);
};

/* registry.c: returns the ops for a cfg section name, or NULL. */
const struct dlld_layer_ops *dlld_layer_ops_find(const char *section);
/* Returns the ops of `kind`. */
const struct dlld_layer_ops *dlld_layer_ops_get(enum dlld_layer_kind kind);

/* network.c helpers for plan functions. Resolves cfg reference `ref`
 * (negative: relative to l, else absolute) and appends it to l's inputs
 * with its shape; errors name the cfg line. */
enum dlld_status dlld_plan_add_input(struct dlld_layer *l, const struct dlld_plan *p, int ref,
				     struct dlld_error *err);
/* Sets parameter slot l->n_params++. */
void dlld_plan_add_param(struct dlld_layer *l, const char *what, size_t count, bool learnable,
			 bool decay);

/* activation.c: y = act(x) in place over n values; dx += dy·act'(y), the
 * derivative computed from the output as darknet does. */
void dlld_act_forward(enum dlld_gemm_act act, float *x, size_t n);
void dlld_act_backward(enum dlld_gemm_act act, const float *y, const float *dy, float *dx,
		       size_t n);
/* Multiplies dy in place by act'(y). */
void dlld_act_gradient(enum dlld_gemm_act act, const float *y, float *dy, size_t n);

/* Uniform random float in [lo, hi). */
float dlld_layer_uniform(struct dlld_rng *rng, double lo, double hi);
/* Runs fn over [0, n_tasks) on pool, or on the caller when pool is NULL. */
void dlld_layer_parallel(struct dlld_pool *pool, size_t n_tasks, dlld_pool_task_fn fn, void *ctx);

#endif

/*
 * nn/network.h — the network object, shared by network.c (plan, run),
 * weights.c (file formats) and memory.c (buffer placement).
 */
#ifndef DLLD_NN_NETWORK_H
#define DLLD_NN_NETWORK_H

#include "nn/layer.h"

/* One parameter tensor: layer and slot. */
struct dlld_param_ref {
	int layer, slot;
};

struct dlld_network {
	char file[512];
	struct dlld_net_config config;
	struct dlld_shape input;
	int n_layers;
	struct dlld_layer *layers;
	int n_params;
	struct dlld_param_ref *params;
	bool training;        /* deltas, gradients and velocities exist */
	bool train;           /* batch norm on batch statistics */
	bool folded;
	bool keep_outputs;    /* no sharing of output memory (training, tests) */
	uint64_t seen;
	/* one allocation per category */
	float *weights, *grads, *velocities, *activations, *deltas, *workspace;
	size_t n_weights, n_grads, n_activations, n_deltas, n_workspace;
	size_t packed_bytes;  /* weights pre-packed for inference (0: none) */
};

/* run.c: drops the packed weights (they go stale when weights change). */
void dlld_net_unpack_weights(struct dlld_network *net);

/* Scratch arrays of n_layers entries for placing the outputs. */
struct dlld_place_scratch {
	size_t *offsets;       /* per layer: its output's offset */
	int *last;             /* per layer: the last step reading its output */
	int *block;            /* per layer: the in-place concat route it is in, or -1 */
	size_t *alloc_offset;  /* per allocation made so far */
	size_t *alloc_size;
	int *alloc_end;
};

/* memory.c: places every layer's output (and, training, delta and state)
 * in the activations / deltas allocations. Inference networks share memory
 * between outputs whose lifetimes do not overlap. With `place` false it only
 * fills n_activations and n_deltas (and marks in-place concat routes). */
void dlld_net_place_activations(struct dlld_network *net, bool place,
				struct dlld_place_scratch *s);

#endif

/*
 * nn/memory.c — where each layer's output lives.
 *
 * Training (and keep_outputs) networks give every output, delta and
 * training state its own place. Inference networks share: output i is live
 * from layer i to its last reader (yolo outputs and the last layer's to the
 * end of the forward), and first-fit placement puts it at the lowest offset
 * that overlaps no output live at the same time. A single-input route is a
 * view of its input (no copy), so it extends its input's lifetime instead.
 */
#include "nn/network.h"

#define ALIGN_FLOATS 16 /* 64 bytes */

static size_t aligned(size_t n)
{
	return (n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
}

/* The layer whose memory layer i's output is (i itself unless aliased). */
static int owner(const struct dlld_network *net, int i)
{
	while (i >= 0 && net->layers[i].output_is_alias)
		i = net->layers[i].inputs[0];
	return i;
}

static void place_sequential(struct dlld_network *net, size_t *offsets, bool place)
{
	size_t at = 0, d_at = 0;

	for (int i = 0; i < net->n_layers; i++) {
		struct dlld_layer *l = &net->layers[i];
		if (l->output_is_alias)
			continue;
		offsets[i] = at;
		at += aligned(dlld_shape_count(l->out));
		if (place && net->training)
			l->delta = net->deltas + d_at;
		d_at += aligned(dlld_shape_count(l->out));
		if (place && l->state_floats)
			l->state = net->activations + at;
		at += aligned(l->state_floats);
	}
	net->n_activations = at;
	net->n_deltas = net->training ? d_at : 0;
}

/* Fills last[i] with the index of the last layer reading output i. */
static void lifetimes(const struct dlld_network *net, int *last)
{
	for (int i = 0; i < net->n_layers; i++) {
		const struct dlld_layer *l = &net->layers[i];
		bool keep = l->kind == DLLD_LAYER_KIND_YOLO || i == net->n_layers - 1;
		last[i] = keep ? net->n_layers : i;
	}
	for (int i = 0; i < net->n_layers; i++) {
		const struct dlld_layer *l = &net->layers[i];
		for (int k = 0; k < l->n_inputs; k++) {
			int o = owner(net, l->inputs[k]);
			if (o >= 0 && last[o] < i)
				last[o] = i;
		}
	}
}

static void place_shared(struct dlld_network *net, size_t *offsets, int *last)
{
	size_t total = 0;

	/* Aliases read later than their root extend it: walk backwards so a
	 * chain of aliases passes its lifetime down. */
	lifetimes(net, last);
	for (int i = net->n_layers - 1; i >= 0; i--) {
		int o = owner(net, i);
		if (o >= 0 && o != i && last[o] < last[i])
			last[o] = last[i];
	}
	for (int i = 0; i < net->n_layers; i++) {
		size_t size = aligned(dlld_shape_count(net->layers[i].out)), at = 0;
		bool moved = true;
		if (net->layers[i].output_is_alias)
			continue;
		while (moved) {
			moved = false;
			for (int j = 0; j < i; j++) {
				size_t sj = aligned(dlld_shape_count(net->layers[j].out));
				if (net->layers[j].output_is_alias || last[j] < i)
					continue;
				if (at < offsets[j] + sj && offsets[j] < at + size) {
					at = offsets[j] + sj;
					moved = true;
				}
			}
		}
		offsets[i] = at;
		if (at + size > total)
			total = at + size;
	}
	net->n_activations = total;
	net->n_deltas = 0;
}

void dlld_net_place_activations(struct dlld_network *net, bool place, size_t *offsets, int *last)
{
	if (net->training || net->keep_outputs)
		place_sequential(net, offsets, place);
	else
		place_shared(net, offsets, last);
	if (!place)
		return;
	for (int i = 0; i < net->n_layers; i++) {
		struct dlld_layer *l = &net->layers[i];
		if (!l->output_is_alias)
			l->output = net->activations + offsets[i];
	}
}

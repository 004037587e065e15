/*
 * nn/memory.c — where each layer's output lives.
 *
 * Training (and keep_outputs) networks give every output, delta and
 * training state its own place. Inference networks share: output i is live
 * from layer i to its last reader (yolo outputs and the last layer's to the
 * end of the forward), and first-fit placement puts it at the lowest offset
 * that overlaps no output live at the same time. A single-input route is a
 * view of its input (no copy), so it extends its input's lifetime instead.
 * At batch 1 a concatenating route costs no copy either: its inputs write
 * their outputs back to back into the route's output (one block, live from
 * the first input to the last reader of any of them).
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

/* Marks routes whose inputs can write straight into the route's output:
 * batch 1, no groups, two or more distinct inputs that are computed layers
 * (not the network input, views or other routes) and feed no other such
 * route. Fills block[p] = r for each such input p and for r itself. */
static void find_concats(struct dlld_network *net, int *block)
{
	for (int i = 0; i < net->n_layers; i++)
		block[i] = -1;
	for (int r = 0; r < net->n_layers; r++) {
		struct dlld_layer *l = &net->layers[r];
		bool ok = net->input.n == 1 && l->kind == DLLD_LAYER_KIND_ROUTE &&
			  !l->output_is_alias && l->u.route.groups == 1 && l->n_inputs >= 2;
		for (int k = 0; ok && k < l->n_inputs; k++) {
			int p = l->inputs[k];
			ok = p >= 0 && block[p] < 0 && !net->layers[p].output_is_alias &&
			     net->layers[p].kind != DLLD_LAYER_KIND_ROUTE;
			for (int k2 = 0; ok && k2 < k; k2++)
				ok = l->inputs[k2] != p;
		}
		l->output_is_concat = ok;
		if (!ok)
			continue;
		block[r] = r;
		for (int k = 0; k < l->n_inputs; k++)
			block[l->inputs[k]] = r;
	}
}

/* First fit: the lowest offset where `size` floats overlap no earlier
 * allocation still live at step i. */
static size_t first_fit(const struct dlld_place_scratch *s, int n_alloc, int i, size_t size)
{
	size_t at = 0;
	bool moved = true;

	while (moved) {
		moved = false;
		for (int a = 0; a < n_alloc; a++) {
			if (s->alloc_end[a] < i)
				continue;
			if (at < s->alloc_offset[a] + s->alloc_size[a] && s->alloc_offset[a] < at + size) {
				at = s->alloc_offset[a] + s->alloc_size[a];
				moved = true;
			}
		}
	}
	return at;
}

/* Places route r's block at step i: the route's output, its inputs' outputs
 * back to back inside it. */
static size_t place_block(struct dlld_network *net, struct dlld_place_scratch *s, int n_alloc,
			  int i, int r)
{
	const struct dlld_layer *l = &net->layers[r];
	size_t size = aligned(dlld_shape_count(l->out)), at, inner = 0;
	int end = s->last[r];

	for (int k = 0; k < l->n_inputs; k++)
		end = s->last[l->inputs[k]] > end ? s->last[l->inputs[k]] : end;
	at = first_fit(s, n_alloc, i, size);
	s->offsets[r] = at;
	for (int k = 0; k < l->n_inputs; k++) {
		s->offsets[l->inputs[k]] = at + inner;
		inner += dlld_shape_count(l->in_shapes[k]);
	}
	s->alloc_offset[n_alloc] = at;
	s->alloc_size[n_alloc] = size;
	s->alloc_end[n_alloc] = end;
	return at + size;
}

static void place_shared(struct dlld_network *net, struct dlld_place_scratch *s)
{
	size_t total = 0, top;
	int n_alloc = 0;

	/* Aliases read later than their root extend it: walk backwards so a
	 * chain of aliases passes its lifetime down. */
	lifetimes(net, s->last);
	for (int i = net->n_layers - 1; i >= 0; i--) {
		int o = owner(net, i);
		if (o >= 0 && o != i && s->last[o] < s->last[i])
			s->last[o] = s->last[i];
	}
	find_concats(net, s->block);
	for (int i = 0; i < net->n_layers; i++) {
		const struct dlld_layer *l = &net->layers[i];
		int r = s->block[i];
		if (l->output_is_alias || r == i)
			continue;
		if (r >= 0 && s->offsets[i] != SIZE_MAX)
			continue; /* placed with its block at its earliest input */
		if (r >= 0) {
			top = place_block(net, s, n_alloc++, i, r);
		} else {
			size_t size = aligned(dlld_shape_count(l->out));
			s->offsets[i] = first_fit(s, n_alloc, i, size);
			s->alloc_offset[n_alloc] = s->offsets[i];
			s->alloc_size[n_alloc] = size;
			s->alloc_end[n_alloc++] = s->last[i];
			top = s->offsets[i] + size;
		}
		total = top > total ? top : total;
	}
	net->n_activations = total;
	net->n_deltas = 0;
}

void dlld_net_place_activations(struct dlld_network *net, bool place,
				struct dlld_place_scratch *s)
{
	size_t *offsets = s->offsets;

	for (int i = 0; i < net->n_layers; i++)
		offsets[i] = SIZE_MAX;
	if (net->training || net->keep_outputs)
		place_sequential(net, offsets, place);
	else
		place_shared(net, s);
	if (!place)
		return;
	for (int i = 0; i < net->n_layers; i++) {
		struct dlld_layer *l = &net->layers[i];
		if (!l->output_is_alias)
			l->output = net->activations + offsets[i];
	}
}

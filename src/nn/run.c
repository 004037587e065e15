/*
 * nn/run.c — running a planned network: forward, backward, the SGD update,
 * batch-norm folding, random initialisation and the accessors.
 */
#include "nn/network.h"

#include <stdio.h>
#include <string.h>

const struct dlld_net_config *dlld_net_config(const struct dlld_network *net)
{
	return &net->config;
}

struct dlld_shape dlld_net_input_shape(const struct dlld_network *net)
{
	return net->input;
}

int dlld_net_layer_count(const struct dlld_network *net)
{
	return net->n_layers;
}

void dlld_net_layer_info(const struct dlld_network *net, int i, struct dlld_layer_info *info)
{
	const struct dlld_layer *l = &net->layers[i];

	memset(info, 0, sizeof *info);
	info->kind = l->kind;
	info->cfg_line = l->line;
	info->in = l->in;
	info->out = l->out;
	for (int k = 0; k < l->n_params; k++)
		info->n_params += l->params[k].count;
	info->bflops = l->bflops;
	l->ops->describe(l, info->summary, sizeof info->summary);
}

double dlld_net_bflops(const struct dlld_network *net)
{
	double sum = 0.0;

	for (int i = 0; i < net->n_layers; i++)
		sum += net->layers[i].bflops;
	return sum;
}

size_t dlld_net_param_count(const struct dlld_network *net)
{
	return net->n_weights;
}

size_t dlld_net_peak_memory(const struct dlld_network *net)
{
	size_t floats = net->n_weights + 2 * net->n_grads + net->n_activations + net->n_deltas +
			net->n_workspace;
	size_t bytes = floats * sizeof(float) + net->packed_bytes + sizeof *net +
		       (size_t)net->n_layers * sizeof *net->layers +
		       (size_t)net->n_params * sizeof *net->params;
	return bytes;
}

uint64_t dlld_net_seen(const struct dlld_network *net)
{
	return net->seen;
}

void dlld_net_set_seen(struct dlld_network *net, uint64_t seen)
{
	net->seen = seen;
}

void dlld_net_set_train(struct dlld_network *net, bool train)
{
	net->train = train && !net->folded;
}

void dlld_net_unpack_weights(struct dlld_network *net)
{
	for (int i = 0; i < net->n_layers; i++)
		if (net->layers[i].ops && net->layers[i].ops->unpack)
			net->layers[i].ops->unpack(&net->layers[i]);
	net->packed_bytes = 0;
}

enum dlld_status dlld_net_pack_weights(struct dlld_network *net, struct dlld_error *err)
{
	size_t bytes = 0;

	for (int i = 0; i < net->n_layers; i++) {
		struct dlld_layer *l = &net->layers[i];
		if (l->ops->pack && l->ops->pack(l, &bytes, err) != DLLD_STATUS_OK) {
			dlld_net_unpack_weights(net);
			return DLLD_STATUS_NO_MEMORY;
		}
	}
	net->packed_bytes = bytes;
	return DLLD_STATUS_OK;
}

void dlld_net_fold_batchnorm(struct dlld_network *net)
{
	dlld_net_unpack_weights(net);
	for (int i = 0; i < net->n_layers; i++)
		if (net->layers[i].ops->fold)
			net->layers[i].ops->fold(&net->layers[i]);
	net->folded = true;
	net->train = false;
}

void dlld_net_init_weights(struct dlld_network *net, uint64_t seed)
{
	dlld_net_unpack_weights(net);
	for (int i = 0; i < net->n_layers; i++) {
		struct dlld_rng rng;
		dlld_rng_seed_stream(&rng, seed, (uint64_t)i);
		net->layers[i].ops->init(&net->layers[i], &rng);
	}
}

/* Points the layers reading the network input (directly or through a
 * route view of it) at `input` (forward) or `input_delta` (backward). */
static void bind_input(struct dlld_network *net, const float *input, float *input_delta,
		       bool backward)
{
	for (int i = 0; i < net->n_layers; i++) {
		struct dlld_layer *l = &net->layers[i];
		for (int k = 0; k < l->n_inputs; k++) {
			int from = l->inputs[k];
			bool view = from >= 0 && net->layers[from].output_is_alias;
			if (from >= 0 && !view)
				continue;
			if (backward)
				l->src_delta[k] = view ? net->layers[from].delta : input_delta;
			else
				l->src[k] = view ? net->layers[from].output : input;
		}
		if (!l->output_is_alias)
			continue;
		if (backward)
			l->delta = l->src_delta[0];
		else /* a view of the network input: read-only for every reader */
			l->output = (float *)(uintptr_t)l->src[0];
	}
}

/* The forward loop; `calibrate` sets the batch norms' rolling statistics. */
static void forward(struct dlld_network *net, struct dlld_pool *pool, const float *input,
		    bool calibrate)
{
	struct dlld_run run = {pool, net->workspace, net->train, calibrate};

	bind_input(net, input, NULL, false);
	for (int i = 0; i < net->n_layers; i++) {
		struct dlld_layer *l = &net->layers[i];
		if (!l->output_is_alias && !l->output_is_concat)
			l->ops->forward(l, &run);
	}
}

void dlld_net_forward(struct dlld_network *net, struct dlld_pool *pool, const float *input)
{
	forward(net, pool, input, false);
}

void dlld_net_calibrate_batchnorm(struct dlld_network *net, struct dlld_pool *pool,
				  const float *input)
{
	if (!net->folded)
		forward(net, pool, input, true);
}

const float *dlld_net_output(const struct dlld_network *net, int i, struct dlld_shape *shape)
{
	if (shape)
		*shape = net->layers[i].out;
	return net->layers[i].output;
}

float *dlld_net_delta(struct dlld_network *net, int i)
{
	return net->training ? net->layers[i].delta : NULL;
}

void dlld_net_zero_deltas(struct dlld_network *net)
{
	if (net->deltas)
		memset(net->deltas, 0, net->n_deltas * sizeof(float));
}

void dlld_net_backward(struct dlld_network *net, struct dlld_pool *pool, float *input_delta)
{
	struct dlld_run run = {pool, net->workspace, net->train, false};

	if (!net->training)
		return;
	bind_input(net, NULL, input_delta, true);
	for (int i = net->n_layers - 1; i >= 0; i--) {
		struct dlld_layer *l = &net->layers[i];
		if (!l->output_is_alias && l->delta)
			l->ops->backward(l, &run);
	}
}

int dlld_net_param_tensor_count(const struct dlld_network *net)
{
	return net->n_params;
}

void dlld_net_param_tensor(struct dlld_network *net, int j, struct dlld_param_view *view)
{
	struct dlld_param *p = &net->layers[net->params[j].layer].params[net->params[j].slot];

	memset(view, 0, sizeof *view);
	snprintf(view->name, sizeof view->name, "%d.%s", net->params[j].layer, p->what);
	view->data = p->data;
	view->grad = p->grad;
	view->velocity = p->velocity;
	view->count = p->count;
	view->layer = net->params[j].layer;
}

void dlld_net_update(struct dlld_network *net, const struct dlld_sgd *sgd)
{
	float rate = (float)(sgd->learning_rate / (sgd->batch > 0 ? sgd->batch : 1));
	float momentum = (float)sgd->momentum;
	float decay = (float)(sgd->decay * sgd->batch);

	if (!net->training || net->folded)
		return;
	dlld_net_unpack_weights(net);
	for (int j = 0; j < net->n_params; j++) {
		struct dlld_param *p = &net->layers[net->params[j].layer].params[net->params[j].slot];
		if (!p->learnable)
			continue;
		for (size_t i = 0; i < p->count; i++) {
			float u = momentum * p->velocity[i] - p->grad[i];
			if (p->decay)
				u -= decay * p->data[i];
			p->data[i] += rate * u;
			p->velocity[i] = u;
			p->grad[i] = 0.0f;
		}
	}
}

bool dlld_net_yolo_info(const struct dlld_network *net, int i, struct dlld_yolo_info *info)
{
	if (i < 0 || i >= net->n_layers || net->layers[i].kind != DLLD_LAYER_KIND_YOLO)
		return false;
	*info = net->layers[i].u.yolo.info;
	return true;
}

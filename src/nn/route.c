/*
 * nn/route.c — [route]: channel concatenation of earlier layers' outputs;
 * with groups = G, each input contributes its group_id-th of G channel
 * chunks (as in AlexeyAB's darknet).
 *   inputs [n × c_i × h × w]   out [n × Σ c_i/G × h × w]
 * A route of one whole input copies nothing: the network makes its output
 * and delta views of the input's (output_is_alias) and these functions are
 * not called for it.
 */
#include "nn/layer.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

static const struct dlld_cfg_key route_keys[] = {
	{"layers", DLLD_CFG_TYPE_INT_LIST, offsetof(struct dlld_layer, u.route.refs),
	 offsetof(struct dlld_layer, u.route.n_refs), DLLD_LAYER_MAX_INPUTS, -100000, 100000},
	{"groups", DLLD_CFG_TYPE_INT, offsetof(struct dlld_layer, u.route.groups), 0, 0, 1, 65536},
	{"group_id", DLLD_CFG_TYPE_INT, offsetof(struct dlld_layer, u.route.group_id), 0, 0, 0,
	 65535},
	{NULL, DLLD_CFG_TYPE_COUNT, 0, 0, 0, 0, 0},
};

static void route_defaults(struct dlld_layer *l)
{
	l->u.route = (struct dlld_route_cfg){.n_refs = 0, .groups = 1, .group_id = 0};
}

static enum dlld_status route_plan(struct dlld_layer *l, const struct dlld_plan *p,
				   struct dlld_error *err)
{
	const struct dlld_route_cfg *r = &l->u.route;
	int c = 0;

	if (r->n_refs == 0)
		return dlld_error_set_line(err, DLLD_STATUS_MALFORMED, p->file, l->line,
					   "[route] needs layers=");
	if (r->group_id >= r->groups)
		return dlld_error_set_line(err, DLLD_STATUS_MALFORMED, p->file, l->line,
					   "group_id=%d must be below groups=%d", r->group_id,
					   r->groups);
	for (int i = 0; i < r->n_refs; i++) {
		enum dlld_status st = dlld_plan_add_input(l, p, r->refs[i], err);
		struct dlld_shape s = l->in_shapes[i];
		if (st != DLLD_STATUS_OK)
			return st;
		if (s.h != l->in.h || s.w != l->in.w)
			return dlld_error_set_line(err, DLLD_STATUS_INCONSISTENT, p->file, l->line,
						   "route inputs differ in size: %dx%d vs %dx%d",
						   s.w, s.h, l->in.w, l->in.h);
		if (s.c % r->groups)
			return dlld_error_set_line(err, DLLD_STATUS_INCONSISTENT, p->file, l->line,
						   "groups=%d does not divide %d channels",
						   r->groups, s.c);
		c += s.c / r->groups;
		if (c > (1 << 24))
			return dlld_error_set_line(err, DLLD_STATUS_INCONSISTENT, p->file, l->line,
						   "route of more than %d channels", 1 << 24);
	}
	l->out = (struct dlld_shape){l->in.n, c, l->in.h, l->in.w};
	l->output_is_alias = r->n_refs == 1 && r->groups == 1;
	return DLLD_STATUS_OK;
}

static void route_init(struct dlld_layer *l, struct dlld_rng *rng)
{
	(void)l;
	(void)rng;
}

/* Forward: copies each input's chunk into its place in the output.
 * Backward: adds the output delta back to each input's chunk. */
static void route_copy(struct dlld_layer *l, bool backward)
{
	size_t plane = dlld_shape_plane(l->out);
	int groups = l->u.route.groups, gid = l->u.route.group_id;

	for (int b = 0; b < l->out.n; b++) {
		size_t out_at = (size_t)b * dlld_shape_image(l->out);
		for (int i = 0; i < l->n_inputs; i++) {
			size_t chunk = (size_t)(l->in_shapes[i].c / groups) * plane;
			size_t in_at = (size_t)b * dlld_shape_image(l->in_shapes[i]) +
				       (size_t)gid * chunk;
			if (!backward) {
				memcpy(l->output + out_at, l->src[i] + in_at, chunk * sizeof(float));
			} else if (l->src_delta[i]) {
				float *dx = l->src_delta[i] + in_at;
				const float *dy = l->delta + out_at;
				for (size_t k = 0; k < chunk; k++)
					dx[k] += dy[k];
			}
			out_at += chunk;
		}
	}
}

static void route_forward(struct dlld_layer *l, const struct dlld_run *run)
{
	(void)run;
	route_copy(l, false);
}

static void route_backward(struct dlld_layer *l, const struct dlld_run *run)
{
	(void)run;
	route_copy(l, true);
}

static void route_describe(const struct dlld_layer *l, char *buf, size_t size)
{
	size_t len = (size_t)snprintf(buf, size, "route ");

	for (int i = 0; i < l->n_inputs && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, " %d", l->inputs[i]);
}

const struct dlld_layer_ops dlld_route_ops = {
	.kind = DLLD_LAYER_KIND_ROUTE,
	.keys = route_keys,
	.defaults = route_defaults,
	.plan = route_plan,
	.init = route_init,
	.forward = route_forward,
	.backward = route_backward,
	.fold = NULL,
	.pack = NULL,
	.unpack = NULL,
	.describe = route_describe,
};

/* nn/registry.c — the one table of layer kinds: cfg section name → ops. */
#include "nn/layer.h"

#include <string.h>

extern const struct dlld_layer_ops dlld_conv_ops, dlld_maxpool_ops, dlld_upsample_ops,
	dlld_route_ops, dlld_shortcut_ops, dlld_yolo_ops;

static const struct {
	const char *section;
	const struct dlld_layer_ops *ops;
} registry[DLLD_LAYER_KIND_COUNT] = {
	[DLLD_LAYER_KIND_CONVOLUTIONAL] = {"convolutional", &dlld_conv_ops},
	[DLLD_LAYER_KIND_MAXPOOL] = {"maxpool", &dlld_maxpool_ops},
	[DLLD_LAYER_KIND_UPSAMPLE] = {"upsample", &dlld_upsample_ops},
	[DLLD_LAYER_KIND_ROUTE] = {"route", &dlld_route_ops},
	[DLLD_LAYER_KIND_SHORTCUT] = {"shortcut", &dlld_shortcut_ops},
	[DLLD_LAYER_KIND_YOLO] = {"yolo", &dlld_yolo_ops},
};
_Static_assert(sizeof registry / sizeof registry[0] == DLLD_LAYER_KIND_COUNT, "layer registry");

const char *dlld_layer_kind_name(enum dlld_layer_kind kind)
{
	return (unsigned)kind < DLLD_LAYER_KIND_COUNT ? registry[kind].section : "?";
}

const struct dlld_layer_ops *dlld_layer_ops_find(const char *section)
{
	for (int k = 0; k < DLLD_LAYER_KIND_COUNT; k++)
		if (strcmp(registry[k].section, section) == 0)
			return registry[k].ops;
	return NULL;
}

const struct dlld_layer_ops *dlld_layer_ops_get(enum dlld_layer_kind kind)
{
	return registry[kind].ops;
}

/*
 * nn/tensor.h — how the engine's buffers are laid out and what they mean.
 *
 * Every activation is float32 NCHW, contiguous: element (b, c, y, x) of a
 * tensor of shape {n, c, h, w} is at ((b·c_count + c)·h + y)·w + x.
 *
 * THE SIGN CONVENTION (stated here once, as PyTorch has it): a layer's
 * `delta` buffer holds ∂L/∂output and a parameter's `grad` holds ∂L/∂param,
 * where L is the loss being minimised. forward WRITES its output; backward
 * ADDS ∂L/∂input into its inputs' deltas and ∂L/∂param into the gradients,
 * so a tensor read by several layers (routes, shortcuts) sums their
 * contributions. The SGD update subtracts (darknet's buffers hold −∂L/∂x;
 * ours never do).
 */
#ifndef DLLD_NN_TENSOR_H
#define DLLD_NN_TENSOR_H

#include <stddef.h>

#include "dlld/nn.h"

/* Elements of one image (c·h·w). */
static inline size_t dlld_shape_image(struct dlld_shape s)
{
	return (size_t)s.c * (size_t)s.h * (size_t)s.w;
}

/* Elements of one channel plane (h·w). */
static inline size_t dlld_shape_plane(struct dlld_shape s)
{
	return (size_t)s.h * (size_t)s.w;
}

#endif

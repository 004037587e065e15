/*
 * nn/im2col.h — darknet's image ↔ column layout for convolutions.
 *
 * For one image of `channels` planes h×w, a size×size kernel, stride and
 * zero padding, the column matrix has channels·size·size rows (row r =
 * (ch·size + ky)·size + kx) and out_h·out_w columns; out = (in + 2·pad −
 * size)/stride + 1. Work is split over channels on the pool; every
 * channel's rows (im2col) or plane (col2im) belongs to one task, so results
 * do not depend on the thread count.
 */
#ifndef DLLD_NN_IM2COL_H
#define DLLD_NN_IM2COL_H

#include "dlld/core.h"

struct dlld_im2col {
	int channels, h, w, size, stride, pad, out_h, out_w;
};

/* Fills col [channels·size² × out_h·out_w] from im [channels × h × w]. */
void dlld_im2col(struct dlld_pool *pool, const struct dlld_im2col *g, const float *im, float *col);
/* Adds every column value back to the pixel it came from: im += col2im(col). */
void dlld_col2im(struct dlld_pool *pool, const struct dlld_im2col *g, const float *col, float *im);

#endif

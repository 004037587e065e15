/* nn/im2col.c — see im2col.h. */
#include "nn/im2col.h"

#include "nn/layer.h"

#include <string.h>

struct job {
	const struct dlld_im2col *g;
	const float *src;
	float *dst;
};

/* Rows of channel `task`: col[(ch·size + ky)·size + kx][oy·out_w + ox]. */
static void im2col_channel(void *ctx, size_t task, int worker)
{
	const struct job *j = ctx;
	const struct dlld_im2col *g = j->g;
	const float *im = j->src + task * (size_t)g->h * (size_t)g->w;
	size_t n_cols = (size_t)g->out_h * (size_t)g->out_w;
	float *col = j->dst + task * (size_t)g->size * (size_t)g->size * n_cols;

	(void)worker;
	for (int ky = 0; ky < g->size; ky++) {
		for (int kx = 0; kx < g->size; kx++, col += n_cols) {
			for (int oy = 0; oy < g->out_h; oy++) {
				int y = oy * g->stride + ky - g->pad;
				float *row = col + (size_t)oy * (size_t)g->out_w;
				const float *line;
				if (y < 0 || y >= g->h) {
					memset(row, 0, (size_t)g->out_w * sizeof *row);
					continue;
				}
				line = im + (size_t)y * (size_t)g->w;
				for (int ox = 0; ox < g->out_w; ox++) {
					int x = ox * g->stride + kx - g->pad;
					row[ox] = x >= 0 && x < g->w ? line[x] : 0.0f;
				}
			}
		}
	}
}

static void col2im_channel(void *ctx, size_t task, int worker)
{
	const struct job *j = ctx;
	const struct dlld_im2col *g = j->g;
	float *im = j->dst + task * (size_t)g->h * (size_t)g->w;
	size_t n_cols = (size_t)g->out_h * (size_t)g->out_w;
	const float *col = j->src + task * (size_t)g->size * (size_t)g->size * n_cols;

	(void)worker;
	for (int ky = 0; ky < g->size; ky++) {
		for (int kx = 0; kx < g->size; kx++, col += n_cols) {
			for (int oy = 0; oy < g->out_h; oy++) {
				int y = oy * g->stride + ky - g->pad;
				const float *row = col + (size_t)oy * (size_t)g->out_w;
				if (y < 0 || y >= g->h)
					continue;
				for (int ox = 0; ox < g->out_w; ox++) {
					int x = ox * g->stride + kx - g->pad;
					if (x >= 0 && x < g->w)
						im[(size_t)y * (size_t)g->w + (size_t)x] += row[ox];
				}
			}
		}
	}
}

void dlld_im2col(struct dlld_pool *pool, const struct dlld_im2col *g, const float *im, float *col)
{
	struct job j = {g, im, col};

	dlld_layer_parallel(pool, (size_t)g->channels, im2col_channel, &j);
}

void dlld_col2im(struct dlld_pool *pool, const struct dlld_im2col *g, const float *col, float *im)
{
	struct job j = {g, col, im};

	dlld_layer_parallel(pool, (size_t)g->channels, col2im_channel, &j);
}

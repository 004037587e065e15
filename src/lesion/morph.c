/*
 * lesion/morph.c — distance transforms, components, hole filling and a
 * median filter on anisotropic grids (see morph.h).
 */
#include "lesion/morph.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void run_tasks(struct dlld_pool *pool, size_t n, dlld_pool_task_fn fn, void *ctx)
{
	if (pool) {
		dlld_pool_run(pool, n, fn, ctx);
		return;
	}
	for (size_t t = 0; t < n; t++)
		fn(ctx, t, 0);
}

/* One line of the squared EDT: d[q] = min_p f[p] + w2 (q - p)². Entries of
 * f >= FLT_MAX are "no feature"; v, z are scratch of n and n + 1. */
static void edt_line(const double *f, double *d, int n, double w2, int *v, double *z)
{
	int k = -1;
	for (int q = 0; q < n; q++) {
		if (f[q] >= FLT_MAX)
			continue;
		if (k < 0) {
			k = 0, v[0] = q, z[0] = -HUGE_VAL, z[1] = HUGE_VAL;
			continue;
		}
		double s;
		for (;;) {
			int p = v[k];
			s = ((f[q] + w2 * q * q) - (f[p] + w2 * (double)p * p)) / (2.0 * w2 * (q - p));
			if (s > z[k])
				break;
			k--;
		}
		k++;
		v[k] = q, z[k] = s, z[k + 1] = HUGE_VAL;
	}
	if (k < 0) {
		for (int q = 0; q < n; q++)
			d[q] = FLT_MAX;
		return;
	}
	k = 0;
	for (int q = 0; q < n; q++) {
		while (z[k + 1] < q)
			k++;
		double dq = q - v[k];
		d[q] = w2 * dq * dq + f[v[k]];
	}
}

struct edt_ctx {
	const struct lesion_grid *g;
	float *d;
	int axis;
	size_t line_cap;
	double *scratch; /* per worker: f, d (line_cap each), z (line_cap + 1) */
	int *vscratch;   /* per worker: line_cap */
};

/* Task = one index of the axis that is neither `axis` nor the other
 * in-line axis: for axes 0 and 1 a slice k, for axis 2 a row j. */
static void edt_task(void *p, size_t task, int worker)
{
	struct edt_ctx *c = p;
	const int32_t *n = c->g->n;
	size_t nx = (size_t)n[0], ny = (size_t)n[1], nz = (size_t)n[2];
	double *f = c->scratch + (size_t)worker * (3 * c->line_cap + 1);
	double *o = f + c->line_cap, *z = o + c->line_cap;
	int *v = c->vscratch + (size_t)worker * c->line_cap;
	double w2 = c->g->sp[c->axis] * c->g->sp[c->axis];
	size_t len = (size_t)n[c->axis];
	size_t stride = c->axis == 0 ? 1 : (c->axis == 1 ? nx : nx * ny);
	size_t lines = c->axis == 0 ? ny : nx;
	for (size_t l = 0; l < lines; l++) {
		size_t base = c->axis == 0 ? (task * ny + l) * nx
			    : c->axis == 1 ? task * nx * ny + l
					   : task * nx + l;
		for (size_t q = 0; q < len; q++)
			f[q] = c->d[base + q * stride];
		edt_line(f, o, (int)len, w2, v, z);
		for (size_t q = 0; q < len; q++)
			c->d[base + q * stride] = (float)fmin(o[q], FLT_MAX);
	}
	(void)nz;
}

enum dlld_status lesion_edt_sq(const struct lesion_grid *g, const uint8_t *mask, uint8_t feature,
			       float *d, struct dlld_pool *pool, struct dlld_error *err)
{
	size_t count = lesion_grid_count(g);
	for (size_t i = 0; i < count; i++)
		d[i] = ((mask[i] != 0) == (feature != 0)) ? 0.0f : FLT_MAX;
	size_t cap = (size_t)g->n[0];
	for (int a = 1; a < 3; a++)
		cap = cap > (size_t)g->n[a] ? cap : (size_t)g->n[a];
	int workers = pool ? dlld_pool_threads(pool) : 1;
	struct edt_ctx c = {.g = g, .d = d, .line_cap = cap};
	c.scratch = dlld_calloc((size_t)workers * (3 * cap + 1), sizeof(double), "EDT lines", err);
	c.vscratch = dlld_calloc((size_t)workers * cap, sizeof(int), "EDT lines", err);
	if (!c.scratch || !c.vscratch) {
		free(c.scratch), free(c.vscratch);
		return DLLD_STATUS_NO_MEMORY;
	}
	for (c.axis = 0; c.axis < 3; c.axis++)
		run_tasks(pool, (size_t)(c.axis == 2 ? g->n[1] : g->n[2]), edt_task, &c);
	free(c.scratch), free(c.vscratch);
	return DLLD_STATUS_OK;
}

/* mask := (distance to `feature` voxels, squared) compared with r². */
static enum dlld_status threshold_edt(const struct lesion_grid *g, uint8_t *mask, double r_mm,
				      bool dilate, struct dlld_pool *pool, struct dlld_error *err)
{
	size_t count = lesion_grid_count(g);
	float *d = dlld_calloc(count, sizeof(float), "distance map", err);
	if (!d)
		return DLLD_STATUS_NO_MEMORY;
	enum dlld_status st = lesion_edt_sq(g, mask, dilate ? 1 : 0, d, pool, err);
	double r2 = r_mm * r_mm;
	for (size_t i = 0; st == DLLD_STATUS_OK && i < count; i++)
		mask[i] = dilate ? (uint8_t)(d[i] <= r2) : (uint8_t)(d[i] > r2);
	free(d);
	return st;
}

enum dlld_status lesion_dilate(const struct lesion_grid *g, uint8_t *mask, double r_mm,
			       struct dlld_pool *pool, struct dlld_error *err)
{
	return threshold_edt(g, mask, r_mm, true, pool, err);
}

enum dlld_status lesion_erode(const struct lesion_grid *g, uint8_t *mask, double r_mm,
			      struct dlld_pool *pool, struct dlld_error *err)
{
	return threshold_edt(g, mask, r_mm, false, pool, err);
}

long lesion_components(const struct lesion_grid *g, const uint8_t *mask, int32_t *label,
		       size_t **sizes, struct dlld_error *err)
{
	size_t count = lesion_grid_count(g), nx = (size_t)g->n[0], nxy = nx * (size_t)g->n[1];
	size_t *queue = dlld_calloc(count, sizeof(size_t), "component queue", err);
	size_t cap = 64, n = 0;
	size_t *sz = dlld_calloc(cap, sizeof(size_t), "component sizes", err);
	if (!queue || !sz) {
		free(queue), free(sz);
		return -1;
	}
	memset(label, 0, count * sizeof(*label));
	for (size_t s = 0; s < count; s++) {
		if (!mask[s] || label[s])
			continue;
		if (++n >= cap) {
			size_t *grown = realloc(sz, 2 * cap * sizeof(size_t));
			if (!grown) {
				free(queue), free(sz);
				dlld_error_set(err, DLLD_STATUS_NO_MEMORY, NULL, "out of memory: components");
				return -1;
			}
			sz = grown, cap *= 2;
		}
		size_t head = 0, tail = 0;
		queue[tail++] = s;
		label[s] = (int32_t)n;
		while (head < tail) {
			size_t v = queue[head++];
			size_t i = v % nx, j = (v / nx) % (size_t)g->n[1], k = v / nxy;
			size_t nb[6];
			int m = 0;
			if (i > 0) nb[m++] = v - 1;
			if (i + 1 < nx) nb[m++] = v + 1;
			if (j > 0) nb[m++] = v - nx;
			if (j + 1 < (size_t)g->n[1]) nb[m++] = v + nx;
			if (k > 0) nb[m++] = v - nxy;
			if (k + 1 < (size_t)g->n[2]) nb[m++] = v + nxy;
			for (int q = 0; q < m; q++)
				if (mask[nb[q]] && !label[nb[q]]) {
					label[nb[q]] = (int32_t)n;
					queue[tail++] = nb[q];
				}
		}
		sz[n] = tail;
	}
	free(queue);
	*sizes = sz;
	return (long)n;
}

/* Flood-fills the background reachable from the border of a w×h×d block
 * (d = 1: one slice, 4-connected; else 6-connected) and sets every voxel not
 * reached to 1. */
static void fill_block(uint8_t *m, size_t w, size_t h, size_t d, uint8_t *seen, size_t *stack)
{
	size_t n = w * h * d, top = 0, wh = w * h;
	memset(seen, 0, n);
	for (size_t k = 0; k < d; k++)
		for (size_t j = 0; j < h; j++) {
			bool whole_row = j == 0 || j + 1 == h || (d > 1 && (k == 0 || k + 1 == d));
			for (size_t i = 0; i < w; i += (whole_row || i + 1 == w) ? 1 : w - 1) {
				size_t v = k * wh + j * w + i;
				if (!m[v]) {
					seen[v] = 1;
					stack[top++] = v;
				}
			}
		}
	while (top) {
		size_t v = stack[--top];
		size_t i = v % w, j = (v / w) % h, k = v / (w * h);
		size_t nb[6];
		int c = 0;
		if (i > 0) nb[c++] = v - 1;
		if (i + 1 < w) nb[c++] = v + 1;
		if (j > 0) nb[c++] = v - w;
		if (j + 1 < h) nb[c++] = v + w;
		if (k > 0) nb[c++] = v - w * h;
		if (k + 1 < d) nb[c++] = v + w * h;
		for (int q = 0; q < c; q++)
			if (!m[nb[q]] && !seen[nb[q]]) {
				seen[nb[q]] = 1;
				stack[top++] = nb[q];
			}
	}
	for (size_t v = 0; v < n; v++)
		if (!seen[v])
			m[v] = 1;
}

static enum dlld_status fill_holes(const struct lesion_grid *g, uint8_t *mask, bool slices,
				   struct dlld_error *err)
{
	size_t nxy = (size_t)g->n[0] * (size_t)g->n[1];
	size_t block = slices ? nxy : lesion_grid_count(g);
	uint8_t *seen = dlld_calloc(block, 1, "hole filling", err);
	size_t *stack = dlld_calloc(block, sizeof(size_t), "hole filling", err);
	if (!seen || !stack) {
		free(seen), free(stack);
		return DLLD_STATUS_NO_MEMORY;
	}
	if (slices)
		for (int32_t k = 0; k < g->n[2]; k++)
			fill_block(mask + (size_t)k * nxy, (size_t)g->n[0], (size_t)g->n[1], 1, seen,
				   stack);
	else
		fill_block(mask, (size_t)g->n[0], (size_t)g->n[1], (size_t)g->n[2], seen, stack);
	free(seen), free(stack);
	return DLLD_STATUS_OK;
}

enum dlld_status lesion_fill_holes_2d(const struct lesion_grid *g, uint8_t *mask,
				      struct dlld_error *err)
{
	return fill_holes(g, mask, true, err);
}

enum dlld_status lesion_fill_holes_3d(const struct lesion_grid *g, uint8_t *mask,
				      struct dlld_error *err)
{
	return fill_holes(g, mask, false, err);
}

enum dlld_status lesion_keep_largest_2d(const struct lesion_grid *g, uint8_t *mask,
					struct dlld_error *err)
{
	size_t w = (size_t)g->n[0], h = (size_t)g->n[1], nxy = w * h;
	int32_t *lab = dlld_calloc(nxy, sizeof(int32_t), "slice components", err);
	size_t *stack = dlld_calloc(nxy, sizeof(size_t), "slice components", err);
	if (!lab || !stack) {
		free(lab), free(stack);
		return DLLD_STATUS_NO_MEMORY;
	}
	for (int32_t k = 0; k < g->n[2]; k++) {
		uint8_t *m = mask + (size_t)k * nxy;
		memset(lab, 0, nxy * sizeof(*lab));
		int32_t n = 0, best = 0;
		size_t best_size = 0;
		for (size_t s = 0; s < nxy; s++) {
			if (!m[s] || lab[s])
				continue;
			size_t top = 0, size = 0;
			lab[s] = ++n;
			stack[top++] = s;
			while (top) {
				size_t v = stack[--top];
				long i = (long)(v % w), j = (long)(v / w);
				size++;
				for (long dj = -1; dj <= 1; dj++)
					for (long di = -1; di <= 1; di++) {
						long a = i + di, b = j + dj;
						if (a < 0 || b < 0 || a >= (long)w || b >= (long)h)
							continue;
						size_t u = (size_t)b * w + (size_t)a;
						if (m[u] && !lab[u]) {
							lab[u] = n;
							stack[top++] = u;
						}
					}
			}
			if (size > best_size)
				best_size = size, best = n;
		}
		for (size_t s = 0; s < nxy; s++)
			m[s] = (uint8_t)(m[s] && lab[s] == best);
	}
	free(lab), free(stack);
	return DLLD_STATUS_OK;
}

static float median27(float *a)
{
	/* Quickselect for the 14th smallest of 27. */
	int lo = 0, hi = 26, want = 13;
	while (lo < hi) {
		float pivot = a[(lo + hi) / 2];
		int i = lo, j = hi;
		while (i <= j) {
			while (a[i] < pivot)
				i++;
			while (a[j] > pivot)
				j--;
			if (i <= j) {
				float t = a[i];
				a[i++] = a[j];
				a[j--] = t;
			}
		}
		if (want <= j)
			hi = j;
		else if (want >= i)
			lo = i;
		else
			break;
	}
	return a[want];
}

struct median_ctx {
	const struct lesion_grid *g;
	const float *in;
	float *out;
};

static int32_t clampi(int32_t v, int32_t n)
{
	return v < 0 ? 0 : (v >= n ? n - 1 : v);
}

static void median_task(void *p, size_t task, int worker)
{
	struct median_ctx *c = p;
	const int32_t *n = c->g->n;
	int32_t k = (int32_t)task;
	float a[27];
	(void)worker;
	for (int32_t j = 0; j < n[1]; j++)
		for (int32_t i = 0; i < n[0]; i++) {
			int m = 0;
			for (int dk = -1; dk <= 1; dk++)
				for (int dj = -1; dj <= 1; dj++)
					for (int di = -1; di <= 1; di++) {
						size_t v = ((size_t)clampi(k + dk, n[2]) * (size_t)n[1] +
							    (size_t)clampi(j + dj, n[1])) *
								   (size_t)n[0] +
							   (size_t)clampi(i + di, n[0]);
						a[m++] = c->in[v];
					}
			c->out[((size_t)k * (size_t)n[1] + (size_t)j) * (size_t)n[0] + (size_t)i] =
				median27(a);
		}
}

void lesion_median3(const struct lesion_grid *g, const float *in, float *out,
		    struct dlld_pool *pool)
{
	struct median_ctx c = {g, in, out};
	run_tasks(pool, (size_t)g->n[2], median_task, &c);
}

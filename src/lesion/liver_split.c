/*
 * lesion/liver_split.c — the liver candidates split into organs at their
 * necks: a watershed of the distance to the candidates' boundary, flooded
 * from the deepest voxels down, in which two basins that meet become one
 * organ only when the neck where they meet is nearly as thick as the
 * thinner of them (docs/liver.md, step 9).
 */
#include "lesion/liver_steps.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Depths are sorted in buckets of this many mm. */
static const double BUCKET_MM = 0.25;

static int32_t find_root(int32_t *parent, int32_t v)
{
	int32_t r = v;
	while (parent[r] != r)
		r = parent[r];
	while (parent[v] != r) {
		int32_t next = parent[v];
		parent[v] = r;
		v = next;
	}
	return r;
}

enum dlld_status liver_split(const struct lesion_grid *g, const uint8_t *mask, const float *d2,
			     double neck_ratio, int32_t *basin, struct dlld_error *err)
{
	size_t count = lesion_grid_count(g), nx = (size_t)g->n[0], nxy = nx * (size_t)g->n[1];
	float dmax = 0;
	for (size_t v = 0; v < count; v++)
		if (mask[v] && d2[v] > dmax)
			dmax = d2[v];
	size_t nb = (size_t)(sqrt(dmax) / BUCKET_MM) + 2;
	size_t *start = dlld_calloc(nb + 1, sizeof(size_t), "watershed buckets", err);
	int32_t *order = dlld_calloc(count, sizeof(int32_t), "watershed order", err);
	float *peak = dlld_calloc(count, sizeof(float), "watershed peaks", err);
	if (!start || !order || !peak) {
		free(start), free(order), free(peak);
		return DLLD_STATUS_NO_MEMORY;
	}
	/* Counting sort, deepest bucket first. */
	for (size_t v = 0; v < count; v++)
		if (mask[v])
			start[nb - 1 - (size_t)(sqrt(d2[v]) / BUCKET_MM)]++;
	size_t sum = 0;
	for (size_t b = 0; b <= nb; b++) {
		size_t c = start[b];
		start[b] = sum;
		sum += c;
	}
	for (size_t v = 0; v < count; v++)
		if (mask[v])
			order[start[nb - 1 - (size_t)(sqrt(d2[v]) / BUCKET_MM)]++] = (int32_t)v;
	int32_t *parent = basin; /* union-find forest, -1 = not flooded yet */
	for (size_t v = 0; v < count; v++)
		parent[v] = -1;
	for (size_t q = 0; q < sum; q++) {
		int32_t v = order[q];
		float t = sqrtf(d2[v]);
		size_t u = (size_t)v, i = u % nx, j = (u / nx) % (size_t)g->n[1], k = u / nxy;
		int32_t roots[6];
		int m = 0;
		size_t nbr[6];
		int nn = 0;
		if (i > 0) nbr[nn++] = u - 1;
		if (i + 1 < nx) nbr[nn++] = u + 1;
		if (j > 0) nbr[nn++] = u - nx;
		if (j + 1 < (size_t)g->n[1]) nbr[nn++] = u + nx;
		if (k > 0) nbr[nn++] = u - nxy;
		if (k + 1 < (size_t)g->n[2]) nbr[nn++] = u + nxy;
		for (int a = 0; a < nn; a++) {
			if (parent[nbr[a]] < 0)
				continue;
			int32_t r = find_root(parent, (int32_t)nbr[a]);
			bool seen = false;
			for (int b = 0; b < m; b++)
				seen = seen || roots[b] == r;
			if (!seen)
				roots[m++] = r;
		}
		if (m == 0) {
			parent[v] = v;
			peak[v] = t;
			continue;
		}
		int best = 0; /* the deepest basin takes the voxel */
		for (int b = 1; b < m; b++)
			if (peak[roots[b]] > peak[roots[best]])
				best = b;
		int32_t R = roots[best];
		parent[v] = R;
		for (int b = 0; b < m; b++) {
			int32_t r = roots[b];
			if (r == R)
				continue;
			/* r is the shallower: one organ when the neck is (almost)
			 * as thick as r itself. */
			if (t >= neck_ratio * peak[r])
				parent[r] = R;
		}
	}
	for (size_t v = 0; v < count; v++)
		basin[v] = parent[v] < 0 ? -1 : find_root(parent, (int32_t)v);
	free(start), free(order), free(peak);
	return DLLD_STATUS_OK;
}

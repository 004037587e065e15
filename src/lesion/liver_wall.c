/*
 * lesion/liver_wall.c — the body wall: in-plane distance from every coarse
 * voxel to the outside of the body or to the subcutaneous fat joined to it.
 * The abdominal and chest wall muscles (and the costal diaphragm against
 * them) lie within 10–20 mm inward of that fat; on an unenhanced scan they
 * have the liver's HU and no fat plane separates them from the liver.
 */
#include "lesion/liver_steps.h"

#include <stdlib.h>

/* Fat is below this (and above the lung's air threshold, so the flood
 * never enters lung or bowel gas): −30 HU is the upper end of adipose
 * tissue on CT (fat −190..−30 HU). */
static const double FAT_HU = -30.0;

/* Marks in seed the voxels of slice k outside the body or reached from
 * there through fat (4-connected); stack holds one slice of indices. */
static void flood_slice(const struct liver_work *w, int32_t k, uint8_t *seed, size_t *stack)
{
	const int32_t nx = w->g.n[0], ny = w->g.n[1];
	size_t base = (size_t)k * (size_t)nx * (size_t)ny, top = 0;
	for (size_t v = base; v < base + (size_t)nx * (size_t)ny; v++)
		if (!w->body[v])
			seed[v] = 1, stack[top++] = v;
	while (top) {
		size_t v = stack[--top];
		int32_t i = (int32_t)((v - base) % (size_t)nx), j = (int32_t)((v - base) / (size_t)nx);
		const int32_t di[4] = {-1, 1, 0, 0}, dj[4] = {0, 0, -1, 1};
		for (int q = 0; q < 4; q++) {
			int32_t a = i + di[q], b = j + dj[q];
			if (a < 0 || b < 0 || a >= nx || b >= ny)
				continue;
			size_t u = base + (size_t)b * (size_t)nx + (size_t)a;
			if (!seed[u] && w->smooth[u] < FAT_HU && w->smooth[u] > w->o->air_hu)
				seed[u] = 1, stack[top++] = u;
		}
	}
}

enum dlld_status liver_wall_distance(const struct liver_work *w, float *wall_d2, struct dlld_error *err)
{
	const struct lesion_grid *g = &w->g;
	size_t nxy = (size_t)g->n[0] * (size_t)g->n[1];
	uint8_t *seed = dlld_calloc(lesion_grid_count(g), 1, "body wall", err);
	size_t *stack = dlld_calloc(nxy, sizeof(size_t), "body wall", err);
	enum dlld_status st = seed && stack ? DLLD_STATUS_OK : DLLD_STATUS_NO_MEMORY;
	const struct lesion_grid slice = {{g->n[0], g->n[1], 1}, {g->sp[0], g->sp[1], 1.0}};
	for (int32_t k = 0; !st && k < g->n[2]; k++) {
		flood_slice(w, k, seed, stack);
		st = lesion_edt_sq(&slice, seed + (size_t)k * nxy, 1, wall_d2 + (size_t)k * nxy, NULL,
				   err);
	}
	free(seed), free(stack);
	return st;
}

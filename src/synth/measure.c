/* synth/measure.c — the lesion table measured from an instance mask: voxel
 * count, volume, centroid (mean voxel centre, LPS mm), slice span and the
 * maximal axial diameter (DESIGN §3: the longest in-plane extent on the
 * best slice, measured between the outer edges of the two farthest pixels
 * of the lesion's outline). */
#include "dlld/synth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct outline_pixel {
	uint16_t label;
	int32_t i, j;
};

static int by_label(const void *pa, const void *pb)
{
	const struct outline_pixel *a = pa, *b = pb;

	return (a->label > b->label) - (a->label < b->label);
}

static bool is_outline(const uint16_t *slice, int32_t nx, int32_t ny, int32_t i, int32_t j)
{
	uint16_t v = slice[(size_t)j * (size_t)nx + (size_t)i];

	return i == 0 || j == 0 || i == nx - 1 || j == ny - 1 ||
	       slice[(size_t)j * (size_t)nx + (size_t)i - 1] != v ||
	       slice[(size_t)j * (size_t)nx + (size_t)i + 1] != v ||
	       slice[(size_t)(j - 1) * (size_t)nx + (size_t)i] != v ||
	       slice[(size_t)(j + 1) * (size_t)nx + (size_t)i] != v;
}

/* Updates records with the in-plane diameters of one slice's outline
 * pixels px[n] (sorted by label). */
static void slice_diameters(const struct outline_pixel *px, size_t n, const double sp[3],
			    struct dlld_synth_lesion_record *records)
{
	double edge = 0.5 * (sp[0] + sp[1]);

	for (size_t start = 0, end; start < n; start = end) {
		double best2 = 0.0;
		for (end = start; end < n && px[end].label == px[start].label; end++)
			;
		for (size_t a = start; a < end; a++)
			for (size_t b = a + 1; b < end; b++) {
				double dx = (px[a].i - px[b].i) * sp[0], dy = (px[a].j - px[b].j) * sp[1];
				best2 = fmax(best2, dx * dx + dy * dy);
			}
		struct dlld_synth_lesion_record *r = &records[px[start].label - 1];
		r->diameter_mm = fmax(r->diameter_mm, sqrt(best2) + edge);
	}
}

static enum dlld_status measure_slices(const struct dlld_labelmap *mask, size_t n_labels,
				       struct dlld_synth_lesion_record *records, double (*sum)[3],
				       struct dlld_error *err)
{
	const struct dlld_geometry *g = &mask->geom;
	int32_t nx = g->dims[0], ny = g->dims[1];
	size_t plane = (size_t)nx * (size_t)ny;
	struct outline_pixel *px = dlld_calloc(plane, sizeof *px, "lesion outline", err);

	if (!px)
		return DLLD_STATUS_NO_MEMORY;
	for (int32_t k = 0; k < g->dims[2]; k++) {
		const uint16_t *slice = mask->label + (size_t)k * plane;
		size_t n = 0;
		for (int32_t j = 0; j < ny; j++)
			for (int32_t i = 0; i < nx; i++) {
				uint16_t v = slice[(size_t)j * (size_t)nx + (size_t)i];
				struct dlld_synth_lesion_record *r;
				if (v == 0 || v > n_labels)
					continue;
				r = &records[v - 1];
				if (r->voxels == 0)
					r->first_slice = k;
				r->last_slice = k;
				r->voxels++;
				sum[v - 1][0] += i;
				sum[v - 1][1] += j;
				sum[v - 1][2] += k;
				if (is_outline(slice, nx, ny, i, j))
					px[n++] = (struct outline_pixel){v, i, j};
			}
		qsort(px, n, sizeof *px, by_label);
		slice_diameters(px, n, g->spacing_mm, records);
	}
	free(px);
	return DLLD_STATUS_OK;
}

enum dlld_status dlld_synth_measure(const struct dlld_labelmap *mask, size_t n_labels,
				    struct dlld_synth_lesion_record *records,
				    struct dlld_error *err)
{
	const struct dlld_geometry *g = &mask->geom;
	double (*sum)[3];
	double voxel_ml = g->spacing_mm[0] * g->spacing_mm[1] * g->spacing_mm[2] / 1000.0;
	enum dlld_status st;

	if (n_labels == 0)
		return DLLD_STATUS_OK;
	sum = dlld_calloc(n_labels, sizeof *sum, "lesion sums", err);
	if (!sum)
		return DLLD_STATUS_NO_MEMORY;
	for (size_t l = 0; l < n_labels; l++) {
		records[l].label = (uint16_t)(l + 1);
		records[l].voxels = 0;
		records[l].diameter_mm = 0.0;
		records[l].first_slice = records[l].last_slice = -1;
	}
	st = measure_slices(mask, n_labels, records, sum, err);
	for (size_t l = 0; l < n_labels && !st; l++) {
		struct dlld_synth_lesion_record *r = &records[l];
		double n = (double)r->voxels;
		if (r->voxels == 0) {
			st = dlld_error_set(err, DLLD_STATUS_INCONSISTENT, NULL,
					    "lesion L%zu has no voxels in the mask", l + 1);
			break;
		}
		dlld_geometry_to_lps(g, sum[l][0] / n, sum[l][1] / n, sum[l][2] / n, r->centroid_lps);
		r->volume_ml = n * voxel_ml;
	}
	free(sum);
	return st;
}

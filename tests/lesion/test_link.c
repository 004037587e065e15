/* tests/lesion/test_link.c — 3D linking of slice boxes and the
 * false-positive filter: hand-made cases, and 3D-IRCADb patient 1's expert
 * lesion masks (derived/slice_boxes.csv, one box per 2D component) rebuilt
 * into its 8 lesions (derived/lesions_3d.csv). */
#include "dlld/lesion.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void grid(struct dlld_geometry *g, int32_t nx, int32_t ny, int32_t nz, double px, double dz)
{
	const int32_t dims[3] = {nx, ny, nz};
	const double sp[3] = {px, px, dz}, origin[3] = {-100.0, -50.0, 200.0};
	dlld_geometry_init(g, dims, sp, origin);
}

static struct dlld_voxel_box box(int32_t k, double i0, double j0, double i1, double j1, float pm,
				 float pc)
{
	struct dlld_voxel_box b = {.k = k, .i0 = i0, .j0 = j0, .i1 = i1, .j1 = j1, .objectness = 1.0f};
	b.prob[DLLD_LESION_CLASS_METASTASIS] = pm;
	b.prob[DLLD_LESION_CLASS_CYST] = pc;
	b.confidence = pm > pc ? pm : pc;
	return b;
}

static void test_gap_of_one_joins(void)
{
	struct dlld_geometry g;
	struct dlld_lesion_set set;
	grid(&g, 64, 64, 20, 1.0, 2.0);
	struct dlld_voxel_box b[] = {box(5, 10, 10, 20, 20, 0.9f, 0.1f),
				     box(7, 11, 11, 21, 21, 0.7f, 0.1f), /* slice 6 missed */
				     box(8, 10, 10, 22, 20, 0.8f, 0.1f)};
	CHECK_INT_EQ(dlld_lesion_link(&g, b, 3, NULL, &set, NULL), 0);
	CHECK_INT_EQ(set.n_lesions, 1);
	if (set.n_lesions == 1) {
		const struct dlld_lesion *L = &set.lesions[0];
		CHECK_INT_EQ(L->first_slice, 5);
		CHECK_INT_EQ(L->last_slice, 8);
		CHECK_INT_EQ(L->n_slices, 3);
		CHECK_INT_EQ(L->n_boxes, 3);
		CHECK_INT_EQ(L->cls, DLLD_LESION_CLASS_METASTASIS);
		CHECK_NEAR(L->p[0], 0.8, 1e-6);
		CHECK_NEAR(L->score, 80.0, 1e-4);
		CHECK_NEAR(L->diameter_mm, 12.0, 1e-9); /* slice 8: 12 × 10 */
		CHECK_INT_EQ(L->best_slice, 8);
		/* area-weighted centre: (100·15 + 100·16 + 120·16) / 320 */
		CHECK_NEAR(L->centroid_ijk[0], (100 * 15.0 + 100 * 16.0 + 120 * 16.0) / 320, 1e-9);
		CHECK_NEAR(L->centroid_lps[0], -100.0 + L->centroid_ijk[0], 1e-9);
		CHECK_NEAR(L->centroid_lps[2], 200.0 + 2.0 * L->centroid_ijk[2], 1e-9);
	}
	dlld_lesion_set_free(&set);
}

static void test_gap_of_two_splits(void)
{
	struct dlld_geometry g;
	struct dlld_lesion_set set;
	grid(&g, 64, 64, 20, 1.0, 2.0);
	struct dlld_voxel_box b[] = {box(5, 10, 10, 20, 20, 0.9f, 0.1f),
				     box(8, 10, 10, 20, 20, 0.2f, 0.6f)}; /* slices 6, 7 missed */
	CHECK_INT_EQ(dlld_lesion_link(&g, b, 2, NULL, &set, NULL), 0);
	CHECK_INT_EQ(set.n_lesions, 2);
	if (set.n_lesions == 2) {
		CHECK_INT_EQ(set.lesions[0].first_slice, 5); /* score 90 before 60 */
		CHECK_INT_EQ(set.lesions[1].cls, DLLD_LESION_CLASS_CYST);
		CHECK_NEAR(set.lesions[1].score, 60.0, 1e-4);
	}
	dlld_lesion_set_free(&set);
}

static void test_side_by_side_stay_apart(void)
{
	struct dlld_geometry g;
	struct dlld_lesion_set set;
	grid(&g, 64, 64, 20, 0.8, 2.0);
	struct dlld_voxel_box b[6];
	for (int k = 0; k < 3; k++) {
		b[2 * k] = box(4 + k, 10, 10, 20, 20, 0.9f, 0.0f);
		b[2 * k + 1] = box(4 + k, 21, 10, 31, 20, 0.8f, 0.0f); /* 1 voxel apart */
	}
	CHECK_INT_EQ(dlld_lesion_link(&g, b, 6, NULL, &set, NULL), 0);
	CHECK_INT_EQ(set.n_lesions, 2);
	for (size_t l = 0; l < set.n_lesions; l++)
		CHECK_INT_EQ(set.lesions[l].n_slices, 3);
	dlld_lesion_set_free(&set);
}

static void test_bad_boxes_rejected(void)
{
	struct dlld_geometry g;
	struct dlld_lesion_set set;
	struct dlld_error err;
	grid(&g, 64, 64, 20, 1.0, 2.0);
	struct dlld_voxel_box b = box(20, 10, 10, 20, 20, 0.9f, 0.1f); /* slice off the grid */
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_lesion_link(&g, &b, 1, NULL, &set, &err), DLLD_STATUS_INCONSISTENT);
	b = box(3, 20, 10, 10, 20, 0.9f, 0.1f); /* inverted */
	CHECK_INT_EQ(dlld_lesion_link(&g, &b, 1, NULL, &set, NULL), DLLD_STATUS_INCONSISTENT);
	b = box(3, 10, 10, 20, 20, 1.5f, 0.1f);
	CHECK_INT_EQ(dlld_lesion_link(&g, &b, 1, NULL, &set, NULL), DLLD_STATUS_INCONSISTENT);
	CHECK_INT_EQ(dlld_lesion_link(&g, NULL, 0, NULL, &set, NULL), 0);
	CHECK_INT_EQ(set.n_lesions, 0);
}

/* Size, span and score steps with hand numbers; outside-liver against a
 * hand-made liver; diaphragm and vessel against a hand-made CT. */
static void test_filter_steps(void)
{
	struct dlld_geometry g;
	struct dlld_lesion_set set;
	size_t removed[DLLD_FP_STEP_COUNT];
	grid(&g, 64, 64, 30, 1.0, 1.0);
	struct dlld_volume *ct = dlld_volume_create(&g, NULL);
	struct dlld_labelmap *liver = dlld_labelmap_create(&g, NULL);
	if (!ct || !liver)
		return;
	for (int32_t k = 0; k < 30; k++)
		for (int32_t j = 0; j < 64; j++)
			for (int32_t i = 0; i < 64; i++) {
				size_t v = dlld_voxel_index(&g, i, j, k);
				bool in = i < 40 && k < 20;
				liver->label[v] = in;
				ct->hu[v] = in ? 100.0f : (k >= 20 ? -800.0f : 40.0f); /* lung above */
			}
	for (int32_t k = 2; k < 18; k++) /* a bright vessel along z at (30, 30) */
		for (int32_t j = 28; j <= 32; j++)
			for (int32_t i = 28; i <= 32; i++)
				ct->hu[dlld_voxel_index(&g, i, j, k)] = 200.0f;
	struct dlld_voxel_box b[64];
	size_t n = 0;
	for (int32_t k = 5; k < 10; k++) /* A: a good lesion in the liver */
		b[n++] = box(k, 5.5, 5.5, 17.5, 17.5, 0.9f, 0.0f);
	for (int32_t k = 5; k < 10; k++) /* B: outside the liver (i >= 45) */
		b[n++] = box(k, 47.5, 5.5, 59.5, 17.5, 0.9f, 0.0f);
	b[n++] = box(5, 5.5, 40.5, 7.5, 42.5, 0.9f, 0.0f); /* C: 2 mm: too small */
	b[n++] = box(12, 5.5, 50.5, 10.5, 55.5, 0.9f, 0.0f); /* D: 5 mm on one 1-mm slice */
	for (int32_t k = 12; k < 16; k++) /* E: score 20 */
		b[n++] = box(k, 20.5, 5.5, 27.5, 12.5, 0.2f, 0.0f);
	for (int32_t k = 17; k < 20; k++) /* F: 8 mm, right under the lung */
		b[n++] = box(k, 5.5, 25.5, 13.5, 33.5, 0.9f, 0.0f);
	for (int32_t k = 2; k < 12; k++) /* G: the vessel, 3 mm wide, 10 mm long */
		b[n++] = box(k, 28.5, 28.5, 31.5, 31.5, 0.9f, 0.0f);
	struct dlld_fp_options o;
	dlld_fp_options_default(&o);
	o.min_score = 50.0;
	CHECK_INT_EQ(dlld_lesion_link(&g, b, n, NULL, &set, NULL), 0);
	CHECK_INT_EQ(set.n_lesions, 7);
	CHECK_INT_EQ(dlld_fp_filter(&o, ct, liver, &set, removed, NULL), 0);
	CHECK_INT_EQ(removed[DLLD_FP_STEP_OUTSIDE_LIVER], 1);
	CHECK_INT_EQ(removed[DLLD_FP_STEP_SIZE], 1);
	CHECK_INT_EQ(removed[DLLD_FP_STEP_SPAN], 1);
	CHECK_INT_EQ(removed[DLLD_FP_STEP_SCORE], 1);
	CHECK_INT_EQ(removed[DLLD_FP_STEP_DIAPHRAGM], 1);
	CHECK_INT_EQ(removed[DLLD_FP_STEP_VESSEL], 1);
	dlld_lesion_set_compact(&set);
	CHECK_INT_EQ(set.n_lesions, 1);
	if (set.n_lesions == 1) {
		CHECK_INT_EQ(set.lesions[0].first_slice, 5);
		CHECK_NEAR(set.lesions[0].centroid_ijk[0], 11.5, 1e-9);
		CHECK_INT_EQ(set.n_boxes, 5);
	}
	dlld_lesion_set_free(&set);
	/* Every step switched off: nothing is dropped. */
	for (int s = 0; s < DLLD_FP_STEP_COUNT; s++)
		o.enable[s] = false;
	CHECK_INT_EQ(dlld_lesion_link(&g, b, n, NULL, &set, NULL), 0);
	CHECK_INT_EQ(dlld_fp_filter(&o, ct, liver, &set, removed, NULL), 0);
	for (size_t l = 0; l < set.n_lesions; l++)
		CHECK_INT_EQ(set.lesions[l].dropped_by, -1);
	dlld_lesion_set_free(&set);
	/* Lesions beyond the liver mask's slices: inconsistent, not a crash. */
	struct dlld_geometry tall;
	grid(&tall, 64, 64, 40, 1.0, 1.0);
	struct dlld_voxel_box high = box(35, 5.5, 5.5, 17.5, 17.5, 0.9f, 0.0f);
	CHECK_INT_EQ(dlld_lesion_link(&tall, &high, 1, NULL, &set, NULL), 0);
	CHECK_INT_EQ(dlld_fp_filter(NULL, NULL, liver, &set, removed, NULL), DLLD_STATUS_INCONSISTENT);
	dlld_lesion_set_free(&set);
	dlld_volume_destroy(ct);
	dlld_labelmap_destroy(liver);
}

static enum dlld_status read_csv(const char *rel, struct dlld_csv **csv)
{
	char path[1200];
	const char *data = dlld_test_data_dir();
	if (!data)
		return DLLD_STATUS_NOT_FOUND;
	snprintf(path, sizeof path, "%s/%s", data, rel);
	return dlld_csv_read(path, csv, NULL);
}

static long cell_long(const struct dlld_csv *csv, size_t row, const char *name)
{
	long v = -1;
	dlld_csv_long(csv, row, dlld_csv_column(csv, name), &v, NULL);
	return v;
}

static double cell_double(const struct dlld_csv *csv, size_t row, const char *name)
{
	double v = NAN;
	dlld_csv_double(csv, row, dlld_csv_column(csv, name), &v, NULL);
	return v;
}

/* 3D-IRCADb patient 1: 512 × 512 × 129, 0.57 mm pixels, 1.6 mm slices. */
static void test_ircadb_patient1_rebuilt(void)
{
	struct dlld_csv *boxes = NULL, *truth = NULL;
	struct dlld_geometry g;
	struct dlld_lesion_set set = {0};
	if (read_csv("3dircadb1/3Dircadb1.1/derived/slice_boxes.csv", &boxes) ||
	    read_csv("3dircadb1/3Dircadb1.1/derived/lesions_3d.csv", &truth)) {
		dlld_csv_destroy(boxes);
		SKIP("3D-IRCADb derived CSVs absent");
	}
	grid(&g, 512, 512, 129, 0.57, 1.6);
	size_t n = dlld_csv_rows(boxes);
	struct dlld_voxel_box *b = calloc(n, sizeof(*b));
	int kind = dlld_csv_column(boxes, "kind");
	for (size_t r = 0; b && r < n; r++) {
		bool cyst = strcmp(dlld_csv_cell(boxes, r, kind), "cyst") == 0;
		b[r] = box((int32_t)cell_long(boxes, r, "slice"), cell_double(boxes, r, "x_min") - 0.5,
			   cell_double(boxes, r, "y_min") - 0.5, cell_double(boxes, r, "x_max") + 0.5,
			   cell_double(boxes, r, "y_max") + 0.5, cyst ? 0.0f : 1.0f, cyst ? 1.0f : 0.0f);
	}
	CHECK_INT_EQ(dlld_lesion_link(&g, b, n, NULL, &set, NULL), 0);
	CHECK_INT_EQ(set.n_lesions, dlld_csv_rows(truth));
	CHECK_INT_EQ(set.n_lesions, 8);
	for (size_t t = 0; t < dlld_csv_rows(truth); t++) {
		const struct dlld_lesion *L = NULL;
		for (size_t l = 0; l < set.n_lesions; l++)
			if (set.lesions[l].first_slice == cell_long(truth, t, "slice_first") &&
			    fabs(set.lesions[l].centroid_ijk[0] - cell_double(truth, t, "centroid_x")) < 10)
				L = &set.lesions[l];
		CHECK_MSG(L != NULL, "lesion %zu not rebuilt", t + 1);
		if (!L)
			continue;
		bool cyst = strcmp(dlld_csv_cell(truth, t, dlld_csv_column(truth, "kind")), "cyst") == 0;
		double feret = cell_double(truth, t, "max_axial_diameter_mm");
		CHECK_INT_EQ(L->last_slice, cell_long(truth, t, "slice_last"));
		CHECK_INT_EQ(L->n_slices, cell_long(truth, t, "n_slices"));
		CHECK_INT_EQ(L->cls, cyst ? DLLD_LESION_CLASS_CYST : DLLD_LESION_CLASS_METASTASIS);
		CHECK_NEAR(L->score, 100.0, 1e-9);
		/* Box centres weighted by box area vs the voxel centroid: within
		 * 10 % of the diameter in-plane and one slice in z. */
		double tol = 0.1 * feret / 0.57;
		CHECK_NEAR(L->centroid_ijk[0], cell_double(truth, t, "centroid_x"), tol);
		CHECK_NEAR(L->centroid_ijk[1], cell_double(truth, t, "centroid_y"), tol);
		CHECK_NEAR(L->centroid_ijk[2], cell_double(truth, t, "centroid_slice"), 1.0);
		/* A box's longer side never exceeds the lesion's Feret diameter by
		 * more than a pixel, and the Feret diameter never exceeds the box
		 * diagonal: the box estimate lies in [Feret / √2, Feret + 1 px]. */
		CHECK_MSG(L->diameter_mm <= feret + 0.57 + 0.05 && L->diameter_mm * sqrt(2.0) >= feret,
			  "lesion %zu: box diameter %.1f mm vs Feret %.1f mm", t + 1, L->diameter_mm, feret);
		printf("  lesion %zu: slices %d-%d, box diameter %.1f mm (Feret %.1f), centroid (%.1f, %.1f, %.1f)\n",
		       t + 1, L->first_slice, L->last_slice, L->diameter_mm, feret, L->centroid_ijk[0],
		       L->centroid_ijk[1], L->centroid_ijk[2]);
	}
	dlld_lesion_set_free(&set);
	free(b);
	dlld_csv_destroy(boxes);
	dlld_csv_destroy(truth);
}

int main(void)
{
	dlld_test_run("a gap of one slice joins", test_gap_of_one_joins);
	dlld_test_run("a gap of two slices splits", test_gap_of_two_splits);
	dlld_test_run("lesions side by side stay apart", test_side_by_side_stay_apart);
	dlld_test_run("boxes off the grid or with bad values are rejected", test_bad_boxes_rejected);
	dlld_test_run("each false-positive step removes its case", test_filter_steps);
	dlld_test_run("3D-IRCADb patient 1: masks as boxes rebuild its 8 lesions",
		      test_ircadb_patient1_rebuilt);
	return dlld_test_finish();
}

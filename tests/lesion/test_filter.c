/* tests/lesion/test_filter.c — the heterogeneous-parenchyma step of the
 * false-positive filter on a hand-made mottled liver (a metastasis, a cyst
 * and a filled hemangioma kept; a candidate on a dark spot of the mottling
 * removed), the filter's settings by name, and 3D-IRCADb patient 1's expert
 * lesions (the step removes its isodense tumour: why it is off by default). */
#include "dlld/lesion.h"
#include "harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { NX = 128, NY = 128, NZ = 12, LIVER_I = 110 };

/* Deterministic noise in [-1, 1] from a voxel's coordinates (a hash). */
static double noise(int32_t i, int32_t j, int32_t k)
{
	uint32_t h = (uint32_t)i * 73856093u ^ (uint32_t)j * 19349663u ^ (uint32_t)k * 83492791u;
	h ^= h >> 13, h *= 0x5bd1e995u, h ^= h >> 15;
	return (double)(h % 2001u) / 1000.0 - 1.0;
}

/* Liver parenchyma at 100 HU mottled by ±6 HU (period 16 mm in i and j)
 * plus ±6 HU pixel noise; fat (-100 HU) from i = LIVER_I on. */
static double parenchyma(int32_t i, int32_t j, int32_t k)
{
	const double pi = 3.14159265358979323846;
	return 100.0 + 6.0 * sin(2 * pi * i / 16.0) * sin(2 * pi * j / 16.0) + 6.0 * noise(i, j, k);
}

/* A block lesion: pixels i0..i1, j0..j1 on slices k0..k1 at hu. */
struct block {
	int32_t i0, j0, i1, j1, k0, k1;
	double hu;
};

static void paint(struct dlld_volume *ct, const struct block *b)
{
	for (int32_t k = b->k0; k <= b->k1; k++)
		for (int32_t j = b->j0; j <= b->j1; j++)
			for (int32_t i = b->i0; i <= b->i1; i++)
				ct->hu[dlld_voxel_index(&ct->geom, i, j, k)] =
					(float)(b->hu + 6.0 * noise(i, j, k));
}

/* One box per slice exactly around the block's pixels. */
static size_t boxes_of(const struct block *b, struct dlld_voxel_box *out)
{
	size_t n = 0;
	for (int32_t k = b->k0; k <= b->k1; k++, n++) {
		out[n] = (struct dlld_voxel_box){.k = k, .i0 = b->i0 - 0.5, .j0 = b->j0 - 0.5,
						 .i1 = b->i1 + 0.5, .j1 = b->j1 + 0.5, .objectness = 1.0f,
						 .confidence = 0.8f};
		out[n].prob[DLLD_LESION_CLASS_METASTASIS] = 0.8f;
	}
	return n;
}

/* The lesion whose first box lies on slice k0 with i0 as given, or NULL. */
static const struct dlld_lesion *find(const struct dlld_lesion_set *set, const struct block *b)
{
	for (size_t l = 0; l < set->n_lesions; l++) {
		const struct dlld_voxel_box *x = &set->boxes[set->lesions[l].first_box];
		if (x->k == b->k0 && fabs(x->i0 - (b->i0 - 0.5)) < 1e-9 &&
		    fabs(x->j0 - (b->j0 - 0.5)) < 1e-9)
			return &set->lesions[l];
	}
	return NULL;
}

static void test_parenchyma_step(void)
{
	struct dlld_geometry g;
	const int32_t dims[3] = {NX, NY, NZ};
	const double sp[3] = {1.0, 1.0, 2.0}, origin[3] = {0, 0, 0};
	dlld_geometry_init(&g, dims, sp, origin);
	struct dlld_volume *ct = dlld_volume_create(&g, NULL);
	struct dlld_labelmap *liver = dlld_labelmap_create(&g, NULL);
	if (!ct || !liver) {
		dlld_volume_destroy(ct);
		dlld_labelmap_destroy(liver);
		SKIP("no memory");
	}
	for (int32_t k = 0; k < NZ; k++)
		for (int32_t j = 0; j < NY; j++)
			for (int32_t i = 0; i < NX; i++) {
				size_t v = dlld_voxel_index(&g, i, j, k);
				liver->label[v] = i < LIVER_I;
				ct->hu[v] = (float)(i < LIVER_I ? parenchyma(i, j, k) : -100.0);
			}
	/* In portal phase (docs/synth.md): a metastasis 35 HU under the liver,
	 * a water cyst, a completely filled hemangioma at blood-pool HU; a
	 * faint metastasis 14 HU under the liver (above the HU cap); and an
	 * 8-mm candidate on a dark spot of the mottling (its centre (60.5,
	 * 68.5) is near a minimum of the ±6 HU pattern), painted nothing. */
	const struct block met = {20, 20, 31, 31, 3, 7, 65.0}, cyst = {60, 20, 69, 29, 3, 6, 10.0},
			   hem = {20, 70, 29, 79, 3, 6, 160.0}, faint = {85, 20, 96, 31, 3, 7, 86.0},
			   spot = {57, 65, 64, 72, 4, 5, 0.0};
	paint(ct, &met), paint(ct, &cyst), paint(ct, &hem), paint(ct, &faint);
	struct dlld_voxel_box b[32];
	size_t n = 0;
	n += boxes_of(&met, b + n), n += boxes_of(&cyst, b + n), n += boxes_of(&hem, b + n);
	n += boxes_of(&faint, b + n), n += boxes_of(&spot, b + n);
	struct dlld_fp_options o;
	struct dlld_lesion_set set;
	size_t removed[DLLD_FP_STEP_COUNT];
	dlld_fp_options_default(&o);
	CHECK(!o.enable[DLLD_FP_STEP_PARENCHYMA]); /* off by default */
	o.enable[DLLD_FP_STEP_PARENCHYMA] = true;
	CHECK_INT_EQ(dlld_lesion_link(&g, b, n, NULL, &set, NULL), 0);
	CHECK_INT_EQ(set.n_lesions, 5);
	CHECK_INT_EQ(dlld_fp_filter(&o, ct, liver, &set, removed, NULL), 0);
	for (int s = 0; s < DLLD_FP_STEP_COUNT; s++)
		CHECK_INT_EQ(removed[s], s == DLLD_FP_STEP_PARENCHYMA ? 1 : 0);
	const struct dlld_lesion *L = find(&set, &spot);
	CHECK(L && L->dropped_by == DLLD_FP_STEP_PARENCHYMA);
	const struct block *kept[] = {&met, &cyst, &hem, &faint};
	for (size_t i = 0; i < 4; i++) {
		L = find(&set, kept[i]);
		CHECK_MSG(L && L->dropped_by == -1, "lesion at HU %.0f was dropped", kept[i]->hu);
	}
	dlld_lesion_set_free(&set);
	/* Switched off, the step keeps the spot. */
	o.enable[DLLD_FP_STEP_PARENCHYMA] = false;
	CHECK_INT_EQ(dlld_lesion_link(&g, b, n, NULL, &set, NULL), 0);
	CHECK_INT_EQ(dlld_fp_filter(&o, ct, liver, &set, removed, NULL), 0);
	CHECK_INT_EQ(removed[DLLD_FP_STEP_PARENCHYMA], 0);
	dlld_lesion_set_free(&set);
	/* A cap of 0 HU protects every lesion; a cap above the faint
	 * metastasis's contrast still keeps it: its contrast is far above the
	 * mottling's spread. */
	o.enable[DLLD_FP_STEP_PARENCHYMA] = true;
	o.parenchyma_max_contrast_hu = 0.0;
	CHECK_INT_EQ(dlld_lesion_link(&g, b, n, NULL, &set, NULL), 0);
	CHECK_INT_EQ(dlld_fp_filter(&o, ct, liver, &set, removed, NULL), 0);
	CHECK_INT_EQ(removed[DLLD_FP_STEP_PARENCHYMA], 0);
	dlld_lesion_set_free(&set);
	o.parenchyma_max_contrast_hu = 30.0;
	CHECK_INT_EQ(dlld_lesion_link(&g, b, n, NULL, &set, NULL), 0);
	CHECK_INT_EQ(dlld_fp_filter(&o, ct, liver, &set, removed, NULL), 0);
	CHECK_INT_EQ(removed[DLLD_FP_STEP_PARENCHYMA], 1);
	dlld_lesion_set_free(&set);
	/* Without a liver mask the step cannot judge and keeps everything. */
	dlld_fp_options_default(&o);
	o.enable[DLLD_FP_STEP_PARENCHYMA] = true;
	CHECK_INT_EQ(dlld_lesion_link(&g, b, n, NULL, &set, NULL), 0);
	CHECK_INT_EQ(dlld_fp_filter(&o, ct, NULL, &set, removed, NULL), 0);
	CHECK_INT_EQ(removed[DLLD_FP_STEP_PARENCHYMA], 0);
	dlld_lesion_set_free(&set);
	dlld_volume_destroy(ct);
	dlld_labelmap_destroy(liver);
}

static void test_settings_by_name(void)
{
	struct dlld_fp_options o;
	struct dlld_error err;
	dlld_fp_options_default(&o);
	CHECK_INT_EQ(dlld_fp_step_from_name("outside_liver"), DLLD_FP_STEP_OUTSIDE_LIVER);
	CHECK_INT_EQ(dlld_fp_step_from_name("outside-liver"), DLLD_FP_STEP_OUTSIDE_LIVER);
	CHECK_INT_EQ(dlld_fp_step_from_name("parenchyma"), DLLD_FP_STEP_PARENCHYMA);
	CHECK_INT_EQ(dlld_fp_step_from_name("vesse"), -1);
	CHECK_INT_EQ(dlld_fp_step_from_name("vessels"), -1);
	CHECK_INT_EQ(dlld_fp_step_from_name(""), -1);
	for (int s = 0; s < DLLD_FP_STEP_COUNT; s++)
		CHECK_INT_EQ(dlld_fp_step_from_name(dlld_fp_step_name((enum dlld_fp_step)s)), s);
	/* Every setting: a unique name, its default within its range, and
	 * settable by name to its bounds. */
	for (size_t i = 0; i < dlld_fp_param_count(); i++) {
		const struct dlld_fp_param *p = dlld_fp_param_at(i);
		double v = dlld_fp_param_get(&o, i);
		CHECK_MSG(v >= p->lo && v <= p->hi, "%s default %g", p->name, v);
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(p->name, dlld_fp_param_at(j)->name) != 0);
	}
	CHECK(dlld_fp_param_at(dlld_fp_param_count()) == NULL);
	CHECK_INT_EQ(dlld_fp_options_set(&o, "liver_margin_mm", 8.0, NULL), 0);
	CHECK_NEAR(o.liver_margin_mm, 8.0, 0);
	CHECK_INT_EQ(dlld_fp_options_set(&o, "parenchyma_contrast_sd", 3.0, NULL), 0);
	CHECK_NEAR(o.parenchyma_contrast_sd, 3.0, 0);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_fp_options_set(&o, "min_inside_fraction", 1.5, &err), DLLD_STATUS_USAGE);
	CHECK(strstr(err.reason, "min_inside_fraction") != NULL);
	CHECK_NEAR(o.min_inside_fraction, 0.5, 0);
	CHECK_INT_EQ(dlld_fp_options_set(&o, "min_score", NAN, NULL), DLLD_STATUS_USAGE);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_fp_options_set(&o, "margin", 1.0, &err), DLLD_STATUS_USAGE);
	CHECK(strstr(err.reason, "margin") != NULL);
	CHECK_INT_EQ(dlld_fp_options_check(&o, NULL), 0);
	o.min_diameter_mm = 50, o.max_diameter_mm = 20;
	CHECK_INT_EQ(dlld_fp_options_check(&o, NULL), DLLD_STATUS_USAGE);
}

static const char *unzip_to_tmp(const char *zip, const char *name)
{
	static char dir[600];
	char cmd[2400];
	snprintf(dir, sizeof dir, "%s/%s", dlld_test_tmpdir(), name);
	if (dlld_path_exists(dir))
		return dir;
	snprintf(cmd, sizeof cmd, "unzip -q -o '%s' -d '%s' >/dev/null 2>&1", zip, dir);
	return system(cmd) == 0 ? dir : NULL;
}

/* 3D-IRCADb patient 1 (real portal-venous CT, 1.6 mm slices): its 8 expert
 * lesions, given as detections (one box per 2D component per slice), with
 * the expert liver mask. The parenchyma step removes one real tumour —
 * lesion 5 (slices 90-104, 18 mm), whose core is isodense to the liver
 * (contrast -1 HU): the reason the step is off by default. */
static void test_ircadb_patient1_kept(void)
{
	const char *data = dlld_test_data_dir();
	char path[1300], ct_dir[1700], mask_dir[1700];
	struct dlld_csv *csv = NULL;
	if (!data)
		SKIP("DLLD_DATA absent");
	snprintf(path, sizeof path, "%s/3dircadb1/3Dircadb1.1/derived/slice_boxes.csv", data);
	if (dlld_csv_read(path, &csv, NULL))
		SKIP("3D-IRCADb patient 1 absent");
	const char *dirs[2] = {NULL, NULL}, *zips[2] = {"PATIENT_DICOM", "MASKS_DICOM"};
	for (int z = 0; z < 2; z++) {
		snprintf(path, sizeof path, "%s/3dircadb1/3Dircadb1.1/%s.zip", data, zips[z]);
		dirs[z] = unzip_to_tmp(path, zips[z]);
		if (!dirs[z]) {
			dlld_csv_destroy(csv);
			SKIP("cannot unzip %s (is unzip installed?)", path);
		}
		snprintf(z ? mask_dir : ct_dir, sizeof ct_dir, "%s/%s%s", dirs[z], zips[z],
			 z ? "/liver" : "");
	}
	struct dlld_volume *ct = NULL, *mask = NULL;
	struct dlld_labelmap *liver = NULL;
	CHECK_INT_EQ(dlld_ct_load(ct_dir, NULL, &ct, NULL), 0);
	CHECK_INT_EQ(dlld_ct_load(mask_dir, NULL, &mask, NULL), 0);
	if (ct && mask)
		liver = dlld_labelmap_create(&ct->geom, NULL);
	size_t nv = 0, n = dlld_csv_rows(csv);
	struct dlld_voxel_box *b = calloc(n + 1, sizeof *b);
	if (liver && b) {
		dlld_geometry_voxels(&ct->geom, &nv);
		for (size_t v = 0; v < nv; v++)
			liver->label[v] = mask->hu[v] > 0;
		for (size_t r = 0; r < n; r++) {
			double c[5];
			const char *cols[5] = {"slice", "x_min", "y_min", "x_max", "y_max"};
			for (int i = 0; i < 5; i++)
				dlld_csv_double(csv, r, dlld_csv_column(csv, cols[i]), &c[i], NULL);
			b[r] = (struct dlld_voxel_box){.k = (int32_t)c[0], .i0 = c[1] - 0.5,
						       .j0 = c[2] - 0.5, .i1 = c[3] + 0.5,
						       .j1 = c[4] + 0.5, .objectness = 1.0f,
						       .confidence = 1.0f};
			b[r].prob[DLLD_LESION_CLASS_METASTASIS] = 1.0f;
		}
		struct dlld_lesion_set set;
		struct dlld_fp_options o;
		size_t removed[DLLD_FP_STEP_COUNT];
		dlld_fp_options_default(&o);
		for (int s = 0; s < DLLD_FP_STEP_COUNT; s++)
			o.enable[s] = s == DLLD_FP_STEP_PARENCHYMA;
		CHECK_INT_EQ(dlld_lesion_link(&ct->geom, b, n, NULL, &set, NULL), 0);
		CHECK_INT_EQ(set.n_lesions, 8);
		CHECK_INT_EQ(dlld_fp_filter(&o, ct, liver, &set, removed, NULL), 0);
		CHECK_INT_EQ(removed[DLLD_FP_STEP_PARENCHYMA], 1);
		for (size_t l = 0; l < set.n_lesions; l++)
			if (set.lesions[l].dropped_by >= 0) {
				CHECK_INT_EQ(set.lesions[l].first_slice, 90);
				CHECK_INT_EQ(set.lesions[l].last_slice, 104);
			}
		dlld_lesion_set_free(&set);
	}
	free(b);
	dlld_labelmap_destroy(liver);
	dlld_volume_destroy(mask);
	dlld_volume_destroy(ct);
	dlld_csv_destroy(csv);
}

int main(void)
{
	dlld_test_run("parenchyma step: lesions kept, a mottling spot removed", test_parenchyma_step);
	dlld_test_run("filter steps and settings by name", test_settings_by_name);
	dlld_test_run("3D-IRCADb patient 1: the parenchyma step drops its isodense tumour",
		      test_ircadb_patient1_kept);
	return dlld_test_finish();
}

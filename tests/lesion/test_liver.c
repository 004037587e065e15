/* tests/lesion/test_liver.c — the automatic liver mask against expert masks
 * of real CT ($DLLD_DATA: 3D-IRCADb-01 patients 1 and 7, the
 * TotalSegmentator example), plus tiny synthetic checks of the morphology
 * it rests on. Dice >= 0.93 is the requirement (docs/liver.md). */
#include "dlld/lesion.h"
#include "harness.h"
#include "lesion/liver_steps.h"
#include "lesion/morph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Issue 7 asks for Dice >= 0.93; the pipeline reaches it on all four cases
 * (0.9338, 0.9314, 0.9618 and, with the body wall of step 12, the
 * unenhanced TotalSegmentator NIfTI 0.9316; docs/liver.md), so the floor is
 * the target. */
static const double DICE_TARGET = 0.93;
static const double DICE_FLOOR = 0.93;

static bool data_path(char *out, size_t size, const char *rel)
{
	const char *data = dlld_test_data_dir();
	if (!data)
		return false;
	snprintf(out, size, "%s/%s", data, rel);
	return dlld_path_exists(out);
}

/* Unzips zip into the temp folder under name; returns that folder or NULL. */
static const char *unzip_to_tmp(const char *zip, const char *name)
{
	static char dirs[4][600];
	static int next;
	char *dir = dirs[next++ % 4];
	char cmd[1600];
	snprintf(dir, 600, "%s/%s", dlld_test_tmpdir(), name);
	if (dlld_path_exists(dir))
		return dir;
	snprintf(cmd, sizeof cmd, "unzip -q -o '%s' -d '%s' >/dev/null 2>&1", zip, dir);
	return system(cmd) == 0 ? dir : NULL;
}

/* Returns a new label map on grid g: 1 where the reference (resampled by
 * nearest neighbour through LPS) has label `want` (0: any non-zero). */
static struct dlld_labelmap *reference_on(const struct dlld_geometry *g,
					  const struct dlld_labelmap *ref, uint16_t want)
{
	struct dlld_labelmap *m = dlld_labelmap_create(g, NULL);
	for (int32_t k = 0; m && k < g->dims[2]; k++)
		for (int32_t j = 0; j < g->dims[1]; j++)
			for (int32_t i = 0; i < g->dims[0]; i++) {
				double lps[3], ijk[3];
				int32_t q[3];
				bool in = true;
				dlld_geometry_to_lps(g, i, j, k, lps);
				dlld_geometry_from_lps(&ref->geom, lps, ijk);
				for (int a = 0; a < 3; a++) {
					q[a] = (int32_t)lrint(ijk[a]);
					in = in && q[a] >= 0 && q[a] < ref->geom.dims[a];
				}
				uint16_t l = in ? ref->label[dlld_voxel_index(&ref->geom, q[0], q[1], q[2])] : 0;
				m->label[dlld_voxel_index(g, i, j, k)] = want ? l == want : l != 0;
			}
	return m;
}

/* Returns the new automatic mask (or NULL) after checking its Dice. */
static struct dlld_labelmap *check_dice(const char *name, struct dlld_volume *ct,
					struct dlld_labelmap *ref)
{
	struct dlld_labelmap *auto_mask = NULL;
	struct dlld_liver_report rep;
	struct dlld_error err;
	char buf[1600];
	dlld_error_clear(&err);
	enum dlld_status st = dlld_liver_mask(ct, NULL, &rep, &auto_mask, &err);
	CHECK_MSG(st == DLLD_STATUS_OK, "%s: %s", name, dlld_error_format(&err, buf, sizeof buf));
	if (st)
		return NULL;
	double dice = dlld_label_dice(auto_mask, 1, ref, 1);
	printf("  %s: Dice %.4f (target %.2f: %s), %.0f ml, band %.0f..%.0f HU (mode %.0f), "
	       "lung %s, radius %.0f mm\n",
	       name, dice, DICE_TARGET, dice >= DICE_TARGET ? "met" : "NOT met", rep.volume_ml,
	       rep.hu_lo, rep.hu_hi, rep.hu_mode, rep.lung_found ? "yes" : "no", rep.open_radius_mm);
	CHECK_MSG(dice >= DICE_FLOOR, "%s: Dice %.4f < floor %.2f", name, dice, DICE_FLOOR);
	return auto_mask;
}

/* Patient 7's extra-hepatic mass (MASKS_DICOM/tumor) as a detection: one
 * box per slice around the mask's voxels. The outside-liver step with the
 * automatic liver mask must drop it, and no other step may claim it. */
static void check_mass_dropped(const struct dlld_volume *ct, const struct dlld_volume *tumor,
			       const struct dlld_labelmap *liver)
{
	const struct dlld_geometry *g = &ct->geom;
	struct dlld_voxel_box *b = calloc((size_t)g->dims[2], sizeof(*b));
	size_t n = 0;
	struct dlld_lesion_set set = {0};
	size_t removed[DLLD_FP_STEP_COUNT];
	for (int32_t k = 0; b && k < g->dims[2]; k++) {
		int32_t lo[2] = {g->dims[0], g->dims[1]}, hi[2] = {-1, -1};
		for (int32_t j = 0; j < g->dims[1]; j++)
			for (int32_t i = 0; i < g->dims[0]; i++)
				if (tumor->hu[dlld_voxel_index(g, i, j, k)] > 0) {
					lo[0] = i < lo[0] ? i : lo[0], hi[0] = i > hi[0] ? i : hi[0];
					lo[1] = j < lo[1] ? j : lo[1], hi[1] = j > hi[1] ? j : hi[1];
				}
		if (hi[0] < 0)
			continue;
		b[n] = (struct dlld_voxel_box){.k = k, .i0 = lo[0] - 0.5, .j0 = lo[1] - 0.5,
					       .i1 = hi[0] + 0.5, .j1 = hi[1] + 0.5, .objectness = 1.0f,
					       .confidence = 0.9f};
		b[n++].prob[DLLD_LESION_CLASS_METASTASIS] = 0.9f;
	}
	CHECK_INT_EQ(n, 64); /* slices 37-100 (derived/extrahepatic_3d.csv) */
	CHECK_INT_EQ(dlld_lesion_link(g, b, n, NULL, &set, NULL), 0);
	CHECK_INT_EQ(set.n_lesions, 1);
	CHECK_INT_EQ(dlld_fp_filter(NULL, ct, liver, &set, removed, NULL), 0);
	CHECK_INT_EQ(removed[DLLD_FP_STEP_OUTSIDE_LIVER], set.n_lesions);
	dlld_lesion_set_compact(&set);
	CHECK_INT_EQ(set.n_lesions, 0);
	dlld_lesion_set_free(&set);
	free(b);
}

static struct dlld_volume *load_zip_series(const char *patient, const char *zip_name,
					   const char *series)
{
	char rel[300], path[1300], name[64];
	struct dlld_volume *v = NULL;
	snprintf(rel, sizeof rel, "3dircadb1/%s/%s.zip", patient, zip_name);
	if (!data_path(path, sizeof path, rel))
		return NULL;
	snprintf(name, sizeof name, "%s-%s", patient, zip_name);
	const char *dir = unzip_to_tmp(path, name);
	if (!dir)
		return NULL;
	snprintf(path, sizeof path, "%s/%s/%s", dir, zip_name, series);
	CHECK_INT_EQ(dlld_ct_load(path, NULL, &v, NULL), 0);
	return v;
}

static void check_ircadb(const char *patient, bool mass)
{
	char rel[300], path[1300];
	snprintf(rel, sizeof rel, "3dircadb1/%s/PATIENT_DICOM.zip", patient);
	if (!data_path(path, sizeof path, rel))
		SKIP("%s absent", rel);
	struct dlld_volume *ct = load_zip_series(patient, "PATIENT_DICOM", "");
	struct dlld_volume *mask = load_zip_series(patient, "MASKS_DICOM", "liver");
	if (!ct || !mask) {
		dlld_volume_destroy(ct);
		dlld_volume_destroy(mask);
		SKIP("cannot unzip or read %s (is unzip installed?)", patient);
	}
	struct dlld_labelmap *ref = dlld_labelmap_create(&ct->geom, NULL), *auto_mask = NULL;
	size_t n = 0;
	dlld_geometry_voxels(&ct->geom, &n);
	CHECK(dlld_geometry_same(&ct->geom, &mask->geom, 1e-3));
	for (size_t v = 0; ref && v < n; v++)
		ref->label[v] = mask->hu[v] > 0;
	if (ref)
		auto_mask = check_dice(patient, ct, ref);
	if (auto_mask && mass) {
		struct dlld_volume *tumor = load_zip_series(patient, "MASKS_DICOM", "tumor");
		if (tumor)
			check_mass_dropped(ct, tumor, auto_mask);
		dlld_volume_destroy(tumor);
	}
	dlld_labelmap_destroy(auto_mask);
	dlld_labelmap_destroy(ref);
	dlld_volume_destroy(ct);
	dlld_volume_destroy(mask);
}

static void test_ircadb_patient1(void)
{
	check_ircadb("3Dircadb1.1", false);
}

/* Also: the extra-hepatic mass is dropped by the outside-liver step. */
static void test_ircadb_patient7(void)
{
	check_ircadb("3Dircadb1.7", true);
}

/* TotalSegmentator's example (liver = label 5) on its own grid. */
static void check_totalseg(const char *ct_rel, const char *seg_rel)
{
	char ct_path[1200], seg_path[1200];
	struct dlld_volume *ct = NULL;
	struct dlld_labelmap *seg = NULL;
	struct dlld_error err;
	if (!data_path(ct_path, sizeof ct_path, ct_rel) ||
	    !data_path(seg_path, sizeof seg_path, seg_rel))
		SKIP("%s absent", ct_rel);
	CHECK_INT_EQ(dlld_ct_load(ct_path, NULL, &ct, &err), 0);
	CHECK_INT_EQ(dlld_nifti_read_labels(seg_path, &seg, &err), 0);
	if (ct && seg) {
		struct dlld_labelmap *ref = reference_on(&ct->geom, seg, 5);
		dlld_labelmap_destroy(ref ? check_dice(ct_rel, ct, ref) : NULL);
		dlld_labelmap_destroy(ref);
	}
	dlld_labelmap_destroy(seg);
	dlld_volume_destroy(ct);
}

static void test_totalseg_dicom(void)
{
	check_totalseg("totalseg-example/example_ct_dicom", "totalseg-example/example_seg_dicom.nii.gz");
}

static void test_totalseg_nifti(void)
{
	check_totalseg("totalseg-example/example_ct_sm.nii.gz", "totalseg-example/example_seg.nii.gz");
}

/* The EDT is exact: distances on a 3×1×2 mm grid to one seed voxel. */
static void test_edt_anisotropic(void)
{
	struct lesion_grid g = {{7, 5, 4}, {3.0, 1.0, 2.0}};
	uint8_t m[7 * 5 * 4] = {0};
	float d[7 * 5 * 4];
	m[(1 * 5 + 2) * 7 + 3] = 1; /* (3, 2, 1) */
	CHECK_INT_EQ(lesion_edt_sq(&g, m, 1, d, NULL, NULL), 0);
	for (int k = 0; k < 4; k++)
		for (int j = 0; j < 5; j++)
			for (int i = 0; i < 7; i++) {
				double dx = (i - 3) * 3.0, dy = (j - 2) * 1.0, dz = (k - 1) * 2.0;
				CHECK_NEAR(d[(k * 5 + j) * 7 + i], dx * dx + dy * dy + dz * dz, 1e-3);
			}
}

/* The body wall's distance runs from the outside and the subcutaneous fat
 * joined to it, never from fat or air enclosed by muscle (visceral fat,
 * lung): an 11×11 slice of 2 mm voxels, a fat ring at index 1 and 9 inside
 * the body, muscle within, a fat pocket at (5, 5) and air at (2, 5). */
static void test_wall_distance(void)
{
	enum { N = 11 };
	struct dlld_liver_options o;
	dlld_liver_options_default(&o);
	float smooth[N * N], d2[N * N];
	uint8_t body[N * N];
	for (int j = 0; j < N; j++)
		for (int i = 0; i < N; i++) {
			bool in = i >= 1 && i <= 9 && j >= 1 && j <= 9;
			bool ring = i == 1 || i == 9 || j == 1 || j == 9;
			body[j * N + i] = in;
			smooth[j * N + i] = !in ? -1000.0f : ring ? -100.0f : 50.0f;
		}
	smooth[5 * N + 5] = -100.0f; /* visceral fat */
	smooth[5 * N + 2] = -800.0f; /* air inside the body */
	struct liver_work w;
	memset(&w, 0, sizeof w);
	w.o = &o;
	w.g = (struct lesion_grid){{N, N, 1}, {2.0, 2.0, 2.0}};
	w.smooth = smooth;
	w.body = body;
	CHECK_INT_EQ(liver_wall_distance(&w, d2, NULL), 0);
	CHECK_NEAR(d2[5 * N + 1], 0.0, 1e-6);  /* subcutaneous fat */
	CHECK_NEAR(d2[5 * N + 2], 4.0, 1e-6);  /* air not entered: 2 mm to the ring */
	CHECK_NEAR(d2[5 * N + 5], 64.0, 1e-6); /* the pocket is no seed: 8 mm */
	CHECK_NEAR(d2[4 * N + 4], 36.0, 1e-6);
}

/* Dilation then erosion by the same ball closes a 1-voxel gap between two
 * blocks; hole filling closes an enclosed cavity; components count. */
static void test_morphology(void)
{
	struct lesion_grid g = {{12, 8, 6}, {1.0, 1.0, 1.0}};
	uint8_t m[12 * 8 * 6] = {0};
	int32_t lab[12 * 8 * 6];
	size_t *sizes = NULL;
	for (int k = 1; k < 5; k++)
		for (int j = 1; j < 7; j++)
			for (int i = 1; i < 11; i++)
				m[(k * 8 + j) * 12 + i] = i != 5;
	CHECK_INT_EQ(lesion_components(&g, m, lab, &sizes, NULL), 2);
	CHECK_INT_EQ(sizes[1] + sizes[2], 9 * 6 * 4);
	free(sizes);
	CHECK_INT_EQ(lesion_dilate(&g, m, 1.0, NULL, NULL), 0);
	CHECK_INT_EQ(lesion_erode(&g, m, 1.0, NULL, NULL), 0);
	CHECK_INT_EQ(m[(2 * 8 + 3) * 12 + 5], 1);
	CHECK_INT_EQ(lesion_components(&g, m, lab, &sizes, NULL), 1);
	free(sizes);
	m[(2 * 8 + 3) * 12 + 6] = 0; /* a cavity inside */
	CHECK_INT_EQ(lesion_fill_holes_3d(&g, m, NULL), 0);
	CHECK_INT_EQ(m[(2 * 8 + 3) * 12 + 6], 1);
}

/* A hand-made abdomen: 2 × 2 × 2.5 mm voxels, body of muscle (50 HU) in a
 * fat rim, lungs in the top 30 mm, a liver ellipsoid (110 HU, with a 60 HU
 * lesion and a 170 HU vessel inside) on the patient's right under the right
 * lung, a spleen (105 HU) on the left touching the liver through a 6 mm
 * bridge, and noise of 15 HU. The mask must find the liver, lesion and
 * vessel included, and leave the spleen out. */
static void test_phantom(void)
{
	const int32_t dims[3] = {120, 100, 64};
	const double sp[3] = {2.0, 2.0, 2.5}, origin[3] = {-120.0, -100.0, 0.0};
	struct dlld_geometry g;
	struct dlld_rng rng;
	dlld_geometry_init(&g, dims, sp, origin);
	dlld_rng_seed(&rng, 7);
	struct dlld_volume *ct = dlld_volume_create(&g, NULL);
	struct dlld_labelmap *truth = dlld_labelmap_create(&g, NULL), *m = NULL;
	if (!ct || !truth)
		return;
	size_t spleen_hits = 0;
	for (int32_t k = 0; k < dims[2]; k++)
		for (int32_t j = 0; j < dims[1]; j++)
			for (int32_t i = 0; i < dims[0]; i++) {
				double p[3];
				dlld_geometry_to_lps(&g, i, j, k, p);
				double body = (p[0] / 110) * (p[0] / 110) + (p[1] / 85) * (p[1] / 85);
				double liver = ((p[0] + 50) / 60) * ((p[0] + 50) / 60) +
					       ((p[1] + 5) / 55) * ((p[1] + 5) / 55) +
					       ((p[2] - 85) / 55) * ((p[2] - 85) / 55);
				double spleen = ((p[0] - 55) / 25) * ((p[0] - 55) / 25) +
						((p[1] - 25) / 35) * ((p[1] - 25) / 35) +
						((p[2] - 100) / 40) * ((p[2] - 100) / 40);
				bool bridge = p[0] > 0 && p[0] < 40 && fabs(p[1] - 20) < 3 &&
					      fabs(p[2] - 100) < 10;
				double lesion = (p[0] + 60) * (p[0] + 60) + (p[1] + 10) * (p[1] + 10) +
						(p[2] - 80) * (p[2] - 80);
				bool vessel = (p[0] + 30) * (p[0] + 30) + (p[1] - 5) * (p[1] - 5) < 25 &&
					      fabs(p[2] - 85) < 40;
				bool lung = p[2] > 130 && fabs(fabs(p[0]) - 50) < 40 && fabs(p[1]) < 60;
				double hu = -1000;
				if (body < 1)
					hu = body > 0.85 ? -100 : 50;
				if (body < 0.85 && (spleen < 1 || bridge))
					hu = 105;
				if (body < 0.85 && liver < 1) {
					hu = lesion < 15 * 15 ? 60 : (vessel ? 170 : 110);
					truth->label[dlld_voxel_index(&g, i, j, k)] = 1;
				}
				if (body < 0.85 && lung)
					hu = -850;
				ct->hu[dlld_voxel_index(&g, i, j, k)] =
					(float)(hu + (hu > -900 ? 15.0 * dlld_rng_normal(&rng) : 0.0));
			}
	struct dlld_error err;
	char buf[1600];
	struct dlld_liver_report rep;
	dlld_error_clear(&err);
	CHECK_MSG(dlld_liver_mask(ct, NULL, &rep, &m, &err) == DLLD_STATUS_OK, "%s",
		  dlld_error_format(&err, buf, sizeof buf));
	if (m) {
		double dice = dlld_label_dice(m, 1, truth, 1);
		size_t n = 0;
		dlld_geometry_voxels(&g, &n);
		for (size_t v = 0; v < n; v++) {
			double p[3];
			dlld_geometry_to_lps(&g, (double)(v % 120), (double)(v / 120 % 100),
					     (double)(v / 12000), p);
			spleen_hits += m->label[v] && p[0] > 30;
		}
		printf("  phantom: Dice %.4f, band %.0f..%.0f HU, lung %s, %zu voxels left of x = 30 mm\n",
		       dice, rep.hu_lo, rep.hu_hi, rep.lung_found ? "yes" : "no", spleen_hits);
		CHECK(rep.lung_found);
		CHECK(dice >= 0.95);
		CHECK_INT_EQ(spleen_hits, 0);
		CHECK_INT_EQ(m->label[dlld_voxel_index(&g, 30, 45, 32)], 1); /* lesion (-60, -10, 80) */
	}
	/* Nothing but air: no body, an error, not a crash. */
	size_t n = 0;
	dlld_geometry_voxels(&g, &n);
	for (size_t v = 0; v < n; v++)
		ct->hu[v] = -1000.0f;
	struct dlld_labelmap *none = NULL;
	CHECK_INT_EQ(dlld_liver_mask(ct, NULL, NULL, &none, NULL), DLLD_STATUS_INCONSISTENT);
	CHECK(none == NULL);
	dlld_labelmap_destroy(m);
	dlld_labelmap_destroy(truth);
	dlld_volume_destroy(ct);
}

int main(void)
{
	dlld_test_run("liver mask of a hand-made abdomen", test_phantom);
	dlld_test_run("EDT on an anisotropic grid is exact", test_edt_anisotropic);
	dlld_test_run("closing, components and hole filling", test_morphology);
	dlld_test_run("body wall distance from the subcutaneous fat only", test_wall_distance);
	dlld_test_run("liver Dice: 3D-IRCADb patient 1", test_ircadb_patient1);
	dlld_test_run("liver Dice: 3D-IRCADb patient 7; its extra-hepatic mass is dropped",
		      test_ircadb_patient7);
	dlld_test_run("liver Dice: TotalSegmentator DICOM (label 5)", test_totalseg_dicom);
	dlld_test_run("liver Dice: TotalSegmentator NIfTI (label 5)", test_totalseg_nifti);
	return dlld_test_finish();
}

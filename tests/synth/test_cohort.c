/* tests/synth/test_cohort.c — rendered cohorts: the tables agree with the
 * masks (recomputed here by brute force), lesions lie inside the liver,
 * tissue HU fall in the ranges docs/synth.md documents, the same seed gives
 * identical bytes whatever the thread count, and the NIfTI and DICOM files
 * hold exactly the rendered HU. Small matrices keep it quick. */
#include "dlld/synth.h"
#include "harness.h"
#include "synth/synth_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEED 5
#define MATRIX 96

static char cohort_a[1024], cohort_b[1024];
static bool cohorts_ok;

static struct dlld_synth_plan *small_plan(int threads, bool dicom)
{
	struct dlld_synth_options o;
	struct dlld_synth_plan *plan = NULL;
	struct dlld_error err;

	dlld_synth_options_default(&o);
	o.preset = DLLD_SYNTH_PRESET_SMALL;
	o.n_patients = 2;
	o.seed = SEED;
	o.matrix = MATRIX;
	o.threads = threads;
	o.dicom = dicom;
	dlld_error_clear(&err);
	if (dlld_synth_plan_create(&o, &plan, &err))
		return NULL;
	return plan;
}

static bool write_cohort(const char *dir, int threads, bool dicom)
{
	struct dlld_synth_plan *plan = small_plan(threads, dicom);
	struct dlld_error err;
	enum dlld_status st;

	if (!plan)
		return false;
	dlld_error_clear(&err);
	st = dlld_synth_write_cohort(plan, dir, &err);
	if (st) {
		char buf[2048];
		fprintf(stderr, "cohort %s: %s\n", dir, dlld_error_format(&err, buf, sizeof buf));
	}
	dlld_synth_plan_destroy(plan);
	return st == DLLD_STATUS_OK;
}

static struct dlld_labelmap *read_labels(const char *patient, const char *name)
{
	char path[1400];
	struct dlld_labelmap *m = NULL;
	struct dlld_error err;

	snprintf(path, sizeof path, "%s/%s/%s", cohort_a, patient, name);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_nifti_read_labels(path, &m, &err), DLLD_STATUS_OK);
	return m;
}

static struct dlld_volume *read_ct(const char *patient)
{
	char path[1400];
	struct dlld_volume *v = NULL;
	struct dlld_error err;

	snprintf(path, sizeof path, "%s/%s/ct.nii.gz", cohort_a, patient);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_nifti_read_volume(path, &v, &err), DLLD_STATUS_OK);
	return v;
}

/* Brute force: centroid (voxel indices) and maximal axial diameter of
 * label `id`, every pixel pair on every slice. */
static size_t brute_measure(const struct dlld_labelmap *m, uint16_t id, double c[3],
			    double *diameter)
{
	const struct dlld_geometry *g = &m->geom;
	int32_t nx = g->dims[0], ny = g->dims[1];
	size_t n = 0;

	c[0] = c[1] = c[2] = 0.0;
	*diameter = 0.0;
	for (int32_t k = 0; k < g->dims[2]; k++) {
		double best = -1.0;
		for (int32_t j = 0; j < ny; j++)
			for (int32_t i = 0; i < nx; i++) {
				if (m->label[dlld_voxel_index(g, i, j, k)] != id)
					continue;
				n++;
				c[0] += i;
				c[1] += j;
				c[2] += k;
				for (int32_t j2 = 0; j2 < ny; j2++)
					for (int32_t i2 = 0; i2 < nx; i2++)
						if (m->label[dlld_voxel_index(g, i2, j2, k)] == id) {
							double dx = (i - i2) * g->spacing_mm[0];
							double dy = (j - j2) * g->spacing_mm[1];
							best = fmax(best, sqrt(dx * dx + dy * dy));
						}
			}
		if (best >= 0.0)
			*diameter = fmax(*diameter, best + g->spacing_mm[0]);
	}
	for (int a = 0; a < 3 && n; a++)
		c[a] /= (double)n;
	return n;
}

static void test_tables_match_masks(void)
{
	char path[1400];
	struct dlld_csv *csv = NULL;
	struct dlld_error err;
	int col[8];
	const char *names[] = {"patient_id", "lesion_id", "class", "diameter_mm",
			       "x_mm", "y_mm", "z_mm", "first_slice"};
	size_t rows_seen = 0;

	if (!cohorts_ok)
		SKIP("cohort was not written");
	snprintf(path, sizeof path, "%s/lesions.csv", cohort_a);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_csv_read(path, &csv, &err), DLLD_STATUS_OK);
	if (!csv)
		return;
	for (int k = 0; k < 8; k++)
		CHECK_INT_EQ(dlld_csv_require(csv, names[k], &col[k], &err), DLLD_STATUS_OK);
	for (int p = 1; p <= 2; p++) {
		char pid[16];
		snprintf(pid, sizeof pid, "P%03d", p);
		struct dlld_labelmap *m = read_labels(pid, "lesions.nii.gz");
		uint16_t max_label = 0;
		size_t total = 0;
		if (!m)
			continue;
		dlld_geometry_voxels(&m->geom, &total);
		for (size_t i = 0; i < total; i++)
			max_label = m->label[i] > max_label ? m->label[i] : max_label;
		size_t rows = 0;
		for (size_t r = 0; r < dlld_csv_rows(csv); r++) {
			double c[3], diameter, lps[3], want[3], d_csv;
			unsigned id;
			if (strcmp(dlld_csv_cell(csv, r, col[0]), pid) != 0)
				continue;
			rows++;
			rows_seen++;
			CHECK(sscanf(dlld_csv_cell(csv, r, col[1]), "L%u", &id) == 1);
			CHECK(brute_measure(m, (uint16_t)id, c, &diameter) > 0);
			dlld_geometry_to_lps(&m->geom, c[0], c[1], c[2], lps);
			for (int a = 0; a < 3; a++) {
				dlld_csv_double(csv, r, col[4 + a], &want[a], &err);
				CHECK_NEAR(want[a], lps[a], m->geom.spacing_mm[a]);
			}
			dlld_csv_double(csv, r, col[3], &d_csv, &err);
			CHECK_NEAR(d_csv, diameter, 0.10 * diameter);
		}
		CHECK_INT_EQ(rows, max_label); /* one row per label 1..n */
		dlld_labelmap_destroy(m);
	}
	CHECK(rows_seen > 0);
	dlld_csv_destroy(csv);
}

static void test_lesions_inside_liver(void)
{
	if (!cohorts_ok)
		SKIP("cohort was not written");
	for (int p = 1; p <= 2; p++) {
		char pid[16];
		snprintf(pid, sizeof pid, "P%03d", p);
		struct dlld_labelmap *les = read_labels(pid, "lesions.nii.gz");
		struct dlld_labelmap *liv = read_labels(pid, "liver.nii.gz");
		size_t lesion = 0, outside = 0, rim = 0, rim_liver = 0;
		if (les && liv) {
			const struct dlld_geometry *g = &les->geom;
			for (int32_t k = 0; k < g->dims[2]; k++)
				for (int32_t j = 1; j + 1 < g->dims[1]; j++)
					for (int32_t i = 1; i + 1 < g->dims[0]; i++) {
						size_t x = dlld_voxel_index(g, i, j, k);
						size_t nb[4] = {x - 1, x + 1, x - (size_t)g->dims[0],
								x + (size_t)g->dims[0]};
						if (!les->label[x])
							continue;
						lesion++;
						outside += liv->label[x] == 0;
						for (int q = 0; q < 4; q++) {
							rim++;
							rim_liver += liv->label[nb[q]] != 0;
						}
					}
			CHECK_INT_EQ(outside, 0);
			/* not merely inside the mask: surrounded by liver */
			CHECK_MSG(rim_liver >= rim * 98 / 100, "%zu of %zu neighbours in liver",
				  rim_liver, rim);
			CHECK(p == 2 || lesion > 0);
		}
		dlld_labelmap_destroy(les);
		dlld_labelmap_destroy(liv);
	}
}

static bool same_file(const char *a, const char *b)
{
	char *da = NULL, *db = NULL;
	size_t na = 0, nb = 0;
	struct dlld_error err;
	bool same;

	dlld_error_clear(&err);
	if (dlld_read_file(a, &da, &na, &err) || dlld_read_file(b, &db, &nb, &err)) {
		free(da);
		return false;
	}
	same = na == nb && memcmp(da, db, na) == 0;
	free(da);
	free(db);
	return same;
}

static void test_same_seed_same_bytes(void)
{
	const char *files[] = {"cases.csv", "lesions.csv", "P001/ct.nii.gz", "P001/lesions.nii.gz",
			       "P001/liver.nii.gz", "P001/vessels.nii.gz", "P002/ct.nii.gz"};

	if (!cohorts_ok)
		SKIP("cohorts were not written");
	for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
		char a[1400], b[1400];
		snprintf(a, sizeof a, "%s/%s", cohort_a, files[f]);
		snprintf(b, sizeof b, "%s/%s", cohort_b, files[f]);
		CHECK_MSG(same_file(a, b), "%s differs between 2 threads and 1", files[f]);
	}
}

/* Mean HU over a 3 x 3 patch around LPS (x, y) on slice k. */
static double patch_mean(const struct dlld_volume *v, double x, double y, int32_t k)
{
	double lps[3] = {x, y, 0.0}, ijk[3], sum = 0.0;
	int32_t i, j;

	dlld_geometry_from_lps(&v->geom, lps, ijk);
	i = (int32_t)lround(ijk[0]);
	j = (int32_t)lround(ijk[1]);
	for (int32_t dj = -1; dj <= 1; dj++)
		for (int32_t di = -1; di <= 1; di++)
			sum += v->hu[dlld_voxel_index(&v->geom, i + di, j + dj, k)];
	return sum / 9.0;
}

/* Mean and SD of the HU where sel[] is set and, in-plane, its 4 neighbours
 * too (away from partial-volume edges). Returns the voxel count. */
static size_t core_stats(const struct dlld_volume *v, const uint8_t *sel, double *mean, double *sd)
{
	const struct dlld_geometry *g = &v->geom;
	double s = 0.0, s2 = 0.0;
	size_t n = 0;

	for (int32_t k = 0; k < g->dims[2]; k++)
		for (int32_t j = 1; j + 1 < g->dims[1]; j++)
			for (int32_t i = 1; i + 1 < g->dims[0]; i++) {
				size_t x = dlld_voxel_index(g, i, j, k), w = (size_t)g->dims[0];
				if (!sel[x] || !sel[x - 1] || !sel[x + 1] || !sel[x - w] || !sel[x + w])
					continue;
				s += v->hu[x];
				s2 += (double)v->hu[x] * v->hu[x];
				n++;
			}
	*mean = n ? s / (double)n : 0.0;
	*sd = n > 1 ? sqrt(fmax(0.0, s2 / (double)n - *mean * *mean)) : 0.0;
	return n;
}

/* Fills sel with the voxels of c where pick(class/vessel/liver) holds. */
static void select_lesions(const struct dlld_synth_case *c, enum dlld_lesion_class cls, uint8_t *sel,
			   size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint16_t id = c->lesions->label[i];
		sel[i] = id && c->records[id - 1].cls == cls;
	}
}

static void test_tissue_hu(void)
{
	struct dlld_synth_options o;
	struct dlld_synth_plan *plan = NULL;
	struct dlld_synth_case *c = NULL;
	struct synth_anatomy a;
	struct dlld_rng rng;
	struct dlld_error err;
	size_t n = 0, best = 0;
	uint8_t *sel;
	double liver_mean, liver_sd, m, sd;

	dlld_synth_options_default(&o);
	o.preset = DLLD_SYNTH_PRESET_SMALL;
	o.seed = SEED;
	o.matrix = 192;
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_synth_plan_create(&o, &plan, &err), DLLD_STATUS_OK);
	if (!plan)
		return;
	for (size_t p = 0; p < plan->n_patients; p++)
		best = plan->patients[p].n_lesions > plan->patients[best].n_lesions ? p : best;
	CHECK_INT_EQ(dlld_synth_render(plan, best, &c, &err), DLLD_STATUS_OK);
	dlld_rng_seed_stream(&rng, SEED, plan->patients[best].stream);
	CHECK_INT_EQ(synth_anatomy_build(&a, &rng, &err), DLLD_STATUS_OK);
	dlld_geometry_voxels(&c->ct->geom, &n);
	sel = calloc(n, 1);
	if (c && sel) {
		const struct synth_body *b = &a.body;
		int32_t nz = c->ct->geom.dims[2], top = nz - 1;
		double fat = 0.0, muscle = 0.0;
		/* liver parenchyma: not lesion, not vessel */
		for (size_t i = 0; i < n; i++)
			sel[i] = c->liver->label[i] && !c->lesions->label[i] && !c->vessels->label[i];
		CHECK(core_stats(c->ct, sel, &liver_mean, &liver_sd) > 1000);
		CHECK_MSG(liver_mean >= 95 && liver_mean <= 140, "liver %.1f HU", liver_mean);
		CHECK_MSG(liver_sd >= 5 && liver_sd <= 40, "liver SD %.1f HU", liver_sd);
		for (int32_t k = 0; k < nz; k++) {
			fat += patch_mean(c->ct, 0.0, -(b->half_y - 0.5 * b->fat_mm), k) / nz;
			muscle += patch_mean(c->ct, 36.0, b->spine_y + 44.0, k) / nz;
		}
		CHECK_MSG(fat >= -130 && fat <= -60, "subcutaneous fat %.1f HU", fat);
		CHECK_MSG(muscle >= 35 && muscle <= 80, "paraspinal muscle %.1f HU", muscle);
		m = patch_mean(c->ct, b->dome_right[0], b->dome_right[1], top);
		CHECK_MSG(m < -600, "lung base %.1f HU", m);
		CHECK_INT_EQ(c->ct->hu[0], -1024); /* outside the reconstruction circle */
		for (size_t i = 0; i < n; i++)
			sel[i] = c->vessels->label[i] == DLLD_SYNTH_VESSEL_PORTAL;
		if (core_stats(c->ct, sel, &m, &sd) > 5)
			CHECK_MSG(m > liver_mean + 15, "portal vein %.1f vs liver %.1f", m, liver_mean);
		select_lesions(c, DLLD_LESION_CLASS_METASTASIS, sel, n);
		if (core_stats(c->ct, sel, &m, &sd) > 5)
			CHECK_MSG(m < liver_mean - 20, "metastasis %.1f vs liver %.1f", m, liver_mean);
		select_lesions(c, DLLD_LESION_CLASS_CYST, sel, n);
		if (core_stats(c->ct, sel, &m, &sd) > 5)
			CHECK_MSG(m > -20 && m < 40, "cyst %.1f HU", m);
	}
	free(sel);
	synth_anatomy_free(&a);
	dlld_synth_case_destroy(c);
	dlld_synth_plan_destroy(plan);
}

/* The files hold exactly what was rendered: NIfTI always, DICOM through
 * the CT module's reader. */
static void test_files_hold_rendered_hu(void)
{
	struct dlld_synth_plan *plan = small_plan(1, true);
	struct dlld_synth_case *c = NULL;
	struct dlld_volume *nii = NULL, *dcm = NULL;
	struct dlld_error err;
	char path[1400];
	size_t n = 0, diff_nii = 0, diff_dcm = 0;

	if (!cohorts_ok || !plan) {
		dlld_synth_plan_destroy(plan);
		SKIP("cohort was not written");
	}
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_synth_render(plan, 0, &c, &err), DLLD_STATUS_OK);
	nii = read_ct("P001");
	snprintf(path, sizeof path, "%s/P001/dicom", cohort_a);
	CHECK_INT_EQ(dlld_ct_load(path, NULL, &dcm, &err), DLLD_STATUS_OK);
	if (c && nii && dcm) {
		CHECK(dlld_geometry_same(&c->ct->geom, &nii->geom, 1e-3));
		CHECK(dlld_geometry_same(&c->ct->geom, &dcm->geom, 1e-3));
		dlld_geometry_voxels(&c->ct->geom, &n);
		for (size_t i = 0; i < n; i++) {
			diff_nii += nii->hu[i] != c->ct->hu[i];
			diff_dcm += dcm->hu[i] != c->ct->hu[i];
		}
		CHECK_INT_EQ(diff_nii, 0);
		CHECK_INT_EQ(diff_dcm, 0);
	}
	dlld_volume_destroy(nii);
	dlld_volume_destroy(dcm);
	dlld_synth_case_destroy(c);
	dlld_synth_plan_destroy(plan);
}

/* A validation patient with a lesion of at most 4 mm, on 5 mm slices at a
 * coarse matrix: every planned lesion keeps voxels (measure fails if not). */
static void test_tiny_lesions_survive(void)
{
	struct dlld_synth_options o;
	struct dlld_synth_plan *plan = NULL;
	struct dlld_synth_case *c = NULL;
	struct dlld_error err;
	size_t pick = SIZE_MAX;

	dlld_synth_options_default(&o);
	o.seed = SEED;
	o.matrix = 80;
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_synth_plan_create(&o, &plan, &err), DLLD_STATUS_OK);
	for (size_t p = 0; plan && p < plan->n_patients && pick == SIZE_MAX; p++)
		for (size_t l = 0; l < plan->patients[p].n_lesions; l++)
			if (plan->patients[p].lesions[l].diameter_mm <= 4.0)
				pick = p;
	CHECK(pick != SIZE_MAX);
	if (pick != SIZE_MAX) {
		CHECK_INT_EQ(dlld_synth_render(plan, pick, &c, &err), DLLD_STATUS_OK);
		CHECK(c && c->n_lesions == plan->patients[pick].n_lesions);
		for (size_t l = 0; c && l < c->n_lesions; l++)
			CHECK(c->records[l].voxels > 0 && c->records[l].cls == plan->patients[pick].lesions[l].cls);
	}
	dlld_synth_case_destroy(c);
	dlld_synth_plan_destroy(plan);
}

/* Training patient P017 (seed 1) at a 32-pixel matrix (11 mm pixels): a
 * lesion far smaller than a voxel, whose voxels a neighbour covered more,
 * used to vanish from the mask; every lesion now keeps its centre voxel. */
static void test_lesion_smaller_than_voxel(void)
{
	struct dlld_synth_options o;
	struct dlld_synth_plan *plan = NULL;
	struct dlld_synth_case *c = NULL;
	struct dlld_error err;

	dlld_synth_options_default(&o);
	o.preset = DLLD_SYNTH_PRESET_TRAINING;
	o.seed = 1;
	o.matrix = 32;
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_synth_plan_create(&o, &plan, &err), DLLD_STATUS_OK);
	if (!plan)
		return;
	CHECK_INT_EQ(dlld_synth_render(plan, 16, &c, &err), DLLD_STATUS_OK);
	for (size_t l = 0; c && l < c->n_lesions; l++)
		CHECK(c->records[l].voxels > 0);
	dlld_synth_case_destroy(c);
	dlld_synth_plan_destroy(plan);
}

int main(void)
{
	const char *tmp = dlld_test_tmpdir();

	snprintf(cohort_a, sizeof cohort_a, "%s/a", tmp);
	snprintf(cohort_b, sizeof cohort_b, "%s/b", tmp);
	cohorts_ok = write_cohort(cohort_a, 2, true) && write_cohort(cohort_b, 1, false);
	dlld_test_run("lesions.csv agrees with the instance masks", test_tables_match_masks);
	dlld_test_run("every lesion lies inside the liver", test_lesions_inside_liver);
	dlld_test_run("same seed, identical bytes (2 threads vs 1)", test_same_seed_same_bytes);
	dlld_test_run("tissue HU within the documented ranges", test_tissue_hu);
	dlld_test_run("NIfTI and DICOM hold exactly the rendered HU", test_files_hold_rendered_hu);
	dlld_test_run("3-4 mm lesions keep voxels on 5 mm slices", test_tiny_lesions_survive);
	dlld_test_run("lesions smaller than a voxel keep one", test_lesion_smaller_than_voxel);
	return dlld_test_finish();
}

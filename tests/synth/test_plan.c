/* tests/synth/test_plan.c — cohort compositions (exact preset counts,
 * size mixes, determinism, option checks) and the lesion measurements on
 * hand-made masks. */
#include "dlld/synth.h"
#include "harness.h"

#include <string.h>

static struct dlld_synth_plan *make_plan(enum dlld_synth_preset preset, long n, uint64_t seed)
{
	struct dlld_synth_options o;
	struct dlld_synth_plan *plan = NULL;
	struct dlld_error err;

	dlld_synth_options_default(&o);
	o.preset = preset;
	o.n_patients = n;
	o.seed = seed;
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_synth_plan_create(&o, &plan, &err), DLLD_STATUS_OK);
	return plan;
}

/* Counts of every class summed over the patients agree with the plan's
 * totals, and lesion pointers cover the plan's array without overlap. */
static void check_plan_consistent(const struct dlld_synth_plan *plan)
{
	size_t sum[DLLD_LESION_CLASS_COUNT] = {0}, lesions = 0, diseased = 0;

	for (size_t p = 0; p < plan->n_patients; p++) {
		const struct dlld_synth_patient_plan *pp = &plan->patients[p];
		size_t by_class[DLLD_LESION_CLASS_COUNT] = {0};
		CHECK(pp->lesions == plan->lesions + lesions);
		for (size_t l = 0; l < pp->n_lesions; l++)
			by_class[pp->lesions[l].cls]++;
		for (int c = 0; c < DLLD_LESION_CLASS_COUNT; c++) {
			CHECK_INT_EQ(by_class[c], pp->n_by_class[c]);
			sum[c] += by_class[c];
		}
		lesions += pp->n_lesions;
		diseased += by_class[DLLD_LESION_CLASS_METASTASIS] > 0;
	}
	CHECK_INT_EQ(lesions, plan->n_lesions);
	CHECK_INT_EQ(diseased, plan->n_diseased);
	for (int c = 0; c < DLLD_LESION_CLASS_COUNT; c++)
		CHECK_INT_EQ(sum[c], plan->n_by_class[c]);
}

static void test_validation_composition(void)
{
	struct dlld_synth_plan *plan = make_plan(DLLD_SYNTH_PRESET_VALIDATION, 0, 7);
	size_t small = 0, n = 0;
	double sum = 0.0;

	if (!plan)
		return;
	CHECK_INT_EQ(plan->n_patients, 85);
	CHECK_INT_EQ(plan->n_diseased, 40);
	CHECK_INT_EQ(plan->n_by_class[DLLD_LESION_CLASS_METASTASIS], 99);
	CHECK_INT_EQ(plan->n_by_class[DLLD_LESION_CLASS_CYST], 229);
	CHECK_INT_EQ(plan->n_by_class[DLLD_LESION_CLASS_HEMANGIOMA], 21);
	CHECK_INT_EQ(plan->opts.matrix, 512);
	CHECK_NEAR(plan->opts.slice_thickness_mm, 5.0, 0.0);
	check_plan_consistent(plan);
	for (size_t p = 0; p < plan->n_patients; p++) {
		size_t m = plan->patients[p].n_by_class[DLLD_LESION_CLASS_METASTASIS];
		CHECK(m <= 8);
		for (size_t l = 0; l < plan->patients[p].n_lesions; l++) {
			const struct dlld_synth_planned_lesion *pl = &plan->patients[p].lesions[l];
			CHECK(pl->diameter_mm >= 3.0 && pl->diameter_mm <= 80.0);
			if (pl->cls != DLLD_LESION_CLASS_METASTASIS)
				continue;
			n++;
			sum += pl->diameter_mm;
			small += pl->diameter_mm <= 10.0;
		}
	}
	/* the paper: about 27 % <= 10 mm, mean about 22 mm; stratified
	 * quantiles make this exact for every seed */
	CHECK_INT_EQ(n, 99);
	CHECK_INT_EQ(small, 27);
	CHECK_NEAR(sum / (double)n, 21.93, 0.05);
	CHECK_STR_EQ(plan->patients[0].patient_id, "P001");
	CHECK_STR_EQ(plan->patients[84].patient_id, "P085");
	dlld_synth_plan_destroy(plan);
}

static void test_training_composition(void)
{
	struct dlld_synth_plan *plan = make_plan(DLLD_SYNTH_PRESET_TRAINING, 0, 3);

	if (!plan)
		return;
	CHECK_INT_EQ(plan->n_patients, 502);
	CHECK_INT_EQ(plan->n_by_class[DLLD_LESION_CLASS_METASTASIS], 612);
	CHECK_INT_EQ(plan->n_by_class[DLLD_LESION_CLASS_CYST], 990);
	CHECK_INT_EQ(plan->n_by_class[DLLD_LESION_CLASS_HEMANGIOMA], 153);
	check_plan_consistent(plan);
	for (size_t l = 0; l < plan->n_lesions; l++)
		CHECK(plan->lesions[l].diameter_mm >= 3.0 && plan->lesions[l].diameter_mm <= 50.0);
	dlld_synth_plan_destroy(plan);
	/* other N: the counts scale, rounded half up */
	plan = make_plan(DLLD_SYNTH_PRESET_TRAINING, 100, 3);
	if (!plan)
		return;
	CHECK_INT_EQ(plan->n_by_class[DLLD_LESION_CLASS_METASTASIS], 122); /* 121.9 */
	CHECK_INT_EQ(plan->n_by_class[DLLD_LESION_CLASS_CYST], 197);       /* 197.2 */
	CHECK_INT_EQ(plan->n_by_class[DLLD_LESION_CLASS_HEMANGIOMA], 30);  /* 30.48 */
	check_plan_consistent(plan);
	dlld_synth_plan_destroy(plan);
}

static void test_small_and_tiny(void)
{
	struct dlld_synth_plan *plan = make_plan(DLLD_SYNTH_PRESET_SMALL, 0, 1);

	if (!plan)
		return;
	CHECK_INT_EQ(plan->n_patients, 4);
	CHECK_INT_EQ(plan->n_diseased, 2);
	CHECK_INT_EQ(plan->n_lesions, 7);
	CHECK_INT_EQ(plan->opts.matrix, 128);
	dlld_synth_plan_destroy(plan);
	/* one validation patient still gets a consistent plan */
	plan = make_plan(DLLD_SYNTH_PRESET_VALIDATION, 1, 1);
	if (!plan)
		return;
	CHECK_INT_EQ(plan->n_patients, 1);
	check_plan_consistent(plan);
	CHECK(plan->n_by_class[DLLD_LESION_CLASS_METASTASIS] <= 8 * plan->n_diseased);
	dlld_synth_plan_destroy(plan);
}

static void test_plan_deterministic(void)
{
	struct dlld_synth_plan *a = make_plan(DLLD_SYNTH_PRESET_VALIDATION, 0, 11);
	struct dlld_synth_plan *b = make_plan(DLLD_SYNTH_PRESET_VALIDATION, 0, 11);
	struct dlld_synth_plan *c = make_plan(DLLD_SYNTH_PRESET_VALIDATION, 0, 12);

	if (a && b && c) {
		CHECK(memcmp(a->lesions, b->lesions, a->n_lesions * sizeof *a->lesions) == 0);
		bool same = true;
		for (size_t p = 0; p < a->n_patients; p++)
			same = same && a->patients[p].n_lesions == c->patients[p].n_lesions;
		CHECK_MSG(!same, "another seed spreads the lesions differently");
	}
	dlld_synth_plan_destroy(a);
	dlld_synth_plan_destroy(b);
	dlld_synth_plan_destroy(c);
}

static void test_bad_options(void)
{
	struct dlld_synth_options o;
	struct dlld_synth_plan *plan = NULL;
	struct dlld_error err;

	dlld_synth_options_default(&o);
	o.matrix = 16;
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_synth_plan_create(&o, &plan, &err), DLLD_STATUS_USAGE);
	CHECK(plan == NULL);
	CHECK(strstr(err.reason, "matrix") != NULL);
	dlld_synth_options_default(&o);
	o.slice_thickness_mm = 12.0;
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_synth_plan_create(&o, &plan, &err), DLLD_STATUS_USAGE);
	dlld_synth_options_default(&o);
	o.n_patients = -3;
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_synth_plan_create(&o, &plan, &err), DLLD_STATUS_USAGE);
}

static void test_names(void)
{
	enum dlld_lesion_class c;
	enum dlld_synth_preset p;

	CHECK_STR_EQ(dlld_lesion_class_name(DLLD_LESION_CLASS_HEMANGIOMA), "hemangioma");
	CHECK(dlld_lesion_class_parse("cyst", &c) && c == DLLD_LESION_CLASS_CYST);
	CHECK(!dlld_lesion_class_parse("Cyst", &c));
	CHECK(dlld_synth_preset_parse("training", &p) && p == DLLD_SYNTH_PRESET_TRAINING);
	CHECK(!dlld_synth_preset_parse("big", &p));
}

/* Hand-made mask: spacing 0.5 x 0.5 x 2 mm, origin (10, 20, 30).
 * Label 1: columns 2..5, rows 1..3 on slices 2 and 3 (4 x 3 x 2 voxels).
 * Label 2: a single voxel at (7, 7, 0). */
static void test_measure_by_hand(void)
{
	int32_t dims[3] = {10, 10, 5};
	double spacing[3] = {0.5, 0.5, 2.0}, origin[3] = {10.0, 20.0, 30.0};
	struct dlld_geometry g;
	struct dlld_labelmap *m;
	struct dlld_synth_lesion_record rec[3];
	struct dlld_error err;

	dlld_geometry_init(&g, dims, spacing, origin);
	dlld_error_clear(&err);
	m = dlld_labelmap_create(&g, &err);
	if (!m)
		return;
	for (int32_t k = 2; k <= 3; k++)
		for (int32_t j = 1; j <= 3; j++)
			for (int32_t i = 2; i <= 5; i++)
				m->label[dlld_voxel_index(&g, i, j, k)] = 1;
	m->label[dlld_voxel_index(&g, 7, 7, 0)] = 2;
	CHECK_INT_EQ(dlld_synth_measure(m, 2, rec, &err), DLLD_STATUS_OK);
	CHECK_INT_EQ(rec[0].voxels, 24);
	CHECK_NEAR(rec[0].volume_ml, 24 * 0.5 / 1000.0, 1e-12);
	CHECK_NEAR(rec[0].centroid_lps[0], 10.0 + 3.5 * 0.5, 1e-9);
	CHECK_NEAR(rec[0].centroid_lps[1], 20.0 + 2.0 * 0.5, 1e-9);
	CHECK_NEAR(rec[0].centroid_lps[2], 30.0 + 2.5 * 2.0, 1e-9);
	/* farthest pixel centres 1.5 x 1.0 mm apart, plus one pixel */
	CHECK_NEAR(rec[0].diameter_mm, sqrt(1.5 * 1.5 + 1.0 * 1.0) + 0.5, 1e-9);
	CHECK_INT_EQ(rec[0].first_slice, 2);
	CHECK_INT_EQ(rec[0].last_slice, 3);
	CHECK_INT_EQ(rec[1].voxels, 1);
	CHECK_NEAR(rec[1].diameter_mm, 0.5, 1e-12);
	CHECK_INT_EQ(rec[1].first_slice, 0);
	/* a label with no voxels is an inconsistency, named */
	CHECK_INT_EQ(dlld_synth_measure(m, 3, rec, &err), DLLD_STATUS_INCONSISTENT);
	CHECK(strstr(err.reason, "L3") != NULL);
	dlld_labelmap_destroy(m);
}

int main(void)
{
	dlld_test_run("validation preset: 85 patients, 40 diseased, 99/229/21", test_validation_composition);
	dlld_test_run("training preset: 612:990:153, scaled for other N", test_training_composition);
	dlld_test_run("small preset and one-patient cohorts", test_small_and_tiny);
	dlld_test_run("same seed same plan, other seed other spread", test_plan_deterministic);
	dlld_test_run("impossible options are usage errors", test_bad_options);
	dlld_test_run("class and preset names", test_names);
	dlld_test_run("lesion measurements on a hand-made mask", test_measure_by_hand);
	return dlld_test_finish();
}

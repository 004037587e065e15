/* tests/lesion/test_match.c — matching marks to a tiny hand-made cohort:
 * instance-mask hits, table-only radius hits, cysts as non-lesion marks,
 * duplicate collapse, unknown patients and labels. */
#include "dlld/lesion.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char cohort_dir[700];

static void write_text(const char *rel, const char *text)
{
	char path[1000];
	snprintf(path, sizeof path, "%s/%s", cohort_dir, rel);
	CHECK_INT_EQ(dlld_write_file_atomic(path, text, strlen(text), NULL), 0);
}

/* P1: 20×20×10 grid of 2 mm voxels at the LPS origin; L1 (metastasis, label
 * 1) fills i, j 2..6, k 2..4; L2 (cyst, label 2) fills i, j 12..15, k 5..7;
 * `extra` adds a label 3 voxel that lesions.csv does not list. */
static void make_cohort(bool extra)
{
	const int32_t dims[3] = {20, 20, 10};
	const double sp[3] = {2, 2, 2}, origin[3] = {0, 0, 0};
	struct dlld_geometry g;
	char path[1000];
	snprintf(cohort_dir, sizeof cohort_dir, "%s/cohort%d", dlld_test_tmpdir(), extra);
	for (int p = 1; p <= 3; p++) {
		snprintf(path, sizeof path, "%s/P%d", cohort_dir, p);
		CHECK_INT_EQ(dlld_mkdir_p(path, NULL), 0);
	}
	dlld_geometry_init(&g, dims, sp, origin);
	struct dlld_volume *ct = dlld_volume_create(&g, NULL);
	struct dlld_labelmap *m = dlld_labelmap_create(&g, NULL);
	if (!ct || !m)
		return;
	for (int32_t k = 0; k < 10; k++)
		for (int32_t j = 0; j < 20; j++)
			for (int32_t i = 0; i < 20; i++) {
				uint16_t l = 0;
				if (i >= 2 && i <= 6 && j >= 2 && j <= 6 && k >= 2 && k <= 4)
					l = 1;
				if (i >= 12 && i <= 15 && j >= 12 && j <= 15 && k >= 5 && k <= 7)
					l = 2;
				m->label[dlld_voxel_index(&g, i, j, k)] = l;
			}
	if (extra)
		m->label[dlld_voxel_index(&g, 18, 18, 9)] = 3;
	for (int p = 1; p <= 3; p++) {
		snprintf(path, sizeof path, "%s/P%d/ct.nii.gz", cohort_dir, p);
		CHECK_INT_EQ(dlld_nifti_write_volume(ct, path, DLLD_NIFTI_TYPE_INT16, NULL), 0);
	}
	snprintf(path, sizeof path, "%s/P1/lesions.nii.gz", cohort_dir);
	CHECK_INT_EQ(dlld_nifti_write_labels(m, path, NULL), 0);
	write_text("cases.csv", "patient_id,diseased\nP1,1\nP2,0\nP3,1\n");
	write_text("lesions.csv",
		   "patient_id,lesion_id,class,diameter_mm,x_mm,y_mm,z_mm,volume_ml,first_slice,last_slice\n"
		   "P1,L1,metastasis,10,8,8,6,0.375,2,4\n"
		   "P1,L2,cyst,8,27,27,12,0.512,5,7\n"
		   "P3,L1,metastasis,8,10,10,10,0.2,4,6\n");
	dlld_volume_destroy(ct);
	dlld_labelmap_destroy(m);
}

static struct dlld_match_mark mark(const char *patient, double x, double y, double z, double rating,
				   int positive)
{
	struct dlld_match_mark m = {.lps = {x, y, z}, .rating = rating, .positive = positive};
	snprintf(m.reader, sizeof m.reader, "AI");
	snprintf(m.patient_id, sizeof m.patient_id, "%s", patient);
	return m;
}

static void test_match_cohort(void)
{
	struct dlld_cohort *c = NULL;
	struct dlld_match_result *r = NULL;
	size_t n = 0;
	struct dlld_error err;
	make_cohort(false);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_cohort_read(cohort_dir, &c, &err), 0);
	if (!c)
		return;
	struct dlld_match_mark m[] = {
		mark("P3", 20, 10, 10, 10, 0),  /* 10 mm from P3 L1 (radius 4): NL */
		mark("P1", 8, 8, 6, 90, 1),     /* voxel (4, 4, 3): L1 */
		mark("P1", 4.4, 12.6, 4.2, 95, 0), /* voxel (2, 6, 2): L1 again, higher */
		mark("P1", 27, 27, 12, 40, 0),  /* the cyst: NL */
		mark("P1", 30, 4, 2, 30, 1),    /* background: NL */
		mark("P2", 8, 8, 6, 55, 1),     /* normal patient: NL */
		mark("P3", 12, 10, 10, 70, 1),  /* 2 mm from P3 L1: L1 */
		mark("P1", 8, 8, 6, 20, 1),     /* L1 a third time, lower */
	};
	CHECK_INT_EQ(dlld_match(c, m, 8, &r, &n, &err), 0);
	CHECK_INT_EQ(n, 6); /* three marks on P1 L1 collapse into one */
	if (n == 6) {
		/* Patients in cohort order, marks in input order. */
		CHECK_STR_EQ(r[0].patient_id, "P1");
		CHECK_STR_EQ(r[0].lesion_id, "L1");
		CHECK_NEAR(r[0].rating, 95, 0);
		CHECK_INT_EQ(r[0].positive, 0);
		CHECK_STR_EQ(r[1].lesion_id, "");
		CHECK_NEAR(r[1].rating, 40, 0);
		CHECK_STR_EQ(r[2].lesion_id, "");
		CHECK_STR_EQ(r[3].patient_id, "P2");
		CHECK_STR_EQ(r[3].lesion_id, "");
		CHECK_STR_EQ(r[4].patient_id, "P3");
		CHECK_STR_EQ(r[4].lesion_id, "");
		CHECK_NEAR(r[4].rating, 10, 0);
		CHECK_STR_EQ(r[5].lesion_id, "L1");
		CHECK_NEAR(r[5].rating, 70, 0);
	}
	free(r);
	struct dlld_match_mark bad = mark("P9", 0, 0, 0, 1, 1);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_match(c, &bad, 1, &r, &n, &err), DLLD_STATUS_INCONSISTENT);
	CHECK(strstr(err.reason, "P9") != NULL);
	dlld_cohort_destroy(c);
}

static void test_unlisted_label_is_an_error(void)
{
	struct dlld_cohort *c = NULL;
	struct dlld_match_result *r = NULL;
	size_t n = 0;
	struct dlld_error err;
	make_cohort(true);
	CHECK_INT_EQ(dlld_cohort_read(cohort_dir, &c, NULL), 0);
	if (!c)
		return;
	struct dlld_match_mark m = mark("P1", 36, 36, 18, 50, 1); /* voxel (18, 18, 9) */
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_match(c, &m, 1, &r, &n, &err), DLLD_STATUS_INCONSISTENT);
	CHECK(strstr(err.reason, "label 3") != NULL);
	m = mark("P1", 500, 8, 6, 50, 1); /* outside the scan: NL, no error */
	CHECK_INT_EQ(dlld_match(c, &m, 1, &r, &n, NULL), 0);
	CHECK_INT_EQ(n, 1);
	if (n == 1)
		CHECK_STR_EQ(r[0].lesion_id, "");
	free(r);
	dlld_cohort_destroy(c);
}

int main(void)
{
	dlld_test_run("marks match masks, radii; cysts are NL; duplicates collapse",
		      test_match_cohort);
	dlld_test_run("a mask label missing from lesions.csv is an error",
		      test_unlisted_label_is_an_error);
	return dlld_test_finish();
}

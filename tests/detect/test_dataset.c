/* tests/detect/test_dataset.c — training slices cropped to the liver. */
#include "dlld/detect.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Patient P1: 40×30×8 at 1×1×2.5 mm; liver = box i 10..29, j 5..24, k 2..5
 * (100 HU), lesion L1 (cyst, -5 HU) at i 14..17, j 8..10 on k 3..4, lesion L2
 * (metastasis) one voxel at (25, 20, 5). */
static void write_patient(const char *dir, bool with_l2_row)
{
	int32_t dims[3] = {40, 30, 8};
	double sp[3] = {1, 1, 2.5}, org[3] = {-20, -15, 0};
	struct dlld_geometry g;
	struct dlld_volume *v;
	struct dlld_labelmap *liver, *les;
	char path[1200];
	FILE *fp;

	dlld_geometry_init(&g, dims, sp, org);
	v = dlld_volume_create(&g, NULL);
	liver = dlld_labelmap_create(&g, NULL);
	les = dlld_labelmap_create(&g, NULL);
	for (int32_t k = 0; k < 8; k++)
		for (int32_t j = 0; j < 30; j++)
			for (int32_t i = 0; i < 40; i++) {
				size_t q = dlld_voxel_index(&g, i, j, k);
				bool in = i >= 10 && i <= 29 && j >= 5 && j <= 24 && k >= 2 && k <= 5;
				v->hu[q] = in ? 100.0f : -50.0f;
				liver->label[q] = in;
				if (i >= 14 && i <= 17 && j >= 8 && j <= 10 && k >= 3 && k <= 4) {
					les->label[q] = 1;
					v->hu[q] = -5.0f;
				}
			}
	les->label[dlld_voxel_index(&g, 25, 20, 5)] = 2;
	snprintf(path, sizeof path, "%s/P1", dir);
	mkdir(path, 0777);
	snprintf(path, sizeof path, "%s/P1/ct.nii.gz", dir);
	CHECK_INT_EQ(dlld_nifti_write_volume(v, path, DLLD_NIFTI_TYPE_INT16, NULL), 0);
	snprintf(path, sizeof path, "%s/P1/liver.nii.gz", dir);
	CHECK_INT_EQ(dlld_nifti_write_labels(liver, path, NULL), 0);
	snprintf(path, sizeof path, "%s/P1/lesions.nii.gz", dir);
	CHECK_INT_EQ(dlld_nifti_write_labels(les, path, NULL), 0);
	snprintf(path, sizeof path, "%s/cases.csv", dir);
	fp = fopen(path, "w");
	fputs("patient_id,diseased\nP1,1\n", fp);
	fclose(fp);
	snprintf(path, sizeof path, "%s/lesions.csv", dir);
	fp = fopen(path, "w");
	fputs("patient_id,lesion_id,class,diameter_mm,x_mm,y_mm,z_mm,volume_ml,first_slice,last_slice\n",
	      fp);
	/* without L2's row P1 keeps a metastasis, so cases.csv stays consistent */
	fprintf(fp, "P1,L1,%s,4,0,0,0,0.1,3,4\n", with_l2_row ? "cyst" : "metastasis");
	if (with_l2_row)
		fputs("P1,L2,metastasis,1,0,0,0,0.01,5,5\n", fp);
	fclose(fp);
	dlld_volume_destroy(v);
	dlld_labelmap_destroy(liver);
	dlld_labelmap_destroy(les);
}

static struct dlld_dataset *load(const char *name, bool with_l2_row, struct dlld_error *err)
{
	char dir[600];
	struct dlld_cohort *cohort = NULL;
	struct dlld_dataset *ds = NULL;
	struct dlld_dataset_options o;

	snprintf(dir, sizeof dir, "%s/%s", dlld_test_tmpdir(), name);
	mkdir(dir, 0777);
	write_patient(dir, with_l2_row);
	dlld_error_clear(err);
	if (dlld_cohort_read(dir, &cohort, err))
		return NULL;
	dlld_dataset_options_default(&o);
	o.margin_mm = 2.0;
	o.spec.size = 32;
	o.spec.pixel_mm = 1.0;
	dlld_dataset_create((const struct dlld_cohort *const *)&cohort, 1, &o, NULL, &ds, err);
	dlld_cohort_destroy(cohort);
	return ds;
}

static void test_crop_and_samples(void)
{
	struct dlld_error err;
	struct dlld_dataset *ds = load("ok", true, &err);
	struct dlld_dataset_scratch *scratch;
	struct dlld_sample_box boxes[4];
	float image[3 * 32 * 32];
	size_t positives = 0, n;

	CHECK_MSG(ds != NULL, "%s", err.reason);
	if (!ds)
		return;
	/* liver slices 2..5 plus one slice margin: 1..6 */
	CHECK_INT_EQ(dlld_dataset_count(ds), 6);
	CHECK_INT_EQ(dlld_dataset_cases(ds), 1);
	CHECK_STR_EQ(dlld_dataset_case_id(ds, 0), "P1");
	for (size_t s = 0; s < 6; s++)
		positives += dlld_dataset_sample(ds, s)->n_lesions > 0;
	CHECK_INT_EQ(positives, 3); /* crop slices 2, 3 (L1) and 4 (L2) */
	CHECK_INT_EQ(dlld_dataset_sample(ds, 4)->n_lesions, 1);
	/* crop = liver box ± 2 voxels: 24 × 24 × 6 int16 + uint16 */
	CHECK_INT_EQ(dlld_dataset_bytes(ds), 24 * 24 * 6 * 4);

	scratch = dlld_dataset_scratch_create(ds, NULL);
	n = dlld_dataset_render(ds, 2, NULL, NULL, scratch, image, boxes, 4);
	CHECK_INT_EQ(n, 1);
	/* crop i 8..31 centred at 11.5 on a 32-pixel grid: pixel u = crop i + 4.
	 * L1 spans full-volume i 14..17 = crop 6..9 -> u 10..13 -> x 10..14 */
	CHECK_NEAR(boxes[0].x0, 10.0, 1e-5);
	CHECK_NEAR(boxes[0].x1, 14.0, 1e-5);
	/* j 8..10 = crop 5..7 (crop j 3..26, centre 11.5) -> v 9..11 -> y 9..12 */
	CHECK_NEAR(boxes[0].y0, 9.0, 1e-5);
	CHECK_NEAR(boxes[0].y1, 12.0, 1e-5);
	CHECK_INT_EQ(boxes[0].cls, DLLD_LESION_CLASS_CYST);
	/* the cyst pixel is darker than liver in the middle channel */
	CHECK(image[1 * 1024 + 11 * 32 + 11] < image[1 * 1024 + 20 * 32 + 20]);
	dlld_dataset_scratch_destroy(scratch);
	dlld_dataset_destroy(ds);
}

static void test_label_without_row(void)
{
	struct dlld_error err;
	struct dlld_dataset *ds = load("missing-row", false, &err);
	CHECK(ds == NULL);
	CHECK_INT_EQ(err.status, DLLD_STATUS_INCONSISTENT);
	CHECK_MSG(strstr(err.reason, "label 2") != NULL, "reason: %s", err.reason);
	CHECK(strstr(err.file, "lesions.nii.gz") != NULL);
}

int main(void)
{
	dlld_test_run("dataset: liver crop, slice samples, boxes", test_crop_and_samples);
	dlld_test_run("dataset: a mask label without a table row", test_label_without_row);
	return dlld_test_finish();
}

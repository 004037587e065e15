/* tests/detect/test_cohort.c — reading the cohort directory of DESIGN §4. */
#include "dlld/detect.h"
#include "harness.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char *lesion_header =
	"patient_id,lesion_id,class,diameter_mm,x_mm,y_mm,z_mm,volume_ml,first_slice,last_slice,extra\n";

static void write_text(const char *dir, const char *name, const char *text)
{
	char path[2200];
	FILE *fp;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	fp = fopen(path, "w");
	if (fp) {
		fputs(text, fp);
		fclose(fp);
	}
}

/* Makes COHORT with patients P1 (diseased), P2 (normal) and the given tables. */
static const char *make_cohort(const char *name, const char *cases, const char *lesions)
{
	static char dir[1024];
	char sub[1100];
	snprintf(dir, sizeof dir, "%s/%s", dlld_test_tmpdir(), name);
	mkdir(dir, 0777);
	for (int p = 1; p <= 2; p++) {
		snprintf(sub, sizeof sub, "%s/P%d", dir, p);
		mkdir(sub, 0777);
		write_text(sub, "ct.nii.gz", "placeholder");
	}
	write_text(sub, "liver.nii.gz", "placeholder"); /* P2 only */
	write_text(dir, "cases.csv", cases);
	write_text(dir, "lesions.csv", lesions);
	return dir;
}

static void test_reads_and_groups_by_patient(void)
{
	char lesions[1024];
	struct dlld_cohort *c = NULL;
	struct dlld_error err;
	const char *dir;

	snprintf(lesions, sizeof lesions,
		 "%sP1,L1,metastasis,12.5,1,2,3,0.9,4,7,x\nP2,L1,cyst,5,0,0,0,0.1,1,1,y\n"
		 "P1,L2,hemangioma,30,4,5,6,10,10,20,z\n",
		 lesion_header);
	dir = make_cohort("ok", "patient_id,diseased\nP1,1\nP2,0\n", lesions);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_cohort_read(dir, &c, &err), DLLD_STATUS_OK);
	if (!c)
		return;
	CHECK_INT_EQ(c->n_patients, 2);
	CHECK_INT_EQ(c->n_lesions, 3);
	CHECK_INT_EQ(c->patients[0].n_lesions, 2);
	CHECK_INT_EQ(c->patients[0].first_lesion, 0);
	CHECK_STR_EQ(c->lesions[1].lesion_id, "L2");
	CHECK_INT_EQ(c->lesions[1].cls, DLLD_LESION_CLASS_HEMANGIOMA);
	CHECK_INT_EQ(c->patients[1].first_lesion, 2);
	CHECK_INT_EQ(c->lesions[2].cls, DLLD_LESION_CLASS_CYST);
	CHECK_NEAR(c->lesions[0].centroid_lps[2], 3.0, 0.0);
	CHECK_INT_EQ(c->lesions[0].last_slice, 7);
	CHECK(strstr(c->patients[0].ct_path, "P1/ct.nii.gz") != NULL);
	CHECK_STR_EQ(c->patients[0].liver_path, "");
	CHECK(strstr(c->patients[1].liver_path, "P2/liver.nii.gz") != NULL);
	CHECK_INT_EQ(dlld_cohort_find_patient(c, "P2"), 1);
	CHECK_INT_EQ(dlld_cohort_find_patient(c, "P3"), -1);
	dlld_cohort_destroy(c);
}

static void expect_error(const char *name, const char *cases, const char *lesion_rows,
			 enum dlld_status want, const char *reason_part, long line)
{
	char lesions[1024];
	struct dlld_cohort *c = NULL;
	struct dlld_error err;
	const char *dir;

	snprintf(lesions, sizeof lesions, "%s%s", lesion_header, lesion_rows);
	dir = make_cohort(name, cases, lesions);
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_cohort_read(dir, &c, &err), want);
	CHECK(c == NULL);
	CHECK_MSG(strstr(err.reason, reason_part) != NULL, "%s: reason '%s' lacks '%s'", name,
		  err.reason, reason_part);
	if (line >= 0)
		CHECK_INT_EQ(err.line, line);
}

static void test_errors(void)
{
	const char *cases = "patient_id,diseased\nP1,1\nP2,0\n";
	const char *met = "P1,L1,metastasis,12,0,0,0,1,1,2,\n";

	expect_error("unknown", cases, "P1,L1,metastasis,12,0,0,0,1,1,2,\nP9,L1,cyst,3,0,0,0,1,1,1,\n",
		     DLLD_STATUS_INCONSISTENT, "P9", 3);
	expect_error("dup-patient", "patient_id,diseased\nP1,1\nP1,0\n", met,
		     DLLD_STATUS_MALFORMED, "listed twice", 3);
	expect_error("dup-lesion", cases, "P1,L1,metastasis,12,0,0,0,1,1,2,\nP1,L1,cyst,3,0,0,0,1,1,1,\n",
		     DLLD_STATUS_MALFORMED, "listed twice", 3);
	expect_error("class", cases, "P1,L1,tumour,12,0,0,0,1,1,2,\n", DLLD_STATUS_MALFORMED,
		     "tumour", 2);
	expect_error("number", cases, "P1,L1,metastasis,big,0,0,0,1,1,2,\n",
		     DLLD_STATUS_MALFORMED, "diameter_mm", 2);
	expect_error("flag", "patient_id,diseased\nP1,0\nP2,0\n", met, DLLD_STATUS_INCONSISTENT,
		     "diseased=0", -1);
	expect_error("flag-value", "patient_id,diseased\nP1,2\nP2,0\n", met, DLLD_STATUS_MALFORMED,
		     "0 or 1", 2);
	expect_error("column", "patient_id\nP1\nP2\n", met, DLLD_STATUS_MALFORMED, "diseased", 1);
	expect_error("no-ct", "patient_id,diseased\nP1,1\nP2,0\nP3,0\n", met,
		     DLLD_STATUS_NOT_FOUND, "P3", -1);
}

static void test_missing_folder(void)
{
	struct dlld_cohort *c;
	struct dlld_error err;
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_cohort_read("/nonexistent/cohort", &c, &err), DLLD_STATUS_NOT_FOUND);
}

static void test_class_names(void)
{
	enum dlld_lesion_class cls;
	for (int c = 0; c < DLLD_LESION_CLASS_COUNT; c++) {
		CHECK(dlld_lesion_class_parse(dlld_lesion_class_name((enum dlld_lesion_class)c), &cls));
		CHECK_INT_EQ(cls, c);
	}
	CHECK(!dlld_lesion_class_parse("Metastasis", &cls));
}

int main(void)
{
	dlld_test_run("cohort: tables read, lesions grouped by patient", test_reads_and_groups_by_patient);
	dlld_test_run("cohort: bad tables give file:line errors", test_errors);
	dlld_test_run("cohort: missing folder", test_missing_folder);
	dlld_test_run("lesion class names round-trip", test_class_names);
	return dlld_test_finish();
}

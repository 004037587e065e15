/*
 * tests/eval/test_study.c — loading the four study tables: conventions
 * (duplicate marks, thresholds, the positive column, −∞ for unmarked), the
 * errors with file:line for bad input, and the paper's printed intervals
 * reproduced through dlld_eval_run from a study built to have its counts.
 */
#include "eval/study.h"
#include "eval_fixture.h"
#include "harness.h"

#include <string.h>

static const char *const base_cases = "patient_id,diseased\nN1,0\nN2,0\nD1,1\nD2,1\n";
static const char *const base_lesions =
	"patient_id,lesion_id,diameter_mm\nD1,L1,5\nD1,L2,10.0\nD2,L1,12\n";
static const char *const base_readers = "reader,group,threshold\nAI,AI,50\nR1,rad,3\nR2,rad,3\n";
static const char *const base_marks = "reader,patient_id,lesion_id,rating,positive\n"
				      "AI,D1,L1,40,\n"
				      "AI,D1,L1,70,\n"     /* duplicate: 70 wins */
				      "AI,D1,L2,99,0\n"    /* explicit negative */
				      "AI,N1,,60,\n"       /* positive NL */
				      "AI,N1,,20,1\n"      /* explicitly positive NL */
				      "R1,D2,L1,3,\n"
				      "R1,N2,,2,\n";

/* Writes a study to a fresh folder, replacing one table when `name` is given. */
static const char *study_dir(const char *name, const char *text)
{
	static int n;
	static char dir[EVAL_TEST_PATH_MAX];
	char sub[32];
	snprintf(sub, sizeof sub, "study%d", n++);
	if (!join_path(dir, sizeof dir, dlld_test_tmpdir(), sub) || dlld_mkdir_p(dir, NULL))
		return NULL;
	write_text(dir, "cases.csv", base_cases);
	write_text(dir, "lesions.csv", base_lesions);
	write_text(dir, "readers.csv", base_readers);
	write_text(dir, "marks.csv", base_marks);
	if (name)
		write_text(dir, name, text);
	return dir;
}

static void test_conventions(void)
{
	struct dlld_eval_study *s = NULL;
	struct dlld_error err;

	CHECK_INT_EQ(load_study_dir(study_dir(NULL, NULL), &s, &err), DLLD_STATUS_OK);
	if (!s)
		return;
	CHECK_INT_EQ(s->n_patients, 4);
	CHECK_INT_EQ(s->n_normal, 2);
	CHECK_INT_EQ(s->n_diseased, 2);
	CHECK_INT_EQ(s->n_lesions, 3);
	CHECK_INT_EQ(s->n_groups, 2);
	CHECK_STR_EQ(s->groups[0].name, "AI");
	CHECK_INT_EQ(s->groups[1].n_readers, 2);
	CHECK(s->ll_rating[0] == 70 && s->ll_positive[0] == 1);  /* duplicate collapsed */
	CHECK(s->ll_rating[1] == 99 && s->ll_positive[1] == 0);  /* positive column says 0 */
	CHECK(s->ll_rating[2] == -INFINITY && !s->ll_positive[2]); /* unmarked */
	CHECK(s->nl_max[0] == 60 && s->nl_count[0] == 2 && s->nl_positive[0] == 2);
	CHECK(s->nl_max[1] == -INFINITY && s->nl_count[1] == 0);
	CHECK(s->ll_rating[3 + 2] == 3 && s->ll_positive[3 + 2] == 1); /* R1: 3 >= 3 */
	CHECK(s->nl_max[4 + 1] == 2 && s->nl_positive[4 + 1] == 0);    /* R1: 2 < 3 */
	CHECK_INT_EQ(s->nl_first[3] - s->nl_first[2], 0);              /* R2: no marks */
	CHECK_STR_EQ(s->lesions[1].id, "L2");
	CHECK(s->lesions[1].diameter_mm == 10.0);
	dlld_eval_study_destroy(s);
}

struct bad_case {
	const char *what, *file, *text;
	enum dlld_status status;
	long line;
};

static const struct bad_case bad_cases[] = {
	{"unknown patient in marks", "marks.csv",
	 "reader,patient_id,lesion_id,rating\nAI,D1,L1,40\nAI,X9,,40\n", DLLD_STATUS_INCONSISTENT, 3},
	{"unknown lesion in marks", "marks.csv",
	 "reader,patient_id,lesion_id,rating\nAI,D2,L2,40\n", DLLD_STATUS_INCONSISTENT, 2},
	{"unknown reader in marks", "marks.csv",
	 "reader,patient_id,lesion_id,rating\nAI,D1,L1,4\nR7,D1,L1,4\n", DLLD_STATUS_INCONSISTENT,
	 3},
	{"non-numeric rating", "marks.csv",
	 "reader,patient_id,lesion_id,rating\nAI,D1,L1,4\nAI,D1,L1,high\n", DLLD_STATUS_MALFORMED,
	 3},
	{"infinite rating", "marks.csv", "reader,patient_id,lesion_id,rating\nAI,D1,L1,inf\n",
	 DLLD_STATUS_MALFORMED, 2},
	{"bad positive flag", "marks.csv",
	 "reader,patient_id,lesion_id,rating,positive\nAI,D1,L1,4,2\n", DLLD_STATUS_MALFORMED, 2},
	{"missing rating column", "marks.csv", "reader,patient_id,lesion_id\nAI,D1,L1\n",
	 DLLD_STATUS_MALFORMED, 1},
	{"duplicate patient", "cases.csv", "patient_id,diseased\nN1,0\nN2,0\nD1,1\nD2,1\nN2,0\n",
	 DLLD_STATUS_INCONSISTENT, 6},
	{"diseased flag not 0/1", "cases.csv", "patient_id,diseased\nN1,0\nN2,yes\n",
	 DLLD_STATUS_MALFORMED, 3},
	{"diseased without lesions", "cases.csv",
	 "patient_id,diseased\nN1,0\nN2,1\nD1,1\nD2,1\n", DLLD_STATUS_INCONSISTENT, 3},
	{"lesion on a normal case", "lesions.csv",
	 "patient_id,lesion_id,diameter_mm\nD1,L1,5\nD1,L2,10\nD2,L1,12\nN1,L1,4\n",
	 DLLD_STATUS_INCONSISTENT, 5},
	{"duplicate lesion", "lesions.csv",
	 "patient_id,lesion_id,diameter_mm\nD1,L1,5\nD2,L1,12\nD1,L1,7\n", DLLD_STATUS_INCONSISTENT,
	 4},
	{"lesion of an unknown patient", "lesions.csv",
	 "patient_id,lesion_id,diameter_mm\nD1,L1,5\nQ1,L1,12\n", DLLD_STATUS_INCONSISTENT, 3},
	{"bad diameter", "lesions.csv", "patient_id,lesion_id,diameter_mm\nD1,L1,5mm\n",
	 DLLD_STATUS_MALFORMED, 2},
	{"duplicate reader", "readers.csv", "reader,group,threshold\nAI,AI,50\nR1,r,3\nR1,r,3\n",
	 DLLD_STATUS_INCONSISTENT, 4},
	{"missing threshold column", "readers.csv", "reader,group\nAI,AI\n", DLLD_STATUS_MALFORMED,
	 1},
	{"non-numeric threshold", "readers.csv", "reader,group,threshold\nAI,AI,half\n",
	 DLLD_STATUS_MALFORMED, 2},
};

static void test_bad_input(void)
{
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		const struct bad_case *b = &bad_cases[i];
		struct dlld_eval_study *s = NULL;
		struct dlld_error err;
		enum dlld_status st = load_study_dir(study_dir(b->file, b->text), &s, &err);
		CHECK_MSG(st == b->status, "%s: status %d, want %d", b->what, (int)st,
			  (int)b->status);
		CHECK_MSG(strstr(err.file, b->file) != NULL, "%s: error names '%s', want %s",
			  b->what, err.file, b->file);
		CHECK_MSG(err.line == b->line, "%s: line %ld, want %ld", b->what, err.line, b->line);
		CHECK(s == NULL);
	}
}

static void test_missing_file(void)
{
	struct dlld_eval_study *s = NULL;
	struct dlld_error err;
	CHECK_INT_EQ(load_study_dir("tests/eval/data/no-such-study", &s, &err),
		     DLLD_STATUS_NOT_FOUND);
	CHECK(s == NULL);
}

/* Builds a study with the paper's counts: 45 normal and 40 diseased patients
 * (one 12 mm lesion each); the algorithm finds 35 of the 40 lesions and puts
 * false positives on 35 of the 45 normal cases and 23 diseased ones:
 * 38 patients × 1 FP, 10 × 3, 5 × 4, 5 × 5 → 113 FPs, Σ FP² = 333. */
static const char *paper_study(void)
{
	static char dir[EVAL_TEST_PATH_MAX];
	char buf[EVAL_TEST_PATH_MAX];
	FILE *fp;
	int counts[58], n = 0;

	for (int i = 0; i < 38; i++)
		counts[n++] = 1;
	for (int c = 3; c <= 5; c++)
		for (int i = 0; i < (c == 3 ? 10 : 5); i++)
			counts[n++] = c;
	if (!join_path(dir, sizeof dir, dlld_test_tmpdir(), "paper") ||
	    !join_path(buf, sizeof buf, dir, "cases.csv") || dlld_mkdir_p(dir, NULL) ||
	    !(fp = fopen(buf, "w")))
		return NULL;
	fputs("patient_id,diseased\n", fp);
	for (int i = 1; i <= 45; i++)
		fprintf(fp, "N%d,0\n", i);
	for (int i = 1; i <= 40; i++)
		fprintf(fp, "D%d,1\n", i);
	fclose(fp);
	if (!join_path(buf, sizeof buf, dir, "lesions.csv") || !(fp = fopen(buf, "w")))
		return NULL;
	fputs("patient_id,lesion_id,diameter_mm\n", fp);
	for (int i = 1; i <= 40; i++)
		fprintf(fp, "D%d,L1,12\n", i);
	fclose(fp);
	if (!write_text(dir, "readers.csv", "reader,group,threshold\nAI,AI,50\n") ||
	    !join_path(buf, sizeof buf, dir, "marks.csv") || !(fp = fopen(buf, "w")))
		return NULL;
	fputs("reader,patient_id,lesion_id,rating\n", fp);
	for (int i = 1; i <= 35; i++)
		fprintf(fp, "AI,D%d,L1,90\n", i);
	for (int i = 0; i < 58; i++)
		for (int k = 0; k < counts[i]; k++)
			fprintf(fp, "AI,%c%d,,%d\n", i < 35 ? 'N' : 'D', i < 35 ? i + 1 : i - 34,
				60 + k);
	fclose(fp);
	return dir;
}

static void test_paper_intervals(void)
{
	struct dlld_eval_study *s = NULL;
	struct dlld_eval_result *res = NULL;
	struct dlld_eval_options opt;
	struct dlld_error err;
	const char *dir = paper_study();

	CHECK(dir != NULL);
	if (!dir || load_study_dir(dir, &s, &err) != DLLD_STATUS_OK)
		return;
	dlld_eval_options_default(&opt);
	opt.bootstrap_replicates = 0;
	CHECK_INT_EQ(dlld_eval_run(s, &opt, &res, &err), DLLD_STATUS_OK);
	if (res) {
		const struct dlld_eval_reader_result *r = &res->readers[0];
		/* printed: sensitivity 35/40 (73.30, 94.70), specificity 10/45 (12.40,
		 * 36.60), FPP 113/85 with Σ FP² = 333 (1.052, 1.681) */
		CHECK_INT_EQ(r->patient_sensitivity.x, 35);
		CHECK_INT_EQ(r->patient_sensitivity.n, 40);
		CHECK_NEAR(100 * r->patient_sensitivity.logit_wald.lo, 73.30, 0.05);
		CHECK_NEAR(100 * r->patient_sensitivity.logit_wald.hi, 94.70, 0.05);
		CHECK_INT_EQ(r->patient_specificity.x, 10);
		CHECK_INT_EQ(r->patient_specificity.n, 45);
		CHECK_NEAR(100 * r->patient_specificity.logit_wald.lo, 12.40, 0.05);
		CHECK_NEAR(100 * r->patient_specificity.logit_wald.hi, 36.60, 0.05);
		CHECK_INT_EQ(r->fpp.fp, 113);
		CHECK_INT_EQ(r->fpp.units, 85);
		CHECK(r->fpp.sum_fp_squared == 333);
		CHECK_NEAR(r->fpp.gee_poisson.lo, 1.052, 0.0005);
		CHECK_NEAR(r->fpp.gee_poisson.hi, 1.681, 0.0005);
		/* closed forms (python): expit(logit p ± z sqrt(1/x + 1/(n−x))), exp(log m ± z se) */
		CHECK_NEAR(r->patient_sensitivity.logit_wald.lo, 0.7327985836135584, 1e-12);
		CHECK_NEAR(r->patient_specificity.logit_wald.hi, 0.36586871037075086, 1e-12);
		CHECK_NEAR(r->fpp.gee_poisson.lo, 1.0515272296516784, 1e-12);
		CHECK_NEAR(r->fpp.gee_poisson.hi, 1.6807321677478992, 1e-12);
	}
	dlld_eval_result_destroy(res);
	dlld_eval_study_destroy(s);
}

int main(void)
{
	dlld_test_run("conventions: duplicates, thresholds, positive column, -inf", test_conventions);
	dlld_test_run("bad input: status and file:line", test_bad_input);
	dlld_test_run("missing input file", test_missing_file);
	dlld_test_run("paper's printed intervals from its counts", test_paper_intervals);
	return dlld_test_finish();
}

/* tests/detect/test_train.c — training end to end on a tiny hand-made cohort:
 * the loss falls, a resumed run continues exactly, the model directory loads. */
#include "dlld/detect.h"
#include "harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A small net: 64×64×3 input, two heads (strides 8 and 4), 3 classes. */
static const char *tiny_cfg =
	"[net]\nbatch=8\nsubdivisions=2\nwidth=64\nheight=64\nchannels=3\n"
	"momentum=0.9\ndecay=0.0005\nlearning_rate=0.03\nburn_in=0\nmax_batches=40\n"
	"policy=constant\n"
	"[convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\nstride=1\npad=1\nactivation=leaky\n"
	"[maxpool]\nsize=2\nstride=2\n"
	"[convolutional]\nbatch_normalize=1\nfilters=16\nsize=3\nstride=1\npad=1\nactivation=leaky\n"
	"[maxpool]\nsize=2\nstride=2\n"
	"[convolutional]\nbatch_normalize=1\nfilters=16\nsize=3\nstride=1\npad=1\nactivation=leaky\n"
	"[maxpool]\nsize=2\nstride=2\n"
	"[convolutional]\nbatch_normalize=1\nfilters=32\nsize=3\nstride=1\npad=1\nactivation=leaky\n"
	"[convolutional]\nsize=1\nstride=1\npad=1\nfilters=24\nactivation=linear\n"
	"[yolo]\nmask=3,4,5\nanchors=3,3, 5,5, 8,8, 12,12, 18,18, 26,26\nclasses=3\nnum=6\n"
	"ignore_thresh=.7\ntruth_thresh=1\nrandom=0\n"
	"[route]\nlayers=-3\n"
	"[upsample]\nstride=2\n"
	"[route]\nlayers=-1,4\n"
	"[convolutional]\nbatch_normalize=1\nfilters=16\nsize=3\nstride=1\npad=1\nactivation=leaky\n"
	"[convolutional]\nsize=1\nstride=1\npad=1\nfilters=24\nactivation=linear\n"
	"[yolo]\nmask=0,1,2\nanchors=3,3, 5,5, 8,8, 12,12, 18,18, 26,26\nclasses=3\nnum=6\n"
	"ignore_thresh=.7\ntruth_thresh=1\nrandom=0\n";

static void write_text(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	if (fp) {
		fputs(text, fp);
		fclose(fp);
	}
}

/* Patient p: 48×48×6 at 1 mm, liver disk (100 HU), one lesion disk per
 * patient on slices 1..4: metastasis (20 HU), cyst (-10 HU) or hemangioma
 * (220 HU) by p % 3, radius 5–6 voxels, at a patient-specific place — an
 * easy problem, so that a briefly trained model reliably ranks it first. */
static void write_patient(const char *dir, int p, FILE *lesions)
{
	int32_t dims[3] = {48, 48, 6};
	double sp[3] = {1, 1, 1}, org[3] = {0, 0, 0};
	static const float lesion_hu[3] = {20.0f, -10.0f, 220.0f};
	static const char *names[3] = {"metastasis", "cyst", "hemangioma"};
	struct dlld_geometry g;
	struct dlld_volume *v;
	struct dlld_labelmap *liver, *les;
	char path[1200];
	int cx = 16 + (p * 7) % 16, cy = 18 + (p * 5) % 12, r = 5 + p % 2;

	dlld_geometry_init(&g, dims, sp, org);
	v = dlld_volume_create(&g, NULL);
	liver = dlld_labelmap_create(&g, NULL);
	les = dlld_labelmap_create(&g, NULL);
	for (int32_t k = 0; k < 6; k++)
		for (int32_t j = 0; j < 48; j++)
			for (int32_t i = 0; i < 48; i++) {
				size_t q = dlld_voxel_index(&g, i, j, k);
				bool in = (i - 24) * (i - 24) + (j - 24) * (j - 24) < 20 * 20;
				bool l = (i - cx) * (i - cx) + (j - cy) * (j - cy) <= r * r && k >= 1 && k <= 4;
				v->hu[q] = l ? lesion_hu[p % 3] : (in ? 100.0f : -80.0f);
				liver->label[q] = in;
				les->label[q] = l;
			}
	snprintf(path, sizeof path, "%s/P%d", dir, p);
	mkdir(path, 0777);
	snprintf(path, sizeof path, "%s/P%d/ct.nii.gz", dir, p);
	dlld_nifti_write_volume(v, path, DLLD_NIFTI_TYPE_INT16, NULL);
	snprintf(path, sizeof path, "%s/P%d/liver.nii.gz", dir, p);
	dlld_nifti_write_labels(liver, path, NULL);
	snprintf(path, sizeof path, "%s/P%d/lesions.nii.gz", dir, p);
	dlld_nifti_write_labels(les, path, NULL);
	fprintf(lesions, "P%d,L1,%s,%d,0,0,0,0.1,1,4\n", p, names[p % 3], 2 * r + 1);
	dlld_volume_destroy(v);
	dlld_labelmap_destroy(liver);
	dlld_labelmap_destroy(les);
}

static struct dlld_cohort *make_cohort(const char **cfg_path)
{
	static char dir[600], cfg[700];
	char path[700];
	FILE *cases, *lesions;
	struct dlld_cohort *c = NULL;

	snprintf(dir, sizeof dir, "%s/cohort", dlld_test_tmpdir());
	if (!dlld_path_exists(dir)) {
		mkdir(dir, 0777);
		snprintf(path, sizeof path, "%s/cases.csv", dir);
		cases = fopen(path, "w");
		snprintf(path, sizeof path, "%s/lesions.csv", dir);
		lesions = fopen(path, "w");
		fputs("patient_id,diseased\n", cases);
		fputs("patient_id,lesion_id,class,diameter_mm,x_mm,y_mm,z_mm,volume_ml,first_slice,last_slice\n",
		      lesions);
		for (int p = 0; p < 6; p++) {
			fprintf(cases, "P%d,%d\n", p, p % 3 == 0);
			write_patient(dir, p, lesions);
		}
		fclose(cases);
		fclose(lesions);
		snprintf(cfg, sizeof cfg, "%s/tiny.cfg", dlld_test_tmpdir());
		write_text(cfg, tiny_cfg);
	}
	*cfg_path = cfg;
	dlld_cohort_read(dir, &c, NULL);
	return c;
}

static void options(struct dlld_train_options *o, const char *cfg, const char *model)
{
	dlld_train_options_default(o);
	o->cfg_path = cfg;
	o->model_dir = model;
	o->data.spec.size = 64;
	o->data.spec.pixel_mm = 1.0;
	o->data.margin_mm = 4.0;
	o->augment.shift_mm = 4.0;
	o->val_fraction = 0.2;
	o->checkpoint_every = 0;
	o->validate_every = 0;
	o->threads = 2;
	o->seed = 11;
}

/* Reads column `loss` of MODEL/train_log.csv into losses[]; returns rows. */
static size_t read_losses(const char *model, double *losses, size_t max)
{
	char path[700];
	struct dlld_csv *csv;
	size_t n = 0;
	int col;

	snprintf(path, sizeof path, "%s/train_log.csv", model);
	if (dlld_csv_read(path, &csv, NULL))
		return 0;
	col = dlld_csv_column(csv, "loss");
	for (size_t r = 0; r < dlld_csv_rows(csv) && n < max; r++)
		if (dlld_parse_double(dlld_csv_cell(csv, r, col), &losses[n]))
			n++;
	dlld_csv_destroy(csv);
	return n;
}

static void test_loss_falls_and_model_loads(void)
{
	const char *cfg;
	struct dlld_cohort *c = make_cohort(&cfg);
	struct dlld_train_options o;
	struct dlld_train_result r;
	struct dlld_error err;
	struct dlld_model *m = NULL;
	char model[600];
	double loss[64], first = 0, last = 0;
	size_t n;

	CHECK(c != NULL);
	if (!c)
		return;
	snprintf(model, sizeof model, "%s/model-a", dlld_test_tmpdir());
	options(&o, cfg, model);
	o.iterations = 40;
	dlld_error_clear(&err);
	CHECK_MSG(dlld_train((const struct dlld_cohort *const *)&c, 1, &o, &r, &err) == 0, "%s",
		  err.reason);
	CHECK_INT_EQ(r.iterations, 40);
	n = read_losses(model, loss, 64);
	CHECK_INT_EQ(n, 40);
	for (int k = 0; k < 5 && n == 40; k++) {
		first += loss[k] / 5;
		last += loss[35 + k] / 5;
	}
	CHECK_MSG(last < 0.5 * first, "loss %g -> %g did not halve", first, last);
	CHECK_INT_EQ(dlld_model_load(model, 1, &m, &err), DLLD_STATUS_OK);
	if (m) {
		CHECK_INT_EQ(m->n_yolo, 2);
		CHECK_INT_EQ(m->spec.size, 64);
		CHECK_NEAR(m->spec.pixel_mm, 1.0, 1e-12);
	}
	dlld_model_destroy(m);
	dlld_cohort_destroy(c);
}

static void test_resume_is_exact(void)
{
	const char *cfg;
	struct dlld_cohort *c = make_cohort(&cfg);
	struct dlld_train_options o;
	struct dlld_train_result r;
	struct dlld_error err;
	char straight[600], resumed[600];
	double a[8], b[8];

	snprintf(straight, sizeof straight, "%s/straight", dlld_test_tmpdir());
	snprintf(resumed, sizeof resumed, "%s/resumed", dlld_test_tmpdir());
	options(&o, cfg, straight);
	o.iterations = 6;
	dlld_error_clear(&err);
	CHECK(dlld_train((const struct dlld_cohort *const *)&c, 1, &o, &r, &err) == 0);
	options(&o, cfg, resumed);
	o.iterations = 3; /* as if interrupted after 3 */
	CHECK(dlld_train((const struct dlld_cohort *const *)&c, 1, &o, &r, &err) == 0);
	o.iterations = 6;
	o.resume = true;
	CHECK_MSG(dlld_train((const struct dlld_cohort *const *)&c, 1, &o, &r, &err) == 0, "%s",
		  err.reason);
	CHECK_INT_EQ(read_losses(straight, a, 8), 6);
	CHECK_INT_EQ(read_losses(resumed, b, 8), 6);
	for (int k = 0; k < 6; k++)
		CHECK_MSG(a[k] == b[k], "iteration %d: loss %.9g straight, %.9g resumed", k + 1, a[k], b[k]);
	/* resuming with another seed is refused */
	o.seed = 12;
	o.iterations = 8;
	dlld_error_clear(&err);
	CHECK_INT_EQ(dlld_train((const struct dlld_cohort *const *)&c, 1, &o, &r, &err),
		     DLLD_STATUS_INCONSISTENT);
	dlld_cohort_destroy(c);
}

/* A model trained a little longer finds the lesion of a training patient
 * in the right place through dlld_detect_volume. */
static void test_detect_volume_finds_lesion(void)
{
	const char *cfg;
	struct dlld_cohort *c = make_cohort(&cfg);
	struct dlld_train_options o;
	struct dlld_train_result r;
	struct dlld_error err;
	struct dlld_model *m = NULL;
	struct dlld_volume *v = NULL;
	struct dlld_labelmap *liver = NULL;
	struct dlld_detect_options dopt;
	struct dlld_voxel_box *boxes = NULL;
	char model[600];
	size_t n = 0, best = 0;
	/* patient P4: centre (16 + 28 % 16, 18 + 20 % 12) = (28, 26), radius 5 */
	const double ci = 28, cj = 26;

	snprintf(model, sizeof model, "%s/model-det", dlld_test_tmpdir());
	options(&o, cfg, model);
	o.iterations = 150;
	o.val_fraction = 0.0;
	o.positive_fraction = 0.9;
	dlld_error_clear(&err);
	CHECK(dlld_train((const struct dlld_cohort *const *)&c, 1, &o, &r, &err) == 0);
	CHECK_INT_EQ(dlld_model_load(model, 2, &m, &err), DLLD_STATUS_OK);
	CHECK_INT_EQ(dlld_ct_load(c->patients[4].ct_path, NULL, &v, &err), DLLD_STATUS_OK);
	CHECK_INT_EQ(dlld_nifti_read_labels(c->patients[4].liver_path, &liver, &err), DLLD_STATUS_OK);
	if (!m || !v || !liver)
		goto done;
	dlld_detect_options_default(&dopt);
	m->thresholds.confidence = 1e-4f; /* a briefly trained model is not yet confident */
	CHECK_INT_EQ(dlld_detect_volume(m, v, liver, &dopt, NULL, &boxes, &n, &err), DLLD_STATUS_OK);
	for (size_t b = 0; b < n; b++) {
		CHECK(boxes[b].k >= 0 && boxes[b].k <= 5);
		if (boxes[b].confidence > boxes[best].confidence)
			best = b;
	}
	CHECK_MSG(n > 0, "no box at all");
	if (n) {
		double bi = 0.5 * (boxes[best].i0 + boxes[best].i1);
		double bj = 0.5 * (boxes[best].j0 + boxes[best].j1);
		CHECK_MSG(boxes[best].k >= 1 && boxes[best].k <= 4, "best box on slice %d", boxes[best].k);
		CHECK_MSG((bi - ci) * (bi - ci) + (bj - cj) * (bj - cj) < 9.0,
			  "best box centred at (%.1f, %.1f), lesion at (%.0f, %.0f)", bi, bj, ci, cj);
	}
done:
	free(boxes);
	dlld_volume_destroy(v);
	dlld_labelmap_destroy(liver);
	dlld_model_destroy(m);
	dlld_cohort_destroy(c);
}

int main(void)
{
	dlld_test_run("train: loss falls on a tiny cohort, model loads", test_loss_falls_and_model_loads);
	dlld_test_run("train: resume continues exactly", test_resume_is_exact);
	dlld_test_run("detect: a trained model finds the lesion in its volume", test_detect_volume_finds_lesion);
	return dlld_test_finish();
}

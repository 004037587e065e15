/* synth/cohort.c — rendering one planned patient and writing whole cohorts
 * (DESIGN §4): patients in parallel on a pool, each from its own RNG
 * stream; every file atomic; cases.csv and lesions.csv written last. */
#include "dlld/synth.h"
#include "synth/synth_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum dlld_status dlld_synth_render(const struct dlld_synth_plan *plan, size_t index,
				   struct dlld_synth_case **out, struct dlld_error *err)
{
	const struct dlld_synth_patient_plan *pp;
	struct synth_anatomy anatomy;
	struct dlld_synth_case *c;
	struct dlld_rng rng;
	enum dlld_status st;

	*out = NULL;
	if (index >= plan->n_patients)
		return dlld_error_set(err, DLLD_STATUS_USAGE, NULL, "no patient %zu in the plan",
				      index);
	pp = &plan->patients[index];
	c = dlld_calloc(1, sizeof *c, "synthetic case", err);
	if (!c)
		return DLLD_STATUS_NO_MEMORY;
	dlld_rng_seed_stream(&rng, plan->opts.seed, pp->stream);
	st = synth_anatomy_build(&anatomy, &rng, err);
	if (st) {
		free(c);
		return st;
	}
	st = synth_lesions_place(&anatomy, pp, &rng, err);
	if (!st)
		st = synth_render_volume(&anatomy, &plan->opts, pp->n_lesions, &rng, c, err);
	if (!st && pp->n_lesions > 0) {
		c->records = dlld_calloc(pp->n_lesions, sizeof *c->records, "lesion records", err);
		st = c->records ? DLLD_STATUS_OK : DLLD_STATUS_NO_MEMORY;
	}
	if (!st) {
		c->n_lesions = pp->n_lesions;
		st = dlld_synth_measure(c->lesions, c->n_lesions, c->records, err);
	}
	for (size_t l = 0; !st && l < c->n_lesions; l++)
		c->records[l].cls = pp->lesions[l].cls;
	synth_anatomy_free(&anatomy);
	if (st) {
		dlld_error_set(err, st, NULL, "patient %s", pp->patient_id);
		dlld_synth_case_destroy(c);
		return st;
	}
	*out = c;
	return DLLD_STATUS_OK;
}

void dlld_synth_case_destroy(struct dlld_synth_case *c)
{
	if (!c)
		return;
	dlld_volume_destroy(c->ct);
	dlld_labelmap_destroy(c->liver);
	dlld_labelmap_destroy(c->lesions);
	dlld_labelmap_destroy(c->vessels);
	free(c->records);
	free(c);
}

/* ---- the cohort directory ------------------------------------------------------ */
/* What cases.csv and lesions.csv need of a rendered patient. */
struct patient_result {
	size_t n_lesions;
	struct dlld_synth_lesion_record *records;
	double liver_volume_ml;
};

struct cohort_job {
	const struct dlld_synth_plan *plan;
	const char *dir;
	struct patient_result *results;
	pthread_mutex_t lock;
	struct dlld_progress progress;
	size_t done;
	bool failed;
	struct dlld_error error; /* the first failure */
};

static enum dlld_status write_file(const char *dir, const char *name,
				   const struct dlld_volume *v, const struct dlld_labelmap *m,
				   struct dlld_error *err)
{
	char *path = dlld_path_join(dir, name, err);
	enum dlld_status st;

	if (!path)
		return DLLD_STATUS_NO_MEMORY;
	st = v ? dlld_nifti_write_volume(v, path, DLLD_NIFTI_TYPE_INT16, err)
	       : dlld_nifti_write_labels(m, path, err);
	free(path);
	return st;
}

static enum dlld_status write_patient(const struct dlld_synth_plan *plan, size_t index,
				      const char *pdir, const struct dlld_synth_case *c,
				      struct dlld_error *err)
{
	const struct dlld_synth_patient_plan *pp = &plan->patients[index];
	enum dlld_status st = dlld_mkdir_p(pdir, err);

	if (!st)
		st = write_file(pdir, "ct.nii.gz", c->ct, NULL, err);
	if (!st)
		st = write_file(pdir, "lesions.nii.gz", NULL, c->lesions, err);
	if (!st)
		st = write_file(pdir, "liver.nii.gz", NULL, c->liver, err);
	if (!st)
		st = write_file(pdir, "vessels.nii.gz", NULL, c->vessels, err);
	if (!st && plan->opts.dicom) {
		struct dlld_dicom_write_options o = {
			.patient_id = pp->patient_id,
			.series_description = "DLLD synthetic portal venous phase",
			.uid_seed = plan->opts.seed ^ (pp->stream * 0x9e3779b97f4a7c15ULL),
			.window_center = 60.0,
			.window_width = 400.0,
		};
		char *ddir = dlld_path_join(pdir, "dicom", err);
		st = ddir ? dlld_dicom_write_series(c->ct, ddir, &o, err) : DLLD_STATUS_NO_MEMORY;
		free(ddir);
	}
	return st;
}

static size_t count_labels(const struct dlld_labelmap *m)
{
	size_t n = 0, total = 0;

	dlld_geometry_voxels(&m->geom, &total);
	for (size_t i = 0; i < total; i++)
		n += m->label[i] != 0;
	return n;
}

static void cohort_task(void *ctx, size_t index, int worker)
{
	struct cohort_job *job = ctx;
	const struct dlld_synth_patient_plan *pp = &job->plan->patients[index];
	struct dlld_synth_case *c = NULL;
	struct dlld_error err;
	enum dlld_status st;
	char *pdir;

	(void)worker;
	dlld_error_clear(&err);
	if (job->failed)
		return;
	pdir = dlld_path_join(job->dir, pp->patient_id, &err);
	st = pdir ? dlld_synth_render(job->plan, index, &c, &err) : DLLD_STATUS_NO_MEMORY;
	if (!st)
		st = write_patient(job->plan, index, pdir, c, &err);
	if (!st) {
		struct patient_result *r = &job->results[index];
		const double *sp = c->liver->geom.spacing_mm;
		r->n_lesions = c->n_lesions;
		r->records = c->records; /* taken from the case */
		c->records = NULL;
		r->liver_volume_ml = (double)count_labels(c->liver) * sp[0] * sp[1] * sp[2] / 1000.0;
	}
	dlld_synth_case_destroy(c);
	free(pdir);
	pthread_mutex_lock(&job->lock);
	if (st && !job->failed) {
		job->failed = true;
		job->error = err;
	}
	dlld_progress_update(&job->progress, ++job->done);
	pthread_mutex_unlock(&job->lock);
}

static enum dlld_status write_cases(const struct cohort_job *job, struct dlld_error *err)
{
	const struct dlld_synth_plan *plan = job->plan;
	struct dlld_atomic_file af;
	char *path = dlld_path_join(job->dir, "cases.csv", err);
	enum dlld_status st;

	if (!path)
		return DLLD_STATUS_NO_MEMORY;
	st = dlld_atomic_open(&af, path, err);
	free(path);
	if (st)
		return st;
	fprintf(af.fp, "patient_id,diseased,n_metastases,n_cysts,n_hemangiomas,liver_volume_ml\n");
	for (size_t p = 0; p < plan->n_patients; p++) {
		const struct dlld_synth_patient_plan *pp = &plan->patients[p];
		fprintf(af.fp, "%s,%d,%zu,%zu,%zu,%.1f\n", pp->patient_id,
			pp->n_by_class[DLLD_LESION_CLASS_METASTASIS] > 0,
			pp->n_by_class[DLLD_LESION_CLASS_METASTASIS],
			pp->n_by_class[DLLD_LESION_CLASS_CYST],
			pp->n_by_class[DLLD_LESION_CLASS_HEMANGIOMA], job->results[p].liver_volume_ml);
	}
	return dlld_atomic_commit(&af, err);
}

static enum dlld_status write_lesions(const struct cohort_job *job, struct dlld_error *err)
{
	const struct dlld_synth_plan *plan = job->plan;
	struct dlld_atomic_file af;
	char *path = dlld_path_join(job->dir, "lesions.csv", err);
	enum dlld_status st;

	if (!path)
		return DLLD_STATUS_NO_MEMORY;
	st = dlld_atomic_open(&af, path, err);
	free(path);
	if (st)
		return st;
	fprintf(af.fp, "patient_id,lesion_id,class,diameter_mm,x_mm,y_mm,z_mm,volume_ml,"
		       "first_slice,last_slice,planned_diameter_mm\n");
	for (size_t p = 0; p < plan->n_patients; p++) {
		const struct patient_result *r = &job->results[p];
		const struct dlld_synth_patient_plan *pp = &plan->patients[p];
		for (size_t l = 0; l < r->n_lesions; l++) {
			const struct dlld_synth_lesion_record *rec = &r->records[l];
			fprintf(af.fp, "%s,L%u,%s,%.2f,%.3f,%.3f,%.3f,%.4f,%d,%d,%.2f\n",
				pp->patient_id, (unsigned)rec->label, dlld_lesion_class_name(rec->cls),
				rec->diameter_mm, rec->centroid_lps[0], rec->centroid_lps[1],
				rec->centroid_lps[2], rec->volume_ml, (int)rec->first_slice,
				(int)rec->last_slice, pp->lesions[l].diameter_mm);
		}
	}
	return dlld_atomic_commit(&af, err);
}

/* Removes the tables of an earlier run, so the cohort reads as incomplete
 * until this run has finished. */
static enum dlld_status retract_tables(const char *dir, struct dlld_error *err)
{
	static const char *const names[] = {"cases.csv", "lesions.csv"};

	for (size_t k = 0; k < 2; k++) {
		char *path = dlld_path_join(dir, names[k], err);
		if (!path)
			return DLLD_STATUS_NO_MEMORY;
		if (dlld_path_exists(path) && remove(path) != 0) {
			dlld_error_set(err, DLLD_STATUS_WRITE, path, "cannot remove the old table");
			free(path);
			return DLLD_STATUS_WRITE;
		}
		free(path);
	}
	return DLLD_STATUS_OK;
}

enum dlld_status dlld_synth_write_cohort(const struct dlld_synth_plan *plan, const char *dir,
					 struct dlld_error *err)
{
	struct cohort_job job = {.plan = plan, .dir = dir};
	struct dlld_pool *pool = NULL;
	enum dlld_status st;

	dlld_error_clear(&job.error);
	st = dlld_mkdir_p(dir, err);
	if (!st)
		st = retract_tables(dir, err);
	if (st)
		return st;
	job.results = dlld_calloc(plan->n_patients, sizeof *job.results, "patient results", err);
	pool = job.results ? dlld_pool_create(plan->opts.threads, err) : NULL;
	if (!pool) {
		free(job.results);
		return err->status ? err->status : DLLD_STATUS_NO_MEMORY;
	}
	pthread_mutex_init(&job.lock, NULL);
	dlld_log(DLLD_LOG_LEVEL_INFO, "%s cohort: %zu patients (%zu diseased), %zu metastases, "
		 "%zu cysts, %zu hemangiomas, seed %llu", dlld_synth_preset_name(plan->opts.preset),
		 plan->n_patients, plan->n_diseased, plan->n_by_class[DLLD_LESION_CLASS_METASTASIS],
		 plan->n_by_class[DLLD_LESION_CLASS_CYST],
		 plan->n_by_class[DLLD_LESION_CLASS_HEMANGIOMA], (unsigned long long)plan->opts.seed);
	dlld_progress_begin(&job.progress, "synth", "patients", plan->n_patients);
	dlld_pool_run(pool, plan->n_patients, cohort_task, &job);
	dlld_progress_end(&job.progress);
	pthread_mutex_destroy(&job.lock);
	dlld_pool_destroy(pool);
	if (job.failed) {
		*err = job.error;
		st = job.error.status;
	}
	if (!st)
		st = write_lesions(&job, err);
	if (!st)
		st = write_cases(&job, err);
	for (size_t p = 0; p < plan->n_patients; p++)
		free(job.results[p].records);
	free(job.results);
	return st;
}

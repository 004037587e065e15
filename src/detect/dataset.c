/* detect/dataset.c — the training slices of cohorts, cropped to the liver and
 * held as int16 so a few hundred patients fit in memory. */
#include "dlld/detect.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dataset_case {
	char patient_id[64];
	struct dlld_geometry geom;   /* of the crop */
	int16_t *hu;                 /* crop voxels */
	uint16_t *label;             /* crop lesion instance labels */
	enum dlld_lesion_class *class_of_label; /* label n -> class, n = 1..n_labels */
	size_t n_labels;
	double centre_ij[2];         /* grid centre: the liver box's centre (crop voxels) */
};

struct dlld_dataset {
	struct dlld_dataset_options opts;
	size_t n_cases;
	struct dataset_case *cases;
	size_t n_samples;
	struct dlld_dataset_sample *samples;
	int32_t max_plane[2];        /* largest crop nx, ny (for scratch) */
};

struct dlld_dataset_scratch {
	struct dlld_volume slab;     /* 3 float slices of the largest crop */
	struct dlld_labelmap labels; /* 1 slice */
};

void dlld_dataset_options_default(struct dlld_dataset_options *o)
{
	dlld_input_spec_default(&o->spec);
	o->margin_mm = 20.0;
	o->slice_margin = 1;
}

static void case_free(struct dataset_case *c)
{
	free(c->hu);
	free(c->label);
	free(c->class_of_label);
}

void dlld_dataset_destroy(struct dlld_dataset *ds)
{
	if (!ds)
		return;
	for (size_t c = 0; c < ds->n_cases; c++)
		case_free(&ds->cases[c]);
	free(ds->cases);
	free(ds->samples);
	free(ds);
}

/* Crop box [lo, hi] per axis, in voxels of the full volume. */
struct crop {
	int32_t lo[3], hi[3];
};

/* Fills crop with the liver's box plus margins (the whole volume without a
 * liver) and centre_ij with the liver box's in-plane centre, in crop voxels:
 * the network grid is centred there in training as in detection. */
static void find_crop(const struct dlld_labelmap *liver, const struct dlld_geometry *g,
		      const struct dlld_dataset_options *o, struct crop *crop, double centre_ij[2])
{
	struct dlld_liver_box box;

	for (int a = 0; a < 3; a++) {
		crop->lo[a] = 0;
		crop->hi[a] = g->dims[a] - 1;
	}
	if (!liver || !dlld_liver_box_find(liver, &box)) {
		centre_ij[0] = 0.5 * (g->dims[0] - 1);
		centre_ij[1] = 0.5 * (g->dims[1] - 1);
		return;
	}
	for (int a = 0; a < 3; a++) {
		int32_t m = a < 2 ? (int32_t)ceil(o->margin_mm / g->spacing_mm[a]) : o->slice_margin;
		crop->lo[a] = box.lo[a] - m < 0 ? 0 : box.lo[a] - m;
		crop->hi[a] = box.hi[a] + m >= g->dims[a] ? g->dims[a] - 1 : box.hi[a] + m;
	}
	for (int a = 0; a < 2; a++)
		centre_ij[a] = 0.5 * (box.lo[a] + box.hi[a]) - crop->lo[a];
}

/* Fills c->class_of_label from the cohort rows of patient p ("L<n>" ids). */
static enum dlld_status map_labels(const struct dlld_cohort *cohort, size_t p,
				   struct dataset_case *c, uint16_t max_label,
				   const char *mask_path, struct dlld_error *err)
{
	const struct dlld_cohort_patient *pt = &cohort->patients[p];
	bool *seen;

	c->n_labels = max_label;
	c->class_of_label = dlld_calloc(max_label + 1u, sizeof *c->class_of_label, "labels", err);
	seen = dlld_calloc(max_label + 1u, sizeof *seen, "labels", err);
	if (!c->class_of_label || !seen) {
		free(seen);
		return DLLD_STATUS_NO_MEMORY;
	}
	for (size_t l = 0; l < pt->n_lesions; l++) {
		const struct dlld_cohort_lesion *les = &cohort->lesions[pt->first_lesion + l];
		long n;
		char tail;
		if (sscanf(les->lesion_id, "L%ld%c", &n, &tail) != 1 || n < 1 || n > max_label)
			continue; /* a table row without mask voxels: nothing to learn from */
		c->class_of_label[n - 1] = les->cls;
		seen[n] = true;
	}
	for (uint16_t n = 1; n <= max_label; n++) {
		if (!seen[n]) {
			free(seen);
			return dlld_error_set(err, DLLD_STATUS_INCONSISTENT, mask_path,
					      "label %u has no row L%u in lesions.csv", n, n);
		}
	}
	free(seen);
	return DLLD_STATUS_OK;
}

static enum dlld_status copy_crop(const struct dlld_volume *v, const struct dlld_labelmap *lesions,
				  const struct crop *crop, struct dataset_case *c,
				  struct dlld_error *err)
{
	const struct dlld_geometry *g = &v->geom;
	int32_t dims[3];
	size_t n, out = 0;
	double origin[3];

	for (int a = 0; a < 3; a++)
		dims[a] = crop->hi[a] - crop->lo[a] + 1;
	dlld_geometry_to_lps(g, crop->lo[0], crop->lo[1], crop->lo[2], origin);
	c->geom = *g;
	for (int a = 0; a < 3; a++) {
		c->geom.dims[a] = dims[a];
		c->geom.affine[a][3] = origin[a];
	}
	dlld_geometry_voxels(&c->geom, &n);
	c->hu = dlld_calloc(n, sizeof *c->hu, "crop", err);
	c->label = dlld_calloc(n, sizeof *c->label, "crop labels", err);
	if (!c->hu || !c->label)
		return DLLD_STATUS_NO_MEMORY;
	for (int32_t k = crop->lo[2]; k <= crop->hi[2]; k++)
		for (int32_t j = crop->lo[1]; j <= crop->hi[1]; j++)
			for (int32_t i = crop->lo[0]; i <= crop->hi[0]; i++, out++) {
				size_t src = dlld_voxel_index(g, i, j, k);
				float hu = v->hu[src];
				hu = hu < -32768.0f ? -32768.0f : (hu > 32767.0f ? 32767.0f : hu);
				c->hu[out] = (int16_t)lrintf(hu);
				c->label[out] = lesions->label[src];
			}
	return DLLD_STATUS_OK;
}

static enum dlld_status load_case(const struct dlld_cohort *cohort, size_t p,
				  const struct dlld_dataset_options *o, struct dataset_case *c,
				  struct dlld_error *err)
{
	const struct dlld_cohort_patient *pt = &cohort->patients[p];
	struct dlld_volume *v = NULL;
	struct dlld_labelmap *lesions = NULL, *liver = NULL;
	struct crop crop;
	uint16_t max_label = 0;
	size_t n;
	enum dlld_status st;

	snprintf(c->patient_id, sizeof c->patient_id, "%s", pt->id);
	if (!pt->lesions_path[0])
		return dlld_error_set(err, DLLD_STATUS_NOT_FOUND, cohort->dir,
				      "patient '%s' has no lesions.nii.gz", pt->id);
	if ((st = dlld_ct_load(pt->ct_path, NULL, &v, err)) ||
	    (st = dlld_nifti_read_labels(pt->lesions_path, &lesions, err)))
		goto done;
	if (pt->liver_path[0] && (st = dlld_nifti_read_labels(pt->liver_path, &liver, err)))
		goto done;
	if (!dlld_geometry_same(&v->geom, &lesions->geom, 1e-3) ||
	    (liver && !dlld_geometry_same(&v->geom, &liver->geom, 1e-3))) {
		st = dlld_error_set(err, DLLD_STATUS_INCONSISTENT, pt->lesions_path,
				    "mask grid differs from the CT grid of %s", pt->ct_path);
		goto done;
	}
	dlld_geometry_voxels(&v->geom, &n);
	for (size_t q = 0; q < n; q++)
		max_label = lesions->label[q] > max_label ? lesions->label[q] : max_label;
	if ((st = map_labels(cohort, p, c, max_label, pt->lesions_path, err)))
		goto done;
	find_crop(liver, &v->geom, o, &crop, c->centre_ij);
	st = copy_crop(v, lesions, &crop, c, err);
done:
	dlld_volume_destroy(v);
	dlld_labelmap_destroy(lesions);
	dlld_labelmap_destroy(liver);
	return st;
}

struct load_job {
	const struct dlld_cohort *cohort;
	size_t first_case;
	const struct dlld_dataset_options *opts;
	struct dataset_case *cases;
	struct dlld_error *errors;
};

static void load_task(void *ctx, size_t task, int worker)
{
	struct load_job *job = ctx;
	(void)worker;
	dlld_error_clear(&job->errors[task]);
	load_case(job->cohort, task, job->opts, &job->cases[job->first_case + task],
		  &job->errors[task]);
}

/* Fills ds->samples from the loaded cases. */
static enum dlld_status index_samples(struct dlld_dataset *ds, struct dlld_error *err)
{
	size_t total = 0, s = 0;

	for (size_t c = 0; c < ds->n_cases; c++)
		total += (size_t)ds->cases[c].geom.dims[2];
	ds->samples = dlld_calloc(total, sizeof *ds->samples, "samples", err);
	if (!ds->samples)
		return DLLD_STATUS_NO_MEMORY;
	for (size_t c = 0; c < ds->n_cases; c++) {
		const struct dataset_case *dc = &ds->cases[c];
		size_t plane = (size_t)dc->geom.dims[0] * (size_t)dc->geom.dims[1];
		for (int32_t k = 0; k < dc->geom.dims[2]; k++) {
			uint16_t count = 0;
			uint8_t seen[64] = {0}; /* labels are counted once each, up to 512 */
			for (size_t q = 0; q < plane; q++) {
				uint16_t l = dc->label[(size_t)k * plane + q];
				if (l && l < 512 && !(seen[l >> 3] & (1u << (l & 7)))) {
					seen[l >> 3] = (uint8_t)(seen[l >> 3] | (1u << (l & 7)));
					count++;
				}
			}
			ds->samples[s++] = (struct dlld_dataset_sample){(uint32_t)c, k, count};
		}
		for (int a = 0; a < 2; a++)
			if (dc->geom.dims[a] > ds->max_plane[a])
				ds->max_plane[a] = dc->geom.dims[a];
	}
	ds->n_samples = total;
	return DLLD_STATUS_OK;
}

enum dlld_status dlld_dataset_create(const struct dlld_cohort *const *cohorts, size_t n_cohorts,
				     const struct dlld_dataset_options *opts, struct dlld_pool *pool,
				     struct dlld_dataset **out, struct dlld_error *err)
{
	struct dlld_dataset *ds;
	enum dlld_status st;

	*out = NULL;
	if ((st = dlld_input_spec_check(&opts->spec, err)))
		return st;
	ds = dlld_calloc(1, sizeof *ds, "data set", err);
	if (!ds)
		return DLLD_STATUS_NO_MEMORY;
	ds->opts = *opts;
	for (size_t h = 0; h < n_cohorts; h++)
		ds->n_cases += cohorts[h]->n_patients;
	ds->cases = dlld_calloc(ds->n_cases, sizeof *ds->cases, "data set cases", err);
	if (!ds->cases) {
		dlld_dataset_destroy(ds);
		return DLLD_STATUS_NO_MEMORY;
	}
	for (size_t h = 0, first = 0; h < n_cohorts; h++) {
		struct load_job job = {cohorts[h], first, opts, ds->cases, NULL};
		size_t n = cohorts[h]->n_patients;
		job.errors = dlld_calloc(n, sizeof *job.errors, "load errors", err);
		if (!job.errors) {
			dlld_dataset_destroy(ds);
			return DLLD_STATUS_NO_MEMORY;
		}
		dlld_pool_run(pool, n, load_task, &job);
		for (size_t p = 0; p < n && !st; p++)
			if (job.errors[p].status) {
				if (err)
					*err = job.errors[p];
				st = job.errors[p].status;
			}
		free(job.errors);
		if (st) {
			dlld_dataset_destroy(ds);
			return st;
		}
		first += n;
	}
	if ((st = index_samples(ds, err))) {
		dlld_dataset_destroy(ds);
		return st;
	}
	*out = ds;
	return DLLD_STATUS_OK;
}

size_t dlld_dataset_count(const struct dlld_dataset *ds)
{
	return ds->n_samples;
}

size_t dlld_dataset_cases(const struct dlld_dataset *ds)
{
	return ds->n_cases;
}

const struct dlld_dataset_sample *dlld_dataset_sample(const struct dlld_dataset *ds, size_t s)
{
	return &ds->samples[s];
}

const char *dlld_dataset_case_id(const struct dlld_dataset *ds, size_t c)
{
	return ds->cases[c].patient_id;
}

size_t dlld_dataset_bytes(const struct dlld_dataset *ds)
{
	size_t bytes = 0;
	for (size_t c = 0; c < ds->n_cases; c++) {
		const struct dlld_geometry *g = &ds->cases[c].geom;
		bytes += (size_t)g->dims[0] * (size_t)g->dims[1] * (size_t)g->dims[2] *
			 (sizeof(int16_t) + sizeof(uint16_t));
	}
	return bytes;
}

struct dlld_dataset_scratch *dlld_dataset_scratch_create(const struct dlld_dataset *ds,
							 struct dlld_error *err)
{
	struct dlld_dataset_scratch *s = dlld_calloc(1, sizeof *s, "scratch", err);
	size_t plane = (size_t)ds->max_plane[0] * (size_t)ds->max_plane[1];

	if (!s)
		return NULL;
	s->slab.hu = dlld_calloc(plane, 3 * sizeof(float), "scratch slab", err);
	s->labels.label = dlld_calloc(plane, sizeof(uint16_t), "scratch labels", err);
	if (!s->slab.hu || !s->labels.label) {
		dlld_dataset_scratch_destroy(s);
		return NULL;
	}
	return s;
}

void dlld_dataset_scratch_destroy(struct dlld_dataset_scratch *scratch)
{
	if (!scratch)
		return;
	free(scratch->slab.hu);
	free(scratch->labels.label);
	free(scratch);
}

size_t dlld_dataset_render(const struct dlld_dataset *ds, size_t s, const struct dlld_augment *aug,
			   struct dlld_rng *rng, struct dlld_dataset_scratch *scratch, float *image,
			   struct dlld_sample_box *boxes, size_t max_boxes)
{
	const struct dlld_dataset_sample *smp = &ds->samples[s];
	const struct dataset_case *c = &ds->cases[smp->case_index];
	const struct dlld_input_spec *spec = &ds->opts.spec;
	size_t plane = (size_t)c->geom.dims[0] * (size_t)c->geom.dims[1], n_boxes;
	struct dlld_slice_view view;

	/* a 3-slice float slab around k (edges repeated), then slab slice 1 */
	scratch->slab.geom = c->geom;
	scratch->slab.geom.dims[2] = 3;
	for (int32_t d = 0; d < 3; d++) {
		int32_t k = smp->k + d - 1;
		k = k < 0 ? 0 : (k >= c->geom.dims[2] ? c->geom.dims[2] - 1 : k);
		for (size_t q = 0; q < plane; q++)
			scratch->slab.hu[(size_t)d * plane + q] = c->hu[(size_t)k * plane + q];
	}
	scratch->labels.geom = c->geom;
	scratch->labels.geom.dims[2] = 1;
	memcpy(scratch->labels.label, c->label + (size_t)smp->k * plane, plane * sizeof(uint16_t));

	dlld_slice_view_centered(&c->geom, spec, c->centre_ij[0], c->centre_ij[1], &view);
	if (aug)
		dlld_slice_view_augment(&c->geom, spec, aug, &view);
	dlld_sample_render(&scratch->slab, 1, spec, &view, aug, rng, image);
	dlld_sample_boxes(&scratch->labels, 0, spec, &view, c->class_of_label, c->n_labels, boxes,
			  max_boxes, &n_boxes);
	return n_boxes;
}

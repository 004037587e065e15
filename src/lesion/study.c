/* lesion/study.c — one CT study through the whole pipeline, and its outputs. */
#include "lesion/study.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char dlld_detections_header[] =
	"patient_id,lesion_id,class,score,p_metastasis,p_cyst,p_hemangioma,x_mm,y_mm,z_mm,"
	"diameter_mm,first_slice,last_slice,n_slices\n";

void dlld_study_options_default(struct dlld_study_options *o)
{
	memset(o, 0, sizeof *o);
	dlld_liver_options_default(&o->liver);
	dlld_detect_options_default(&o->detect);
	dlld_link_options_default(&o->link);
	dlld_fp_options_default(&o->fp);
	o->overlays = true;
	o->overlay_width = 400.0f;
	o->overlay_level = 50.0f;
}

void dlld_study_result_free(struct dlld_study_result *r)
{
	dlld_lesion_set_free(&r->lesions);
}

/* ---- detections.csv rows ------------------------------------------------- */

/* Writes this patient's detections.csv rows (DESIGN §5): the lesions the
 * filter kept (L1, L2, ...). With removed, the lesions it dropped instead
 * (R1, R2, ...) with one more column naming the step that dropped each:
 * OUT/<id>/removed.csv, from which tools/filter_table.py rebuilds the
 * detections of every prefix of the filter's steps. */
static enum dlld_status write_rows(const char *path, const char *id,
				   const struct dlld_lesion_set *set, bool removed,
				   struct dlld_error *err)
{
	struct dlld_atomic_file af;
	enum dlld_status st = dlld_atomic_open(&af, path, err);
	size_t n = 0;

	if (st)
		return st;
	if (removed)
		fprintf(af.fp, "%.*s,removed_by\n", (int)strlen(dlld_detections_header) - 1,
			dlld_detections_header);
	else
		fputs(dlld_detections_header, af.fp);
	for (size_t l = 0; l < set->n_lesions; l++) {
		const struct dlld_lesion *L = &set->lesions[l];
		if ((L->dropped_by >= 0) != removed)
			continue;
		dlld_csv_write_cell(af.fp, id);
		fprintf(af.fp, ",%c%zu,%s,%.2f,%.4f,%.4f,%.4f,%.2f,%.2f,%.2f,%.2f,%d,%d,%d",
			removed ? 'R' : 'L', ++n, dlld_lesion_class_name(L->cls), L->score,
			L->p[DLLD_LESION_CLASS_METASTASIS], L->p[DLLD_LESION_CLASS_CYST],
			L->p[DLLD_LESION_CLASS_HEMANGIOMA], L->centroid_lps[0], L->centroid_lps[1],
			L->centroid_lps[2], L->diameter_mm, L->first_slice, L->last_slice,
			L->n_slices);
		if (removed)
			fprintf(af.fp, ",%s", dlld_fp_step_name((enum dlld_fp_step)L->dropped_by));
		fputc('\n', af.fp);
	}
	if (ferror(af.fp)) {
		dlld_atomic_abort(&af);
		return dlld_error_set(err, DLLD_STATUS_WRITE, path, "write failed");
	}
	return dlld_atomic_commit(&af, err);
}

/* ---- the per-patient JSON -------------------------------------------------- */

static cJSON *vec(const double *v, int n)
{
	return cJSON_CreateDoubleArray(v, n);
}

static cJSON *box_json(const struct dlld_voxel_box *b, const struct dlld_geometry *g)
{
	cJSON *o = cJSON_CreateObject();
	double lo[3], hi[3], ij[4] = {b->i0, b->j0, b->i1, b->j1};

	dlld_geometry_to_lps(g, b->i0, b->j0, b->k, lo);
	dlld_geometry_to_lps(g, b->i1, b->j1, b->k, hi);
	cJSON_AddNumberToObject(o, "slice", b->k);
	cJSON_AddItemToObject(o, "box_voxel", vec(ij, 4));
	cJSON_AddItemToObject(o, "corner0_lps_mm", vec(lo, 3));
	cJSON_AddItemToObject(o, "corner1_lps_mm", vec(hi, 3));
	cJSON_AddNumberToObject(o, "objectness", b->objectness);
	cJSON_AddNumberToObject(o, "p_metastasis", b->prob[DLLD_LESION_CLASS_METASTASIS]);
	cJSON_AddNumberToObject(o, "p_cyst", b->prob[DLLD_LESION_CLASS_CYST]);
	cJSON_AddNumberToObject(o, "p_hemangioma", b->prob[DLLD_LESION_CLASS_HEMANGIOMA]);
	return o;
}

static cJSON *lesion_json(const struct dlld_lesion_set *set, size_t l, const struct dlld_geometry *g)
{
	const struct dlld_lesion *L = &set->lesions[l];
	cJSON *o = cJSON_CreateObject(), *boxes;
	char id[32];

	snprintf(id, sizeof id, "L%zu", l + 1);
	cJSON_AddStringToObject(o, "lesion_id", id);
	cJSON_AddStringToObject(o, "class", dlld_lesion_class_name(L->cls));
	cJSON_AddNumberToObject(o, "score", L->score);
	cJSON_AddNumberToObject(o, "p_metastasis", L->p[DLLD_LESION_CLASS_METASTASIS]);
	cJSON_AddNumberToObject(o, "p_cyst", L->p[DLLD_LESION_CLASS_CYST]);
	cJSON_AddNumberToObject(o, "p_hemangioma", L->p[DLLD_LESION_CLASS_HEMANGIOMA]);
	cJSON_AddItemToObject(o, "centroid_lps_mm", vec(L->centroid_lps, 3));
	cJSON_AddItemToObject(o, "centroid_voxel", vec(L->centroid_ijk, 3));
	cJSON_AddNumberToObject(o, "diameter_mm", L->diameter_mm);
	cJSON_AddNumberToObject(o, "best_slice", L->best_slice);
	cJSON_AddNumberToObject(o, "first_slice", L->first_slice);
	cJSON_AddNumberToObject(o, "last_slice", L->last_slice);
	cJSON_AddNumberToObject(o, "n_slices", L->n_slices);
	if (isfinite(L->p_real))
		cJSON_AddNumberToObject(o, "p_real", L->p_real);
	boxes = cJSON_AddArrayToObject(o, "boxes");
	for (size_t b = 0; b < L->n_boxes; b++)
		cJSON_AddItemToArray(boxes, box_json(&set->boxes[L->first_box + b], g));
	return o;
}

static cJSON *geometry_json(const struct dlld_volume *v)
{
	cJSON *o = cJSON_CreateObject(), *aff = cJSON_AddArrayToObject(o, "affine_voxel_to_lps");
	double dims[3] = {v->geom.dims[0], v->geom.dims[1], v->geom.dims[2]};

	cJSON_AddItemToObject(o, "dims", vec(dims, 3));
	cJSON_AddItemToObject(o, "spacing_mm", vec(v->geom.spacing_mm, 3));
	for (int r = 0; r < 4; r++)
		cJSON_AddItemToArray(aff, vec(v->geom.affine[r], 4));
	cJSON_AddStringToObject(o, "source", v->prov.source_path);
	cJSON_AddStringToObject(o, "series_uid", v->prov.series_uid);
	return o;
}

static cJSON *pipeline_json(const struct dlld_model *m, const struct dlld_study_options *o,
			    const struct dlld_study_result *r)
{
	cJSON *p = cJSON_CreateObject(), *model = cJSON_AddObjectToObject(p, "model");
	cJSON *liver = cJSON_AddObjectToObject(p, "liver");
	cJSON *filter = cJSON_AddObjectToObject(p, "filter");
	cJSON *removed = cJSON_AddObjectToObject(filter, "removed");
	cJSON *enabled = cJSON_AddArrayToObject(filter, "enabled");

	cJSON_AddStringToObject(model, "dir", m->dir);
	cJSON_AddStringToObject(model, "name", m->name);
	cJSON_AddNumberToObject(model, "confidence_threshold", m->thresholds.confidence);
	cJSON_AddNumberToObject(model, "nms_iou", m->thresholds.nms_iou);
	cJSON_AddNumberToObject(model, "operating_score", m->thresholds.score);
	cJSON_AddNumberToObject(model, "input_size", m->spec.size);
	cJSON_AddNumberToObject(model, "pixel_mm", m->spec.pixel_mm);
	cJSON_AddNumberToObject(liver, "volume_ml", r->liver.volume_ml);
	cJSON_AddNumberToObject(liver, "hu_mode", r->liver.hu_mode);
	cJSON_AddBoolToObject(liver, "lung_found", r->liver.lung_found);
	for (int s = 0; s < DLLD_FP_STEP_COUNT; s++) {
		cJSON_AddNumberToObject(removed, dlld_fp_step_name((enum dlld_fp_step)s),
					(double)r->removed[s]);
		if (o->fp.enable[s])
			cJSON_AddItemToArray(enabled, cJSON_CreateString(
							      dlld_fp_step_name((enum dlld_fp_step)s)));
	}
	cJSON_AddNumberToObject(filter, "min_score", o->fp.min_score);
	cJSON_AddBoolToObject(filter, "fp_model", o->fp.model.present);
	cJSON *settings = cJSON_AddObjectToObject(filter, "settings");
	for (size_t i = 0; i < dlld_fp_param_count(); i++)
		cJSON_AddNumberToObject(settings, dlld_fp_param_at(i)->name,
					dlld_fp_param_get(&o->fp, i));
	cJSON_AddNumberToObject(p, "slice_boxes", (double)r->n_boxes);
	cJSON_AddNumberToObject(p, "lesions_before_filter", (double)r->n_linked);
	return p;
}

static enum dlld_status write_json(const char *path, const struct dlld_model *m,
				   const struct dlld_study_options *o, const struct dlld_volume *v,
				   const struct dlld_study_result *r, struct dlld_error *err)
{
	cJSON *root = cJSON_CreateObject(), *lesions;
	char *text;
	enum dlld_status st;

	cJSON_AddStringToObject(root, "patient_id", r->patient_id);
	cJSON_AddItemToObject(root, "geometry", geometry_json(v));
	cJSON_AddItemToObject(root, "pipeline", pipeline_json(m, o, r));
	lesions = cJSON_AddArrayToObject(root, "lesions");
	for (size_t l = 0; l < r->lesions.n_lesions; l++)
		cJSON_AddItemToArray(lesions, lesion_json(&r->lesions, l, &v->geom));
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (!text)
		return dlld_error_set(err, DLLD_STATUS_NO_MEMORY, path, "cannot format JSON");
	st = dlld_write_file_atomic(path, text, strlen(text), err);
	free(text);
	return st;
}

/* ---- overlays ---------------------------------------------------------------- */

static enum dlld_status write_overlays(const char *dir, const struct dlld_volume *v,
				       const struct dlld_study_options *o,
				       const struct dlld_study_result *r, struct dlld_error *err)
{
	const struct dlld_lesion_set *set = &r->lesions;
	struct dlld_overlay_box *boxes = dlld_calloc(set->n_boxes + 1, sizeof *boxes, "overlay", err);
	enum dlld_status st = DLLD_STATUS_OK;

	if (!boxes)
		return DLLD_STATUS_NO_MEMORY;
	for (size_t l = 0; l < set->n_lesions && !st; l++) {
		int32_t k = set->lesions[l].best_slice;
		size_t n = 0;
		char path[1200], caption[160];
		/* every lesion's box on this slice, so neighbours are seen together */
		for (size_t m = 0; m < set->n_lesions; m++) {
			const struct dlld_lesion *L = &set->lesions[m];
			bool labelled = false; /* a lesion split in two boxes is labelled once */
			for (size_t b = 0; b < L->n_boxes; b++) {
				const struct dlld_voxel_box *vb = &set->boxes[L->first_box + b];
				if (vb->k != k)
					continue;
				boxes[n] = (struct dlld_overlay_box){vb->i0, vb->j0, vb->i1, vb->j1, L->cls, ""};
				if (!labelled)
					snprintf(boxes[n].label, sizeof boxes[n].label, "L%zu %s %.0f", m + 1,
						 dlld_lesion_class_name(L->cls), L->score);
				labelled = true;
				n++;
			}
		}
		snprintf(caption, sizeof caption, "%s  slice %d  L%zu %s  score %.0f  %.1f mm",
			 r->patient_id, k, l + 1, dlld_lesion_class_name(set->lesions[l].cls),
			 set->lesions[l].score, set->lesions[l].diameter_mm);
		snprintf(path, sizeof path, "%s/overlay_L%zu.png", dir, l + 1);
		st = dlld_overlay_write(v, k, o->overlay_width, o->overlay_level, boxes, n, caption, path,
					err);
	}
	free(boxes);
	return st;
}

/* ---- the pipeline --------------------------------------------------------------- */

/* Runs liver mask, detection, linking and filter on v; fills r, whose
 * lesions still include the dropped ones (dropped_by >= 0). Returns the new
 * liver mask in *liver. */
static enum dlld_status analyse(struct dlld_model *model, const struct dlld_volume *v,
				const struct dlld_study_options *o, struct dlld_pool *pool,
				struct dlld_labelmap **liver, struct dlld_study_result *r,
				struct dlld_error *err)
{
	struct dlld_voxel_box *boxes = NULL;
	double t0 = dlld_time_now();
	enum dlld_status st;

	if ((st = dlld_liver_mask(v, &o->liver, &r->liver, liver, err)))
		return st;
	r->seconds_liver = dlld_time_now() - t0;
	t0 = dlld_time_now();
	st = dlld_detect_volume(model, v, *liver, &o->detect, pool, &boxes, &r->n_boxes, err);
	r->seconds_detect = dlld_time_now() - t0;
	t0 = dlld_time_now();
	if (!st)
		st = dlld_lesion_link(&v->geom, boxes, r->n_boxes, &o->link, &r->lesions, err);
	free(boxes);
	if (st)
		return st;
	r->n_linked = r->lesions.n_lesions;
	if ((st = dlld_fp_filter(&o->fp, v, *liver, &r->lesions, r->removed, err)))
		return st;
	r->seconds_post = dlld_time_now() - t0;
	return DLLD_STATUS_OK;
}

enum dlld_status dlld_study_run(struct dlld_model *model, const char *path,
				const char *patient_id, const char *out_dir,
				const struct dlld_study_options *o, struct dlld_pool *pool,
				struct dlld_study_result *r, struct dlld_error *err)
{
	struct dlld_volume *v = NULL;
	struct dlld_labelmap *liver = NULL;
	char dir[1100], file[1200];
	double t0 = dlld_time_now();
	enum dlld_status st;

	memset(r, 0, sizeof *r);
	snprintf(r->patient_id, sizeof r->patient_id, "%s", patient_id);
	if ((st = dlld_ct_load(path, NULL, &v, err)))
		return st;
	r->seconds_read = dlld_time_now() - t0;
	if ((st = analyse(model, v, o, pool, &liver, r, err)))
		goto done;
	t0 = dlld_time_now();
	snprintf(dir, sizeof dir, "%s/%s", out_dir, patient_id);
	if ((st = dlld_mkdir_p(dir, err)))
		goto done;
	snprintf(file, sizeof file, "%s/removed.csv", dir);
	st = write_rows(file, patient_id, &r->lesions, true, err);
	dlld_lesion_set_compact(&r->lesions); /* from here on, the kept lesions only */
	if (st)
		goto done;
	snprintf(file, sizeof file, "%s/liver.nii.gz", dir);
	if ((st = dlld_nifti_write_labels(liver, file, err)))
		goto done;
	if (o->overlays && (st = write_overlays(dir, v, o, r, err)))
		goto done;
	snprintf(file, sizeof file, "%s/%s.json", out_dir, patient_id);
	if ((st = write_json(file, model, o, v, r, err)))
		goto done;
	snprintf(file, sizeof file, "%s/detections.csv", dir);
	st = write_rows(file, patient_id, &r->lesions, false, err);
	r->seconds_write = dlld_time_now() - t0;
done:
	dlld_lesion_set_compact(&r->lesions); /* no-op unless a step above failed */
	dlld_volume_destroy(v);
	dlld_labelmap_destroy(liver);
	return st;
}

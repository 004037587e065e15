/*
 * lesion/filter.c — the false-positive filter steps that need no network
 * (docs/linking.md). Each step looks only at lesions no earlier step
 * dropped, so removed[] tells what each step added.
 */
#include "dlld/lesion.h"
#include "lesion/morph.h"

#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static const char *const step_names[] = {
	[DLLD_FP_STEP_OUTSIDE_LIVER] = "outside_liver",
	[DLLD_FP_STEP_SIZE] = "size",
	[DLLD_FP_STEP_SPAN] = "span",
	[DLLD_FP_STEP_SCORE] = "score",
	[DLLD_FP_STEP_DIAPHRAGM] = "diaphragm",
	[DLLD_FP_STEP_VESSEL] = "vessel",
	[DLLD_FP_STEP_PARENCHYMA] = "parenchyma",
	[DLLD_FP_STEP_MODEL] = "model",
};
static_assert(sizeof(step_names) / sizeof(step_names[0]) == DLLD_FP_STEP_COUNT,
	      "one name per false-positive step");

/* Air below this HU above a lesion is lung (docs/liver.md uses the same). */
static const double LUNG_HU = -400.0;

/* The parenchyma step compares the lesion with liver patches that start
 * this far beyond its box: the edge of an ill-defined lesion is blended over
 * up to 3.5 mm (docs/synth.md), and the box edge is not the lesion edge. */
static const double PATCH_GAP_MM = 2.0;
/* A patch counts when at least this share of its pixels is liver. */
static const double PATCH_LIVER_SHARE = 0.75;
/* With fewer usable patches the spread is unknown and the lesion is kept. */
enum { PATCH_MIN = 4 };

const char *dlld_fp_step_name(enum dlld_fp_step step)
{
	return (unsigned)step < DLLD_FP_STEP_COUNT ? step_names[step] : "unknown";
}

int dlld_fp_step_from_name(const char *name)
{
	for (int s = 0; s < DLLD_FP_STEP_COUNT; s++) {
		const char *a = step_names[s], *b = name;
		while (*a && (*a == *b || (*a == '_' && *b == '-')))
			a++, b++;
		if (!*a && !*b)
			return s;
	}
	return -1;
}

/* The numeric settings: name, step, accepted range, field. */
static const struct {
	struct dlld_fp_param p;
	size_t offset;
} params[] = {
#define P(field, step, lo, hi) {{#field, DLLD_FP_STEP_##step, lo, hi}, offsetof(struct dlld_fp_options, field)}
	P(liver_margin_mm, OUTSIDE_LIVER, 0, 100),
	P(min_inside_fraction, OUTSIDE_LIVER, 0, 1),
	P(min_diameter_mm, SIZE, 0, 1000),
	P(max_diameter_mm, SIZE, 0, 1000),
	P(min_span_mm, SPAN, 0, 100),
	P(span_exempt_diameter_mm, SPAN, 0, 1000),
	P(min_score, SCORE, 0, 100),
	P(diaphragm_max_diameter_mm, DIAPHRAGM, 0, 1000),
	P(diaphragm_probe_mm, DIAPHRAGM, 0, 100),
	P(diaphragm_air_fraction, DIAPHRAGM, 0, 1),
	P(vessel_elongation, VESSEL, 0, 100),
	P(vessel_hu_above_liver, VESSEL, -1000, 1000),
	P(parenchyma_contrast_sd, PARENCHYMA, 0, 100),
	P(parenchyma_max_contrast_hu, PARENCHYMA, 0, 1000),
	{{"model_threshold", DLLD_FP_STEP_MODEL, 0, 1}, offsetof(struct dlld_fp_options, model.threshold)},
#undef P
};

size_t dlld_fp_param_count(void)
{
	return sizeof params / sizeof params[0];
}

const struct dlld_fp_param *dlld_fp_param_at(size_t i)
{
	return i < dlld_fp_param_count() ? &params[i].p : NULL;
}

double dlld_fp_param_get(const struct dlld_fp_options *o, size_t i)
{
	double v = NAN;
	if (i < dlld_fp_param_count())
		memcpy(&v, (const char *)o + params[i].offset, sizeof v);
	return v;
}

enum dlld_status dlld_fp_options_set(struct dlld_fp_options *o, const char *name, double value,
				     struct dlld_error *err)
{
	for (size_t i = 0; i < dlld_fp_param_count(); i++) {
		const struct dlld_fp_param *p = &params[i].p;
		if (strcmp(p->name, name) != 0)
			continue;
		if (!(value >= p->lo && value <= p->hi))
			return dlld_error_set(err, DLLD_STATUS_USAGE, NULL,
					      "filter setting %s: %g is outside [%g, %g]", name, value,
					      p->lo, p->hi);
		memcpy((char *)o + params[i].offset, &value, sizeof value);
		return DLLD_STATUS_OK;
	}
	return dlld_error_set(err, DLLD_STATUS_USAGE, NULL, "no filter setting called '%s'", name);
}

enum dlld_status dlld_fp_options_check(const struct dlld_fp_options *o, struct dlld_error *err)
{
	for (size_t i = 0; i < dlld_fp_param_count(); i++) {
		double v = dlld_fp_param_get(o, i);
		if (!(v >= params[i].p.lo && v <= params[i].p.hi))
			return dlld_error_set(err, DLLD_STATUS_USAGE, NULL,
					      "filter setting %s: %g is outside [%g, %g]",
					      params[i].p.name, v, params[i].p.lo, params[i].p.hi);
	}
	if (o->min_diameter_mm > o->max_diameter_mm)
		return dlld_error_set(err, DLLD_STATUS_USAGE, NULL,
				      "filter settings: min_diameter_mm %g > max_diameter_mm %g",
				      o->min_diameter_mm, o->max_diameter_mm);
	return DLLD_STATUS_OK;
}

void dlld_fp_options_default(struct dlld_fp_options *o)
{
	for (int s = 0; s < DLLD_FP_STEP_COUNT; s++)
		o->enable[s] = true;
	/* Off: on 3D-IRCADb patient 1 it removes a real tumour whose core is
	 * isodense to the liver (docs/linking.md). */
	o->enable[DLLD_FP_STEP_PARENCHYMA] = false;
	o->liver_margin_mm = 5.0;
	o->min_inside_fraction = 0.5;
	o->min_diameter_mm = 3.0;
	o->max_diameter_mm = 200.0;
	o->min_span_mm = 3.0;
	o->span_exempt_diameter_mm = 10.0;
	o->min_score = 0.0;
	o->diaphragm_max_diameter_mm = 15.0;
	o->diaphragm_probe_mm = 10.0;
	o->diaphragm_air_fraction = 0.25;
	o->vessel_elongation = 3.0;
	o->vessel_hu_above_liver = 20.0;
	o->parenchyma_contrast_sd = 2.5;
	o->parenchyma_max_contrast_hu = 10.0;
	memset(&o->model, 0, sizeof o->model);
}

/* Voxel bounds of a box on its slice, clipped to the grid; false if empty. */
static bool box_pixels(const struct dlld_voxel_box *b, const struct dlld_geometry *g, int32_t lo[2],
		       int32_t hi[2])
{
	lo[0] = (int32_t)fmax(0, ceil(b->i0 - 0.5 + 1e-9));
	lo[1] = (int32_t)fmax(0, ceil(b->j0 - 0.5 + 1e-9));
	hi[0] = (int32_t)fmin(g->dims[0] - 1, floor(b->i1 - 0.5 - 1e-9));
	hi[1] = (int32_t)fmin(g->dims[1] - 1, floor(b->j1 - 0.5 - 1e-9));
	return lo[0] <= hi[0] && lo[1] <= hi[1];
}

/* Share of the lesion's box pixels within margin mm of the liver: the
 * distance is computed in a crop around the lesion (liver farther away
 * than the margin cannot matter). */
static enum dlld_status inside_fraction(const struct dlld_lesion *L, const struct dlld_voxel_box *box,
					const struct dlld_labelmap *liver, double margin_mm,
					double *frac, struct dlld_error *err)
{
	const struct dlld_geometry *g = &liver->geom;
	int32_t lo[3] = {g->dims[0], g->dims[1], L->first_slice}, hi[3] = {-1, -1, L->last_slice};

	for (size_t b = 0; b < L->n_boxes; b++) {
		int32_t a[2], z[2];
		if (!box_pixels(&box[b], g, a, z))
			continue;
		for (int d = 0; d < 2; d++)
			lo[d] = a[d] < lo[d] ? a[d] : lo[d], hi[d] = z[d] > hi[d] ? z[d] : hi[d];
	}
	*frac = 0.0;
	if (hi[0] < 0)
		return DLLD_STATUS_OK;
	struct lesion_grid c;
	int32_t off[3];
	for (int d = 0; d < 3; d++) {
		int32_t pad = (int32_t)ceil(margin_mm / g->spacing_mm[d]) + 1;
		off[d] = lo[d] - pad < 0 ? 0 : lo[d] - pad;
		int32_t end = hi[d] + pad >= g->dims[d] ? g->dims[d] - 1 : hi[d] + pad;
		c.n[d] = end - off[d] + 1;
		c.sp[d] = g->spacing_mm[d];
	}
	size_t n = lesion_grid_count(&c);
	uint8_t *m = dlld_calloc(n, 1, "liver crop", err);
	float *d2 = dlld_calloc(n, sizeof(float), "liver crop distance", err);
	if (!m || !d2) {
		free(m), free(d2);
		return DLLD_STATUS_NO_MEMORY;
	}
	for (int32_t k = 0; k < c.n[2]; k++)
		for (int32_t j = 0; j < c.n[1]; j++)
			for (int32_t i = 0; i < c.n[0]; i++)
				m[((size_t)k * (size_t)c.n[1] + (size_t)j) * (size_t)c.n[0] + (size_t)i] =
					liver->label[dlld_voxel_index(g, off[0] + i, off[1] + j,
								      off[2] + k)] != 0;
	enum dlld_status st = lesion_edt_sq(&c, m, 1, d2, NULL, err);
	double in = 0, all = 0;
	for (size_t b = 0; !st && b < L->n_boxes; b++) {
		int32_t a[2], z[2];
		if (!box_pixels(&box[b], g, a, z))
			continue;
		for (int32_t j = a[1]; j <= z[1]; j++)
			for (int32_t i = a[0]; i <= z[0]; i++) {
				size_t v = ((size_t)(box[b].k - off[2]) * (size_t)c.n[1] +
					    (size_t)(j - off[1])) * (size_t)c.n[0] + (size_t)(i - off[0]);
				in += d2[v] <= margin_mm * margin_mm;
				all += 1;
			}
	}
	*frac = all > 0 ? in / all : 0.0;
	free(m), free(d2);
	return st;
}

/* Share of air in the box footprints of the lesion's top slice, on the
 * slices up to probe_mm above it; -1 when the scan ends there. */
static double air_above(const struct dlld_lesion *L, const struct dlld_voxel_box *box,
			const struct dlld_volume *ct, double probe_mm)
{
	const struct dlld_geometry *g = &ct->geom;
	int32_t reach = (int32_t)ceil(probe_mm / g->spacing_mm[2]);
	if (L->last_slice + 1 >= g->dims[2])
		return -1.0;
	double air = 0, all = 0;
	for (size_t b = 0; b < L->n_boxes; b++) {
		int32_t a[2], z[2];
		if (box[b].k != L->last_slice || !box_pixels(&box[b], g, a, z))
			continue;
		for (int32_t k = L->last_slice + 1; k <= L->last_slice + reach && k < g->dims[2]; k++)
			for (int32_t j = a[1]; j <= z[1]; j++)
				for (int32_t i = a[0]; i <= z[0]; i++) {
					air += ct->hu[dlld_voxel_index(g, i, j, k)] < LUNG_HU;
					all += 1;
				}
	}
	return all > 0 ? air / all : -1.0;
}

/* Mean HU of the central half (in each direction) of the lesion's boxes. */
static double core_mean_hu(const struct dlld_lesion *L, const struct dlld_voxel_box *box,
			   const struct dlld_volume *ct)
{
	double s = 0, n = 0;
	for (size_t b = 0; b < L->n_boxes; b++) {
		struct dlld_voxel_box c = box[b];
		double wi = c.i1 - c.i0, wj = c.j1 - c.j0;
		c.i0 += wi / 4, c.i1 -= wi / 4, c.j0 += wj / 4, c.j1 -= wj / 4;
		int32_t a[2], z[2];
		if (!box_pixels(&c, &ct->geom, a, z))
			continue;
		for (int32_t j = a[1]; j <= z[1]; j++)
			for (int32_t i = a[0]; i <= z[0]; i++)
				s += ct->hu[dlld_voxel_index(&ct->geom, i, j, c.k)], n++;
	}
	return n > 0 ? s / n : NAN;
}

/* Pixel range of rectangle r (a box on its slice), not clipped to the grid;
 * at least the pixel under its centre. Returns the pixel count. */
static long rect_pixels(const struct dlld_voxel_box *r, long lo[2], long hi[2])
{
	double e[2][2] = {{r->i0, r->i1}, {r->j0, r->j1}};
	long n = 1;
	for (int d = 0; d < 2; d++) {
		lo[d] = (long)ceil(e[d][0] - 0.5 + 1e-9);
		hi[d] = (long)floor(e[d][1] - 0.5 - 1e-9);
		if (hi[d] < lo[d])
			lo[d] = hi[d] = lround(0.5 * (e[d][0] + e[d][1]));
		n *= hi[d] - lo[d] + 1;
	}
	return n;
}

/* Sums the HU of rectangle r's pixels on the grid (liver pixels only when
 * liver is given); fills *n with how many. */
static double rect_sum(const struct dlld_voxel_box *r, const struct dlld_volume *ct,
		       const struct dlld_labelmap *liver, long *n)
{
	const struct dlld_geometry *g = &ct->geom;
	long lo[2], hi[2];
	double s = 0;
	rect_pixels(r, lo, hi);
	*n = 0;
	for (long j = lo[1] < 0 ? 0 : lo[1]; j <= hi[1] && j < g->dims[1]; j++)
		for (long i = lo[0] < 0 ? 0 : lo[0]; i <= hi[0] && i < g->dims[0]; i++) {
			size_t v = dlld_voxel_index(g, (int32_t)i, (int32_t)j, r->k);
			if (liver && !liver->label[v])
				continue;
			s += ct->hu[v];
			(*n)++;
		}
	return s;
}

/* Median of x[0..n) (n > 0); reorders x. */
static double median(double *x, size_t n)
{
	qsort(x, n, sizeof *x, dlld_compare_double);
	return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

/* Contrast of a lesion against the parenchyma around it, and that
 * parenchyma's own spread at the lesion's scale. On each of the lesion's
 * larger boxes (area >= half its largest; the poles are partial volume):
 * the box's central half is the core, and eight patches of the core's size
 * around the box, PATCH_GAP_MM beyond its edges, sample the parenchyma
 * (patches at least PATCH_LIVER_SHARE liver; their liver pixels only).
 * contrast = mean HU of all core pixels - median patch mean; spread =
 * 1.4826 × the median absolute deviation of the patch means (robust to a
 * patch on a vessel). Fills *n_patches (spread unknown below PATCH_MIN). */
static enum dlld_status parenchyma_contrast(const struct dlld_lesion *L,
					    const struct dlld_voxel_box *box,
					    const struct dlld_volume *ct,
					    const struct dlld_labelmap *liver, double *contrast,
					    double *spread, size_t *n_patches, struct dlld_error *err)
{
	const double *sp = ct->geom.spacing_mm;
	double max_area = 0, core = 0, *m = dlld_calloc(8 * L->n_boxes + 1, sizeof *m, "patches", err);
	long core_n = 0;
	size_t n = 0;
	if (!m)
		return DLLD_STATUS_NO_MEMORY;
	for (size_t b = 0; b < L->n_boxes; b++)
		max_area = fmax(max_area, (box[b].i1 - box[b].i0) * (box[b].j1 - box[b].j0));
	for (size_t b = 0; b < L->n_boxes; b++) {
		const struct dlld_voxel_box *B = &box[b];
		double hw = 0.5 * (B->i1 - B->i0), hh = 0.5 * (B->j1 - B->j0);
		double ci = B->i0 + hw, cj = B->j0 + hh;
		long cn;
		if (4 * hw * hh < 0.5 * max_area)
			continue;
		struct dlld_voxel_box c = *B;
		c.i0 = ci - hw / 2, c.i1 = ci + hw / 2, c.j0 = cj - hh / 2, c.j1 = cj + hh / 2;
		core += rect_sum(&c, ct, NULL, &cn);
		core_n += cn;
		for (int dj = -1; dj <= 1; dj++)
			for (int di = -1; di <= 1; di++) {
				long lo[2], hi[2], nominal, in;
				if (!di && !dj)
					continue;
				struct dlld_voxel_box p = c;
				double oi = di * (hw + PATCH_GAP_MM / sp[0] + hw / 2);
				double oj = dj * (hh + PATCH_GAP_MM / sp[1] + hh / 2);
				p.i0 += oi, p.i1 += oi, p.j0 += oj, p.j1 += oj;
				nominal = rect_pixels(&p, lo, hi);
				double s = rect_sum(&p, ct, liver, &in);
				if (in > 0 && (double)in >= PATCH_LIVER_SHARE * (double)nominal)
					m[n++] = s / (double)in;
			}
	}
	*n_patches = n;
	*contrast = *spread = NAN;
	if (n > 0 && core_n > 0) {
		double med = median(m, n);
		for (size_t i = 0; i < n; i++)
			m[i] = fabs(m[i] - med);
		*contrast = core / (double)core_n - med;
		*spread = 1.4826 * median(m, n);
	}
	free(m);
	return DLLD_STATUS_OK;
}

/* Median HU inside the liver mask (histogram, 1 HU bins over -200..400). */
static double liver_median_hu(const struct dlld_volume *ct, const struct dlld_labelmap *liver)
{
	enum { LO = -200, NB = 600 };
	static_assert(NB > 0, "bins");
	size_t *h = calloc(NB, sizeof(size_t)), count = 0, n = 0;
	if (!h)
		return NAN;
	dlld_geometry_voxels(&ct->geom, &count);
	for (size_t v = 0; v < count; v++)
		if (liver->label[v]) {
			long b = lround(ct->hu[v]) - LO;
			h[b < 0 ? 0 : (b >= NB ? NB - 1 : b)]++, n++;
		}
	double med = NAN;
	for (size_t b = 0, acc = 0; n && b < NB; b++)
		if ((acc += h[b]) * 2 >= n) {
			med = (double)b + LO;
			break;
		}
	free(h);
	return med;
}

/* Decides one step for one lesion: fills *drop. */
static enum dlld_status judge(enum dlld_fp_step s, const struct dlld_fp_options *o,
			      const struct dlld_lesion *L, const struct dlld_voxel_box *box,
			      const struct dlld_volume *ct, const struct dlld_labelmap *liver,
			      double liver_hu, const struct dlld_geometry *g, bool *drop,
			      struct dlld_error *err)
{
	double frac;
	*drop = false;
	switch (s) {
	case DLLD_FP_STEP_OUTSIDE_LIVER: {
		if (!liver)
			return DLLD_STATUS_OK;
		enum dlld_status st = inside_fraction(L, box, liver, o->liver_margin_mm, &frac, err);
		*drop = !st && frac < o->min_inside_fraction;
		return st;
	}
	case DLLD_FP_STEP_SIZE:
		*drop = L->diameter_mm < o->min_diameter_mm || L->diameter_mm > o->max_diameter_mm;
		return DLLD_STATUS_OK;
	case DLLD_FP_STEP_SPAN: {
		double need = fmax(1.0, ceil(o->min_span_mm / g->spacing_mm[2] - 1e-9));
		*drop = L->diameter_mm < o->span_exempt_diameter_mm && L->n_slices < need;
		return DLLD_STATUS_OK;
	}
	case DLLD_FP_STEP_SCORE:
		*drop = L->score < o->min_score;
		return DLLD_STATUS_OK;
	case DLLD_FP_STEP_DIAPHRAGM:
		if (!ct || L->diameter_mm >= o->diaphragm_max_diameter_mm)
			return DLLD_STATUS_OK;
		*drop = air_above(L, box, ct, o->diaphragm_probe_mm) >= o->diaphragm_air_fraction;
		return DLLD_STATUS_OK;
	case DLLD_FP_STEP_VESSEL: {
		if (!ct || isnan(liver_hu))
			return DLLD_STATUS_OK;
		double length = (L->last_slice - L->first_slice + 1) * g->spacing_mm[2];
		*drop = length >= o->vessel_elongation * L->diameter_mm &&
			core_mean_hu(L, box, ct) >= liver_hu + o->vessel_hu_above_liver;
		return DLLD_STATUS_OK;
	}
	case DLLD_FP_STEP_PARENCHYMA: {
		double contrast, spread;
		size_t n;
		if (!ct || !liver)
			return DLLD_STATUS_OK;
		enum dlld_status st = parenchyma_contrast(L, box, ct, liver, &contrast, &spread, &n, err);
		*drop = !st && n >= PATCH_MIN && fabs(contrast) < o->parenchyma_contrast_sd * spread &&
			fabs(contrast) < o->parenchyma_max_contrast_hu;
		return st;
	}
	case DLLD_FP_STEP_MODEL:
		*drop = o->model.present && L->p_real < o->model.threshold;
		return DLLD_STATUS_OK;
	case DLLD_FP_STEP_COUNT:
		break;
	}
	return DLLD_STATUS_OK;
}

enum dlld_status dlld_fp_filter(const struct dlld_fp_options *opts, const struct dlld_volume *ct,
				const struct dlld_labelmap *liver, struct dlld_lesion_set *set,
				size_t removed[DLLD_FP_STEP_COUNT], struct dlld_error *err)
{
	struct dlld_fp_options def;
	if (!opts) {
		dlld_fp_options_default(&def);
		opts = &def;
	}
	if (removed)
		memset(removed, 0, DLLD_FP_STEP_COUNT * sizeof(size_t));
	if (ct && liver && !dlld_geometry_same(&ct->geom, &liver->geom, 1e-3))
		return dlld_error_set(err, DLLD_STATUS_INCONSISTENT, NULL,
				      "false-positive filter: the liver mask is not on the CT grid");
	const struct dlld_geometry *g = ct ? &ct->geom : (liver ? &liver->geom : NULL);
	for (size_t l = 0; g && l < set->n_lesions; l++)
		if (set->lesions[l].last_slice >= g->dims[2])
			return dlld_error_set(err, DLLD_STATUS_INCONSISTENT, NULL,
					      "false-positive filter: a lesion on slice %d, the volume has %d",
					      (int)set->lesions[l].last_slice, (int)g->dims[2]);
	/* Every lesion's probability first, so that outputs can show it for
	 * the dropped ones too. */
	for (size_t l = 0; opts->model.present && g && l < set->n_lesions; l++) {
		double x[DLLD_FP_MODEL_FEATURES];
		dlld_fp_model_features(&set->lesions[l], g->spacing_mm[2], x);
		set->lesions[l].p_real = dlld_fp_model_probability(&opts->model, x);
	}
	double liver_hu = (ct && liver && opts->enable[DLLD_FP_STEP_VESSEL]) ?
				  liver_median_hu(ct, liver) : NAN;
	for (int s = 0; s < DLLD_FP_STEP_COUNT; s++) {
		if (!opts->enable[s])
			continue;
		for (size_t l = 0; l < set->n_lesions; l++) {
			struct dlld_lesion *L = &set->lesions[l];
			bool drop = false;
			if (L->dropped_by >= 0)
				continue;
			if (!g && s != DLLD_FP_STEP_SIZE && s != DLLD_FP_STEP_SCORE)
				continue;
			enum dlld_status st = judge((enum dlld_fp_step)s, opts, L, &set->boxes[L->first_box],
						    ct, liver, liver_hu, g, &drop, err);
			if (st)
				return st;
			if (drop) {
				L->dropped_by = s;
				if (removed)
					removed[s]++;
			}
		}
	}
	return DLLD_STATUS_OK;
}

void dlld_lesion_set_compact(struct dlld_lesion_set *set)
{
	size_t nl = 0, nb = 0;
	for (size_t l = 0; l < set->n_lesions; l++) {
		struct dlld_lesion L = set->lesions[l];
		if (L.dropped_by >= 0)
			continue;
		memmove(&set->boxes[nb], &set->boxes[L.first_box], L.n_boxes * sizeof(*set->boxes));
		L.first_box = nb;
		nb += L.n_boxes;
		set->lesions[nl++] = L;
	}
	set->n_lesions = nl;
	set->n_boxes = nb;
}

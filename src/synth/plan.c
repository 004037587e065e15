/* synth/plan.c — cohort compositions: who gets which lesions of what planned
 * size. Counts are allocated deterministically from the preset (so the
 * validation preset reproduces the paper's cohort exactly), the spread over
 * patients and the sizes from the plan's own RNG stream (stream 0). */
#include "dlld/synth.h"
#include "synth/synth_internal.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Planned diameters: a log-normal (median, sigma of ln) cut to [min, max],
 * sampled at stratified quantiles so the size mix is exact for any seed. */
struct size_law {
	double median_mm, sigma, min_mm, max_mm;
};

/* A preset: the composition of `patients` patients, scaled for other N. */
struct preset {
	const char *name;
	long patients;
	long diseased, metastases, cysts, hemangiomas;
	int32_t matrix;
	struct size_law size[DLLD_LESION_CLASS_COUNT];
};

/* Validation (Kim et al. 2021): 85 patients, 40 with 99 metastases (about
 * 27 % <= 10 mm, mean about 22 mm), 229 cysts, 21 hemangiomas. Training:
 * 502 patients with 612 : 990 : 153 lesions of 3 mm - 5 cm. */
static const struct preset presets[] = {
	[DLLD_SYNTH_PRESET_VALIDATION] = {"validation", 85, 40, 99, 229, 21, 512,
		{{16.3, 0.82, 3.0, 80.0}, {7.0, 0.65, 3.0, 60.0}, {13.0, 0.55, 4.0, 60.0}}},
	[DLLD_SYNTH_PRESET_TRAINING] = {"training", 502, 301, 612, 990, 153, 512,
		{{14.0, 0.75, 3.0, 50.0}, {7.0, 0.65, 3.0, 50.0}, {13.0, 0.55, 4.0, 50.0}}},
	[DLLD_SYNTH_PRESET_SMALL] = {"small", 4, 2, 3, 3, 1, 128,
		{{18.0, 0.50, 6.0, 40.0}, {10.0, 0.40, 5.0, 30.0}, {14.0, 0.30, 8.0, 30.0}}},
};
static_assert(sizeof presets / sizeof presets[0] == DLLD_SYNTH_PRESET_COUNT,
	      "presets out of sync with enum dlld_synth_preset");

/* Metastases per diseased patient in the validation cohort: 16 patients
 * with 1, 9 with 2, ... 1 with 8 (40 patients, 99 metastases). Other
 * cohorts use the same shape, scaled. */
static const long mets_histogram[8] = {16, 9, 6, 4, 2, 1, 1, 1};
enum { MAX_METS = 8, MAX_CYSTS = 15, MAX_HEMANGIOMAS = 4 };

const char *dlld_synth_preset_name(enum dlld_synth_preset preset)
{
	return (unsigned)preset < DLLD_SYNTH_PRESET_COUNT ? presets[preset].name : "?";
}

bool dlld_synth_preset_parse(const char *name, enum dlld_synth_preset *out)
{
	for (int p = 0; p < DLLD_SYNTH_PRESET_COUNT; p++)
		if (strcmp(name, presets[p].name) == 0) {
			*out = (enum dlld_synth_preset)p;
			return true;
		}
	return false;
}

void dlld_synth_options_default(struct dlld_synth_options *o)
{
	memset(o, 0, sizeof *o);
	o->preset = DLLD_SYNTH_PRESET_VALIDATION;
	o->seed = 1;
}

/* Returns the standard normal quantile of p in (0, 1) (Acklam's rational
 * approximation, relative error < 1.2e-9). */
static double normal_quantile(double p)
{
	static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
				   -2.759285104469687e+02, 1.383577518672690e+02,
				   -3.066479806614716e+01, 2.506628277459239e+00};
	static const double b[] = {-5.447609879822406e+01, 1.615962386164540e+02,
				   -1.556989798598866e+02, 6.680131188771972e+01,
				   -1.328068155288572e+01};
	static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
				   -2.400758277161838e+00, -2.549732539343734e+00,
				   4.374664141464968e+00, 2.938163982698783e+00};
	static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
				   2.445134137142996e+00, 3.754408661907416e+00};
	double q, r;

	if (p < 0.02425) {
		q = sqrt(-2.0 * log(p));
		return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
		       ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
	}
	if (p > 1.0 - 0.02425)
		return -normal_quantile(1.0 - p);
	q = p - 0.5;
	r = q * q;
	return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
	       (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
}

static void shuffle_sizes(double *x, size_t n, struct dlld_rng *rng)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)dlld_rng_below(rng, i);
		double t = x[i - 1];
		x[i - 1] = x[j];
		x[j] = t;
	}
}

static void shuffle_index(size_t *x, size_t n, struct dlld_rng *rng)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)dlld_rng_below(rng, i);
		size_t t = x[i - 1];
		x[i - 1] = x[j];
		x[j] = t;
	}
}

/* Fills d[n] with stratified quantiles of law, in random order. */
static void plan_sizes(const struct size_law *law, double *d, size_t n, struct dlld_rng *rng)
{
	for (size_t i = 0; i < n; i++) {
		double q = ((double)i + 0.5) / (double)n;
		double v = law->median_mm * exp(law->sigma * normal_quantile(q));
		d[i] = fmin(law->max_mm, fmax(law->min_mm, v));
	}
	shuffle_sizes(d, n, rng);
}

static long scale_count(long base, long base_patients, long n)
{
	return (long)floor((double)base * (double)n / (double)base_patients + 0.5);
}

/* Fills per_patient[d] (d diseased patients) with metastasis counts in
 * 1..MAX_METS summing to m, shaped like mets_histogram. */
static void plan_metastasis_counts(long d, long m, long *per_patient)
{
	long hist_total = 0, filled = 0, sum = 0, cum = 0;

	for (int b = 0; b < MAX_METS; b++)
		hist_total += mets_histogram[b];
	/* cumulative apportionment: the first `until` patients have <= b+1 */
	for (int b = 0; b < MAX_METS; b++) {
		cum += mets_histogram[b];
		long until = (long)floor((double)d * (double)cum / (double)hist_total + 0.5);
		for (; filled < until; filled++) {
			per_patient[filled] = b + 1;
			sum += b + 1;
		}
	}
	for (long i = 0; sum < m; i = (i + 1) % d)
		if (per_patient[i] < MAX_METS) {
			per_patient[i]++;
			sum++;
		}
	for (long i = d - 1; sum > m; i = (i + d - 1) % d)
		if (per_patient[i] > 1) {
			per_patient[i]--;
			sum--;
		}
}

static double eligible_weight(size_t n, long cap, const long *count, const double *weight)
{
	double total = 0.0;

	for (size_t p = 0; p < n; p++)
		if (count[p] < cap)
			total += weight[p];
	return total;
}

/* Adds `items` lesions to count[n] one at a time, each to a patient drawn
 * with probability proportional to its propensity (a share of patients
 * has none), never above cap (raised when the items would not fit). */
static void allocate_weighted(long items, size_t n, double zero_share, long cap,
			      long *count, double *weight, struct dlld_rng *rng)
{
	if (cap * (long)n < items)
		cap = (items + (long)n - 1) / (long)n;
	for (size_t p = 0; p < n; p++)
		weight[p] = dlld_rng_uniform(rng) < zero_share ? 0.0
							   : exp(0.9 * dlld_rng_normal(rng));
	for (long it = 0; it < items; it++) {
		double total = eligible_weight(n, cap, count, weight), pick;
		size_t p;

		if (total <= 0.0) { /* only propensity-0 patients left below cap */
			for (p = 0; p < n; p++)
				if (count[p] < cap)
					weight[p] = 1.0;
			total = eligible_weight(n, cap, count, weight);
		}
		pick = dlld_rng_uniform(rng) * total;
		for (p = 0; p < n; p++) {
			if (count[p] >= cap)
				continue;
			pick -= weight[p];
			if (pick < 0.0)
				break;
		}
		if (p == n) /* rounding: the last eligible patient */
			for (p = n; p-- > 0;)
				if (count[p] < cap)
					break;
		count[p]++;
	}
}

/* The composition of a cohort of n patients from preset pr. */
struct composition {
	long diseased;
	long count[DLLD_LESION_CLASS_COUNT];
};

static struct composition compose(const struct preset *pr, long n)
{
	struct composition c;

	c.diseased = scale_count(pr->diseased, pr->patients, n);
	c.count[DLLD_LESION_CLASS_METASTASIS] = scale_count(pr->metastases, pr->patients, n);
	c.count[DLLD_LESION_CLASS_CYST] = scale_count(pr->cysts, pr->patients, n);
	c.count[DLLD_LESION_CLASS_HEMANGIOMA] = scale_count(pr->hemangiomas, pr->patients, n);
	if (c.count[DLLD_LESION_CLASS_METASTASIS] > 0 && c.diseased < 1)
		c.diseased = 1;
	if (c.diseased > n)
		c.diseased = n;
	if (c.count[DLLD_LESION_CLASS_METASTASIS] > MAX_METS * c.diseased)
		c.count[DLLD_LESION_CLASS_METASTASIS] = MAX_METS * c.diseased;
	if (c.count[DLLD_LESION_CLASS_METASTASIS] < c.diseased)
		c.diseased = c.count[DLLD_LESION_CLASS_METASTASIS];
	return c;
}

static enum dlld_status resolve_options(const struct dlld_synth_options *in,
					struct dlld_synth_options *out, struct dlld_error *err)
{
	const struct preset *pr;

	if ((unsigned)in->preset >= DLLD_SYNTH_PRESET_COUNT)
		return dlld_error_set(err, DLLD_STATUS_USAGE, NULL, "unknown preset %d",
				      (int)in->preset);
	pr = &presets[in->preset];
	*out = *in;
	if (out->n_patients == 0)
		out->n_patients = pr->patients;
	if (out->matrix == 0)
		out->matrix = pr->matrix;
	if (out->slice_thickness_mm == 0.0)
		out->slice_thickness_mm = 5.0;
	if (out->n_patients < 1 || out->n_patients > SYNTH_MAX_PATIENTS)
		return dlld_error_set(err, DLLD_STATUS_USAGE, NULL,
				      "patients %ld outside [1, %d]", out->n_patients,
				      SYNTH_MAX_PATIENTS);
	if (out->matrix < SYNTH_MIN_MATRIX || out->matrix > SYNTH_MAX_MATRIX)
		return dlld_error_set(err, DLLD_STATUS_USAGE, NULL, "matrix %d outside [%d, %d]",
				      (int)out->matrix, SYNTH_MIN_MATRIX, SYNTH_MAX_MATRIX);
	if (!(out->slice_thickness_mm >= 0.5 && out->slice_thickness_mm <= 10.0))
		return dlld_error_set(err, DLLD_STATUS_USAGE, NULL,
				      "slice thickness %g mm outside [0.5, 10]",
				      out->slice_thickness_mm);
	return DLLD_STATUS_OK;
}

static void fill_patient_lesions(struct dlld_synth_plan *plan, long *counts[DLLD_LESION_CLASS_COUNT],
				 double *sizes[DLLD_LESION_CLASS_COUNT])
{
	size_t next[DLLD_LESION_CLASS_COUNT] = {0}, at = 0;
	int width = plan->n_patients >= 1000 ? (plan->n_patients >= 10000 ? 5 : 4) : 3;

	for (size_t p = 0; p < plan->n_patients; p++) {
		struct dlld_synth_patient_plan *pp = &plan->patients[p];

		snprintf(pp->patient_id, sizeof pp->patient_id, "P%0*u", width, (unsigned)(p + 1));
		pp->stream = (uint64_t)p + 1;
		pp->lesions = plan->lesions + at;
		for (int c = 0; c < DLLD_LESION_CLASS_COUNT; c++) {
			pp->n_by_class[c] = (size_t)counts[c][p];
			for (long k = 0; k < counts[c][p]; k++) {
				plan->lesions[at].cls = (enum dlld_lesion_class)c;
				plan->lesions[at].diameter_mm = sizes[c][next[c]++];
				at++;
			}
			pp->n_lesions += pp->n_by_class[c];
		}
		if (pp->n_by_class[DLLD_LESION_CLASS_METASTASIS] > 0)
			plan->n_diseased++;
	}
}

/* Fills counts[c][p] and sizes[c][i] for composition comp. */
static void distribute(const struct preset *pr, const struct composition *comp, size_t n,
		       long *counts[DLLD_LESION_CLASS_COUNT], double *sizes[DLLD_LESION_CLASS_COUNT],
		       double *scratch, long *mets, size_t *order, struct dlld_rng *rng)
{

	for (size_t p = 0; p < n; p++)
		order[p] = p;
	shuffle_index(order, n, rng);
	if (comp->diseased > 0) {
		plan_metastasis_counts(comp->diseased, comp->count[DLLD_LESION_CLASS_METASTASIS],
				       mets);
		for (long i = 0; i < comp->diseased; i++)
			counts[DLLD_LESION_CLASS_METASTASIS][order[i]] = mets[i];
	}
	allocate_weighted(comp->count[DLLD_LESION_CLASS_CYST], n, 0.45, MAX_CYSTS,
			  counts[DLLD_LESION_CLASS_CYST], scratch, rng);
	allocate_weighted(comp->count[DLLD_LESION_CLASS_HEMANGIOMA], n, 0.80, MAX_HEMANGIOMAS,
			  counts[DLLD_LESION_CLASS_HEMANGIOMA], scratch, rng);
	for (int c = 0; c < DLLD_LESION_CLASS_COUNT; c++)
		plan_sizes(&pr->size[c], sizes[c], (size_t)comp->count[c], rng);
}

enum dlld_status dlld_synth_plan_create(const struct dlld_synth_options *opts,
					struct dlld_synth_plan **out, struct dlld_error *err)
{
	struct dlld_synth_plan *plan = NULL;
	long *counts[DLLD_LESION_CLASS_COUNT] = {NULL};
	double *sizes[DLLD_LESION_CLASS_COUNT] = {NULL};
	double *scratch = NULL;
	size_t *order = NULL, n, total = 0;
	long *mets = NULL;
	struct composition comp;
	struct dlld_rng rng;
	enum dlld_status st;

	*out = NULL;
	plan = dlld_calloc(1, sizeof *plan, "synthetic cohort plan", err);
	if (!plan)
		return DLLD_STATUS_NO_MEMORY;
	st = resolve_options(opts, &plan->opts, err);
	if (st)
		goto fail;
	n = (size_t)plan->opts.n_patients;
	comp = compose(&presets[plan->opts.preset], plan->opts.n_patients);
	for (int c = 0; c < DLLD_LESION_CLASS_COUNT; c++)
		total += (size_t)comp.count[c];
	st = DLLD_STATUS_NO_MEMORY;
	plan->patients = dlld_calloc(n, sizeof *plan->patients, "patient plans", err);
	plan->lesions = dlld_calloc(total + 1, sizeof *plan->lesions, "lesion plans", err);
	scratch = dlld_calloc(n, sizeof *scratch, "plan scratch", err);
	order = dlld_calloc(n, sizeof *order, "plan order", err);
	mets = dlld_calloc(n, sizeof *mets, "metastasis counts", err);
	if (!plan->patients || !plan->lesions || !scratch || !order || !mets)
		goto fail;
	for (int c = 0; c < DLLD_LESION_CLASS_COUNT; c++) {
		counts[c] = dlld_calloc(n, sizeof *counts[c], "lesion counts", err);
		sizes[c] = dlld_calloc((size_t)comp.count[c] + 1, sizeof *sizes[c], "sizes", err);
		if (!counts[c] || !sizes[c])
			goto fail;
	}
	dlld_rng_seed_stream(&rng, plan->opts.seed, 0);
	distribute(&presets[plan->opts.preset], &comp, n, counts, sizes, scratch, mets, order,
		   &rng);
	plan->n_patients = n;
	plan->n_lesions = total;
	for (int c = 0; c < DLLD_LESION_CLASS_COUNT; c++)
		plan->n_by_class[c] = (size_t)comp.count[c];
	fill_patient_lesions(plan, counts, sizes);
	*out = plan;
	plan = NULL;
	st = DLLD_STATUS_OK;
fail:
	for (int c = 0; c < DLLD_LESION_CLASS_COUNT; c++) {
		free(counts[c]);
		free(sizes[c]);
	}
	free(scratch);
	free(order);
	free(mets);
	dlld_synth_plan_destroy(plan);
	return st;
}

void dlld_synth_plan_destroy(struct dlld_synth_plan *plan)
{
	if (!plan)
		return;
	free(plan->patients);
	free(plan->lesions);
	free(plan);
}

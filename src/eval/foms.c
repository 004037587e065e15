/*
 * eval/foms.c — RJafroc's empirical figures of merit, operating curves, FROC
 * CPM and the jackknife (definitions in foms.h and docs/eval.md).
 */
#include "eval/foms.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const fom_names[] = {
	[DLLD_EVAL_FOM_AFROC] = "AFROC",
	[DLLD_EVAL_FOM_WAFROC] = "wAFROC",
	[DLLD_EVAL_FOM_AFROC1] = "AFROC1",
	[DLLD_EVAL_FOM_WAFROC1] = "wAFROC1",
	[DLLD_EVAL_FOM_HR_AUC] = "HrAuc",
	[DLLD_EVAL_FOM_HR_SE] = "HrSe",
	[DLLD_EVAL_FOM_HR_SP] = "HrSp",
	[DLLD_EVAL_FOM_MAX_LLF] = "MaxLLF",
	[DLLD_EVAL_FOM_MAX_NLF] = "MaxNLF",
	[DLLD_EVAL_FOM_MAX_NLF_ALL_CASES] = "MaxNLFAllCases",
};
static_assert(sizeof fom_names / sizeof fom_names[0] == DLLD_EVAL_FOM_COUNT,
	      "one name per FOM");

const double dlld_eval_cpm_fpp[DLLD_EVAL_CPM_POINTS] = {0.125, 0.25, 0.5, 1, 2, 4, 8};

const char *dlld_eval_fom_name(enum dlld_eval_fom fom)
{
	return (unsigned)fom < DLLD_EVAL_FOM_COUNT ? fom_names[fom] : "?";
}

/* ψ(x, y): 1 when the signal y outranks the noise x, ½ on ties (−∞ ties too). */
static double psi(double x, double y)
{
	return y > x ? 1.0 : y == x ? 0.5 : 0.0;
}

static double ratio(double num, double den)
{
	return den > 0 ? num / den : NAN;
}

/* Fills the per-patient columns of t for patient k. */
static void patient_columns(struct dlld_eval_fom_table *t, size_t reader, size_t k)
{
	const struct dlld_eval_study *s = t->study;
	const struct dlld_eval_patient *p = &s->patients[k];
	const double *ll = s->ll_rating + reader * s->n_lesions + p->first_lesion;
	double fp = s->nl_max[reader * s->n_patients + k], hr = fp;

	t->n_lesions[k] = (double)p->n_lesions;
	t->nl_marks[k] = (double)s->nl_count[reader * s->n_patients + k];
	t->fp_marked[k] = fp > -INFINITY;
	for (size_t l = 0; l < p->n_lesions; l++) {
		t->ll_marked[k] += ll[l] > -INFINITY;
		if (ll[l] > hr)
			hr = ll[l];
	}
	t->hr_marked[k] = hr > -INFINITY;
}

enum dlld_status dlld_eval_fom_table_init(struct dlld_eval_fom_table *t,
					  const struct dlld_eval_study *s, size_t reader,
					  struct dlld_error *err)
{
	size_t K = s->n_patients, K2 = s->n_diseased, cells;

	memset(t, 0, sizeof *t);
	t->study = s;
	t->n_patients = K;
	t->n_diseased = K2;
	if (!dlld_size_mul(K, K2, &cells))
		return dlld_error_set(err, DLLD_STATUS_NO_MEMORY, NULL, "study too large");
	t->a = dlld_calloc(cells + 1, sizeof(double), "AFROC table", err);
	t->w = dlld_calloc(cells + 1, sizeof(double), "wAFROC table", err);
	t->h = dlld_calloc(cells + 1, sizeof(double), "HrAuc table", err);
	t->n_lesions = dlld_calloc(K + 1, sizeof(double), "lesion counts", err);
	t->ll_marked = dlld_calloc(K + 1, sizeof(double), "marked lesions", err);
	t->nl_marks = dlld_calloc(K + 1, sizeof(double), "NL counts", err);
	t->fp_marked = dlld_calloc(K + 1, 1, "NL flags", err);
	t->hr_marked = dlld_calloc(K + 1, 1, "mark flags", err);
	if (!t->a || !t->w || !t->h || !t->n_lesions || !t->ll_marked || !t->nl_marks ||
	    !t->fp_marked || !t->hr_marked) {
		dlld_eval_fom_table_free(t);
		return DLLD_STATUS_NO_MEMORY;
	}
	for (size_t k = 0; k < K; k++)
		patient_columns(t, reader, k);
	for (size_t k = 0; k < K; k++) {
		double fp = s->nl_max[reader * K + k];
		for (size_t j = 0; j < K2; j++) {
			const struct dlld_eval_patient *p = &s->patients[s->diseased[j]];
			const double *ll = s->ll_rating + reader * s->n_lesions + p->first_lesion;
			double sum = 0, hr = s->nl_max[reader * K + s->diseased[j]];
			for (size_t l = 0; l < p->n_lesions; l++) {
				sum += psi(fp, ll[l]);
				if (ll[l] > hr)
					hr = ll[l];
			}
			t->a[k * K2 + j] = sum;
			t->w[k * K2 + j] = sum / (double)p->n_lesions;
			t->h[k * K2 + j] = psi(fp, hr);
		}
	}
	return DLLD_STATUS_OK;
}

void dlld_eval_fom_table_free(struct dlld_eval_fom_table *t)
{
	free(t->a);
	free(t->w);
	free(t->h);
	free(t->n_lesions);
	free(t->ll_marked);
	free(t->nl_marks);
	free(t->fp_marked);
	free(t->hr_marked);
	memset(t, 0, sizeof *t);
}

/* Sums over the pair tables weighted by m[k] m[j]: rows normal-only or all. */
struct pair_sums {
	double a_normal, w_normal, h_normal, a_all, w_all;
};

static struct pair_sums pair_sums(const struct dlld_eval_fom_table *t, const double *m)
{
	const struct dlld_eval_study *s = t->study;
	struct pair_sums ps = {0, 0, 0, 0, 0};
	size_t K2 = t->n_diseased;

	for (size_t k = 0; k < t->n_patients; k++) {
		double mk = m ? m[k] : 1.0, a = 0, w = 0, h = 0;
		if (mk == 0)
			continue;
		for (size_t j = 0; j < K2; j++) {
			double mj = m ? m[s->diseased[j]] : 1.0;
			a += mj * t->a[k * K2 + j];
			w += mj * t->w[k * K2 + j];
			h += mj * t->h[k * K2 + j];
		}
		ps.a_all += mk * a;
		ps.w_all += mk * w;
		if (!s->patients[k].diseased) {
			ps.a_normal += mk * a;
			ps.w_normal += mk * w;
			ps.h_normal += mk * h;
		}
	}
	return ps;
}

void dlld_eval_fom_weighted(const struct dlld_eval_fom_table *t, const double *m, double *fom)
{
	const struct dlld_eval_study *s = t->study;
	double n_normal = 0, n_all = 0, n_dis = 0, n_les = 0;
	double ll_marked = 0, nl_normal = 0, nl_all = 0, fp_normal = 0, hr_dis = 0;
	struct pair_sums ps = pair_sums(t, m);

	for (size_t k = 0; k < t->n_patients; k++) {
		double mk = m ? m[k] : 1.0;
		n_all += mk;
		nl_all += mk * t->nl_marks[k];
		if (s->patients[k].diseased) {
			n_dis += mk;
			n_les += mk * t->n_lesions[k];
			ll_marked += mk * t->ll_marked[k];
			hr_dis += mk * t->hr_marked[k];
		} else {
			n_normal += mk;
			nl_normal += mk * t->nl_marks[k];
			fp_normal += mk * t->fp_marked[k];
		}
	}
	fom[DLLD_EVAL_FOM_AFROC] = ratio(ps.a_normal, n_normal * n_les);
	fom[DLLD_EVAL_FOM_WAFROC] = ratio(ps.w_normal, n_normal * n_dis);
	fom[DLLD_EVAL_FOM_AFROC1] = ratio(ps.a_all, n_all * n_les);
	fom[DLLD_EVAL_FOM_WAFROC1] = ratio(ps.w_all, n_all * n_dis);
	fom[DLLD_EVAL_FOM_HR_AUC] = ratio(ps.h_normal, n_normal * n_dis);
	fom[DLLD_EVAL_FOM_HR_SE] = ratio(hr_dis, n_dis);
	fom[DLLD_EVAL_FOM_HR_SP] = 1.0 - ratio(fp_normal, n_normal);
	fom[DLLD_EVAL_FOM_MAX_LLF] = ratio(ll_marked, n_les);
	fom[DLLD_EVAL_FOM_MAX_NLF] = ratio(nl_normal, n_normal);
	fom[DLLD_EVAL_FOM_MAX_NLF_ALL_CASES] = ratio(nl_all, n_all);
}

void dlld_eval_fom_afroc_pair(const struct dlld_eval_fom_table *t, const double *m,
			      double *afroc, double *wafroc)
{
	const struct dlld_eval_study *s = t->study;
	size_t K2 = t->n_diseased;
	double a = 0, w = 0, n_normal = 0, n_dis = 0, n_les = 0;

	for (size_t j = 0; j < K2; j++) {
		double mj = m[s->diseased[j]];
		n_dis += mj;
		n_les += mj * t->n_lesions[s->diseased[j]];
	}
	for (size_t i = 0; i < s->n_normal; i++) {
		size_t k = s->normal[i];
		const double *ak = t->a + k * K2, *wk = t->w + k * K2;
		double mk = m[k], ra = 0, rw = 0;
		if (mk == 0)
			continue;
		n_normal += mk;
		for (size_t j = 0; j < K2; j++) {
			double mj = m[s->diseased[j]];
			ra += mj * ak[j];
			rw += mj * wk[j];
		}
		a += mk * ra;
		w += mk * rw;
	}
	*afroc = ratio(a, n_normal * n_les);
	*wafroc = ratio(w, n_normal * n_dis);
}

void dlld_eval_fom_jackknife(const struct dlld_eval_fom_table *t, double *scratch, double se[2])
{
	size_t K = t->n_patients;
	double fom[DLLD_EVAL_FOM_COUNT], *theta = scratch + K;

	se[0] = se[1] = NAN;
	if (K < 2)
		return;
	for (size_t k = 0; k < K; k++)
		scratch[k] = 1.0;
	for (size_t k = 0; k < K; k++) {
		scratch[k] = 0.0;
		dlld_eval_fom_weighted(t, scratch, fom);
		theta[k] = fom[DLLD_EVAL_FOM_AFROC];
		theta[K + k] = fom[DLLD_EVAL_FOM_WAFROC];
		scratch[k] = 1.0;
	}
	for (int f = 0; f < 2; f++) {
		const double *th = theta + (size_t)f * K;
		double mean = 0, ss = 0;
		for (size_t k = 0; k < K; k++)
			mean += th[k];
		mean /= (double)K;
		for (size_t k = 0; k < K; k++)
			ss += (th[k] - mean) * (th[k] - mean);
		se[f] = sqrt((double)(K - 1) / (double)K * ss); /* NaN propagates */
	}
}

/* ---- operating curves ------------------------------------------------------- */
struct scored {
	double rating;
	int kind; /* 0 = false (x axis), 1 = lesion (y axis) */
};

static int by_rating_desc(const void *a, const void *b)
{
	double x = ((const struct scored *)a)->rating, y = ((const struct scored *)b)->rating;
	return x > y ? -1 : x < y ? 1 : 0;
}

/* Sweeps the threshold down through the distinct finite ratings: fills the
 * curve with (0,0) then (#false ≥ t / nx, #lesions ≥ t / ny) per threshold. */
static enum dlld_status sweep(struct scored *v, size_t n, double nx, double ny, bool to_corner,
			      struct dlld_eval_curve *c, struct dlld_error *err)
{
	size_t cap = n + 2, done = 0;
	double cx = 0, cy = 0;

	c->n = 0;
	c->x = dlld_calloc(cap, sizeof(double), "curve", err);
	c->y = dlld_calloc(cap, sizeof(double), "curve", err);
	if (!c->x || !c->y)
		return DLLD_STATUS_NO_MEMORY;
	qsort(v, n, sizeof *v, by_rating_desc);
	c->n = 1; /* (0, 0) */
	while (done < n) {
		double t = v[done].rating;
		for (; done < n && v[done].rating == t; done++) {
			cx += v[done].kind == 0;
			cy += v[done].kind == 1;
		}
		c->x[c->n] = cx / nx;
		c->y[c->n] = cy / ny;
		c->n++;
	}
	if (to_corner) {
		c->x[c->n] = 1.0;
		c->y[c->n] = 1.0;
		c->n++;
	}
	return DLLD_STATUS_OK;
}

/* Appends reader r's finite lesion ratings to v (kind 1). */
static size_t add_lesions(const struct dlld_eval_study *s, size_t r, struct scored *v, size_t n)
{
	for (size_t l = 0; l < s->n_lesions; l++) {
		double x = s->ll_rating[r * s->n_lesions + l];
		if (x > -INFINITY)
			v[n++] = (struct scored){x, 1};
	}
	return n;
}

enum dlld_status dlld_eval_curves(const struct dlld_eval_study *s, size_t reader,
				  struct dlld_eval_curve *afroc, struct dlld_eval_curve *froc,
				  struct dlld_error *err)
{
	size_t n_nl = s->nl_first[reader + 1] - s->nl_first[reader], n = 0, cap;
	struct scored *v;
	enum dlld_status st = DLLD_STATUS_OK;

	memset(afroc, 0, sizeof *afroc);
	memset(froc, 0, sizeof *froc);
	if (s->n_lesions == 0)
		return DLLD_STATUS_OK;
	if (!dlld_size_add(n_nl, s->n_lesions + s->n_patients, &cap) ||
	    !(v = dlld_calloc(cap, sizeof *v, "curve ratings", err)))
		return dlld_error_set(err, DLLD_STATUS_NO_MEMORY, NULL, "curve ratings");
	if (s->n_normal > 0) {
		for (size_t i = 0; i < s->n_normal; i++) {
			double x = s->nl_max[reader * s->n_patients + s->normal[i]];
			if (x > -INFINITY)
				v[n++] = (struct scored){x, 0};
		}
		n = add_lesions(s, reader, v, n);
		st = sweep(v, n, (double)s->n_normal, (double)s->n_lesions, true, afroc, err);
	}
	if (!st) {
		n = 0;
		for (size_t i = 0; i < n_nl; i++)
			v[n++] = (struct scored){s->nl_ratings[s->nl_first[reader] + i], 0};
		n = add_lesions(s, reader, v, n);
		st = sweep(v, n, (double)s->n_patients, (double)s->n_lesions, false, froc, err);
	}
	free(v);
	return st;
}

double dlld_eval_froc_cpm(const struct dlld_eval_curve *froc, double *sens)
{
	double sum = 0;

	for (int i = 0; i < DLLD_EVAL_CPM_POINTS; i++) {
		sens[i] = NAN;
		for (size_t p = 0; p < froc->n && froc->x[p] <= dlld_eval_cpm_fpp[i]; p++)
			sens[i] = froc->y[p];
		sum += sens[i];
	}
	return sum / DLLD_EVAL_CPM_POINTS;
}

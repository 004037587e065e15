/*
 * lesion/fp_model.c — the learned false-positive model: a logistic model of
 * "this linked lesion is real" on the detector's averaged class
 * confidences and the lesion's size and shape (docs/linking.md), its fit,
 * and its place in model.json.
 */
#include "dlld/lesion.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NF DLLD_FP_MODEL_FEATURES
#define NP (NF + 1) /* with the intercept */

static const char *const feature_names[NF] = {
	"logit_p_metastasis", "logit_p_cyst", "logit_p_hemangioma",
	"log_diameter_mm", "log_extent_ratio", "log_extent_ratio_squared",
};

/* Confidences are clamped away from 0 and 1 before the logit: the decoder
 * reports float logistics, and 1e-4 keeps one saturated slice from
 * dominating. */
static const double P_CLAMP = 1e-4;
/* Ridge on the standardised coefficients: negligible against any real
 * likelihood, it keeps the fit finite when a feature separates the data. */
static const double RIDGE = 1e-6;
enum { MAX_ITERATIONS = 100 };

const char *dlld_fp_model_feature_name(int f)
{
	return f >= 0 && f < NF ? feature_names[f] : NULL;
}

static double logit(double p)
{
	p = fmin(fmax(p, P_CLAMP), 1.0 - P_CLAMP);
	return log(p / (1.0 - p));
}

void dlld_fp_model_features(const struct dlld_lesion *L, double slice_mm, double x[NF])
{
	double diameter = fmax(L->diameter_mm, 0.5);
	double extent = (double)(L->last_slice - L->first_slice + 1) * slice_mm;
	double r = log(fmax(extent, 0.5) / diameter);
	x[0] = logit(L->p[DLLD_LESION_CLASS_METASTASIS]);
	x[1] = logit(L->p[DLLD_LESION_CLASS_CYST]);
	x[2] = logit(L->p[DLLD_LESION_CLASS_HEMANGIOMA]);
	x[3] = log(diameter);
	x[4] = r;
	x[5] = r * r;
}

double dlld_fp_model_probability(const struct dlld_fp_model *m, const double x[NF])
{
	double eta = m->intercept;
	for (int f = 0; f < NF; f++)
		eta += m->coef[f] * x[f];
	return 1.0 / (1.0 + exp(-eta));
}

/* Solves the symmetric positive definite system a·s = b (a: NP × NP, row
 * major, overwritten by its Cholesky factor); false when a is not positive
 * definite. */
static bool cholesky_solve(double a[NP * NP], const double b[NP], double s[NP])
{
	for (int j = 0; j < NP; j++) {
		double d = a[j * NP + j];
		for (int k = 0; k < j; k++)
			d -= a[j * NP + k] * a[j * NP + k];
		if (!(d > 0))
			return false;
		a[j * NP + j] = sqrt(d);
		for (int i = j + 1; i < NP; i++) {
			double v = a[i * NP + j];
			for (int k = 0; k < j; k++)
				v -= a[i * NP + k] * a[j * NP + k];
			a[i * NP + j] = v / a[j * NP + j];
		}
	}
	for (int i = 0; i < NP; i++) { /* L·t = b */
		double v = b[i];
		for (int k = 0; k < i; k++)
			v -= a[i * NP + k] * s[k];
		s[i] = v / a[i * NP + i];
	}
	for (int i = NP - 1; i >= 0; i--) { /* Lᵀ·s = t */
		double v = s[i];
		for (int k = i + 1; k < NP; k++)
			v -= a[k * NP + i] * s[k];
		s[i] = v / a[i * NP + i];
	}
	return true;
}

enum dlld_status dlld_fp_model_fit(const double *x, const unsigned char *y, size_t n,
				   struct dlld_fp_model *m, int *iterations, struct dlld_error *err)
{
	double mean[NF] = {0}, sd[NF] = {0}, beta[NP] = {0};
	size_t pos = 0;
	for (size_t i = 0; i < n; i++) {
		pos += y[i] ? 1u : 0u;
		for (int f = 0; f < NF; f++)
			mean[f] += x[i * NF + (size_t)f] / (double)n;
	}
	if (pos < 2 || n - pos < 2)
		return dlld_error_set(err, DLLD_STATUS_INCONSISTENT, NULL,
				      "false-positive model: %zu real and %zu false lesions; "
				      "at least 2 of each are needed", pos, n - pos);
	for (size_t i = 0; i < n; i++)
		for (int f = 0; f < NF; f++)
			sd[f] += (x[i * NF + (size_t)f] - mean[f]) * (x[i * NF + (size_t)f] - mean[f]) / (double)n;
	for (int f = 0; f < NF; f++)
		sd[f] = sd[f] > 0 ? sqrt(sd[f]) : 1.0;
	beta[0] = log((double)pos / (double)(n - pos));

	/* Newton–Raphson on z = (x - mean) / sd; stops when the step is tiny. */
	int it = 0;
	bool converged = false;
	while (!converged && it < MAX_ITERATIONS) {
		double h[NP * NP] = {0}, g[NP] = {0}, step[NP], z[NP];
		it++;
		for (size_t i = 0; i < n; i++) {
			z[0] = 1.0;
			for (int f = 0; f < NF; f++)
				z[f + 1] = (x[i * NF + (size_t)f] - mean[f]) / sd[f];
			double eta = 0;
			for (int k = 0; k < NP; k++)
				eta += beta[k] * z[k];
			double p = 1.0 / (1.0 + exp(-eta)), w = p * (1.0 - p);
			for (int a = 0; a < NP; a++) {
				g[a] += ((y[i] ? 1.0 : 0.0) - p) * z[a];
				for (int b = 0; b <= a; b++)
					h[a * NP + b] += w * z[a] * z[b];
			}
		}
		for (int a = 1; a < NP; a++) {
			h[a * NP + a] += RIDGE * (double)n;
			g[a] -= RIDGE * (double)n * beta[a];
		}
		for (int a = 0; a < NP; a++)
			for (int b = a + 1; b < NP; b++)
				h[a * NP + b] = h[b * NP + a];
		if (!cholesky_solve(h, g, step))
			break;
		double size = 0;
		for (int k = 0; k < NP; k++) {
			beta[k] += step[k];
			size = fmax(size, fabs(step[k]));
		}
		converged = size < 1e-10 * (1.0 + fabs(beta[0]));
		if (!isfinite(size))
			break;
	}
	if (!converged)
		return dlld_error_set(err, DLLD_STATUS_INCONSISTENT, NULL,
				      "false-positive model: the fit did not converge in %d iterations",
				      it);
	/* Back to the raw features. */
	m->intercept = beta[0];
	for (int f = 0; f < NF; f++) {
		m->coef[f] = beta[f + 1] / sd[f];
		m->intercept -= m->coef[f] * mean[f];
	}
	if (iterations)
		*iterations = it;
	return DLLD_STATUS_OK;
}

static enum dlld_status read_json(const char *path, cJSON **root, struct dlld_error *err)
{
	char *text;
	size_t size;
	enum dlld_status st = dlld_read_file(path, &text, &size, err);
	if (st)
		return st;
	*root = cJSON_ParseWithLength(text, size);
	free(text);
	if (!*root || !cJSON_IsObject(*root)) {
		cJSON_Delete(*root);
		*root = NULL;
		return dlld_error_set(err, DLLD_STATUS_MALFORMED, path, "not a JSON object");
	}
	return DLLD_STATUS_OK;
}

static bool finite_number(const cJSON *o)
{
	return cJSON_IsNumber(o) && isfinite(o->valuedouble);
}

enum dlld_status dlld_fp_model_read(const char *path, struct dlld_fp_model *m, struct dlld_error *err)
{
	cJSON *root;
	memset(m, 0, sizeof *m);
	enum dlld_status st = read_json(path, &root, err);
	if (st)
		return st;
	const cJSON *fm = cJSON_GetObjectItemCaseSensitive(root, "fp_model");
	if (!fm) {
		cJSON_Delete(root);
		return DLLD_STATUS_OK;
	}
	const cJSON *names = cJSON_GetObjectItemCaseSensitive(fm, "features");
	const cJSON *coef = cJSON_GetObjectItemCaseSensitive(fm, "coefficients");
	const cJSON *icpt = cJSON_GetObjectItemCaseSensitive(fm, "intercept");
	const cJSON *thr = cJSON_GetObjectItemCaseSensitive(fm, "threshold");
	const char *why = NULL;
	if (!cJSON_IsArray(names) || cJSON_GetArraySize(names) != NF || !cJSON_IsArray(coef) ||
	    cJSON_GetArraySize(coef) != NF)
		why = "fp_model: features and coefficients must be arrays of the same six entries";
	else if (!finite_number(icpt) || !finite_number(thr) || thr->valuedouble < 0 ||
		 thr->valuedouble > 1)
		why = "fp_model: intercept must be a number and threshold a number in [0, 1]";
	for (int f = 0; !why && f < NF; f++) {
		const cJSON *nm = cJSON_GetArrayItem(names, f), *c = cJSON_GetArrayItem(coef, f);
		if (!cJSON_IsString(nm) || strcmp(nm->valuestring, feature_names[f]) != 0)
			why = "fp_model: features differ from this build's "
			      "(logit_p_metastasis, logit_p_cyst, logit_p_hemangioma, log_diameter_mm, "
			      "log_extent_ratio, log_extent_ratio_squared)";
		else if (!finite_number(c))
			why = "fp_model: a coefficient is not a finite number";
		else
			m->coef[f] = c->valuedouble;
	}
	if (why) {
		cJSON_Delete(root);
		memset(m, 0, sizeof *m);
		return dlld_error_set(err, DLLD_STATUS_MALFORMED, path, "%s", why);
	}
	m->intercept = icpt->valuedouble;
	m->threshold = thr->valuedouble;
	m->present = true;
	cJSON_Delete(root);
	return DLLD_STATUS_OK;
}

enum dlld_status dlld_fp_model_write(const char *path, const struct dlld_fp_model *m,
				     const char *fit_json, double score, struct dlld_error *err)
{
	cJSON *root, *fit = NULL;
	enum dlld_status st = read_json(path, &root, err);
	if (st)
		return st;
	if (fit_json && !(fit = cJSON_Parse(fit_json))) {
		cJSON_Delete(root);
		return dlld_error_set(err, DLLD_STATUS_MALFORMED, path, "fit record is not JSON");
	}
	cJSON *fm = cJSON_CreateObject();
	cJSON_AddStringToObject(fm, "kind", "logistic");
	cJSON *names = cJSON_AddArrayToObject(fm, "features");
	for (int f = 0; f < NF; f++)
		cJSON_AddItemToArray(names, cJSON_CreateString(feature_names[f]));
	cJSON_AddNumberToObject(fm, "intercept", m->intercept);
	cJSON_AddItemToObject(fm, "coefficients", cJSON_CreateDoubleArray(m->coef, NF));
	cJSON_AddNumberToObject(fm, "threshold", m->threshold);
	if (fit)
		cJSON_AddItemToObject(fm, "fit", fit);
	cJSON_DeleteItemFromObjectCaseSensitive(root, "fp_model");
	cJSON_AddItemToObject(root, "fp_model", fm);
	if (score >= 0) {
		cJSON *thr = cJSON_GetObjectItemCaseSensitive(root, "thresholds");
		if (!thr)
			thr = cJSON_AddObjectToObject(root, "thresholds");
		cJSON_DeleteItemFromObjectCaseSensitive(thr, "score");
		cJSON_AddNumberToObject(thr, "score", score);
	}
	char *text = cJSON_Print(root);
	cJSON_Delete(root);
	if (!text)
		return dlld_error_set(err, DLLD_STATUS_NO_MEMORY, path, "out of memory");
	size_t len = strlen(text);
	text[len] = '\n'; /* replaces the terminator; written with its length */
	st = dlld_write_file_atomic(path, text, len + 1, err);
	free(text);
	return st;
}

/*
 * src/eval/gee.c — generalized estimating equations as R geepack::geeglm
 * fits them with its defaults (geepack 1.3.9, src/gee2.cc), for the two
 * canonical families DLLD needs.
 *
 * With Pearson residuals r = (y − μ)/√v(μ) and rows d = √v(μ)·x (canonical
 * link: dμ/dη = v), one iteration is
 *   1. β ← β + H⁻¹ G,  H = Σ_i D_iᵀ R_i⁻¹ D_i,  G = Σ_i D_iᵀ R_i⁻¹ r_i
 *      (φ cancels), R_i the working correlation at the current α;
 *   2. φ ← Σ r² / N   (geepack's scale equation with identity link has this
 *      root; no N − p: geepack leaves that correction commented out);
 *   3. α ← Σ_i Σ_{j<k} r_ij r_ik / (φ · Σ_i n_i (n_i − 1)/2)  (exchangeable,
 *      geepack's Fisher step on its correlation equation with identity
 *      link; clusters of size 1 add nothing, no −p in the denominator),
 * until max(|Δβ|, |Δφ|, |Δα|) ≤ tol. The robust covariance is geepack's
 * san.se, H⁻¹ (Σ_i U_i U_iᵀ) H⁻¹ with U_i = D_iᵀ R_i⁻¹ r_i at the final
 * β, α, with no small-sample factor. Exchangeable R_i⁻¹ is applied in closed
 * form: R⁻¹ = (I − c 11ᵀ)/(1 − α), c = α / (1 + (n_i − 1) α).
 *
 * Note: geepack's default geese.control(epsilon = 1e-4) stops early; the
 * reference script tools/ref_gee.R uses epsilon = 1e-12 so that both sides
 * report the converged estimator (the difference is ~1e-8 in β).
 */
#include "eval/stats.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const dlld_gee_family_names[DLLD_GEE_FAMILY_COUNT] = { "binomial", "poisson" };
const char *const dlld_gee_corstr_names[DLLD_GEE_CORSTR_COUNT] = { "independence",
								     "exchangeable" };
static_assert(sizeof dlld_gee_family_names / sizeof *dlld_gee_family_names ==
		      DLLD_GEE_FAMILY_COUNT, "family names");
static_assert(sizeof dlld_gee_corstr_names / sizeof *dlld_gee_corstr_names ==
		      DLLD_GEE_CORSTR_COUNT, "corstr names");

#define P DLLD_GEE_MAX_P
#define ETA_LIMIT 700.0

/* The data regrouped by cluster: rows order[start[c] .. start[c+1]). */
struct gee_work {
	const struct dlld_gee_data *data;
	enum dlld_gee_family family;
	size_t *order;  /* [n] row indices, grouped by cluster */
	size_t *start;  /* [n_clusters + 1] */
	size_t n_clusters;
	size_t max_size; /* rows of the largest cluster */
	double *resid;  /* [n] Pearson residuals, by original row */
	double *drow;   /* [n][P] d = √v · x, by original row */
};

/* One cluster's sums for the exchangeable closed form. */
struct cluster_sums {
	double dtd[P][P]; /* Σ d dᵀ */
	double dtr[P];    /* Σ d r */
	double sd[P];     /* Σ d */
	double sr;        /* Σ r */
};

static double design(const struct dlld_gee_data *data, size_t row, size_t j)
{
	return data->x ? data->x[row * data->p + j] : 1.0;
}

struct row_key {
	long cluster;
	size_t row;
};

static int compare_keys(const void *a, const void *b)
{
	const struct row_key *x = a, *y = b;
	if (x->cluster != y->cluster)
		return x->cluster < y->cluster ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row; /* input order inside a cluster */
}

/* Fills w's cluster order, starts and sizes and allocates its row buffers
 * (freed by dlld_stats_gee_fit); returns the status. */
static enum dlld_status group_clusters(struct gee_work *w, struct dlld_error *err)
{
	size_t n = w->data->n;
	w->order = dlld_calloc(n, sizeof *w->order, "GEE row order", err);
	w->start = dlld_calloc(n + 1, sizeof *w->start, "GEE cluster starts", err);
	w->resid = dlld_calloc(n, sizeof *w->resid, "GEE residuals", err);
	w->drow = dlld_calloc(n, P * sizeof *w->drow, "GEE derivatives", err);
	struct row_key *keys = dlld_calloc(n, sizeof *keys, "GEE cluster keys", err);
	if (!w->order || !w->start || !w->resid || !w->drow || !keys) {
		free(keys);
		return DLLD_STATUS_NO_MEMORY;
	}
	for (size_t i = 0; i < n; i++)
		keys[i] = (struct row_key){ w->data->cluster[i], i };
	qsort(keys, n, sizeof *keys, compare_keys);
	for (size_t i = 0; i < n; i++)
		w->order[i] = keys[i].row;
	free(keys);
	w->n_clusters = 0;
	for (size_t k = 0; k < n; k++)
		if (k == 0 || w->data->cluster[w->order[k]] != w->data->cluster[w->order[k - 1]])
			w->start[w->n_clusters++] = k;
	w->start[w->n_clusters] = n;
	w->max_size = 0;
	for (size_t c = 0; c < w->n_clusters; c++)
		if (w->start[c + 1] - w->start[c] > w->max_size)
			w->max_size = w->start[c + 1] - w->start[c];
	return DLLD_STATUS_OK;
}

/* Fills resid and drow at beta; returns false when η leaves the safe range. */
static bool evaluate(struct gee_work *w, const double *beta)
{
	const struct dlld_gee_data *d = w->data;
	for (size_t i = 0; i < d->n; i++) {
		double eta = 0.0;
		for (size_t j = 0; j < d->p; j++)
			eta += design(d, i, j) * beta[j];
		if (!(fabs(eta) < ETA_LIMIT))
			return false;
		double mu, v;
		if (w->family == DLLD_GEE_FAMILY_BINOMIAL) {
			mu = dlld_stats_expit(eta);
			v = mu * (1.0 - mu);
		} else {
			mu = exp(eta);
			v = mu;
		}
		if (!(v > 0.0))
			return false;
		double sv = sqrt(v);
		w->resid[i] = (d->y[i] - mu) / sv;
		for (size_t j = 0; j < d->p; j++)
			w->drow[i * P + j] = sv * design(d, i, j);
	}
	return true;
}

static void cluster_sums(const struct gee_work *w, size_t c, struct cluster_sums *s)
{
	size_t p = w->data->p;
	memset(s, 0, sizeof *s);
	for (size_t k = w->start[c]; k < w->start[c + 1]; k++) {
		size_t i = w->order[k];
		const double *dr = &w->drow[i * P];
		s->sr += w->resid[i];
		for (size_t a = 0; a < p; a++) {
			s->sd[a] += dr[a];
			s->dtr[a] += dr[a] * w->resid[i];
			for (size_t b = 0; b < p; b++)
				s->dtd[a][b] += dr[a] * dr[b];
		}
	}
}

/* Adds cluster c's D'R⁻¹D to h and fills u with D'R⁻¹r (α = 0: independence). */
static void cluster_terms(const struct gee_work *w, size_t c, double alpha, double h[P][P],
			  double u[P])
{
	struct cluster_sums s;
	size_t p = w->data->p;
	double m = (double)(w->start[c + 1] - w->start[c]);
	double scale = 1.0 / (1.0 - alpha), cc = alpha / (1.0 + (m - 1.0) * alpha);

	cluster_sums(w, c, &s);
	for (size_t a = 0; a < p; a++) {
		u[a] = scale * (s.dtr[a] - cc * s.sd[a] * s.sr);
		for (size_t b = 0; b < p; b++)
			h[a][b] += scale * (s.dtd[a][b] - cc * s.sd[a] * s.sd[b]);
	}
}

/* Cholesky of the p×p matrix a into l; false when not positive definite
 * (relative pivot below 1e-12: a collinear or empty design column). */
static bool cholesky(size_t p, double a[P][P], double l[P][P])
{
	memset(l, 0, sizeof(double) * P * P);
	for (size_t j = 0; j < p; j++) {
		double s = a[j][j];
		for (size_t k = 0; k < j; k++)
			s -= l[j][k] * l[j][k];
		if (!(s > 1e-12 * a[j][j]) || !(a[j][j] > 0.0))
			return false;
		l[j][j] = sqrt(s);
		for (size_t i = j + 1; i < p; i++) {
			double t = a[i][j];
			for (size_t k = 0; k < j; k++)
				t -= l[i][k] * l[j][k];
			l[i][j] = t / l[j][j];
		}
	}
	return true;
}

/* Solves l lᵀ x = b in place. */
static void cholesky_solve(size_t p, double l[P][P], double b[P])
{
	for (size_t i = 0; i < p; i++) {
		for (size_t k = 0; k < i; k++)
			b[i] -= l[i][k] * b[k];
		b[i] /= l[i][i];
	}
	for (size_t i = p; i-- > 0;) {
		for (size_t k = i + 1; k < p; k++)
			b[i] -= l[k][i] * b[k];
		b[i] /= l[i][i];
	}
}

/* Fills *phi and *alpha from the current residuals (alpha NAN when no
 * cluster has two rows or φ = 0). */
static void update_scale_alpha(const struct gee_work *w, double *phi, double *alpha)
{
	double ss = 0.0, cross = 0.0, pairs = 0.0;
	for (size_t c = 0; c < w->n_clusters; c++) {
		double sr = 0.0, sr2 = 0.0, m = (double)(w->start[c + 1] - w->start[c]);
		for (size_t k = w->start[c]; k < w->start[c + 1]; k++) {
			double r = w->resid[w->order[k]];
			sr += r;
			sr2 += r * r;
		}
		ss += sr2;
		cross += 0.5 * (sr * sr - sr2);
		pairs += 0.5 * m * (m - 1.0);
	}
	*phi = ss / (double)w->data->n;
	*alpha = pairs > 0.0 && *phi > 0.0 ? cross / (pairs * *phi) : NAN;
}

/* True when every cluster's exchangeable R is positive definite. */
static bool alpha_admissible(double alpha, size_t max_size)
{
	return alpha < 1.0 && 1.0 + ((double)max_size - 1.0) * alpha > 0.0;
}

/* Fills beta with glm's start: one weighted least-squares step from
 * μ0 = (y + 0.5)/2 (binomial) or y + 0.1 (Poisson), clusters ignored.
 * Returns false when the design is singular. */
static bool start_values(const struct gee_work *w, double beta[P])
{
	const struct dlld_gee_data *d = w->data;
	double a[P][P] = { { 0 } }, l[P][P];
	memset(beta, 0, sizeof(double) * P);
	for (size_t i = 0; i < d->n; i++) {
		double mu, eta;
		if (w->family == DLLD_GEE_FAMILY_BINOMIAL) {
			mu = 0.5 * (d->y[i] + 0.5);
			eta = dlld_stats_logit(mu);
		} else {
			mu = d->y[i] + 0.1;
			eta = log(mu);
		}
		double v = w->family == DLLD_GEE_FAMILY_BINOMIAL ? mu * (1.0 - mu) : mu;
		double z = eta + (d->y[i] - mu) / v;
		for (size_t j = 0; j < d->p; j++) {
			beta[j] += v * design(d, i, j) * z;
			for (size_t k = 0; k < d->p; k++)
				a[j][k] += v * design(d, i, j) * design(d, i, k);
		}
	}
	if (!cholesky(d->p, a, l))
		return false;
	cholesky_solve(d->p, l, beta);
	return true;
}

/* What the scoring loop ended with. */
enum fit_outcome {
	FIT_CONVERGED,
	FIT_SINGULAR,  /* H not positive definite: empty or collinear column */
	FIT_DIVERGED,  /* separation / zero counts: β runs to infinity */
	FIT_MAX_ITER
};

/* The scoring loop's state: β, scale φ, the working α (0 for independence or
 * when no cluster has a pair), the α to report (NAN then), iterations run. */
struct fit_state {
	double beta[P];
	double phi, alpha, alpha_report;
	int iterations;
};

/* Takes one Fisher-scoring step on f->beta at the working α and fills *step
 * with max |Δβ|; returns false when H is not positive definite. */
static bool scoring_step(const struct gee_work *w, struct fit_state *f, double *step)
{
	size_t p = w->data->p;
	double h[P][P] = { { 0 } }, l[P][P], g[P] = { 0 }, u[P];

	for (size_t c = 0; c < w->n_clusters; c++) {
		cluster_terms(w, c, f->alpha, h, u);
		for (size_t j = 0; j < p; j++)
			g[j] += u[j];
	}
	if (!cholesky(p, h, l))
		return false;
	cholesky_solve(p, l, g);
	*step = 0.0;
	for (size_t j = 0; j < p; j++) {
		f->beta[j] += g[j];
		*step = fmax(*step, fabs(g[j]));
	}
	return true;
}

/* Runs the iterations of the file comment from glm's start; fills f. */
static enum fit_outcome score(struct gee_work *w, const struct dlld_gee_options *o,
			      struct fit_state *f)
{
	bool exchangeable = o->corstr == DLLD_GEE_CORSTR_EXCHANGEABLE;

	f->alpha = 0.0;
	f->alpha_report = NAN;
	f->phi = NAN;
	f->iterations = 0;
	if (!start_values(w, f->beta))
		return FIT_SINGULAR;
	if (!evaluate(w, f->beta))
		return FIT_DIVERGED;
	for (int it = 1; it <= o->max_iter; it++) {
		double del, new_phi, new_alpha;
		f->iterations = it;
		if (!scoring_step(w, f, &del))
			return FIT_SINGULAR;
		if (!evaluate(w, f->beta))
			return FIT_DIVERGED;
		update_scale_alpha(w, &new_phi, &new_alpha);
		del = fmax(del, isnan(f->phi) ? INFINITY : fabs(new_phi - f->phi));
		f->phi = new_phi;
		if (exchangeable) {
			f->alpha_report = new_alpha;
			if (isnan(new_alpha))
				new_alpha = 0.0;
			if (!alpha_admissible(new_alpha, w->max_size))
				return FIT_DIVERGED;
			del = fmax(del, fabs(new_alpha - f->alpha));
			f->alpha = new_alpha;
		}
		if (del <= o->tol)
			return FIT_CONVERGED;
	}
	return FIT_MAX_ITER;
}

/* Fills se with the sandwich SEs at the current residuals and α (NAN where
 * the variance is not positive). Returns false when H is singular. */
static bool sandwich(const struct gee_work *w, double alpha, double se[P])
{
	size_t p = w->data->p;
	double h[P][P] = { { 0 } }, l[P][P], meat[P][P] = { { 0 } }, u[P];
	for (size_t c = 0; c < w->n_clusters; c++) {
		cluster_terms(w, c, alpha, h, u);
		for (size_t a = 0; a < p; a++)
			for (size_t b = 0; b < p; b++)
				meat[a][b] += u[a] * u[b];
	}
	if (!cholesky(p, h, l))
		return false;
	double hinv[P][P];
	for (size_t j = 0; j < p; j++) {
		double col[P] = { 0 };
		col[j] = 1.0;
		cholesky_solve(p, l, col);
		for (size_t i = 0; i < p; i++)
			hinv[i][j] = col[i];
	}
	for (size_t j = 0; j < p; j++) {
		double v = 0.0;
		for (size_t a = 0; a < p; a++)
			for (size_t b = 0; b < p; b++)
				v += hinv[j][a] * meat[a][b] * hinv[b][j];
		se[j] = v > 0.0 ? sqrt(v) : NAN;
	}
	return true;
}

static enum dlld_status check_input(const struct dlld_gee_data *d,
				    const struct dlld_gee_options *o, struct dlld_error *err)
{
	if ((unsigned)o->family >= DLLD_GEE_FAMILY_COUNT ||
	    (unsigned)o->corstr >= DLLD_GEE_CORSTR_COUNT)
		return dlld_error_set(err, DLLD_STATUS_USAGE, NULL, "GEE: unknown family or corstr");
	if (d->n == 0 || d->p == 0 || d->p > P || (!d->x && d->p != 1) || !d->y || !d->cluster)
		return dlld_error_set(err, DLLD_STATUS_USAGE, NULL,
				      "GEE: need rows, y, clusters and 1..%d columns (n %zu, p %zu)",
				      P, d->n, d->p);
	for (size_t i = 0; i < d->n; i++) {
		double y = d->y[i];
		bool ok = o->family == DLLD_GEE_FAMILY_BINOMIAL ? y >= 0.0 && y <= 1.0
							      : y >= 0.0 && isfinite(y);
		if (!ok)
			return dlld_error_set(err, DLLD_STATUS_USAGE, NULL,
					      "GEE: row %zu: y = %g outside the %s support", i, y,
					      dlld_gee_family_names[o->family]);
		for (size_t j = 0; j < d->p; j++)
			if (!isfinite(design(d, i, j)))
				return dlld_error_set(err, DLLD_STATUS_USAGE, NULL,
						      "GEE: row %zu column %zu is not finite", i, j);
	}
	return DLLD_STATUS_OK;
}

static void result_init(struct dlld_gee_result *out, const struct gee_work *w)
{
	memset(out, 0, sizeof *out);
	out->p = w->data->p;
	out->n_obs = w->data->n;
	out->n_clusters = w->n_clusters;
	out->max_cluster_size = w->max_size;
	for (size_t j = 0; j < P; j++)
		out->beta[j] = out->se_robust[j] = out->z[j] = out->p_wald[j] = NAN;
	out->phi = out->alpha = NAN;
}

enum dlld_status dlld_stats_gee_fit(const struct dlld_gee_data *data,
				    const struct dlld_gee_options *options,
				    struct dlld_gee_result *out, struct dlld_error *err)
{
	struct dlld_gee_options o = *options;
	struct gee_work w = { .data = data, .family = options->family };
	enum dlld_status status = check_input(data, &o, err);
	if (status != DLLD_STATUS_OK)
		return status;
	if (o.max_iter <= 0)
		o.max_iter = 50;
	if (!(o.tol > 0.0))
		o.tol = 1e-12;
	status = group_clusters(&w, err);
	if (status != DLLD_STATUS_OK)
		goto free_work;
	result_init(out, &w);

	struct fit_state f;
	double se[P];
	out->converged = score(&w, &o, &f) == FIT_CONVERGED;
	out->iterations = f.iterations;
	if (!out->converged || !sandwich(&w, f.alpha, se))
		goto free_work;
	out->defined = true;
	out->phi = f.phi;
	out->alpha = f.alpha_report;
	for (size_t j = 0; j < data->p; j++) {
		out->beta[j] = f.beta[j];
		out->se_robust[j] = se[j];
		out->z[j] = f.beta[j] / se[j];
		out->p_wald[j] = dlld_stats_p_two_sided(out->z[j]);
	}
free_work:
	free(w.order);
	free(w.start);
	free(w.resid);
	free(w.drow);
	return status;
}

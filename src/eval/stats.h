/*
 * src/eval/stats.h — the statistical kernels of `dlld eval` (internal header).
 *
 * Pure functions: plain arrays in, plain value structs out, no I/O, no
 * allocation except inside dlld_stats_gee_fit (freed before it returns).
 * A value that is undefined for the data (a logit CI at 0/n, a GEE without
 * variance, κ when every rating falls in one category) is NAN; the JSON
 * layer writes NAN as null. Nothing here ever substitutes 0 for NA.
 *
 * Ownership of the files:
 *   stats.c   special functions, proportion and Poisson CIs  (statistics engineer)
 *   gee.c     GEE: binomial/logit and Poisson/log            (statistics engineer)
 *   kappa.c   Fleiss' κ with its SE under H0                  (statistics engineer)
 *   the rest of src/eval (inputs, FOMs, bootstrap, JSON, report, plots) is
 *   the study engineer's and calls these functions.
 *
 * Units: proportions and probabilities in [0, 1]; `level` is a confidence
 * level in (0, 1), e.g. 0.95 (two-sided, α = 1 − level); rates are per
 * patient (counts / patients); GEE coefficients on the link scale (logit
 * or log). References: tools/ref_stats.py (statsmodels/scipy) and
 * tools/ref_gee.R (R geepack); fixtures in tests/eval/fixtures/.
 */
#ifndef DLLD_EVAL_STATS_H
#define DLLD_EVAL_STATS_H

#include <stdbool.h>
#include <stddef.h>

#include "dlld/core.h"

/* ---- special functions (stats.c) ----------------------------------------
 * Relative accuracy ~1e-14 for the normal, ~1e-12 for the incomplete
 * beta/gamma and their inverses, over the ranges a CI needs. Arguments out of
 * the domain return NAN. */

/* Returns Φ(z), the standard normal CDF (accurate in both tails). */
double dlld_stats_norm_cdf(double z);
/* Returns Φ⁻¹(p) (Wichura AS241); ±INFINITY at p = 0 / 1, NAN outside [0,1]. */
double dlld_stats_norm_quantile(double p);
/* Returns the two-sided normal p-value 2·Φ(−|z|); NAN for NAN. */
double dlld_stats_p_two_sided(double z);
/* Returns z_{1−α/2} for a two-sided CI at `level` (1.959963984540054 for 0.95). */
double dlld_stats_z_for_level(double level);

/* Returns the regularized incomplete beta I_x(a, b); a, b > 0, x in [0, 1]. */
double dlld_stats_beta_inc(double a, double b, double x);
/* Returns x with I_x(a, b) = p; p in [0, 1]. */
double dlld_stats_beta_inc_inv(double a, double b, double p);
/* Returns the regularized lower incomplete gamma P(a, x); a > 0, x ≥ 0. */
double dlld_stats_gamma_inc(double a, double x);
/* Returns x with P(a, x) = p; p in [0, 1]. */
double dlld_stats_gamma_inc_inv(double a, double p);
/* Returns the chi-square quantile with df > 0 degrees of freedom. */
double dlld_stats_chisq_quantile(double p, double df);

/* Returns 1 / (1 + e^−x). */
double dlld_stats_expit(double x);
/* Returns log(p / (1 − p)); ±INFINITY at 0 / 1. */
double dlld_stats_logit(double p);

/* ---- confidence intervals (stats.c) -------------------------------------- */

/* A two-sided interval; both ends NAN when undefined. */
struct dlld_ci {
	double lo;
	double hi;
};

/* Returns the Wilson score CI for x/n (no continuity correction);
 * NAN when n = 0. 0 ≤ x ≤ n. */
struct dlld_ci dlld_stats_ci_wilson(long x, long n, double level);
/* Returns the Clopper–Pearson exact CI for x/n (lo = 0 at x = 0, hi = 1 at
 * x = n); NAN when n = 0. */
struct dlld_ci dlld_stats_ci_clopper_pearson(long x, long n, double level);
/* Returns the naive Wald CI on the logit scale, se = sqrt(1/x + 1/(n−x)),
 * back-transformed; NAN at x = 0, x = n or n = 0. This is the interval the
 * paper prints for per-patient sensitivity (35/40 → 0.7328, 0.9470) and
 * specificity (10/45 → 0.1240, 0.3659): see docs and tests/eval/test_stats.c. */
struct dlld_ci dlld_stats_ci_logit_wald(long x, long n, double level);
/* Returns the Wald CI back-transformed with expit: expit(beta ± z·se);
 * NAN when beta or se is NAN or se ≤ 0. For GEE logit coefficients. */
struct dlld_ci dlld_stats_ci_expit_wald(double beta, double se, double level);
/* Returns the Wald CI back-transformed with exp: exp(beta ± z·se);
 * NAN when beta or se is NAN or se ≤ 0. For GEE log-link coefficients. */
struct dlld_ci dlld_stats_ci_exp_wald(double beta, double se, double level);

/* A proportion x/n with every CI DLLD reports; p = x/n (NAN when n = 0). */
struct dlld_stats_proportion {
	long x;
	long n;
	double p;
	double se_logit;              /* naive sqrt(1/x + 1/(n−x)); NAN at 0/n, n/n */
	struct dlld_ci wilson;
	struct dlld_ci clopper_pearson;
	struct dlld_ci logit_wald;
};

/* Fills out with x/n and its Wilson, Clopper–Pearson and logit-Wald CIs.
 * Returns DLLD_STATUS_USAGE (err names the reason) when n < 0, x < 0 or x > n. */
enum dlld_status dlld_stats_proportion(long x, long n, double level,
				       struct dlld_stats_proportion *out, struct dlld_error *err);

/* ---- counts per patient (stats.c) ----------------------------------------
 * False positives per patient from the sufficient statistics of the counts
 * y_1..y_n (n patients): sum_y = Σ y_i, sum_y2 = Σ y_i². */
struct dlld_stats_rate {
	long n;                       /* patients (or patient reads) */
	double sum_y;                 /* Σ y */
	double sum_y2;                /* Σ y² */
	double mean;                  /* Σ y / n; NAN when n = 0 */
	double se_log_robust;         /* robust SE of log(mean); NAN when Σ y = 0 or all y equal */
	struct dlld_ci gee_robust;    /* Poisson log-link GEE, intercept only */
	struct dlld_ci exact;         /* Poisson exact (Garwood) for the mean */
};

/* Fills out with the mean count per patient, its exact Poisson CI
 * (χ²-based Garwood interval on Σ y, divided by n) and the intercept-only
 * Poisson GEE robust CI exp(log ȳ ± z·se) with
 * se² = (Σ y² − (Σ y)²/n) / (Σ y)² — geepack's sandwich, no n/(n−1)
 * correction (this reproduces the paper's 113 FP / 85 patients / Σ y² = 333
 * → 1.052–1.681). With independence and one observation per patient, this is
 * what dlld_stats_gee_fit returns for an intercept-only Poisson model.
 * Returns DLLD_STATUS_USAGE when n < 0, sum_y < 0 or sum_y2 < sum_y²/n − tiny
 * (impossible statistics). */
enum dlld_status dlld_stats_rate(long n, double sum_y, double sum_y2, double level,
				 struct dlld_stats_rate *out, struct dlld_error *err);

/* ---- GEE (gee.c) -----------------------------------------------------------
 * Generalized estimating equations as R geepack::geeglm fits them by default:
 * Fisher scoring on β; scale φ = Σ r²/N from Pearson residuals r (geepack's
 * scale equation; no N − p); exchangeable α = Σ_i Σ_{j<k} r_ij r_ik /
 * (φ Σ_i n_i(n_i − 1)/2) (geepack's moment step; see gee.c); robust
 * (sandwich, "san.se") covariance without small-sample correction; Wald
 * z = β/se and two-sided normal p (geepack's Wald χ² = z², same p).
 * Agreement with geepack 1.3.9 run to convergence: ~1e-15 (tests/eval/test_gee.c). */
enum dlld_gee_family {
	DLLD_GEE_FAMILY_BINOMIAL,     /* y in {0, 1}, logit link */
	DLLD_GEE_FAMILY_POISSON,      /* y ≥ 0 counts, log link */
	DLLD_GEE_FAMILY_COUNT
};
enum dlld_gee_corstr {
	DLLD_GEE_CORSTR_INDEPENDENCE,
	DLLD_GEE_CORSTR_EXCHANGEABLE,
	DLLD_GEE_CORSTR_COUNT
};
/* Name tables ("binomial", "poisson"; "independence", "exchangeable"). */
extern const char *const dlld_gee_family_names[DLLD_GEE_FAMILY_COUNT];
extern const char *const dlld_gee_corstr_names[DLLD_GEE_CORSTR_COUNT];

#define DLLD_GEE_MAX_P 4              /* columns of the design matrix */

/* The data, borrowed. Rows need not be sorted by cluster: rows with the same
 * cluster id form one cluster, in the order they appear. */
struct dlld_gee_data {
	size_t n;                     /* observations (rows) */
	size_t p;                     /* columns of x, 1..DLLD_GEE_MAX_P */
	const double *x;              /* [n][p] row-major design; NULL = intercept only (p must be 1) */
	const double *y;              /* [n] responses */
	const long *cluster;          /* [n] cluster ids (patients) */
};

/* Options; zero-initialised fields take the defaults. */
struct dlld_gee_options {
	enum dlld_gee_family family;
	enum dlld_gee_corstr corstr;
	int max_iter;                 /* Fisher-scoring iterations; 0 → 50 */
	double tol;                   /* max |Δβ| to stop; 0 → 1e-12 */
};

/* The fit. When the model has no finite solution (all y = 0 or all y = 1 in
 * a binomial model, all y = 0 in a Poisson model, separation such as a
 * perfect algorithm against a group, a design column that is constant zero
 * or collinear, e.g. a group with no observations, or no convergence),
 * `defined` is false and beta/se/z/p/phi/alpha are NAN — never fake numbers
 * (geepack prints a huge β with a huge SE there). When β is defined but the
 * sandwich variance is 0 (all residuals 0), se/z/p are NAN. α is NAN for
 * independence and when no cluster has two rows (geepack prints 0). */
struct dlld_gee_result {
	size_t p;
	double beta[DLLD_GEE_MAX_P];      /* link scale */
	double se_robust[DLLD_GEE_MAX_P]; /* sandwich SE */
	double z[DLLD_GEE_MAX_P];         /* beta / se_robust */
	double p_wald[DLLD_GEE_MAX_P];    /* two-sided normal p */
	double phi;                   /* scale Σ r²/N (geepack's; cancels in β and SE) */
	double alpha;                 /* exchangeable α; NAN for independence */
	size_t n_obs;
	size_t n_clusters;
	size_t max_cluster_size;
	int iterations;
	bool converged;
	bool defined;                 /* false → beta/se/z/p are NAN */
};

/* Fits the GEE and fills out. Degenerate data (see above) is not an error:
 * it returns DLLD_STATUS_OK with NAN values. Returns DLLD_STATUS_USAGE for
 * programmer errors (n = 0, p out of range, y outside the family's support,
 * non-finite x or y) and DLLD_STATUS_NO_MEMORY; err says which. */
enum dlld_status dlld_stats_gee_fit(const struct dlld_gee_data *data,
				    const struct dlld_gee_options *options,
				    struct dlld_gee_result *out, struct dlld_error *err);

/* ---- agreement (kappa.c) ---------------------------------------------------
 * Fleiss' κ for N subjects rated by m raters each into k categories, with
 * the SE under H0: κ = 0 (Fleiss, Nee & Landis 1979), z = κ / se0 and the
 * two-sided normal p. For DLLD the categories are binary (detected / not,
 * positive / not). */
struct dlld_stats_kappa {
	double kappa;                 /* NAN when every rating falls in one category */
	double se0;                   /* SE under H0; NAN likewise */
	double z;
	double p;
	size_t n_subjects;
	size_t n_raters;              /* m */
	size_t n_categories;          /* k */
};

/* Borrows counts [n_subjects][k] row-major: counts[i*k + j] = raters who put
 * subject i in category j; every row must sum to the same m ≥ 2. Fills out.
 * Returns DLLD_STATUS_USAGE when n_subjects = 0, k < 2, a count is negative,
 * m < 2 or the rows do not sum to the same m (err names the row). */
enum dlld_status dlld_stats_fleiss_kappa(const long *counts, size_t n_subjects, size_t k,
					 struct dlld_stats_kappa *out, struct dlld_error *err);

#endif

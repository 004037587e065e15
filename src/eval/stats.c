/*
 * src/eval/stats.c — special functions, proportion CIs and per-patient count
 * rates for `dlld eval` (see stats.h for the contracts).
 *
 * The incomplete beta and gamma functions are the classical series and
 * continued-fraction expansions (modified Lentz), their inverses safeguarded
 * Newton iterations inside a bisection bracket, so they cannot diverge.
 * References for every value: tools/ref_stats.py (scipy/statsmodels).
 */
#include "eval/stats.h"

#include <float.h>
#include <math.h>

#define CF_MAX_ITER 1000
#define CF_TINY 1e-300
#define INV_MAX_ITER 200

/* ---- normal --------------------------------------------------------------- */

double dlld_stats_norm_cdf(double z)
{
	return 0.5 * erfc(-z / M_SQRT2);
}

/* Lower-tail quantile for p in (0, 0.5]: the Abramowitz–Stegun 26.2.23
 * rational start (|error| < 4.5e-4), then Halley steps on Φ(x) − p computed
 * with erfc, which is accurate relative to p even deep in the tail. */
static double norm_quantile_lower(double p)
{
	double t = sqrt(-2.0 * log(p));
	double x = -(t - (2.515517 + t * (0.802853 + t * 0.010328)) /
			 (1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308))));

	for (int i = 0; i < 8; i++) {
		double e = dlld_stats_norm_cdf(x) - p;
		double u = e * sqrt(2.0 * M_PI) * exp(0.5 * x * x);
		double step = u / (1.0 + 0.5 * x * u);
		x -= step;
		if (fabs(step) <= 1e-16 * fmax(1.0, fabs(x)))
			break;
	}
	return x;
}

double dlld_stats_norm_quantile(double p)
{
	if (!(p >= 0.0 && p <= 1.0))
		return NAN;
	if (p == 0.0)
		return -INFINITY;
	if (p == 1.0)
		return INFINITY;
	if (p == 0.5)
		return 0.0;
	if (p < 0.5)
		return norm_quantile_lower(p);
	return -norm_quantile_lower(1.0 - p);
}

double dlld_stats_p_two_sided(double z)
{
	if (isnan(z))
		return NAN;
	return erfc(fabs(z) / M_SQRT2);
}

double dlld_stats_z_for_level(double level)
{
	if (!(level > 0.0 && level < 1.0))
		return NAN;
	return -dlld_stats_norm_quantile(0.5 * (1.0 - level));
}

double dlld_stats_expit(double x)
{
	if (x >= 0.0)
		return 1.0 / (1.0 + exp(-x));
	double e = exp(x);
	return e / (1.0 + e);
}

double dlld_stats_logit(double p)
{
	if (!(p >= 0.0 && p <= 1.0))
		return NAN;
	return log(p) - log1p(-p);
}

/* ---- incomplete beta ------------------------------------------------------- */

/* Continued fraction for I_x(a, b) / prefactor (converges for x < (a+1)/(a+b+2)). */
static double beta_cf(double a, double b, double x)
{
	double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0);
	if (fabs(d) < CF_TINY)
		d = CF_TINY;
	d = 1.0 / d;
	double h = d;
	for (int m = 1; m <= CF_MAX_ITER; m++) {
		double dm = (double)m, m2 = 2.0 * dm;
		double num = dm * (b - dm) * x / ((a + m2 - 1.0) * (a + m2));
		d = 1.0 + num * d;
		c = 1.0 + num / c;
		d = 1.0 / (fabs(d) < CF_TINY ? CF_TINY : d);
		c = fabs(c) < CF_TINY ? CF_TINY : c;
		h *= d * c;
		num = -(a + dm) * (a + b + dm) * x / ((a + m2) * (a + m2 + 1.0));
		d = 1.0 + num * d;
		c = 1.0 + num / c;
		d = 1.0 / (fabs(d) < CF_TINY ? CF_TINY : d);
		c = fabs(c) < CF_TINY ? CF_TINY : c;
		double delta = d * c;
		h *= delta;
		if (fabs(delta - 1.0) < 1e-16)
			break;
	}
	return h;
}

static double log_beta(double a, double b)
{
	return lgamma(a) + lgamma(b) - lgamma(a + b);
}

double dlld_stats_beta_inc(double a, double b, double x)
{
	if (!(a > 0.0 && b > 0.0 && x >= 0.0 && x <= 1.0))
		return NAN;
	if (x == 0.0 || x == 1.0)
		return x;
	double log_front = a * log(x) + b * log1p(-x) - log_beta(a, b);
	if (x < (a + 1.0) / (a + b + 2.0))
		return exp(log_front) * beta_cf(a, b, x) / a;
	return 1.0 - exp(log_front) * beta_cf(b, a, 1.0 - x) / b;
}

/* ---- incomplete gamma ------------------------------------------------------ */

/* Series for P(a, x), x < a + 1. */
static double gamma_series(double a, double x)
{
	double term = 1.0 / a, sum = term;
	for (int n = 1; n <= CF_MAX_ITER; n++) {
		term *= x / (a + (double)n);
		sum += term;
		if (fabs(term) < fabs(sum) * 1e-17)
			break;
	}
	return sum * exp(-x + a * log(x) - lgamma(a));
}

/* Continued fraction for Q(a, x) = 1 − P(a, x), x ≥ a + 1. */
static double gamma_cf(double a, double x)
{
	double b = x + 1.0 - a, c = 1.0 / CF_TINY, d = 1.0 / b, h = d;
	for (int i = 1; i <= CF_MAX_ITER; i++) {
		double an = -(double)i * ((double)i - a);
		b += 2.0;
		d = an * d + b;
		d = 1.0 / (fabs(d) < CF_TINY ? CF_TINY : d);
		c = b + an / c;
		c = fabs(c) < CF_TINY ? CF_TINY : c;
		double delta = d * c;
		h *= delta;
		if (fabs(delta - 1.0) < 1e-16)
			break;
	}
	return exp(-x + a * log(x) - lgamma(a)) * h;
}

double dlld_stats_gamma_inc(double a, double x)
{
	if (!(a > 0.0 && x >= 0.0))
		return NAN;
	if (x == 0.0)
		return 0.0;
	if (isinf(x))
		return 1.0;
	if (x < a + 1.0)
		return gamma_series(a, x);
	return 1.0 - gamma_cf(a, x);
}

/* ---- inverses -------------------------------------------------------------- */

/* The beta(a, b) or gamma(a) distribution whose CDF invert_cdf inverts;
 * log_norm = log B(a, b) or lgamma(a). */
struct dist {
	bool gamma;
	double a, b, log_norm;
};

static double dist_cdf(const struct dist *d, double x)
{
	return d->gamma ? dlld_stats_gamma_inc(d->a, x) : dlld_stats_beta_inc(d->a, d->b, x);
}

static double dist_density(const struct dist *d, double x)
{
	return exp(d->gamma ? (d->a - 1.0) * log(x) - x - d->log_norm
			    : (d->a - 1.0) * log(x) + (d->b - 1.0) * log1p(-x) - d->log_norm);
}

/* Returns x with cdf(x) = p, starting at x inside the bracket (lo, hi) that
 * holds the root: Newton steps, bisection whenever a step leaves the bracket. */
static double invert_cdf(const struct dist *d, double p, double x, double lo, double hi)
{
	for (int i = 0; i < INV_MAX_ITER; i++) {
		double f = dist_cdf(d, x) - p;
		if (f == 0.0)
			return x;
		if (f < 0.0)
			lo = x;
		else
			hi = x;
		double next = x - f / dist_density(d, x);
		if (!(next > lo && next < hi) || !isfinite(next))
			next = 0.5 * (lo + hi);
		if (fabs(next - x) <= 4.0 * DBL_EPSILON * x || hi - lo <= 4.0 * DBL_EPSILON * hi)
			return next;
		x = next;
	}
	return x;
}

double dlld_stats_beta_inc_inv(double a, double b, double p)
{
	if (!(a > 0.0 && b > 0.0 && p >= 0.0 && p <= 1.0))
		return NAN;
	if (p == 0.0 || p == 1.0)
		return p;
	struct dist d = { false, a, b, log_beta(a, b) };
	return invert_cdf(&d, p, a / (a + b), 0.0, 1.0);
}

double dlld_stats_gamma_inc_inv(double a, double p)
{
	if (!(a > 0.0 && p >= 0.0 && p <= 1.0))
		return NAN;
	if (p == 0.0)
		return 0.0;
	if (p == 1.0)
		return INFINITY;
	double hi = a + 1.0;
	while (dlld_stats_gamma_inc(a, hi) < p)
		hi *= 2.0;
	double x = fmax(a, 1e-3 * hi);
	if (x >= hi)
		x = 0.5 * hi;
	struct dist d = { true, a, 0.0, lgamma(a) };
	return invert_cdf(&d, p, x, 0.0, hi);
}

double dlld_stats_chisq_quantile(double p, double df)
{
	if (!(df > 0.0))
		return NAN;
	return 2.0 * dlld_stats_gamma_inc_inv(0.5 * df, p);
}

/* ---- proportion CIs ---------------------------------------------------------- */

static const struct dlld_ci ci_na = { NAN, NAN };

static bool proportion_valid(long x, long n)
{
	return n > 0 && x >= 0 && x <= n;
}

struct dlld_ci dlld_stats_ci_wilson(long x, long n, double level)
{
	double z = dlld_stats_z_for_level(level);
	if (!proportion_valid(x, n) || isnan(z))
		return ci_na;
	double dn = (double)n, dx = (double)x, z2 = z * z;
	double centre = (dx + 0.5 * z2) / (dn + z2);
	double half = z * sqrt(dx * (dn - dx) / dn + 0.25 * z2) / (dn + z2);
	return (struct dlld_ci){ fmax(0.0, centre - half), fmin(1.0, centre + half) };
}

struct dlld_ci dlld_stats_ci_clopper_pearson(long x, long n, double level)
{
	if (!proportion_valid(x, n) || !(level > 0.0 && level < 1.0))
		return ci_na;
	double alpha = 1.0 - level, dn = (double)n, dx = (double)x;
	struct dlld_ci ci = { 0.0, 1.0 };
	if (x > 0)
		ci.lo = dlld_stats_beta_inc_inv(dx, dn - dx + 1.0, 0.5 * alpha);
	if (x < n)
		ci.hi = dlld_stats_beta_inc_inv(dx + 1.0, dn - dx, 1.0 - 0.5 * alpha);
	return ci;
}

struct dlld_ci dlld_stats_ci_expit_wald(double beta, double se, double level)
{
	double z = dlld_stats_z_for_level(level);
	if (!isfinite(beta) || !isfinite(se) || !(se > 0.0) || isnan(z))
		return ci_na;
	return (struct dlld_ci){ dlld_stats_expit(beta - z * se), dlld_stats_expit(beta + z * se) };
}

struct dlld_ci dlld_stats_ci_exp_wald(double beta, double se, double level)
{
	double z = dlld_stats_z_for_level(level);
	if (!isfinite(beta) || !isfinite(se) || !(se > 0.0) || isnan(z))
		return ci_na;
	return (struct dlld_ci){ exp(beta - z * se), exp(beta + z * se) };
}

static double se_logit_naive(long x, long n)
{
	if (!proportion_valid(x, n) || x == 0 || x == n)
		return NAN;
	return sqrt(1.0 / (double)x + 1.0 / (double)(n - x));
}

struct dlld_ci dlld_stats_ci_logit_wald(long x, long n, double level)
{
	double se = se_logit_naive(x, n);
	if (isnan(se))
		return ci_na;
	return dlld_stats_ci_expit_wald(log((double)x / (double)(n - x)), se, level);
}

enum dlld_status dlld_stats_proportion(long x, long n, double level,
				       struct dlld_stats_proportion *out, struct dlld_error *err)
{
	if (n < 0 || x < 0 || x > n)
		return dlld_error_set(err, DLLD_STATUS_USAGE, NULL,
				      "proportion %ld/%ld: need 0 <= x <= n", x, n);
	if (!(level > 0.0 && level < 1.0))
		return dlld_error_set(err, DLLD_STATUS_USAGE, NULL,
				      "confidence level %g is not in (0, 1)", level);
	out->x = x;
	out->n = n;
	out->p = n > 0 ? (double)x / (double)n : NAN;
	out->se_logit = se_logit_naive(x, n);
	out->wilson = dlld_stats_ci_wilson(x, n, level);
	out->clopper_pearson = dlld_stats_ci_clopper_pearson(x, n, level);
	out->logit_wald = dlld_stats_ci_logit_wald(x, n, level);
	return DLLD_STATUS_OK;
}

/* ---- counts per patient ------------------------------------------------------ */

/* Garwood's exact interval for a Poisson total y, divided by n. */
static struct dlld_ci poisson_exact(double y, long n, double level)
{
	double alpha = 1.0 - level, dn = (double)n;
	struct dlld_ci ci = { 0.0, 0.0 };
	if (y > 0.0)
		ci.lo = 0.5 * dlld_stats_chisq_quantile(0.5 * alpha, 2.0 * y) / dn;
	ci.hi = 0.5 * dlld_stats_chisq_quantile(1.0 - 0.5 * alpha, 2.0 * y + 2.0) / dn;
	return ci;
}

enum dlld_status dlld_stats_rate(long n, double sum_y, double sum_y2, double level,
				 struct dlld_stats_rate *out, struct dlld_error *err)
{
	if (n < 0 || !(sum_y >= 0.0) || !isfinite(sum_y) || !isfinite(sum_y2))
		return dlld_error_set(err, DLLD_STATUS_USAGE, NULL,
				      "rate: need n >= 0 and a finite sum >= 0 (n %ld, sum %g)",
				      n, sum_y);
	if (!(level > 0.0 && level < 1.0))
		return dlld_error_set(err, DLLD_STATUS_USAGE, NULL,
				      "confidence level %g is not in (0, 1)", level);
	double ss = n > 0 ? sum_y2 - sum_y * sum_y / (double)n : 0.0;
	if (ss < -1e-9 * fmax(1.0, sum_y2) || (n == 0 && sum_y > 0.0))
		return dlld_error_set(err, DLLD_STATUS_USAGE, NULL,
				      "rate: sum of squares %g impossible for sum %g over %ld",
				      sum_y2, sum_y, n);
	out->n = n;
	out->sum_y = sum_y;
	out->sum_y2 = sum_y2;
	out->mean = n > 0 ? sum_y / (double)n : NAN;
	out->se_log_robust = NAN;
	out->gee_robust = ci_na;
	out->exact = n > 0 ? poisson_exact(sum_y, n, level) : ci_na;
	if (n > 0 && sum_y > 0.0 && ss > 0.0) {
		/* Sandwich for β = log ȳ: bread Σ μ = Σ y, meat Σ (y − ȳ)².
		 * Equal counts leave no variance: NA, not 0. */
		out->se_log_robust = sqrt(ss) / sum_y;
		out->gee_robust = dlld_stats_ci_exp_wald(log(out->mean), out->se_log_robust, level);
	}
	return DLLD_STATUS_OK;
}

#!/usr/bin/python3
"""tools/ref_stats.py — reference values for src/eval/stats.c and kappa.c.

Writes the committed fixtures tests/eval/fixtures/stats_*.csv and kappa_*.csv
from independent implementations: scipy.special / scipy.stats for the special
functions and the Poisson exact (Garwood) interval, statsmodels'
proportion_confint ('wilson', 'beta') for proportion CIs, statsmodels' GEE
(Poisson, intercept only, independence, robust covariance without
small-sample correction) for the per-patient rate, and statsmodels'
fleiss_kappa for κ with the H0 standard error of Fleiss, Nee & Landis (1979)
computed by hand here (statsmodels gives κ only).

Run from the repository root:  /usr/bin/python3 tools/ref_stats.py
(Debian python3-scipy, python3-statsmodels; the pyenv python lacks them.)
"""
import csv
import math
import os
import sys

import numpy as np
import scipy.special as sp
import scipy.stats as st
import statsmodels.api as sm
from statsmodels.stats.inter_rater import fleiss_kappa
from statsmodels.stats.proportion import proportion_confint

OUT = "tests/eval/fixtures"


def fmt(v):
    """Full precision; NA for undefined values."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "NA"
    return repr(float(v))


def write(name, header, rows):
    path = os.path.join(OUT, name)
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow([fmt(v) if isinstance(v, float) else v for v in r])
    print(f"wrote {path} ({len(rows)} rows)")


def special_rows():
    rows = []
    for z in [-38.0, -10.0, -5.0, -1.959963984540054, -1.0, -1e-3, 0.0, 0.5, 1.0, 3.0, 8.0]:
        rows.append(["norm_cdf", 0.0, 0.0, z, float(st.norm.cdf(z))])
    for p in [1e-300, 1e-20, 1e-10, 1e-5, 0.001, 0.025, 0.1, 0.3, 0.5, 0.7, 0.975, 0.999, 1 - 1e-12]:
        rows.append(["norm_quantile", 0.0, 0.0, p, float(st.norm.ppf(p))])
    for a, b, x in [(1, 1, 0.3), (0.5, 0.5, 0.2), (2, 3, 0.4), (35, 6, 0.8), (10, 36, 0.1),
                    (100, 200, 0.34), (1, 40, 0.01), (40, 1, 0.99), (0.1, 5, 0.5), (500, 30, 0.95),
                    (3, 3, 0.5), (7.5, 2.25, 0.9999)]:
        rows.append(["beta_inc", float(a), float(b), float(x), float(sp.betainc(a, b, x))])
    for a, b, p in [(1, 1, 0.3), (35, 6, 0.025), (36, 5, 0.975), (10, 36, 0.025), (11, 35, 0.975),
                    (1, 40, 0.025), (40, 1, 0.975), (0.5, 3, 1e-8), (200, 300, 0.5), (2, 2, 0.999999)]:
        rows.append(["beta_inc_inv", float(a), float(b), float(p), float(sp.betaincinv(a, b, p))])
    for a, x in [(0.5, 0.1), (1, 1), (3, 2.5), (10, 15), (56.5, 50), (113, 100), (114, 140),
                 (0.1, 5), (200, 180), (5, 0.01)]:
        rows.append(["gamma_inc", float(a), 0.0, float(x), float(sp.gammainc(a, x))])
    for a, p in [(0.5, 0.3), (1, 0.025), (113, 0.025), (114, 0.975), (3, 0.5), (0.2, 1e-6),
                 (1000, 0.5), (7, 0.9999)]:
        rows.append(["gamma_inc_inv", float(a), 0.0, float(p), float(sp.gammaincinv(a, p))])
    for df, p in [(1, 0.95), (2, 0.025), (226, 0.025), (228, 0.975), (10, 0.5), (0.5, 0.2)]:
        rows.append(["chisq_quantile", float(df), 0.0, float(p), float(st.chi2.ppf(p, df))])
    return rows


def logit_wald(x, n, level):
    if n == 0 or x == 0 or x == n:
        return math.nan, math.nan, math.nan
    z = st.norm.ppf(0.5 + level / 2)
    se = math.sqrt(1 / x + 1 / (n - x))
    b = math.log(x / (n - x))
    return se, sp.expit(b - z * se), sp.expit(b + z * se)


def proportion_rows():
    cases = [(35, 40), (10, 45), (0, 12), (12, 12), (1, 1), (0, 1), (1, 2), (58, 70),
             (130, 179), (5, 1000), (999, 1000), (17, 23), (1, 30)]
    rows = []
    for level in [0.95, 0.9]:
        for x, n in cases:
            wl, wh = proportion_confint(x, n, alpha=1 - level, method="wilson")
            cl, ch = proportion_confint(x, n, alpha=1 - level, method="beta")
            if x == 0:
                cl = 0.0
            if x == n:
                ch = 1.0
            se, ll, lh = logit_wald(x, n, level)
            rows.append([x, n, level, x / n, se, wl, wh, cl, ch, ll, lh])
    return rows


def rate_datasets():
    rng = np.random.default_rng(20210501)
    paper = [0] * 41 + [1] * 6 + [2] * 16 + [3] * 14 + [4] * 7 + [5] * 1
    return [
        ("paper_fpp", paper),
        ("poisson_30", list(rng.poisson(0.7, 30))),
        ("overdispersed_50", list(rng.negative_binomial(1, 0.4, 50))),
        ("single_fp", [0] * 19 + [1]),
        ("all_zero", [0] * 10),
        ("all_equal", [2] * 8),
    ]


def gee_poisson_intercept(y):
    """statsmodels GEE, robust covariance with no small-sample correction."""
    y = np.asarray(y, dtype=float)
    if y.sum() == 0 or np.all(y == y[0]):
        return math.nan
    x = np.ones((len(y), 1))
    groups = np.arange(len(y))
    model = sm.GEE(y, x, groups=groups, family=sm.families.Poisson(),
                   cov_struct=sm.cov_struct.Independence())
    res = model.fit(cov_type="robust")
    return float(res.bse[0])


def rate_rows():
    rows = []
    for level in [0.95, 0.9]:
        for name, y in rate_datasets():
            n, s, s2 = len(y), float(sum(y)), float(sum(v * v for v in y))
            alpha = 1 - level
            ex_lo = 0.0 if s == 0 else st.chi2.ppf(alpha / 2, 2 * s) / 2 / n
            ex_hi = st.chi2.ppf(1 - alpha / 2, 2 * s + 2) / 2 / n
            se = gee_poisson_intercept(y)
            z = st.norm.ppf(0.5 + level / 2)
            lo = hi = math.nan
            if not math.isnan(se):
                lo, hi = math.exp(math.log(s / n) - z * se), math.exp(math.log(s / n) + z * se)
            rows.append([name, n, s, s2, level, s / n, se, lo, hi, float(ex_lo), float(ex_hi)])
    return rows


def kappa_datasets():
    rng = np.random.default_rng(19790101)
    # Binary: 6 readers, lesion detected / not, 60 lesions of varying difficulty.
    p = rng.uniform(0.2, 0.95, 60)
    det = rng.binomial(6, p)
    binary6 = np.stack([6 - det, det], axis=1)
    # Three readers, patient positive / not, 85 patients.
    q = np.where(rng.uniform(size=85) < 0.47, 0.85, 0.2)
    pos = rng.binomial(3, q)
    binary3 = np.stack([3 - pos, pos], axis=1)
    # Three categories, 4 raters, 20 subjects.
    cat3 = rng.multinomial(4, [0.5, 0.3, 0.2], size=20)
    # Perfect agreement on both categories.
    perfect = np.array([[3, 0], [0, 3], [3, 0], [0, 3], [0, 3]])
    # Everything in one category: κ undefined.
    constant = np.array([[0, 4]] * 6)
    # Two raters who always disagree.
    disagree = np.array([[1, 1]] * 8)
    return [("binary6", binary6), ("binary3", binary3), ("cat3", cat3), ("perfect", perfect),
            ("constant", constant), ("disagree", disagree)]


def kappa_se0(table):
    """Fleiss, Nee & Landis (1979) SE of κ under H0 (as R irr::kappam.fleiss)."""
    t = np.asarray(table, dtype=float)
    n_sub, m = t.shape[0], t[0].sum()
    pj = t.sum(axis=0) / (n_sub * m)
    pq = float(np.sum(pj * (1 - pj)))
    if pq == 0:
        return math.nan
    inner = pq * pq - float(np.sum(pj * (1 - pj) * (1 - 2 * pj)))
    return math.sqrt(2.0) / (pq * math.sqrt(n_sub * m * (m - 1))) * math.sqrt(inner)


def kappa_rows():
    data, expected = [], []
    for name, table in kappa_datasets():
        for i, row in enumerate(table):
            for j, c in enumerate(row):
                data.append([name, i, j, int(c)])
        pj = table.sum(axis=0) / table.sum()
        if np.any(pj == 1.0):
            kappa = se0 = z = p = math.nan
        else:
            kappa = float(fleiss_kappa(table, method="fleiss"))
            se0 = kappa_se0(table)
            z = kappa / se0
            p = float(2 * st.norm.sf(abs(z)))
        expected.append([name, table.shape[0], table.shape[1], int(table[0].sum()),
                         kappa, se0, z, p])
    return data, expected


def main():
    os.makedirs(OUT, exist_ok=True)
    write("stats_special.csv", ["func", "a", "b", "x", "expected"], special_rows())
    write("stats_proportion.csv",
          ["x", "n", "level", "p", "se_logit", "wilson_lo", "wilson_hi", "cp_lo", "cp_hi",
           "logit_lo", "logit_hi"], proportion_rows())
    write("stats_rate.csv",
          ["dataset", "n", "sum_y", "sum_y2", "level", "mean", "se_log", "gee_lo", "gee_hi",
           "exact_lo", "exact_hi"], rate_rows())
    data, expected = kappa_rows()
    write("kappa_data.csv", ["dataset", "subject", "category", "count"], data)
    write("kappa_expected.csv",
          ["dataset", "n_subjects", "n_categories", "n_raters", "kappa", "se0", "z", "p"],
          expected)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""tools/ref_fp_model.py — the reference fit for tests/lesion/test_fp_model.c.

    /usr/bin/python3 tools/ref_fp_model.py tests/lesion/fixtures

Draws 300 lesions' six features (three logits, log diameter, r and r², as
lesion/fp_model.c computes them) and real/false outcomes from a known
logistic model with numpy's seeded generator, fits them with statsmodels'
Logit (plain maximum likelihood), and writes fp_model_data.csv (the
features and y) and fp_model_expected.csv (intercept and coefficients, full
precision). dlld_fp_model_fit must agree to 1e-4 (its 1e-6 ridge aside).
"""
import csv
import os
import sys

import numpy as np
import statsmodels.api as sm


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/lesion/fixtures"
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20261129)
    n = 300
    lp = rng.normal(0.0, 2.0, size=(n, 3))
    logd = np.log(rng.uniform(3.0, 40.0, size=n))
    r = rng.normal(0.3, 0.6, size=n)
    x = np.column_stack([lp, logd, r, r * r])
    beta = np.array([-4.0, 0.5, -0.4, -0.2, 1.5, 1.2, -1.0])
    eta = beta[0] + x @ beta[1:]
    y = (rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-eta))).astype(int)
    fit = sm.Logit(y, sm.add_constant(x)).fit(disp=0, tol=1e-12, maxiter=200)
    with open(os.path.join(out, "fp_model_data.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["x1", "x2", "x3", "x4", "x5", "x6", "y"])
        for row, yi in zip(x, y):
            w.writerow([repr(float(v)) for v in row] + [int(yi)])
    with open(os.path.join(out, "fp_model_expected.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["name", "value"])
        w.writerow(["intercept", repr(float(fit.params[0]))])
        for k in range(6):
            w.writerow([f"x{k + 1}", repr(float(fit.params[k + 1]))])
        w.writerow(["converged", int(fit.mle_retvals["converged"])])


if __name__ == "__main__":
    main()

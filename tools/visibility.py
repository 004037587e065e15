#!/usr/bin/python3
"""How visible are a synthetic cohort's lesions? An ideal-observer estimate.

    /usr/bin/python3 tools/visibility.py COHORT [--marks MARKS.csv]
        [--class metastasis] [--fpp 0.35] [--cell-ml 0.125] [--efficiency 1]
        [--white] [--list] [--plot PNG]

For every truth lesion of the class, on each slice it covers: the lesion's
voxels F and a ring of liver around it (3 to 8 mm outside the lesion, not in
any lesion or vessel; truth masks <patient>/{lesions,liver,vessels}.nii.gz).
With the contrast d = mean(ring) - mean(F) and the ring's spread s, the
signal-to-noise ratio of a matched filter for a uniform lesion of known
shape and place in white noise adds over the slices:

    SNR^2 = sum over slices of (n_F d^2 / (k s^2) - 1)      (clamped at 0)

(the -1 removes what the noise in mean(F) itself adds to d^2). k corrects
for noise that is not white: the phantoms' noise and parenchymal texture are
correlated over a few pixels, so a mean over n_F pixels varies k times more
than white noise would. k is measured per patient on the liver away from
lesions and vessels, after removing the slow enhancement gradient (Gaussian,
10 mm), as b^2 var(mean of b x b blocks) / var(pixels), for the block b of the
lesion's area on that slice (1 to 8 pixels; --white sets k = 1). It is still
an optimistic estimate: the observer is told the lesion's shape and place.

Rose's criterion (SNR >= 5) is the usual threshold for a lesion to be seen
reliably. For a search task the script also estimates what an ideal observer
could reach at FPP false positives per patient: a liver of V ml holds
V / CELL_ML independent places a lesion could be (default 0.125 ml, a
5 mm cube), so its threshold is z = Phi^-1(1 - FPP / places) and a lesion is
found with probability Phi(SNR - z); the expected sensitivity is their mean.
--efficiency E scales SNR^2 by E for an observer that uses only part of the
information (human readers' efficiency in such tasks is of the order of 0.5;
the default 1 is the ideal observer).

With --marks (dlld match's marks.csv; a row with a lesion_id and positive = 1
is a found target lesion) each SNR band also shows how many were found.
Prints a markdown table; --list adds one line per lesion; --plot draws SNR
against diameter (found and missed apart with --marks; needs
python3-matplotlib). Needs numpy, scipy and nibabel (Debian python3-numpy,
python3-scipy, python3-nibabel).
"""
import argparse
import csv
import math
import os
import sys
from collections import defaultdict

import nibabel
import numpy as np
from scipy import ndimage
from scipy.stats import norm

BANDS = [(0, 3), (3, 4), (4, 5), (5, 7), (7, 10), (10, math.inf)]
RING_MM = (3.0, 8.0)
DETREND_MM = 10.0
MAX_BLOCK = 8


def fail(path, why):
    sys.exit(f"visibility.py: {path}: {why}")


def load(path):
    if not os.path.isfile(path):
        fail(path, "not found")
    try:
        img = nibabel.load(path)
    except Exception as e:  # nibabel's errors for unreadable files vary
        fail(path, e)
    return np.asarray(img.dataobj), img.header.get_zooms()[:3]


def disk(radius_px):
    r = int(math.ceil(radius_px))
    y, x = np.mgrid[-r:r + 1, -r:r + 1]
    return x * x + y * y <= radius_px * radius_px


def noise_excess(ct, lesions, liver, vessels, pixel_mm):
    """k[b] for b = 1..MAX_BLOCK: how much more a b x b mean varies than white noise."""
    keep = (liver > 0) & ~ndimage.binary_dilation(lesions > 0, iterations=3)
    if vessels is not None:
        keep &= ~ndimage.binary_dilation(vessels > 0, iterations=2)
    sigma = DETREND_MM / pixel_mm
    k = np.ones(MAX_BLOCK + 1)
    resid, ok = [], []
    for z in range(ct.shape[2]):
        m = keep[:, :, z]
        if m.sum() < 400:
            continue
        img = np.where(m, ct[:, :, z], 0.0).astype(np.float64)
        w = ndimage.gaussian_filter(m.astype(np.float64), sigma)
        trend = ndimage.gaussian_filter(img, sigma) / np.maximum(w, 1e-6)
        resid.append(np.where(m, img - trend, 0.0))
        ok.append(m)
    if not resid:
        return k
    var1 = np.concatenate([r[m] for r, m in zip(resid, ok)]).var()
    for b in range(2, MAX_BLOCK + 1):
        means = []
        for r, m in zip(resid, ok):
            h, w_ = (r.shape[0] // b) * b, (r.shape[1] // b) * b
            full = m[:h, :w_].reshape(h // b, b, w_ // b, b).all(axis=(1, 3))
            blk = r[:h, :w_].reshape(h // b, b, w_ // b, b).mean(axis=(1, 3))
            means.append(blk[full])
        means = np.concatenate(means)
        if means.size >= 50 and var1 > 0:
            k[b] = max(b * b * means.var() / var1, 1.0)
        else:
            k[b] = k[b - 1]
    return k


def lesion_snr(ct, lesions, liver, vessels, label, pixel_mm, k):
    mask = lesions == label
    inner = disk(RING_MM[0] / pixel_mm)
    outer = disk(RING_MM[1] / pixel_mm)
    snr2 = 0.0
    for z in np.unique(np.nonzero(mask)[2]):
        f = mask[:, :, z]
        ring = (ndimage.binary_dilation(f, outer) & ~ndimage.binary_dilation(f, inner) &
                (liver[:, :, z] > 0) & (lesions[:, :, z] == 0))
        if vessels is not None:
            ring &= vessels[:, :, z] == 0
        if ring.sum() < 10:
            continue
        bg = ct[:, :, z][ring].astype(np.float64)
        fg = ct[:, :, z][f].astype(np.float64)
        s = bg.std()
        if s <= 0:
            continue
        d = bg.mean() - fg.mean()
        b = min(max(int(round(math.sqrt(fg.size))), 1), MAX_BLOCK)
        snr2 += fg.size * d * d / (k[b] * s * s) - 1.0
    return math.sqrt(max(snr2, 0.0))


def plot(a, out, z):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=110)
    d = np.array([o["diameter"] for o in out])
    snr = np.maximum([o["snr"] for o in out], 0.1)
    if a.marks:
        f = np.array([o["found"] for o in out])
        ax.scatter(d[f], snr[f], s=22, c="tab:blue", label=f"found ({f.sum()})")
        ax.scatter(d[~f], snr[~f], s=22, facecolors="none", edgecolors="tab:red",
                   label=f"missed ({(~f).sum()})")
    else:
        ax.scatter(d, snr, s=22, c="tab:blue", label=f"{a.cls} ({len(out)})")
    ax.axhline(5, color="grey", ls="--", lw=1, label="Rose's criterion (SNR 5)")
    ax.axhline(z, color="black", ls=":", lw=1,
               label=f"ideal observer's threshold at {a.fpp:g} FPP ({z:.1f})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("diameter (mm)")
    ax.set_ylabel("matched-filter SNR")
    ax.set_title(f"{os.path.basename(os.path.normpath(a.cohort))}: how visible each {a.cls} is")
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(a.plot)
    print(f"\nwrote {a.plot}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cohort")
    ap.add_argument("--marks")
    ap.add_argument("--class", dest="cls", default="metastasis")
    ap.add_argument("--fpp", type=float, default=0.35)
    ap.add_argument("--cell-ml", type=float, default=0.125)
    ap.add_argument("--efficiency", type=float, default=1.0)
    ap.add_argument("--white", action="store_true")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--plot")
    a = ap.parse_args()

    try:
        rows = [r for r in csv.DictReader(open(f"{a.cohort}/lesions.csv")) if r["class"] == a.cls]
        marks = list(csv.DictReader(open(a.marks))) if a.marks else []
    except (OSError, KeyError) as e:
        fail(getattr(e, "filename", None) or f"{a.cohort}/lesions.csv", e.strerror if
             isinstance(e, OSError) else f"no column {e}")
    if a.efficiency <= 0 or a.efficiency > 1 or a.fpp <= 0 or a.cell_ml <= 0:
        sys.exit("visibility.py: --efficiency must be in (0, 1], --fpp and --cell-ml positive")
    if not rows:
        fail(f"{a.cohort}/lesions.csv", f"no {a.cls} lesion")
    found = set()
    for r in marks:
        if r.get("lesion_id") and r.get("positive") == "1":
            found.add((r["patient_id"], r["lesion_id"]))
    by_patient = defaultdict(list)
    for r in rows:
        by_patient[r["patient_id"]].append(r)

    out, ks, zs = [], [], []
    for pid, rs in sorted(by_patient.items()):
        ct, zooms = load(f"{a.cohort}/{pid}/ct.nii.gz")
        lesions, _ = load(f"{a.cohort}/{pid}/lesions.nii.gz")
        liver, _ = load(f"{a.cohort}/{pid}/liver.nii.gz")
        if ct.shape != lesions.shape or ct.shape != liver.shape:
            fail(f"{a.cohort}/{pid}", "ct, lesions and liver masks differ in size")
        vpath = f"{a.cohort}/{pid}/vessels.nii.gz"
        vessels = load(vpath)[0] if os.path.isfile(vpath) else None
        zoom = float(zooms[0])
        k = np.ones(MAX_BLOCK + 1) if a.white else noise_excess(ct, lesions, liver, vessels, zoom)
        liver_ml = float((liver > 0).sum()) * float(np.prod(zooms)) / 1000.0
        ks.append(k)
        places = max(liver_ml / a.cell_ml, 1.0)
        z = norm.isf(a.fpp / places)
        zs.append(z)
        for r in rs:
            snr = lesion_snr(ct, lesions, liver, vessels, int(r["lesion_id"][1:]), zoom, k)
            out.append(dict(pid=pid, lid=r["lesion_id"], diameter=float(r["diameter_mm"]), snr=snr,
                            p_ideal=float(norm.cdf(snr * math.sqrt(a.efficiency) - z)),
                            found=(pid, r["lesion_id"]) in found))

    n = len(out)
    who = "ideal observer" if a.efficiency == 1 else f"observer of efficiency {a.efficiency:g}"
    print(f"{a.cohort}: {n} {a.cls} lesions; {who} at {a.fpp} FPP "
          f"({a.cell_ml} ml per place); noise excess k over blocks 1..{MAX_BLOCK} px "
          f"(median over patients): {' '.join(f'{v:.2f}' for v in np.median(ks, axis=0)[1:])}\n")
    head = f"| SNR | lesions | median diameter (mm) | {who} finds |"
    print(head + (" found |" if a.marks else ""))
    print("|---" * (5 if a.marks else 4) + "|")
    for lo, hi in BANDS:
        sel = [o for o in out if lo <= o["snr"] < hi]
        if not sel:
            continue
        name = f"{lo}-{hi}" if hi != math.inf else f">= {lo}"
        line = (f"| {name} | {len(sel)} | {np.median([o['diameter'] for o in sel]):.1f} | "
                f"{sum(o['p_ideal'] for o in sel):.1f} |")
        if a.marks:
            line += f" {sum(o['found'] for o in sel)} |"
        print(line)
    rose = sum(o["snr"] >= 5 for o in out)
    ideal = sum(o["p_ideal"] for o in out)
    print(f"\nRose criterion (SNR >= 5): {rose}/{n} = {100.0 * rose / n:.1f} %")
    print(f"{who}, expected sensitivity at {a.fpp} FPP: {100.0 * ideal / n:.1f} %")
    if a.marks:
        f = sum(o["found"] for o in out)
        print(f"found (--marks): {f}/{n} = {100.0 * f / n:.1f} %")
    if a.plot:
        plot(a, out, float(np.median(zs)))
    if a.list:
        print("\npatient,lesion,diameter_mm,snr,p_ideal,found")
        for o in sorted(out, key=lambda o: o["snr"]):
            print(f"{o['pid']},{o['lid']},{o['diameter']:.2f},{o['snr']:.2f},{o['p_ideal']:.3f},"
                  f"{int(o['found'])}")


if __name__ == "__main__":
    main()

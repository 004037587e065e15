#!/usr/bin/env python3
"""Measure synthetic DLLD cohorts against the real 3D-IRCADb-01 series.

usage: /usr/bin/python3 tools/synth_compare.py [--ircadb DIR] [--json OUT.json]
                                              COHORT [COHORT ...]

For every real patient (3D-IRCADb-01 folders holding PATIENT_DICOM.zip and
MASKS_DICOM.zip, read in memory, never extracted) and every synthetic
patient, the same measurements:

  liver_hu_mean, liver_hu_sd  HU of liver parenchyma (liver mask minus
                              vessels and lesions, eroded 2 pixels in-plane)
  noise_sd                    median SD in 7x7-pixel patches wholly inside
                              that parenchyma (noise in homogeneous liver)
  portal_contrast             mean HU of the portal vein inside the liver
                              (mask eroded 1 pixel) minus liver_hu_mean
  hepatic_contrast            same for the hepatic veins (IRCADb
                              'venoussystem' inside the liver)
  tumour_contrast             mean HU of malignant lesions minus liver mean
                              (IRCADb 'livertumor*', synthetic metastases)
  cyst_contrast               same for cysts ('liverkyst', synthetic cysts)
  liver_volume_ml             liver mask volume
  slice_mm                    slice thickness

and prints a markdown table: one row per real patient, the mean (min-max)
per synthetic cohort; then, per synthetic cohort, the lesion counts and
measured sizes by class (from lesions.csv). --no-ircadb skips the real
data and the image measurements (only the lesion table). A tool, not a
test: it needs the real data.
"""
import argparse
import csv
import io
import json
import os
import sys
import zipfile

import numpy as np

try:
    from scipy import ndimage
except ImportError:  # pragma: no cover - Debian ships python3-scipy
    ndimage = None

METRICS = ["liver_hu_mean", "liver_hu_sd", "noise_sd", "portal_contrast",
           "hepatic_contrast", "tumour_contrast", "cyst_contrast",
           "liver_volume_ml", "slice_mm"]


def erode2d(mask, pixels):
    """In-plane erosion (axis 2 = slices untouched)."""
    if pixels <= 0:
        return mask
    if ndimage is not None:
        st = np.zeros((3, 3, 1), bool)
        st[1, :, 0] = st[:, 1, 0] = True
        return ndimage.binary_erosion(mask, structure=st, iterations=pixels)
    out = mask.copy()
    for _ in range(pixels):
        out = (out & np.roll(out, 1, 0) & np.roll(out, -1, 0)
               & np.roll(out, 1, 1) & np.roll(out, -1, 1))
    return out


def local_sd(hu, mask, size=7):
    """Median SD over size x size in-plane patches wholly inside mask."""
    if ndimage is None:
        return float("nan")
    f = hu.astype(np.float64)
    k = (size, size, 1)
    mean = ndimage.uniform_filter(f, k)
    mean2 = ndimage.uniform_filter(f * f, k)
    inside = ndimage.uniform_filter(mask.astype(np.float64), k) > 0.999
    var = np.clip(mean2 - mean * mean, 0, None) * (size * size) / (size * size - 1)
    vals = np.sqrt(var[inside & mask])
    return float(np.median(vals)) if vals.size else float("nan")


def measure(hu, liver, portal, hepatic, tumour, cyst, other, spacing):
    """other: lesions that are neither (hemangiomas), kept out of the parenchyma."""
    liver = liver.astype(bool)
    vessels = portal | hepatic
    lesions = tumour | cyst | other
    par = erode2d(liver & ~vessels & ~lesions, 2)
    out = {"slice_mm": float(spacing[2])}
    out["liver_volume_ml"] = float(liver.sum() * np.prod(spacing) / 1000.0)
    if par.sum() < 100:
        return out
    lm = float(hu[par].mean())
    out["liver_hu_mean"] = lm
    out["liver_hu_sd"] = float(hu[par].std())
    out["noise_sd"] = local_sd(hu, par)
    for name, m in (("portal_contrast", portal), ("hepatic_contrast", hepatic)):
        core = erode2d(m & liver, 1)
        if core.sum() >= 20:
            out[name] = float(hu[core].mean()) - lm
    for name, m in (("tumour_contrast", tumour), ("cyst_contrast", cyst)):
        core = erode2d(m, 1)
        if core.sum() < 10:
            core = m
        if core.sum() >= 5:
            out[name] = float(hu[core].mean()) - lm
    return out


# ---- 3D-IRCADb-01 -------------------------------------------------------------
def read_series(zf, folder):
    import pydicom
    slices = []
    for name in zf.namelist():
        parts = name.rstrip("/").split("/")
        if len(parts) < 2 or parts[-2] != folder or name.endswith("/"):
            continue
        ds = pydicom.dcmread(io.BytesIO(zf.read(name)))
        z = float(ds.ImagePositionPatient[2])
        arr = ds.pixel_array.astype(np.float32) * float(getattr(ds, "RescaleSlope", 1)) \
            + float(getattr(ds, "RescaleIntercept", 0))
        sp = [float(v) for v in ds.PixelSpacing]
        slices.append((z, arr.T, sp))          # array indexed [column, row]
    slices.sort(key=lambda s: s[0])
    vol = np.stack([s[1] for s in slices], axis=2)
    step = (slices[-1][0] - slices[0][0]) / max(1, len(slices) - 1)
    return vol, (slices[0][2][1], slices[0][2][0], abs(step))


def ircadb_patient(folder):
    with zipfile.ZipFile(os.path.join(folder, "PATIENT_DICOM.zip")) as zp:
        hu, spacing = read_series(zp, "PATIENT_DICOM")
    with zipfile.ZipFile(os.path.join(folder, "MASKS_DICOM.zip")) as zm:
        names = sorted({n.split("/")[1] for n in zm.namelist() if n.count("/") >= 2})

        def mask(pred):
            m = np.zeros(hu.shape, bool)
            for n in names:
                if pred(n):
                    m |= read_series(zm, n)[0] > 0
            return m
        liver = mask(lambda n: n == "liver")
        portal = mask(lambda n: n == "portalvein")
        hepatic = mask(lambda n: n == "venoussystem")
        tumour = mask(lambda n: n.startswith("livertumor"))
        cyst = mask(lambda n: n.startswith("liverkyst"))
    none = np.zeros(hu.shape, bool)
    return measure(hu, liver, portal, hepatic & ~portal, tumour & liver, cyst & liver, none,
                   spacing)


# ---- synthetic cohorts ----------------------------------------------------------
def synth_patients(cohort):
    import nibabel as nib
    classes = {}
    with open(os.path.join(cohort, "lesions.csv"), newline="") as f:
        for row in csv.DictReader(f):
            classes[(row["patient_id"], int(row["lesion_id"][1:]))] = row["class"]
    with open(os.path.join(cohort, "cases.csv"), newline="") as f:
        ids = [row["patient_id"] for row in csv.DictReader(f)]
    for pid in ids:
        d = os.path.join(cohort, pid)
        img = nib.load(os.path.join(d, "ct.nii.gz"))
        hu = np.asanyarray(img.dataobj).astype(np.float32)
        liver = np.asanyarray(nib.load(os.path.join(d, "liver.nii.gz")).dataobj) > 0
        les = np.asanyarray(nib.load(os.path.join(d, "lesions.nii.gz")).dataobj)
        ves = np.asanyarray(nib.load(os.path.join(d, "vessels.nii.gz")).dataobj)
        tumour = np.zeros(hu.shape, bool)
        cyst = np.zeros(hu.shape, bool)
        for (p, n), cls in classes.items():
            if p != pid:
                continue
            if cls == "metastasis":
                tumour |= les == n
            elif cls == "cyst":
                cyst |= les == n
        other = (les > 0) & ~tumour & ~cyst   # hemangiomas
        m = measure(hu, liver, ves == 1, ves == 2, tumour, cyst, other,
                    img.header.get_zooms()[:3])
        yield pid, m


def lesion_sizes(cohort):
    """Per class: count, measured mean diameter, share <= 10 mm, planned mean."""
    rows = {}
    with open(os.path.join(cohort, "lesions.csv"), newline="") as f:
        for r in csv.DictReader(f):
            rows.setdefault(r["class"], []).append(
                (float(r["diameter_mm"]), float(r.get("planned_diameter_mm") or "nan")))
    out = {}
    for cls, v in rows.items():
        d = np.array([x[0] for x in v])
        p = np.array([x[1] for x in v])
        out[cls] = {"n": len(v), "mean_mm": float(d.mean()), "le10": int((d <= 10).sum()),
                    "min_mm": float(d.min()), "max_mm": float(d.max()),
                    "planned_mean_mm": float(np.nanmean(p))}
    return out


def fmt(v):
    return "–" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:.1f}"


def summary(rows):
    out = {}
    for k in METRICS:
        vals = [r[k] for r in rows if r.get(k) is not None and not np.isnan(r[k])]
        if vals:
            out[k] = (float(np.mean(vals)), float(np.min(vals)), float(np.max(vals)), len(vals))
    return out


def print_sizes(sizes):
    print("| cohort | class | n | measured diameter mean (min … max) mm | ≤ 10 mm | planned mean mm |")
    print("|---|---|---|---|---|---|")
    for cohort, by_class in sizes.items():
        for cls in ("metastasis", "cyst", "hemangioma"):
            s = by_class.get(cls)
            if s:
                print(f"| {os.path.basename(os.path.normpath(cohort))} | {cls} | {s['n']} | "
                      f"{s['mean_mm']:.1f} ({s['min_mm']:.1f} … {s['max_mm']:.1f}) | "
                      f"{s['le10']} ({100.0 * s['le10'] / s['n']:.1f} %) | {s['planned_mean_mm']:.1f} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cohorts", nargs="+")
    ap.add_argument("--ircadb", default=os.path.join(os.path.dirname(__file__), "..", "..",
                                                     "shared", "data", "3dircadb1"))
    ap.add_argument("--json")
    ap.add_argument("--no-ircadb", action="store_true")
    a = ap.parse_args()
    result = {"real": {}, "synthetic": {}, "sizes": {}}
    for cohort in a.cohorts:
        result["sizes"][cohort] = lesion_sizes(cohort)
    if a.no_ircadb:
        print_sizes(result["sizes"])
        return
    for name in sorted(os.listdir(a.ircadb)):
        folder = os.path.join(a.ircadb, name)
        if os.path.isfile(os.path.join(folder, "PATIENT_DICOM.zip")):
            print(f"reading {name} ...", file=sys.stderr)
            result["real"][name] = ircadb_patient(folder)
    for cohort in a.cohorts:
        rows = dict(synth_patients(cohort))
        result["synthetic"][cohort] = {"patients": rows, "summary": summary(list(rows.values()))}
    head = ["series"] + METRICS
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for name, m in result["real"].items():
        print("| " + " | ".join([f"{name} (real)"] + [fmt(m.get(k)) for k in METRICS]) + " |")
    for cohort, r in result["synthetic"].items():
        cells = []
        for k in METRICS:
            s = r["summary"].get(k)
            cells.append("–" if s is None else f"{s[0]:.1f} ({s[1]:.1f} … {s[2]:.1f})")
        label = f"{os.path.basename(os.path.normpath(cohort))} (synthetic, n={len(r['patients'])})"
        print("| " + " | ".join([label] + cells) + " |")
    print()
    print_sizes(result["sizes"])
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()

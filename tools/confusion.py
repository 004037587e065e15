#!/usr/bin/python3
"""Per-class confusion of dlld detect's lesions against a cohort's truth.

    /usr/bin/python3 tools/confusion.py COHORT DETECTIONS.csv

A detection belongs to truth lesion L when its centroid (LPS mm) lies in L's
voxels of <patient>/lesions.nii.gz (as dlld match decides); each truth lesion
takes the decided class of its highest-scored detection, or "missed".
Detections on no lesion are counted per decided class as false positives.
Prints a markdown table. Needs numpy and nibabel (Debian python3-nibabel).
"""
import csv
import sys
from collections import defaultdict

import nibabel
import numpy as np

CLASSES = ["metastasis", "cyst", "hemangioma"]


def main(cohort, detections):
    truth = defaultdict(dict)
    for r in csv.DictReader(open(f"{cohort}/lesions.csv")):
        truth[r["patient_id"]][int(r["lesion_id"][1:])] = r["class"]
    dets = defaultdict(list)
    for r in csv.DictReader(open(detections)):
        dets[r["patient_id"]].append(r)
    table = defaultdict(int)
    fp = defaultdict(int)
    for pid in truth.keys() | dets.keys():
        best = {}
        if dets[pid]:
            img = nibabel.load(f"{cohort}/{pid}/lesions.nii.gz")
            data = np.asarray(img.dataobj)
            inv = np.linalg.inv(img.affine)
            for d in dets[pid]:
                ras = np.array([-float(d["x_mm"]), -float(d["y_mm"]), float(d["z_mm"]), 1.0])
                i, j, k = np.rint(inv @ ras)[:3].astype(int)
                inside = all(0 <= v < n for v, n in zip((i, j, k), data.shape))
                label = int(data[i, j, k]) if inside else 0
                if label == 0:
                    fp[d["class"]] += 1
                elif label not in best or float(d["score"]) > float(best[label]["score"]):
                    best[label] = d
        for label, cls in truth[pid].items():
            table[(cls, best[label]["class"] if label in best else "missed")] += 1
    cols = CLASSES + ["missed"]
    print("| truth \\ decided | " + " | ".join(cols) + " | total |")
    print("|---" * (len(cols) + 2) + "|")
    for t in CLASSES:
        row = [table[(t, c)] for c in cols]
        print(f"| {t} | " + " | ".join(str(v) for v in row) + f" | {sum(row)} |")
    print("| false positives (no lesion) | " + " | ".join(str(fp[c]) for c in CLASSES) +
          f" | – | {sum(fp.values())} |")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

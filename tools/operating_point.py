#!/usr/bin/python3
"""tools/operating_point.py — chooses a model's operating score on held-out data.

    /usr/bin/python3 tools/operating_point.py EVAL_DIR [--max-fpp 0.35] [--reader AI]
                                              [--model MODEL]

EVAL_DIR is what `dlld match --eval-dir` writes (cases.csv, lesions.csv,
marks.csv) for detections made with the score step off (`dlld detect
--min-score 0`). A mark counts at threshold t when it is positive (decided
metastasis) and rated >= t. The operating score is the lowest threshold whose
false positives per patient stay <= --max-fpp; it and the sensitivity there
are printed, with the FROC table. With --model, MODEL/model.json's
thresholds.score is set to it (written to a temporary file, then renamed).

Choose it on patients the model was not trained on and that are not the final
validation cohort (docs/results.md), or the validation numbers are tuned.
"""
import argparse
import csv
import json
import os
import sys


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("eval_dir")
    ap.add_argument("--max-fpp", type=float, default=0.35)
    ap.add_argument("--reader", default="AI")
    ap.add_argument("--model")
    a = ap.parse_args()

    cases = read_csv(os.path.join(a.eval_dir, "cases.csv"))
    lesions = read_csv(os.path.join(a.eval_dir, "lesions.csv"))
    marks = [m for m in read_csv(os.path.join(a.eval_dir, "marks.csv"))
             if m["reader"] == a.reader]
    n_patients, n_lesions = len(cases), len(lesions)
    if not n_patients or not n_lesions:
        sys.exit(f"{a.eval_dir}: no patients or no target lesions")

    # As dlld eval (docs/eval.md): marks on one lesion collapse to the highest
    # rating, whose positive flag decides (positive if any at equal ratings).
    best = {}  # (patient, lesion) -> (rating, positive)
    fp = []    # ratings of positive non-lesion marks
    for m in marks:
        r, pos = float(m["rating"]), m.get("positive", "1") != "0"
        if m["lesion_id"]:
            key = (m["patient_id"], m["lesion_id"])
            best[key] = max(best.get(key, (r, pos)), (r, pos))
        elif pos:
            fp.append(r)
    ll = [r for r, pos in best.values() if pos]

    def at(t):
        return (sum(r >= t for r in ll) / n_lesions,
                sum(r >= t for r in fp) / n_patients)

    thresholds = sorted(set(ll) | set(fp) | {100.0})
    chosen = None
    for t in thresholds:  # ascending: the first that meets the FPP bound
        sens, fpp = at(t)
        if fpp <= a.max_fpp:
            chosen = (t, sens, fpp)
            break
    print(f"{n_patients} patients, {n_lesions} target lesions, {len(marks)} marks")
    print("threshold  sensitivity  FPP")
    for t in (0, 10, 20, 30, 40, 50, 60, 70, 80, 90):
        s, f = at(t)
        print(f"{t:9.0f}  {s:11.3f}  {f:.3f}")
    t, sens, fpp = chosen
    print(f"operating score {t:.2f}: sensitivity {sens:.3f} "
          f"({round(sens * n_lesions)}/{n_lesions}), FPP {fpp:.3f} (<= {a.max_fpp})")
    if a.model:
        path = os.path.join(a.model, "model.json")
        with open(path) as f:
            model = json.load(f)
        model.setdefault("thresholds", {})["score"] = round(t, 2)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(model, f, indent="\t")
            f.write("\n")
        os.replace(tmp, path)
        print(f"{path}: thresholds.score = {round(t, 2)}")


if __name__ == "__main__":
    main()

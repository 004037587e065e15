#!/usr/bin/python3
"""tools/filter_table.py — the false-positive filter's effect, step by step.

    /usr/bin/python3 tools/filter_table.py DETECT_DIR COHORT WORK [--dlld ./build/dlld]

DETECT_DIR is one `dlld detect` run on COHORT (a synthetic cohort with its
truth) with the steps to study enabled. Each patient's removed.csv lists the
lesions the filter dropped and the step that dropped each; steps run in a
fixed order and each sees only what the earlier ones kept, so adding those
rows back rebuilds exactly the detections of every prefix of the steps
(filter off, + step 1, + steps 1-2, ...) without rerunning detection. Each
prefix goes through `dlld match` and `dlld eval` in WORK/<k>/; the table is
printed as Markdown (docs/results.md). With --without STEP[,STEP...] FILE,
FILE also receives the detections of every enabled step but those (e.g.
all but the score cut-off and the learned model's threshold, for FROC
curves over every score).
"""
import argparse
import csv
import glob
import json
import os
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("detect_dir")
    ap.add_argument("cohort")
    ap.add_argument("work")
    ap.add_argument("--dlld", default="./build/dlld")
    ap.add_argument("--without", nargs=2, metavar=("STEP[,STEP...]", "FILE"))
    a = ap.parse_args()

    with open(os.path.join(a.detect_dir, "detections.csv"), newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        kept = list(reader)
    removed = []
    for path in sorted(glob.glob(os.path.join(a.detect_dir, "*", "removed.csv"))):
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
        if rows[0][:-1] != header or rows[0][-1] != "removed_by":
            sys.exit(f"{path}: header is not detections.csv's plus removed_by")
        removed += rows[1:]
    jsons = sorted(glob.glob(os.path.join(a.detect_dir, "*.json")))
    if not jsons:
        sys.exit(f"{a.detect_dir}: no per-patient JSON")
    with open(jsons[0]) as f:
        steps = json.load(f)["pipeline"]["filter"]["enabled"]
    unknown = {r[-1] for r in removed} - set(steps)
    if unknown:
        sys.exit(f"{a.detect_dir}: removed by steps not enabled: {sorted(unknown)}")

    def write(path, rows):
        with open(path, "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(header)
            w.writerows(rows)

    if a.without:
        names, path = a.without
        skip = names.split(",")
        for step in skip:
            if step not in steps:
                sys.exit(f"{a.detect_dir}: step {step} was not enabled")
        write(path, kept + [r[:-1] for r in removed if r[-1] in skip])

    print("| filter | lesions | sensitivity | FPP | MaxNLF | AFROC | wAFROC | CPM |")
    print("|---|---|---|---|---|---|---|---|")
    for k in range(len(steps) + 1):
        applied = steps[:k]
        rows = kept + [r[:-1] for r in removed if r[-1] not in applied]
        d = os.path.join(a.work, str(k))
        os.makedirs(d, exist_ok=True)
        det = os.path.join(d, "detections.csv")
        write(det, rows)
        subprocess.run([a.dlld, "match", "--truth", a.cohort, "--detections", det,
                        "-o", os.path.join(d, "marks.csv"), "--eval-dir", d, "--force"],
                       check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(d, "readers.csv"), "w") as f:
            f.write("reader,group,threshold\nAI,AI,50\n")
        res = os.path.join(d, "results.json")
        subprocess.run([a.dlld, "eval", "--study", d, "--json", res, "--force", "--quiet"],
                       check=True, stdout=subprocess.DEVNULL)
        with open(res) as f:
            ai = json.load(f)["readers"]["AI"]
        s, fpp, foms = ai["lesion_sensitivity"], ai["fpp"], ai["foms"]
        name = "off" if k == 0 else "+ " + steps[k - 1]
        print(f"| {name} | {len(rows)} | {100 * s['p']:.1f} % ({s['x']}/{s['n']}) | "
              f"{fpp['mean']:.3f} ({fpp['fp']}/{fpp['patients']}) | {foms['MaxNLF']:.2f} | "
              f"{foms['AFROC']:.3f} | {foms['wAFROC']:.3f} | {ai['froc_cpm']['cpm']:.3f} |")


if __name__ == "__main__":
    main()

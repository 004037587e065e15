#!/usr/bin/python3
"""Independent reference for `dlld eval`'s figures of merit and detection counts.

Reads the four study tables with Python's csv module, applies the DESIGN §7
conventions on its own, and computes every FOM by explicit enumeration of
(false, lesion) pairs as RJafroc defines them (FOM_AFROC, FOM_wAFROC,
FOM_AFROC1, FOM_wAFROC1, HrAuc, HrSe, HrSp, MaxLLF, MaxNLF, MaxNLFAllCases),
the jackknife by rebuilding the study without each patient, the FROC CPM by
recounting marks at every threshold, and the per-reader counts. The C code
computes the same numbers differently (per-patient pair tables with patient
multiplicities), so agreement checks both.

It also writes the edge-case studies it checks (tests/eval/data/edge,
tests/eval/data/random) so that the committed inputs and expected values come
from one place:

    /usr/bin/python3 tools/ref_foms.py   # Debian python3 (statsmodels); rewrites data + expected values
Output: tests/eval/data/foms_expected.csv  (dataset,reader,quantity,value)
"""
import csv
import math
import os
import random

NEG = -math.inf
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "eval", "data")
CPM_X = [0.125, 0.25, 0.5, 1, 2, 4, 8]


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def load(d):
    cases = [(r["patient_id"], r["diseased"] == "1") for r in read(os.path.join(d, "cases.csv"))]
    lesions = {}
    for r in read(os.path.join(d, "lesions.csv")):
        lesions.setdefault(r["patient_id"], []).append((r["lesion_id"], float(r["diameter_mm"])))
    readers = [(r["reader"], r["group"], float(r["threshold"])) for r in read(os.path.join(d, "readers.csv"))]
    marks = read(os.path.join(d, "marks.csv"))
    return cases, lesions, readers, marks


def reader_marks(marks, name, threshold):
    """LL: {(patient, lesion): (rating, positive)} highest rating kept; NL: [(patient, rating, positive)]."""
    ll, nl = {}, []
    for m in marks:
        if m["reader"] != name:
            continue
        rating = float(m["rating"])
        pos = rating >= threshold
        if m.get("positive", "") not in ("", None):
            pos = m["positive"] == "1"
        if m["lesion_id"]:
            key = (m["patient_id"], m["lesion_id"])
            old = ll.get(key)
            if old is None or rating > old[0]:
                ll[key] = (rating, pos)
            elif rating == old[0]:
                ll[key] = (rating, pos or old[1])
        else:
            nl.append((m["patient_id"], rating, pos))
    return ll, nl


def psi(x, y):
    return 1.0 if y > x else 0.5 if y == x else 0.0


def div(a, b):
    return a / b if b > 0 else math.nan


def foms(cases, lesions, ll, nl):
    normal = [p for p, d in cases if not d]
    diseased = [p for p, d in cases if d]
    allp = [p for p, _ in cases]

    def fp(p):
        return max([r for q, r, _ in nl if q == p], default=NEG)

    def les(p):
        return [ll.get((p, l), (NEG, False))[0] for l, _ in lesions.get(p, [])]

    L = sum(len(lesions.get(p, [])) for p in diseased)
    out = {}
    # AFROC / AFROC1: every (false case, lesion) pair
    for name, fset in (("AFROC", normal), ("AFROC1", allp)):
        s = 0.0
        for k in fset:
            for j in diseased:
                for y in les(j):
                    s += psi(fp(k), y)
        out[name] = div(s, len(fset) * L)
    for name, fset in (("wAFROC", normal), ("wAFROC1", allp)):
        s = 0.0
        for k in fset:
            for j in diseased:
                ys = les(j)
                for y in ys:
                    s += psi(fp(k), y) / len(ys)
        out[name] = div(s, len(fset) * len(diseased))
    hr = {j: max(les(j) + [fp(j)]) for j in diseased}
    out["HrAuc"] = div(sum(psi(fp(k), hr[j]) for k in normal for j in diseased), len(normal) * len(diseased))
    out["HrSe"] = div(sum(1 for j in diseased if hr[j] > NEG), len(diseased))
    out["HrSp"] = 1 - div(sum(1 for k in normal if fp(k) > NEG), len(normal))
    out["MaxLLF"] = div(sum(1 for j in diseased for y in les(j) if y > NEG), L)
    out["MaxNLF"] = div(sum(1 for q, _, _ in nl if q in normal), len(normal))
    out["MaxNLFAllCases"] = div(len(nl), len(allp))
    return out


def jackknife(cases, lesions, ll, nl):
    K = len(cases)
    th = {"AFROC": [], "wAFROC": []}
    for drop, _ in cases:
        sub = [c for c in cases if c[0] != drop]
        f = foms(sub, lesions, ll, [m for m in nl if m[0] != drop])
        for k in th:
            th[k].append(f[k])
    res = {}
    for k, v in th.items():
        if any(math.isnan(x) for x in v):
            res[k] = math.nan
            continue
        mean = sum(v) / K
        res[k] = math.sqrt((K - 1) / K * sum((x - mean) ** 2 for x in v))
    return res


def cpm(cases, lesions, ll, nl):
    L = sum(len(v) for v in lesions.values())
    K = len(cases)
    lr = [r for (r, _) in ll.values()]
    nr = [r for _, r, _ in nl]
    thresholds = sorted(set(lr + nr), reverse=True)
    pts = [(0.0, 0.0)] + [(sum(1 for r in nr if r >= t) / K, sum(1 for r in lr if r >= t) / L) for t in thresholds]
    sens = []
    for x in CPM_X:
        sens.append(max(y for (nlf, y) in pts if nlf <= x))
    return sens, sum(sens) / len(sens)


def counts(cases, lesions, ll, nl):
    out = {}
    detected = {(p, l): ll.get((p, l), (NEG, False))[1] for p, ls in lesions.items() for l, _ in ls}
    sizes = {(p, l): d for p, ls in lesions.items() for l, d in ls}
    out["lesion_x"] = sum(detected.values())
    out["lesion_n"] = len(detected)
    out["lt10_x"] = sum(v for k, v in detected.items() if sizes[k] < 10)
    out["lt10_n"] = sum(1 for k in detected if sizes[k] < 10)
    out["ge10_x"] = sum(v for k, v in detected.items() if sizes[k] >= 10)
    out["ge10_n"] = sum(1 for k in detected if sizes[k] >= 10)
    fps = {p: sum(1 for q, _, pos in nl if q == p and pos) for p, _ in cases}
    out["fp"] = sum(fps.values())
    out["fp_sq"] = sum(v * v for v in fps.values())
    out["patient_sens_x"] = sum(1 for p, d in cases if d and any(detected[(p, l)] for l, _ in lesions[p]))
    out["patient_any_x"] = sum(1 for p, d in cases if d and (any(detected[(p, l)] for l, _ in lesions[p]) or fps[p] > 0))
    out["patient_spec_x"] = sum(1 for p, d in cases if not d and fps[p] == 0)
    return out


def write_study(d, cases, lesions, readers, marks, with_positive):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "cases.csv"), "w") as f:
        f.write("patient_id,diseased\n" + "".join(f"{p},{int(x)}\n" for p, x in cases))
    with open(os.path.join(d, "lesions.csv"), "w") as f:
        f.write("patient_id,lesion_id,diameter_mm\n")
        for p, _ in cases:
            for l, dia in lesions.get(p, []):
                f.write(f"{p},{l},{dia}\n")
    with open(os.path.join(d, "readers.csv"), "w") as f:
        f.write("reader,group,threshold\n" + "".join(f"{r},{g},{t}\n" for r, g, t in readers))
    with open(os.path.join(d, "marks.csv"), "w") as f:
        f.write("reader,patient_id,lesion_id,rating" + (",positive\n" if with_positive else "\n"))
        for m in marks:
            f.write(",".join(str(x) for x in m) + "\n")


def make_edge():
    """Edge cases: a reader without marks, a perfect reader, all ratings tied,
    0/n (nothing positive), n/n, lesions of exactly 10.0 mm."""
    cases = [("N1", 0), ("N2", 0), ("N3", 0), ("D1", 1), ("D2", 1), ("D3", 1)]
    lesions = {"D1": [("L1", 10.0), ("L2", 9.9)], "D2": [("L1", 10.0)], "D3": [("L1", 25.0), ("L2", 4.0), ("L3", 10.0)]}
    readers = [("CAD", "algorithm", 50), ("EMPTY", "readers", 3), ("PERFECT", "readers", 3),
               ("TIED", "readers", 3), ("LOW", "readers", 3)]
    marks = []
    for p, ls in lesions.items():
        for l, _ in ls:
            marks.append(("PERFECT", p, l, 5))
            marks.append(("TIED", p, l, 3))
            marks.append(("LOW", p, l, 2))
    for p, _ in cases:
        marks.append(("TIED", p, "", 3))
    marks.append(("LOW", "N1", "", 1))
    marks += [("CAD", "N1", "", 20), ("CAD", "N2", "", 80), ("CAD", "D1", "L1", 80),
              ("CAD", "D1", "L1", 85), ("CAD", "D2", "L1", 50), ("CAD", "D3", "", 90),
              ("CAD", "D3", "L3", 10)]
    return cases, lesions, readers, marks


def make_random(seed=7):
    """A random study: 14 normal, 11 diseased, an algorithm and 4 readers in
    two groups, ratings drawn with many ties, duplicates and explicit flags."""
    rng = random.Random(seed)
    cases = [(f"N{i}", 0) for i in range(1, 15)] + [(f"D{i}", 1) for i in range(1, 12)]
    lesions = {}
    for p, d in cases:
        if d:
            lesions[p] = [(f"L{j}", rng.choice([3.5, 6.0, 9.9, 10.0, 10.1, 14.0, 30.0])) for j in range(1, rng.randint(1, 4) + 1)]
    readers = [("AI", "AI", 50), ("A1", "junior", 3), ("A2", "junior", 3), ("B1", "senior", 3), ("B2", "senior", 3)]
    marks = []
    for name, _, thr in readers:
        scale = (lambda: rng.randint(0, 20) * 5) if name == "AI" else (lambda: rng.randint(1, 5))
        for p, d in cases:
            for l, _ in lesions.get(p, []):
                if rng.random() < 0.7:
                    marks.append([name, p, l, scale(), ""])
                    if rng.random() < 0.2:
                        marks.append([name, p, l, scale(), ""])
            for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
                marks.append([name, p, "", scale(), ""])
    for m in marks:
        if m[0] == "AI" and rng.random() < 0.25:
            m[4] = rng.choice([0, 1])
    return cases, lesions, readers, [tuple(m) for m in marks]


def kappas(cases, lesions, readers, marks):
    """Fleiss' kappa (statsmodels) per group of >= 2 readers on lesion
    detection and on patient positivity (any positive mark)."""
    from statsmodels.stats.inter_rater import fleiss_kappa
    out = []
    groups = []
    for _, g, _ in readers:
        if g not in groups:
            groups.append(g)
    for g in groups:
        members = [(r, t) for r, gg, t in readers if gg == g]
        if len(members) < 2:
            continue
        les = [(p, l) for p, _ in cases for l, _ in lesions.get(p, [])]
        det = {k: 0 for k in les}
        pos = {p: 0 for p, _ in cases}
        for r, t in members:
            ll, nl = reader_marks(marks, r, t)
            for k in les:
                det[k] += ll.get(k, (NEG, False))[1]
            for p, _ in cases:
                pos[p] += any(ll.get((p, l), (NEG, False))[1] for l, _ in lesions.get(p, [])) or \
                    any(q == p and f for q, _, f in nl)
        m = len(members)
        out.append((g, "kappa_lesion", fleiss_kappa([[det[k], m - det[k]] for k in les], method="fleiss")))
        out.append((g, "kappa_patient", fleiss_kappa([[pos[p], m - pos[p]] for p, _ in cases], method="fleiss")))
    return out


def fmt(x):
    return "nan" if isinstance(x, float) and math.isnan(x) else repr(float(x))


def main():
    edge = make_edge()
    write_study(os.path.join(ROOT, "edge"), *edge, with_positive=False)
    rnd = make_random()
    write_study(os.path.join(ROOT, "random"), *rnd, with_positive=True)
    rows = []
    for name in ("eval-tiny", "edge", "random"):
        cases, lesions, readers, marks = load(os.path.join(ROOT, name))
        for rname, _, thr in readers:
            ll, nl = reader_marks(marks, rname, thr)
            for k, v in foms(cases, lesions, ll, nl).items():
                rows.append((name, rname, k, v))
            for k, v in jackknife(cases, lesions, ll, nl).items():
                rows.append((name, rname, "jackknife_" + k, v))
            sens, c = cpm(cases, lesions, ll, nl)
            for x, s in zip(CPM_X, sens):
                rows.append((name, rname, f"cpm_at_{x}", s))
            rows.append((name, rname, "cpm", c))
            for k, v in counts(cases, lesions, ll, nl).items():
                rows.append((name, rname, k, v))
        for g, k, v in kappas(cases, lesions, readers, marks):
            rows.append((name, g, k, v))
    with open(os.path.join(ROOT, "foms_expected.csv"), "w") as f:
        f.write("dataset,reader,quantity,value\n")
        for d, r, k, v in rows:
            f.write(f"{d},{r},{k},{fmt(v)}\n")
    print(f"{len(rows)} expected values")


if __name__ == "__main__":
    main()

#!/bin/sh
# tests/cli/test_visibility.sh — tools/visibility.py's ideal-observer SNR on
# hand-made volumes whose answer is known: a uniform disk of contrast d and
# n pixels in white noise of spread s has SNR = sqrt(n d^2 / s^2 - 1) per
# slice; noise smoothed over a few pixels raises the noise excess k above 1
# and lowers the SNR by about sqrt(k).
. tests/lib.sh

if ! /usr/bin/python3 -c "import numpy, scipy, nibabel" 2>/dev/null; then
	skip "visibility" "needs python3-numpy, python3-scipy and python3-nibabel (tools/deps.sh --reference)"
	finish
fi

C="$T_TMP/cohort"
/usr/bin/python3 - "$C" <<'EOF' || exit 1
import os, sys
import nibabel, numpy as np
from scipy import ndimage
root = sys.argv[1]
rng = np.random.default_rng(5)
N, Z, SPACING = 160, 5, 1.0
yy, xx = np.mgrid[0:N, 0:N]
liver = ((xx - 80) ** 2 + (yy - 80) ** 2 <= 70 ** 2)
def disk(cx, cy, r):
    return (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r
os.makedirs(root)
rows, cases = [], []
# P1: white noise s = 10; lesions of contrast 30 (r 4: n = 49, SNR about
# sqrt(49 * 9 - 1) = 21) and 20 (r 2: n = 13, SNR about sqrt(13 * 4 - 1) = 7.1)
# P2: the same noise smoothed (Gaussian 1.2 px, rescaled to s = 10)
for pid, smooth in (("P1", 0.0), ("P2", 1.2)):
    noise = rng.normal(0.0, 10.0, (N, N, Z))
    if smooth:
        noise = ndimage.gaussian_filter(noise, (smooth, smooth, 0))
        noise *= 10.0 / noise.std()
    ct = 100.0 + noise
    les = np.zeros((N, N, Z), np.int16)
    for lid, (cx, cy, r, d) in enumerate(((50, 80, 4, 30.0), (110, 80, 2, 20.0)), start=1):
        m = disk(cx, cy, r)
        les[:, :, 2][m] = lid
        ct[:, :, 2][m] -= d
        rows.append(f"{pid},L{lid},metastasis,{2 * r:.2f},0,0,0,0.1,2,2,{2 * r:.2f}")
    os.makedirs(f"{root}/{pid}")
    aff = np.diag([SPACING, SPACING, 5.0, 1.0])
    # array axes (i, j, z): the tool reads slices as [:, :, z]
    nibabel.save(nibabel.Nifti1Image(ct.astype(np.float32), aff), f"{root}/{pid}/ct.nii.gz")
    nibabel.save(nibabel.Nifti1Image(les, aff), f"{root}/{pid}/lesions.nii.gz")
    lv = np.repeat(liver[:, :, None], Z, axis=2).astype(np.uint8)
    nibabel.save(nibabel.Nifti1Image(lv, aff), f"{root}/{pid}/liver.nii.gz")
    cases.append(f"{pid},1")
open(f"{root}/lesions.csv", "w").write(
    "patient_id,lesion_id,class,diameter_mm,x_mm,y_mm,z_mm,volume_ml,first_slice,last_slice,"
    "planned_diameter_mm\n" + "\n".join(rows) + "\n")
open(f"{root}/cases.csv", "w").write("patient_id,diseased\n" + "\n".join(cases) + "\n")
open(f"{root}/marks.csv", "w").write(
    "reader,patient_id,lesion_id,rating,positive\nAI,P1,L1,90,1\nAI,P1,L2,40,0\nAI,P2,,50,1\n")
EOF

expect_exit 0 "visibility: runs on a hand-made cohort" -- /usr/bin/python3 tools/visibility.py "$C" \
	--marks "$C/marks.csv" --list
cp "$T_TMP/stdout" "$T_TMP/out"
expect_true "visibility: SNR of the known disks in white and smoothed noise" /usr/bin/python3 - \
	"$T_TMP/out" <<'EOF'
import csv, math, sys
from scipy.stats import norm
text = open(sys.argv[1]).read()
rows = {(r["patient"], r["lesion"]): r for r in
        csv.DictReader(text[text.index("patient,lesion"):].splitlines())}
snr = {k: float(r["snr"]) for k, r in rows.items()}
n1, n2 = 49, 13                      # pixels of disks of radius 4 and 2
want1 = math.sqrt(n1 * 9.0 - 1)      # (30 / 10)^2
want2 = math.sqrt(n2 * 4.0 - 1)      # (20 / 10)^2
# the ring's own spread and mean are estimates: allow their sampling error
assert abs(snr[("P1", "L1")] - want1) < 0.12 * want1, (snr, want1)
assert abs(snr[("P1", "L2")] - want2) < 0.3 * want2, (snr, want2)
# smoothing makes an average over the disk vary more: lower SNR, by about sqrt(k)
assert snr[("P2", "L1")] < 0.8 * snr[("P1", "L1")], snr
# the ideal observer: Phi(SNR - z), z = Phi^-1(1 - 0.35 / places), places = liver ml / 0.125
liver_ml = sum(1 for i in range(160) for j in range(160) if (i - 80) ** 2 + (j - 80) ** 2 <= 4900) * 5 * 5 / 1000
z = norm.isf(0.35 / (liver_ml / 0.125))
for k in rows:
    assert abs(float(rows[k]["p_ideal"]) - norm.cdf(snr[k] - z)) < 2e-3, (k, rows[k], z)
# found: a mark with the lesion id and positive = 1 (P1 L2's mark is not positive)
assert [rows[k]["found"] for k in sorted(rows)] == ["1", "0", "0", "0"], rows
EOF
expect_grep "visibility: the noise excess of white noise is about 1" \
	'noise excess k over blocks 1..8 px \(median over patients\): 1.00 ' "$T_TMP/out"
expect_grep "visibility: found counts the positive mark" '^found \(--marks\): 1/4 = 25.0 %' "$T_TMP/out"
expect_exit 0 "visibility: --white sets k = 1" -- /usr/bin/python3 tools/visibility.py "$C" --white --list
expect_true "visibility: ... so smoothed noise no longer lowers the SNR" sh -c \
	"grep -q '^P2,L1,8.00,\(1[6-9]\|2[0-9]\)\.' '$T_TMP/stdout'"
expect_exit 0 "visibility: a lower efficiency finds less" -- /usr/bin/python3 tools/visibility.py "$C" \
	--efficiency 0.25
expect_grep "visibility: ... and says so" '^observer of efficiency 0.25, expected sensitivity' \
	"$T_TMP/stdout"
expect_exit 1 "visibility: an efficiency above 1 is refused" -- /usr/bin/python3 tools/visibility.py "$C" \
	--efficiency 2
expect_exit 1 "visibility: a class with no lesion is refused" -- /usr/bin/python3 tools/visibility.py "$C" \
	--class hemangioma
expect_grep "visibility: ... naming the file" 'lesions.csv: no hemangioma lesion' "$T_TMP/stderr"
if /usr/bin/python3 -c "import matplotlib" 2>/dev/null; then
	expect_exit 0 "visibility: --plot" -- /usr/bin/python3 tools/visibility.py "$C" --marks "$C/marks.csv" \
		--plot "$T_TMP/snr.png"
	expect_true "visibility: ... writes a PNG" sh -c "head -c 8 '$T_TMP/snr.png' | od -An -tx1 | \
		grep -q '89 50 4e 47 0d 0a 1a 0a'"
else
	skip "visibility --plot" "needs python3-matplotlib"
fi
rm "$C/P2/ct.nii.gz"
expect_exit 1 "visibility: a missing CT is refused" -- /usr/bin/python3 tools/visibility.py "$C"
expect_grep "visibility: ... naming it, without a traceback" '^visibility.py: .*P2/ct.nii.gz: ' "$T_TMP/stderr"
expect_exit 1 "visibility: a folder that is no cohort is refused" -- /usr/bin/python3 tools/visibility.py \
	"$T_TMP/none"
expect_grep "visibility: ... naming lesions.csv" 'none/lesions.csv: ' "$T_TMP/stderr"
finish

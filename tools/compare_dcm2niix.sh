#!/bin/sh
# tools/compare_dcm2niix.sh DICOM_DIR [DLLD_BINARY]
#
# Converts one DICOM series with Debian's dcm2niix and with `dlld convert`
# (float32, so nothing is rounded) and compares the two NIfTI files voxel for
# voxel through their affines: the voxel→world map of one into the other must
# be a signed axis permutation with integer offsets (same grid, any axis
# order or flip), and every voxel must hold the same HU (dcm2niix's
# scl_slope/scl_inter applied). Prints the grid mapping and the differences;
# exits 0 when they agree, 1 when they differ, 2 on a setup error.
#
# Needs: dcm2niix, Debian's /usr/bin/python3 (or $PYTHON) with numpy and nibabel (Debian: dcm2niix
# python3-numpy python3-nibabel). tests/ct/test_dcm2niix.c does the same
# check inside the test suite on the TotalSegmentator and 3D-IRCADb series.
#
#   sh tools/compare_dcm2niix.sh ../shared/data/totalseg-example/example_ct_dicom build/dlld
set -eu
[ $# -ge 1 ] || { sed -n '2,16p' "$0"; exit 2; }
DIR=$1
DLLD=${2:-build/dlld}
command -v dcm2niix >/dev/null 2>&1 || { echo "dcm2niix not installed"; exit 2; }
[ -x "$DLLD" ] || { echo "no dlld binary at $DLLD"; exit 2; }
T=$(mktemp -d "${TMPDIR:-/tmp}/dlld-cmp-XXXXXX")
trap 'rm -rf "$T"' EXIT
dcm2niix -z n -b n -f ref -o "$T" "$DIR" >"$T/dcm2niix.log" 2>&1 || { cat "$T/dcm2niix.log"; exit 2; }
REF=$(ls "$T"/ref*.nii | head -n 1)
[ "$(ls "$T"/ref*.nii | wc -l)" -eq 1 ] || echo "note: dcm2niix wrote several files; comparing $REF"
"$DLLD" convert --quiet --float "$DIR" -o "$T/dlld.nii" || exit 2
"${PYTHON:-/usr/bin/python3}" - "$REF" "$T/dlld.nii" <<'PY'
import sys
import numpy as np
import nibabel as nib

ref, ours = nib.load(sys.argv[1]), nib.load(sys.argv[2])
a = np.asanyarray(ref.dataobj).astype(np.float64)   # scaling applied by nibabel
b = np.asanyarray(ours.dataobj).astype(np.float64)
m = np.linalg.inv(ours.affine) @ ref.affine            # ref voxel -> our voxel
rot = np.round(m[:3, :3]).astype(int)
ok_perm = np.allclose(m[:3, :3], rot, atol=1e-3) and all(
    sorted(np.abs(rot[r]).tolist()) == [0, 0, 1] for r in range(3))
off = m[:3, 3]
print("dcm2niix %s %s   dlld %s %s" % (a.shape, nib.aff2axcodes(ref.affine), b.shape,
                                        nib.aff2axcodes(ours.affine)))
if not ok_perm or not np.allclose(off, np.round(off), atol=1e-2):
    print("grids differ: ref voxel -> our voxel map\n", np.round(m, 4))
    sys.exit(1)
# express ref in our axis order: our axis r = sum_c rot[r, c] * ref axis c + off[r]
perm = [int(np.nonzero(rot[r])[0][0]) for r in range(3)]
a2 = np.transpose(a, perm)
for r in range(3):
    if rot[r, perm[r]] < 0:
        a2 = np.flip(a2, axis=r)
if a2.shape != b.shape:
    print("shapes differ after reorientation:", a2.shape, b.shape)
    sys.exit(1)
d = np.abs(a2 - b)
print("axis map ref->dlld:", perm, "flips:", [int(rot[r, perm[r]] < 0) for r in range(3)])
print("voxels %d, differing %d, max |diff| %g HU, HU range dlld [%g, %g]" % (
    d.size, int((d > 0).sum()), d.max(), b.min(), b.max()))
sys.exit(0 if d.max() == 0 else 1)
PY

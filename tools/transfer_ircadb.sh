#!/bin/sh
# tools/transfer_ircadb.sh — runs a model on the real 3D-IRCADb-01 patients 1 and 7
# in $DLLD_DATA (synthetic → real transfer test, docs/results.md): unzips the
# DICOM series to a temporary folder, runs dlld detect, and lists what was found
# next to the expert lesion table. Overlays stay in OUT (never commit them: the
# data's licence forbids redistributing images of it).
#
#   sh tools/transfer_ircadb.sh MODEL OUT
set -eu
DLLD=${DLLD:-./build/dlld}
DATA=${DLLD_DATA:-../shared/data}
model=$1
out=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dlld-ircadb-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
for p in 1 7; do
	unzip -q "$DATA/3dircadb1/3Dircadb1.$p/PATIENT_DICOM.zip" -d "$tmp/ircadb$p"
done
"$DLLD" detect --model "$model" -o "$out" "$tmp/ircadb1" "$tmp/ircadb7"
echo "== detections (patients ircadb1 and ircadb7)"
cat "$out/detections.csv"
echo "== expert lesions of patient 1 (derived/lesions_3d.csv)"
cat "$DATA/3dircadb1/3Dircadb1.1/derived/lesions_3d.csv"
echo "== patient 1: the expert lesion whose bounding box holds each detection's voxel centroid"
/usr/bin/python3 - "$out/ircadb1.json" "$DATA/3dircadb1/3Dircadb1.1/derived/lesions_3d.csv" <<'PY'
import csv, json, sys
expert = list(csv.DictReader(open(sys.argv[2])))
for L in json.load(open(sys.argv[1]))["lesions"]:
    i, j, k = L["centroid_voxel"]
    hit = [e["mask"] for e in expert
           if float(e["x_min"]) <= i <= float(e["x_max"]) and float(e["y_min"]) <= j <= float(e["y_max"])
           and float(e["slice_first"]) <= k <= float(e["slice_last"])]
    p = L.get("p_real")
    print(f"{L['lesion_id']} {L['class']} score {L['score']:.1f}"
          + (f" p_real {p:.3f}" if p is not None else "")
          + f" {L['diameter_mm']:.1f} mm slices {L['first_slice']}-{L['last_slice']}: "
          + (", ".join(hit) if hit else "no expert lesion"))
PY

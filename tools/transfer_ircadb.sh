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

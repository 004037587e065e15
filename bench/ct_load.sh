#!/bin/sh
# bench/ct_load.sh [RUNS] — DICOM vs NIfTI load time of a 512x512x129 CT
# (3D-IRCADb patient 1 from $DLLD_DATA, unzipped to a temporary folder),
# next to dcm2niix converting the same series. Run from the repository root:
#   make BUILD=build bench && sh bench/ct_load.sh 7
# Needs: unzip, dcm2niix (Debian packages); BUILD (default build).
set -eu
RUNS=${1:-7}
BUILD=${BUILD:-build}
DATA=${DLLD_DATA:-../shared/data}
ZIP="$DATA/3dircadb1/3Dircadb1.1/PATIENT_DICOM.zip"
[ -f "$ZIP" ] || { echo "no $ZIP"; exit 2; }
T=$(mktemp -d "${TMPDIR:-/tmp}/dlld-bench-ct-XXXXXX")
trap 'rm -rf "$T"' EXIT
unzip -q "$ZIP" -d "$T"
"$BUILD/dlld" convert --quiet "$T/PATIENT_DICOM" -o "$T/ct.nii.gz"
"$BUILD/dlld" convert --quiet "$T/PATIENT_DICOM" -o "$T/ct.nii"
echo "== $(uname -m), $(nproc) CPUs, load average $(cut -d' ' -f1 /proc/loadavg); 3D-IRCADb 1: 129 files"
"$BUILD/bench/bench_ct_load" "$T/PATIENT_DICOM" "$T/ct.nii.gz" "$T/ct.nii" "$RUNS"
if command -v dcm2niix >/dev/null 2>&1; then
	for z in n y; do
		: >"$T/times"
		for r in $(seq 0 "$RUNS"); do
			rm -rf "$T/d2n" && mkdir "$T/d2n"
			# wall ms and CPU ms (user + system of the child) of one conversion
			/usr/bin/time -f "%e %U %S" -o "$T/one" \
				dcm2niix -z "$z" -b n -f x -o "$T/d2n" "$T/PATIENT_DICOM" >/dev/null 2>&1
			[ "$r" -gt 0 ] && cat "$T/one" >>"$T/times"
		done
		wall=$(awk '{ print $1 * 1000 }' "$T/times" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)], a[1] }')
		cpu=$(awk '{ print ($2 + $3) * 1000 }' "$T/times" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
		name="dcm2niix DICOM -> .nii"; [ "$z" = y ] && name="$name.gz"
		echo "$wall $cpu" | awk -v n="$name" '{ printf "%-34s %9.1f %9.1f %9.1f\n", n, $1, $2, $3 }'
	done
else
	echo "dcm2niix not installed: no comparison"
fi

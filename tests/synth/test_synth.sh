#!/bin/sh
# tests/synth/test_synth.sh — `dlld synth` on the command line: help, option
# validation, the cohort layout of DESIGN §4, refusing to overwrite.
. tests/lib.sh
out="$T_TMP/cohort"

expect_exit 0 "synth --help" -- "$DLLD" synth --help
expect_grep "help names the presets" "validation" "$T_TMP/stdout"
expect_exit 1 "unknown preset is a usage error" -- "$DLLD" synth -o "$out" --preset huge
expect_exit 1 "non-numeric --size is a usage error" -- "$DLLD" synth -o "$out" --size abc
expect_exit 1 "too small --size is a usage error" -- "$DLLD" synth -o "$out" --size 8
expect_exit 1 "bad --slice-thickness is a usage error" -- "$DLLD" synth -o "$out" --slice-thickness 0
expect_exit 1 "missing -o is a usage error" -- "$DLLD" synth --preset small
expect_exit 0 "small cohort of one patient" -- \
	"$DLLD" synth -o "$out" --preset small --patients 1 --size 64 --seed 3 --quiet
for f in cases.csv lesions.csv P001/ct.nii.gz P001/lesions.nii.gz P001/liver.nii.gz; do
	expect_true "cohort has $f" test -s "$out/$f"
done
expect_grep "cases.csv header" "^patient_id,diseased" "$out/cases.csv"
expect_grep "lesions.csv header" "^patient_id,lesion_id,class,diameter_mm,x_mm,y_mm,z_mm,volume_ml,first_slice,last_slice" "$out/lesions.csv"
expect_grep "one patient row" "^P001,[01]," "$out/cases.csv"
expect_exit 5 "refuses a non-empty cohort" -- "$DLLD" synth -o "$out" --preset small --patients 1 --size 64
expect_grep "says why" "exists" "$T_TMP/stderr"
cp "$out/P001/ct.nii.gz" "$T_TMP/ct-first.nii.gz"
expect_exit 0 "--force regenerates" -- \
	"$DLLD" synth -o "$out" --preset small --patients 1 --size 64 --seed 3 --force --quiet
expect_true "same seed, same CT bytes" cmp -s "$out/P001/ct.nii.gz" "$T_TMP/ct-first.nii.gz"
expect_exit 0 "--dicom writes a series" -- \
	"$DLLD" synth -o "$T_TMP/dcm" --preset small --patients 1 --size 48 --dicom --quiet
expect_true "dicom/IM00001.dcm exists" test -s "$T_TMP/dcm/P001/dicom/IM00001.dcm"
mkdir -p "$T_TMP/empty"
expect_exit 0 "an empty folder is fine" -- \
	"$DLLD" synth -o "$T_TMP/empty" --preset small --patients 1 --size 48 --quiet
finish

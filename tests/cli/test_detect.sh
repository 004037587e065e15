#!/bin/sh
# tests/cli/test_detect.sh — dlld train → detect → match → eval on a tiny
# synthetic cohort, as a user runs them; exit codes of bad input.
. tests/lib.sh

C="$T_TMP/cohort"; M="$T_TMP/model"; O="$T_TMP/out"
expect_exit 0 "synth: tiny cohort" -- "$DLLD" synth --preset small --patients 2 --size 64 --seed 5 -o "$C" --quiet
expect_exit 0 "train: two iterations" -- "$DLLD" train --data "$C" --cfg models/dlld-tiny.cfg -o "$M" \
	--iterations 2 --size 64 --pixel-mm 6 --val-fraction 0 --quiet
expect_true "train: model directory complete" test -f "$M/model.json" -a -f "$M/weights" -a -f "$M/net.cfg" \
	-a -f "$M/train_log.csv" -a -f "$M/train_curves.png" -a -f "$M/checkpoint/state.json"
expect_exit 5 "train: refuses to overwrite a model" -- "$DLLD" train --data "$C" --cfg models/dlld-tiny.cfg \
	-o "$M" --iterations 2 --size 64 --quiet
expect_exit 1 "train: --size must be a multiple of 32" -- "$DLLD" train --data "$C" --cfg models/dlld-tiny.cfg \
	-o "$T_TMP/m2" --size 70

expect_exit 0 "detect: a cohort" -- "$DLLD" detect --model "$M" -o "$O" "$C" --quiet
expect_grep "detect: detections.csv header" \
	'^patient_id,lesion_id,class,score,p_metastasis,p_cyst,p_hemangioma,x_mm,y_mm,z_mm,diameter_mm,first_slice,last_slice,n_slices$' \
	"$O/detections.csv"
expect_true "detect: per-patient JSON and liver mask" test -f "$O/P001.json" -a -f "$O/P002/liver.nii.gz"
expect_grep "detect: JSON names the patient" '"patient_id":[[:space:]]*"P001"' "$O/P001.json"
expect_exit 0 "detect: done patients are skipped" -- "$DLLD" detect --model "$M" -o "$O" "$C"
expect_grep "detect: skip is reported" 'P001: already done, skipped' "$T_TMP/stderr"
expect_exit 0 "info: the written liver mask is a NIfTI" -- "$DLLD" info "$O/P001/liver.nii.gz"

# one corrupt study among good ones: reported, the rest still run, exit 3
printf 'not a nifti' > "$T_TMP/bad.nii.gz"
expect_exit 3 "detect: a corrupt study fails alone" -- "$DLLD" detect --model "$M" -o "$T_TMP/o2" \
	"$T_TMP/bad.nii.gz" "$C/P001/ct.nii.gz"
expect_true "detect: the good study still ran" test -f "$T_TMP/o2/P001/detections.csv"
expect_exit 2 "detect: missing model" -- "$DLLD" detect --model "$T_TMP/none" -o "$T_TMP/o3" "$C"
expect_exit 2 "detect: missing study" -- "$DLLD" detect --model "$M" -o "$T_TMP/o4" "$T_TMP/none.nii.gz"
expect_exit 1 "detect: bad --min-score" -- "$DLLD" detect --model "$M" -o "$T_TMP/o5" --min-score high "$C"
expect_exit 1 "detect: no study" -- "$DLLD" detect --model "$M" -o "$T_TMP/o6"

expect_exit 0 "match: detections to marks" -- "$DLLD" match --truth "$C" --detections "$O/detections.csv" \
	-o "$T_TMP/marks.csv" --eval-dir "$T_TMP/ev" --quiet
expect_grep "match: marks header" '^reader,patient_id,lesion_id,rating,positive' "$T_TMP/marks.csv"
finish

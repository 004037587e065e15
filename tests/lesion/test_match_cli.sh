#!/bin/sh
# tests/lesion/test_match_cli.sh — `dlld match` on a table-only cohort
# (no instance masks: a mark hits a lesion within its radius).
. tests/lib.sh
C=$T_TMP/cohort
mkdir -p "$C/P1" "$C/P2"
: >"$C/P1/ct.nii.gz"; : >"$C/P2/ct.nii.gz"
printf 'patient_id,diseased\nP1,1\nP2,0\n' >"$C/cases.csv"
printf 'patient_id,lesion_id,class,diameter_mm,x_mm,y_mm,z_mm,volume_ml,first_slice,last_slice\nP1,L1,metastasis,20,0,0,0,4,1,5\nP1,L2,cyst,10,50,0,0,1,1,3\n' >"$C/lesions.csv"
H=patient_id,lesion_id,class,score,p_metastasis,p_cyst,p_hemangioma,x_mm,y_mm,z_mm,diameter_mm,first_slice,last_slice,n_slices
cat >"$T_TMP/det.csv" <<CSV
$H
P1,L1,metastasis,80,0.8,0.1,0.1,3,4,0,12,1,4,4
P1,L2,cyst,70,0.2,0.7,0.1,50,1,0,8,1,3,3
P2,L1,metastasis,60,0.6,0.3,0.1,0,0,0,9,2,4,3
CSV

expect_exit 0 "help" -- "$DLLD" match --help
expect_exit 1 "--truth is required" -- "$DLLD" match --detections "$T_TMP/det.csv" -o "$T_TMP/m.csv"
expect_exit 1 "one input only" -- "$DLLD" match --truth "$C" --detections "$T_TMP/det.csv" --locations "$T_TMP/det.csv" -o "$T_TMP/m.csv"
expect_exit 2 "missing detections" -- "$DLLD" match --truth "$C" --detections "$T_TMP/nope.csv" -o "$T_TMP/m.csv"
expect_exit 0 "detections match" -- "$DLLD" match --truth "$C" --detections "$T_TMP/det.csv" -o "$T_TMP/m.csv" --eval-dir "$T_TMP/ev" --reader ALG
expect_grep "header with positive" '^reader,patient_id,lesion_id,rating,positive$' "$T_TMP/m.csv"
expect_grep "metastasis hit is LL, rating 100 x p" '^ALG,P1,L1,80,1$' "$T_TMP/m.csv"
expect_grep "cyst hit is NL, not positive" '^ALG,P1,,20,0$' "$T_TMP/m.csv"
expect_grep "normal patient mark is NL" '^ALG,P2,,60,1$' "$T_TMP/m.csv"
expect_grep "eval lesions: metastases only" '^P1,L1,20$' "$T_TMP/ev/lesions.csv"
expect_true "eval lesions: no cyst" sh -c "! grep -q L2 '$T_TMP/ev/lesions.csv'"
expect_grep "eval cases" '^P2,0$' "$T_TMP/ev/cases.csv"
expect_exit 5 "no silent overwrite" -- "$DLLD" match --truth "$C" --detections "$T_TMP/det.csv" -o "$T_TMP/m.csv"

printf 'reader,patient_id,x_mm,y_mm,z_mm,rating\nR1,P1,1,1,1,4\nR1,P1,-2,0,0,5\nR2,P1,30,0,0,3\n' >"$T_TMP/loc.csv"
expect_exit 0 "locations match" -- "$DLLD" match --truth "$C" --locations "$T_TMP/loc.csv" -o "$T_TMP/r.csv"
expect_grep "reader marks: no positive column" '^reader,patient_id,lesion_id,rating$' "$T_TMP/r.csv"
expect_grep "reader duplicate keeps highest" '^R1,P1,L1,5$' "$T_TMP/r.csv"
expect_grep "reader miss is NL" '^R2,P1,,3$' "$T_TMP/r.csv"

printf 'reader,patient_id,x_mm,y_mm,z_mm,rating\nR1,P7,1,1,1,4\n' >"$T_TMP/bad.csv"
expect_exit 4 "unknown patient" -- "$DLLD" match --truth "$C" --locations "$T_TMP/bad.csv" -o "$T_TMP/b.csv"
expect_grep "names the patient" 'P7' "$T_TMP/stderr"
printf '%s\nP1,L1,tumour,80,0.8,0.1,0.1,3,4,0,12,1,4,4\n' "$H" >"$T_TMP/bad2.csv"
expect_exit 3 "unknown class" -- "$DLLD" match --truth "$C" --detections "$T_TMP/bad2.csv" -o "$T_TMP/b.csv"
printf 'patient_id,x_mm\nP1,1\n' >"$T_TMP/bad3.csv"
expect_exit 3 "missing column" -- "$DLLD" match --truth "$C" --detections "$T_TMP/bad3.csv" -o "$T_TMP/b.csv"
expect_grep "names the column" 'y_mm' "$T_TMP/stderr"
finish

#!/bin/sh
# tests/cli/test_filter_table.sh — every study's removed.csv lists what the
# false-positive filter dropped, with the step, and tools/filter_table.py
# rebuilds the unfiltered detections from one run.
. tests/lib.sh

C="$T_TMP/cohort"; O="$T_TMP/out"
expect_exit 0 "synth: three validation-style patients" -- "$DLLD" synth --preset validation --patients 3 \
	--size 256 --seed 77 -o "$C" --quiet
# every lesion scores below 100, so the score step (if no earlier one) drops all
expect_exit 0 "detect: shipped model, score step at 100" -- "$DLLD" detect --model models/dlld-tiny \
	--min-score 100 --no-overlays -o "$O" "$C" --quiet
expect_true "detect: nothing kept" test "$(wc -l < "$O/detections.csv")" -eq 1
expect_grep "removed.csv: detections.csv's header plus removed_by" \
	'^patient_id,lesion_id,class,score,p_metastasis,p_cyst,p_hemangioma,x_mm,y_mm,z_mm,diameter_mm,first_slice,last_slice,n_slices,removed_by$' \
	"$O/P001/removed.csv"
n_removed=$(cat "$O"/P00?/removed.csv | grep -vc '^patient_id')
expect_true "removed.csv: the model found something to drop" test "$n_removed" -gt 0
expect_true "removed.csv: each row names an enabled step" /usr/bin/python3 -c "
import csv, glob, json, sys
for p in glob.glob('$O/P00?/removed.csv'):
    pid = p.split('/')[-2]
    steps = json.load(open('$O/' + pid + '.json'))['pipeline']['filter']['enabled']
    for r in csv.DictReader(open(p)):
        assert r['removed_by'] in steps, r
        assert r['lesion_id'].startswith('R'), r
        assert r['removed_by'] != 'score' or float(r['score']) < 100, r
"
expect_exit 0 "filter_table: runs match and eval per step" -- /usr/bin/python3 tools/filter_table.py \
	"$O" "$C" "$T_TMP/table" --dlld "$DLLD"
expect_grep "filter_table: filter off has every lesion back" "^| off | $n_removed |" "$T_TMP/stdout"
expect_true "filter_table: all steps on leave none" sh -c "tail -n 1 '$T_TMP/stdout' | grep -q '^| + [a-z_]* | 0 |'"

# the model's operating score (model.json thresholds.score) is the default
M="$T_TMP/model"; cp -r models/dlld-tiny "$M"
/usr/bin/python3 -c "
import json; p = '$M/model.json'; m = json.load(open(p))
m['thresholds']['score'] = 100; json.dump(m, open(p, 'w'))"
expect_exit 0 "detect: operating score 100 from model.json" -- "$DLLD" detect --model "$M" --no-overlays \
	-o "$T_TMP/o100" "$C/P001/ct.nii.gz" --quiet
expect_true "detect: ... keeps nothing" test "$(wc -l < "$T_TMP/o100/detections.csv")" -eq 1
expect_grep "detect: ... and records it" '"operating_score":[[:space:]]*100' "$(ls "$T_TMP"/o100/*.json)"
expect_exit 0 "detect: --min-score 0 overrides it" -- "$DLLD" detect --model "$M" --no-overlays \
	--min-score 0 -o "$T_TMP/o0" "$C/P001/ct.nii.gz" --quiet
expect_true "detect: ... and keeps lesions again" test "$(wc -l < "$T_TMP/o0/detections.csv")" -gt 1
/usr/bin/python3 -c "
import json; p = '$M/model.json'; m = json.load(open(p))
m['thresholds']['score'] = 101; json.dump(m, open(p, 'w'))"
expect_exit 3 "detect: an operating score above 100 is malformed" -- "$DLLD" detect --model "$M" \
	-o "$T_TMP/o101" "$C/P001/ct.nii.gz"
expect_grep "detect: ... naming the field" 'score' "$T_TMP/stderr"
finish

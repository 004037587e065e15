#!/bin/sh
# tests/cli/test_fit_fp.sh — dlld fit-fp fits the learned false-positive model
# on a cohort's detections and writes it into model.json; dlld detect then
# applies it (the model step), records each lesion's probability, and obeys
# --filter-set model_threshold; bad inputs get their documented exit codes.
. tests/lib.sh

C="$T_TMP/cohort"; D="$T_TMP/det"; M="$T_TMP/model"
cp -r models/dlld-tiny "$M"
expect_exit 0 "synth: six validation-style patients" -- "$DLLD" synth --preset validation --patients 6 \
	--size 256 --seed 78 -o "$C" --quiet
expect_exit 0 "detect: score and model steps off" -- "$DLLD" detect --model "$M" --min-score 0 \
	--filter-off model --no-overlays -o "$D" "$C" --quiet

cp "$M/model.json" "$T_TMP/before.json"
expect_exit 0 "fit-fp --dry-run" -- "$DLLD" fit-fp --truth "$C" --detections "$D" --model "$M" --dry-run --quiet
expect_grep "fit-fp: prints every coefficient" '^log_extent_ratio_squared,' "$T_TMP/stdout"
expect_grep "fit-fp: prints the operating point" 'fp_model threshold .* sensitivity .* FPP; score alone' "$T_TMP/stdout"
expect_true "fit-fp --dry-run changes nothing" cmp -s "$M/model.json" "$T_TMP/before.json"
expect_exit 0 "fit-fp: writes the model" -- "$DLLD" fit-fp --truth "$C" --detections "$D" --model "$M" --quiet
expect_true "model.json: fp_model, score 0, the rest kept" /usr/bin/python3 -c "
import json
m = json.load(open('$M/model.json')); b = json.load(open('$T_TMP/before.json'))
f = m['fp_model']
assert len(f['coefficients']) == 6 and f['features'][3] == 'log_diameter_mm', f
assert 0 < f['threshold'] < 1 and f['fit']['patients'] == 6, f
assert f['fit']['replaced_score'] == b['thresholds']['score'], f
assert m['thresholds']['score'] == 0 and m['training'] == b['training'], m['thresholds']
"

expect_exit 0 "detect: with the fitted model" -- "$DLLD" detect --model "$M" --no-overlays -o "$T_TMP/o1" "$C" --quiet
expect_true "detect: kept lesions are at or above the threshold" /usr/bin/python3 -c "
import glob, json
t = json.load(open('$M/model.json'))['fp_model']['threshold']
n = 0
for p in glob.glob('$T_TMP/o1/P00?.json'):
    j = json.load(open(p))
    assert j['pipeline']['filter']['fp_model'] is True
    assert j['pipeline']['filter']['settings']['model_threshold'] == t
    for L in j['lesions']:
        assert L['p_real'] >= t, L
        n += 1
assert n > 0
"
n_all=$(grep -vc '^patient_id' "$D/detections.csv")
n_model=$(grep -vc '^patient_id' "$T_TMP/o1/detections.csv")
expect_true "detect: the model step removed something" test "$n_model" -lt "$n_all"
expect_exit 0 "detect: model_threshold 0 keeps all" -- "$DLLD" detect --model "$M" --filter-set model_threshold=0 \
	--no-overlays -o "$T_TMP/o2" "$C" --quiet
expect_true "detect: as many lesions as with the step off" test \
	"$(grep -vc '^patient_id' "$T_TMP/o2/detections.csv")" -eq "$n_all"

# errors
expect_exit 1 "fit-fp: detections made with the score step on" -- "$DLLD" fit-fp --truth "$C" \
	--detections "$T_TMP/o1" --model "$M" --dry-run
expect_grep "fit-fp: says how to rerun detect" 'filter-off model' "$T_TMP/stderr"
expect_exit 2 "fit-fp: no detections folder" -- "$DLLD" fit-fp --truth "$C" --detections "$T_TMP/none" \
	--model "$M" --dry-run
"$DLLD" synth --preset validation --patients 1 --size 256 --seed 79 -o "$T_TMP/other" --quiet
expect_exit 1 "fit-fp: --max-fpp out of range" -- "$DLLD" fit-fp --truth "$C" --detections "$D" \
	--model "$M" --max-fpp -1
expect_exit 4 "fit-fp: detections of patients the cohort lacks" -- "$DLLD" fit-fp --truth "$T_TMP/other" \
	--detections "$D" --model "$M" --dry-run
expect_grep "fit-fp: names the patient" "patient 'P002' is not in" "$T_TMP/stderr"
/usr/bin/python3 -c "
import json; p = '$M/model.json'; m = json.load(open(p))
m['fp_model']['features'][0] = 'logit_p_other'; json.dump(m, open(p, 'w'))"
expect_exit 3 "detect: a model.json with foreign features" -- "$DLLD" detect --model "$M" --no-overlays \
	-o "$T_TMP/o3" "$C/P001/ct.nii.gz"
expect_grep "detect: names model.json and the features" 'model.json.*features differ' "$T_TMP/stderr"
expect_exit 0 "fit-fp: a refit replaces the foreign fp_model" -- "$DLLD" fit-fp --truth "$C" \
	--detections "$D" --model "$M" --quiet
expect_exit 0 "detect: ... and the model works again" -- "$DLLD" detect --model "$M" --no-overlays \
	-o "$T_TMP/o4" "$C/P001/ct.nii.gz" --quiet
rm "$M/weights"
expect_exit 2 "fit-fp: a model folder without its weights" -- "$DLLD" fit-fp --truth "$C" \
	--detections "$D" --model "$M" --quiet
finish

#!/bin/sh
# tests/cli/test_detect_filter.sh — dlld detect's false-positive filter
# options: steps switched off and on by name, settings by NAME=VALUE, bad
# names and values refused (exit 1) before any work, and the settings used
# recorded in the per-patient JSON.
. tests/lib.sh

C="$T_TMP/cohort"; O="$T_TMP/out"; M=models/dlld-tiny
expect_exit 0 "synth: one small patient" -- "$DLLD" synth --preset small --patients 1 --size 64 --seed 3 \
	-o "$C" --quiet

expect_exit 0 "help: lists the steps" -- "$DLLD" detect --help
for step in outside_liver size span score diaphragm vessel parenchyma; do
	expect_grep "help: names step $step" "^  $step " "$T_TMP/stdout"
done
expect_grep "help: names a setting" 'parenchyma_contrast_sd' "$T_TMP/stdout"

expect_exit 1 "filter-off: unknown step" -- "$DLLD" detect --model "$M" -o "$O" --filter-off size,bogus "$C"
expect_grep "filter-off: names the bad step" "no filter step called 'bogus'" "$T_TMP/stderr"
expect_exit 1 "filter-on: empty list" -- "$DLLD" detect --model "$M" -o "$O" --filter-on "" "$C"
expect_exit 1 "filter-set: not a number" -- "$DLLD" detect --model "$M" -o "$O" \
	--filter-set liver_margin_mm=abc "$C"
expect_grep "filter-set: names the setting" 'liver_margin_mm' "$T_TMP/stderr"
expect_exit 1 "filter-set: out of range" -- "$DLLD" detect --model "$M" -o "$O" \
	--filter-set min_inside_fraction=2 "$C"
expect_grep "filter-set: says the range" 'outside \[0, 1\]' "$T_TMP/stderr"
expect_exit 1 "filter-set: unknown setting" -- "$DLLD" detect --model "$M" -o "$O" \
	--filter-set margin=5 "$C"
expect_grep "filter-set: names the unknown setting" "no filter setting called 'margin'" "$T_TMP/stderr"
expect_exit 1 "filter-set: no value" -- "$DLLD" detect --model "$M" -o "$O" --filter-set liver_margin_mm "$C"
expect_exit 1 "filter-set: min diameter above max" -- "$DLLD" detect --model "$M" -o "$O" \
	--filter-set min_diameter_mm=50,max_diameter_mm=20 "$C"
expect_grep "filter-set: says which settings contradict" 'min_diameter_mm' "$T_TMP/stderr"
expect_true "refused options wrote nothing" test ! -e "$O"

expect_exit 0 "detect: steps off and on, settings changed" -- "$DLLD" detect --model "$M" -o "$O" \
	--filter-off outside-liver,span --filter-on parenchyma \
	--filter-set liver_margin_mm=8,parenchyma_contrast_sd=3 --min-score 20 --no-overlays --quiet "$C"
J="$O/P001.json"
expect_true "JSON: enabled steps as given" /usr/bin/python3 -c "
import json, sys
f = json.load(open('$J'))['pipeline']['filter']
assert f['enabled'] == ['size', 'score', 'diaphragm', 'vessel', 'parenchyma', 'model'], f['enabled']
s = f['settings']
assert s['liver_margin_mm'] == 8 and s['parenchyma_contrast_sd'] == 3, s
assert s['min_score'] == 20 and s['max_diameter_mm'] == 200, s
assert set(f['removed']) == {'outside_liver', 'size', 'span', 'score', 'diaphragm', 'vessel',
                             'parenchyma', 'model'}, f['removed']
"
expect_exit 0 "detect: --no-filter then one step on" -- "$DLLD" detect --model "$M" -o "$T_TMP/o2" \
	--no-filter --filter-on size --no-overlays --quiet "$C"
expect_grep "JSON: only that step enabled" '"enabled":[[:space:]]*\[[[:space:]]*"size"[[:space:]]*\]' \
	"$T_TMP/o2/P001.json"
expect_exit 0 "detect: defaults" -- "$DLLD" detect --model "$M" -o "$T_TMP/o3" --no-overlays --quiet "$C"
expect_true "JSON: parenchyma off by default" /usr/bin/python3 -c "
import json
f = json.load(open('$T_TMP/o3/P001.json'))['pipeline']['filter']
assert 'parenchyma' not in f['enabled'] and len(f['enabled']) == 7, f['enabled']
"
finish

#!/bin/sh
# tests/cli/test_demo.sh — the README's main command, `dlld demo`, on a small
# cohort: every step runs with the shipped model and writes its outputs.
. tests/lib.sh

D="$T_TMP/demo"
if [ ! -f models/dlld-tiny/model.json ]; then
	skip "demo" "models/dlld-tiny is not in this checkout"
	finish
fi
expect_exit 0 "demo: two patients end to end" -- "$DLLD" demo -o "$D" --patients 2 --bootstrap 50 --quiet
expect_true "demo: report, results and plots" test -f "$D/report/report.md" -a -f "$D/report/results.json" \
	-a -f "$D/report/plots/all_froc.png" -a -f "$D/report/plots/all_afroc.svg"
expect_grep "demo: report has Table 2" '^## Table 2' "$D/report/report.md"
expect_grep "demo: results have the AFROC" '"AFROC"' "$D/report/results.json"
expect_true "demo: detections and liver masks" test -f "$D/detect/detections.csv" -a -f "$D/detect/P001/liver.nii.gz"
expect_true "demo: eval inputs" test -f "$D/eval/marks.csv" -a -f "$D/eval/cases.csv" -a -f "$D/eval/readers.csv"
expect_exit 5 "demo: an existing folder is not overwritten" -- "$DLLD" demo -o "$D" --patients 2
expect_exit 2 "demo: a missing model" -- "$DLLD" demo -o "$T_TMP/d2" --model "$T_TMP/none"
expect_exit 1 "demo: a bad number" -- "$DLLD" demo -o "$T_TMP/d3" --patients two
finish

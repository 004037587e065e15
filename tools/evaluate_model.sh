#!/bin/sh
# tools/evaluate_model.sh — the paper's per-lesion evaluation of a model on a
# synthetic validation cohort (85 patients: 40 with 99 metastases, 45 without),
# with a seed never used in training:
#
#   sh tools/evaluate_model.sh MODEL WORKDIR [SEED]
#
# WORKDIR/val (cohort), WORKDIR/detect (dlld detect), WORKDIR/eval (dlld match),
# WORKDIR/report (dlld eval: report.md, results.json, plots/ at the model's
# operating score; filter_table.md; curves.md, curves.json, curves/ over every
# score, for the FROC and AFROC curves).
set -eu
DLLD=${DLLD:-./build/dlld}
model=$1
work=$2
seed=${3:-424242}
mkdir -p "$work/eval" "$work/report"
[ -f "$work/val/cases.csv" ] ||
	"$DLLD" synth --preset validation --size 256 --seed "$seed" -o "$work/val"
"$DLLD" detect --model "$model" -o "$work/detect" "$work/val"
"$DLLD" match --truth "$work/val" --detections "$work/detect/detections.csv" \
	-o "$work/eval/marks.csv" --eval-dir "$work/eval" --force
printf 'reader,group,threshold\nAI,AI,50\n' > "$work/eval/readers.csv"
"$DLLD" eval --study "$work/eval" --json "$work/report/results.json" \
	--report "$work/report/report.md" --plots "$work/report/plots" --force
# The false-positive filter step by step (docs/results.md), from the same run:
# WORKDIR/filter/<k>/ holds the evaluation of the first k steps; and every
# step but the score cut-off and the learned model's threshold, for FROC and
# AFROC curves over every score
# (WORKDIR/curves, WORKDIR/report/curves/).
mkdir -p "$work/curves"
/usr/bin/python3 tools/filter_table.py "$work/detect" "$work/val" "$work/filter" --dlld "$DLLD" \
	--without score,model "$work/curves/detections.csv" > "$work/report/filter_table.md"
cat "$work/report/filter_table.md"
"$DLLD" match --truth "$work/val" --detections "$work/curves/detections.csv" \
	-o "$work/curves/marks.csv" --eval-dir "$work/curves" --force
cp "$work/eval/readers.csv" "$work/curves/readers.csv"
"$DLLD" eval --study "$work/curves" --json "$work/report/curves.json" \
	--report "$work/report/curves.md" --plots "$work/report/curves" --force

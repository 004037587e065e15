#!/bin/sh
# tools/evaluate_model.sh — the paper's per-lesion evaluation of a model on a
# synthetic validation cohort (85 patients: 40 with 99 metastases, 45 without),
# with a seed never used in training:
#
#   sh tools/evaluate_model.sh MODEL WORKDIR [SEED]
#
# WORKDIR/val (cohort), WORKDIR/detect (dlld detect), WORKDIR/eval (dlld match),
# WORKDIR/report (dlld eval: report.md, results.json, plots/).
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

#!/bin/sh
# tools/train_default_model.sh — makes models/dlld-tiny, the shipped model, from
# scratch: a synthetic training cohort, dlld train, then the learned
# false-positive model and its operating threshold fitted on a separate
# synthetic tuning cohort (dlld fit-fp). Deterministic: the same seeds
# give the same cohorts; training results are identical for any thread count.
#
#   sh tools/train_default_model.sh [WORKDIR] [ITERATIONS]
#
# WORKDIR (default ./work-model) receives the cohorts and the model directory;
# copy WORKDIR/model to models/dlld-tiny to ship it. ITERATIONS defaults to
# 4000 (docs/results.md says how long that takes and what it reaches).
#
# Seeds: training cohort 1001, training 1, tuning cohort 2002. The validation
# cohort of docs/results.md (seed 424242) is used by none of them.
set -eu
DLLD=${DLLD:-./build/dlld}
work=${1:-work-model}
iterations=${2:-4000}
mkdir -p "$work/tune-eval"
[ -f "$work/train/cases.csv" ] ||
	"$DLLD" synth --preset training --size 256 --seed 1001 -o "$work/train"
"$DLLD" train --data "$work/train" --cfg models/dlld-tiny.cfg -o "$work/model" \
	--iterations "$iterations" --cosine --size 256 --pixel-mm 1.0 --seed 1 \
	--checkpoint-every 100 --validate-every 250
# The operating point: on a tuning cohort drawn like the validation cohort
# (other seed), first the operating score alone (tools/operating_point.py:
# the lowest score with <= 0.35 false positives per patient), then the learned
# false-positive model fitted on the same detections, whose threshold replaces
# it (dlld fit-fp: <= 0.35 FPP on the tuning cohort; docs/linking.md).
[ -f "$work/tune/cases.csv" ] ||
	"$DLLD" synth --preset validation --size 256 --seed 2002 -o "$work/tune"
"$DLLD" detect --model "$work/model" --min-score 0 --filter-off model --no-overlays \
	-o "$work/tune-detect" "$work/tune"
"$DLLD" match --truth "$work/tune" --detections "$work/tune-detect/detections.csv" \
	-o "$work/tune-eval/marks.csv" --eval-dir "$work/tune-eval" --force
/usr/bin/python3 tools/operating_point.py "$work/tune-eval" --max-fpp 0.35 --model "$work/model"
"$DLLD" fit-fp --truth "$work/tune" --detections "$work/tune-detect" --model "$work/model" \
	--max-fpp 0.35

#!/bin/sh
# tools/train_default_model.sh — makes models/dlld-tiny, the shipped model, from
# scratch: a synthetic training cohort, then dlld train. Deterministic: the same
# seeds give the same cohort; training results are identical for any thread count.
#
#   sh tools/train_default_model.sh [WORKDIR] [ITERATIONS]
#
# WORKDIR (default ./work-model) receives the cohort and the model directory;
# copy WORKDIR/model to models/dlld-tiny to ship it. ITERATIONS defaults to 800
# (docs/results.md says how long that takes and what it reaches).
set -eu
DLLD=${DLLD:-./build/dlld}
work=${1:-work-model}
iterations=${2:-800}
mkdir -p "$work"
# the shipped cfg with a short burn-in (the cohort is small)
sed 's/^burn_in=.*/burn_in=50/' models/dlld-tiny.cfg > "$work/dlld-tiny.cfg"
[ -f "$work/train/cases.csv" ] ||
	"$DLLD" synth --preset training --patients 60 --size 256 --seed 1001 -o "$work/train"
"$DLLD" train --data "$work/train" --cfg "$work/dlld-tiny.cfg" -o "$work/model" \
	--iterations "$iterations" --cosine --size 256 --pixel-mm 1.0 --seed 1 \
	--checkpoint-every 25 --validate-every 100

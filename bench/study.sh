#!/bin/sh
# bench/study.sh — time per study by stage (issue 7) with the default model
# on one 512×512×~100 portal-venous CT, on THREADS threads (default 2):
#
#     bench/study.sh [--reps N] [--detect-reps N] [--model DIR] [--ct PATH]
#
# 1. bench_study (bench/bench_study.c): the pipeline of `dlld detect` without
#    writing outputs, N runs (default 5) after loading the model once — read
#    (file → HU volume), liver (automatic liver mask), detect (the model over
#    the liver's slices), post (3D linking + false-positive filter), total;
#    wall and process CPU seconds (user + system of all threads: steadier
#    than wall time on a busy machine) per stage, and their medians.
# 2. `dlld detect` end to end (model loading and writing the outputs
#    included), --detect-reps runs (default 1), with the stages it logs
#    (src/lesion/study.c) and its CPU seconds (/usr/bin/time).
# The CT: 3D-IRCADb-01 patient 1 (512×512×129, 1.6 mm slices, DICOM) from
# $DLLD_DATA (default ../shared/data) when present, else a synthetic
# 512×512 patient with 2.5 mm slices made by `dlld synth` (seed 7). Builds
# $BUILD (default build-bench) first. Run it with nothing else on the
# machine; on a shared machine report medians, CPU seconds and the load.
set -eu

BUILD=${BUILD:-build-bench}
THREADS=${THREADS:-2}
DATA=${DLLD_DATA:-../shared/data}
REPS=5
DETECT_REPS=1
MODEL=models/dlld-tiny
CT=
while [ $# -gt 0 ]; do
	case "$1" in
	--reps) REPS=$2; shift ;;
	--detect-reps) DETECT_REPS=$2; shift ;;
	--model) MODEL=$2; shift ;;
	--ct) CT=$2; shift ;;
	-h|--help) sed -n '2,21p' "$0"; exit 0 ;;
	*) echo "study.sh: unknown option $1" >&2; exit 1 ;;
	esac
	shift
done
for n in "$REPS" "$DETECT_REPS"; do
	case "$n" in ''|*[!0-9]*|0) echo "study.sh: --reps and --detect-reps take a positive integer" >&2; exit 1 ;; esac
done
cd "$(dirname "$0")/.."
DLLD="$BUILD/dlld"
make -s BUILD="$BUILD" "$DLLD" "$BUILD/bench/bench_study" >/dev/null
WORK=$(mktemp -d /tmp/dlld-bench-study.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

zip="$DATA/3dircadb1/3Dircadb1.1/PATIENT_DICOM.zip"
if [ -z "$CT" ] && [ -f "$zip" ] && command -v unzip >/dev/null; then
	unzip -q "$zip" -d "$WORK/ircadb"
	CT="$WORK/ircadb/PATIENT_DICOM"
	what="3D-IRCADb-01 patient 1 (DICOM)"
elif [ -z "$CT" ]; then
	"$DLLD" synth --preset validation --patients 1 --size 512 --slice-thickness 2.5 \
		--seed 7 -o "$WORK/synth" --quiet
	CT="$WORK/synth/P001/ct.nii.gz"
	what="synthetic patient (dlld synth --size 512 --slice-thickness 2.5 --seed 7)"
else
	what="$CT"
fi

echo "# dlld detect per study — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, threads=$THREADS"
echo "# CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# CT: $what; model: $MODEL"
"$DLLD" info "$CT" 2>/dev/null | grep -i -m2 -E 'dims|spacing' | sed 's/^/# /' || true
echo "## 1. pipeline stages (bench_study), $REPS runs"
"$BUILD/bench/bench_study" "$MODEL" "$CT" "$REPS" "$THREADS"
echo "## 2. dlld detect end to end, $DETECT_REPS runs"
printf 'run\tread_s\tliver_s\tdetect_s\tpost_s\twrite_s\ttotal_s\tcpu_s\n'
ROWS="$WORK/rows.tsv"
: >"$ROWS"
r=1
while [ "$r" -le "$DETECT_REPS" ]; do
	/usr/bin/time -f '%U %S' -o "$WORK/cpu" "$DLLD" detect --model "$MODEL" -o "$WORK/out" \
		--threads "$THREADS" --force --quiet "$CT" 2>"$WORK/log"
	cpu=$(awk '{ printf "%.1f", $1 + $2 }' "$WORK/cpu")
	# "...; T s (read R, liver L, detect D, post P, write W)"
	line=$(grep -E ' s \(read ' "$WORK/log" | tail -n 1)
	[ -n "$line" ] || { cat "$WORK/log" >&2; exit 1; }
	echo "$line" | sed -E 's/.*; ([0-9.]+) s \(read ([0-9.]+), liver ([0-9.]+), detect ([0-9.]+), post ([0-9.]+), write ([0-9.]+)\).*/\2\t\3\t\4\t\5\t\6\t\1/' |
		sed "s/\$/\t$cpu/" >>"$ROWS"
	printf '%s\t%s\n' "$r" "$(tail -n 1 "$ROWS")"
	r=$((r + 1))
done
# medians per column
printf 'median'
for c in 1 2 3 4 5 6 7; do
	cut -f "$c" "$ROWS" | sort -g | awk '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "\t%.2f", m }'
done
printf '\n'
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

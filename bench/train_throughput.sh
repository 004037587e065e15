#!/bin/sh
# bench/train_throughput.sh — training throughput of DLLD's default network
# next to PyTorch training the same network, one command (issue 6):
#
#     bench/train_throughput.sh [--cfg models/dlld-tiny.cfg] [--size 256] [--batch 16]
#                               [--rounds 3] [--reps 3]
#
# A training step = forward + backward + SGD (momentum, weight decay) on a
# batch of --batch images of --size², batch norm on batch statistics, the
# yolo layers' gradient a fixed random tensor (no data loading, no loss:
# the engines' own work only). dlld runs bench_nn_net --mode train;
# PyTorch runs bench/torch_darknet.py --mode train, the same cfg built as
# torch modules. Both with THREADS threads (default 2). The two alternate
# --rounds times (dlld, torch, dlld, torch, ...) so a load that changes
# during the run hits both alike; each round times --reps steps after a
# warm-up and keeps their median. Printed: every round, then the median over
# rounds of images/s and of CPU ms per step (all threads), and the ratio
# dlld / torch (> 1: dlld trains faster). Raw rows go to $OUT.
# Environment: BUILD (default build-bench), THREADS (2), PYTHON
# (/usr/bin/python3, Debian's, with python3-torch), OUT (default a new /tmp folder).
set -eu

BUILD=${BUILD:-build-bench}
THREADS=${THREADS:-2}
PYTHON=${PYTHON:-/usr/bin/python3}
CFG=models/dlld-tiny.cfg
SIZE=256
BATCH=16
ROUNDS=3
REPS=3
while [ $# -gt 0 ]; do
	case "$1" in
	--cfg) CFG=$2; shift ;;
	--size) SIZE=$2; shift ;;
	--batch) BATCH=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--reps) REPS=$2; shift ;;
	-h|--help) sed -n '2,20p' "$0"; exit 0 ;;
	*) echo "train_throughput.sh: unknown option $1" >&2; exit 1 ;;
	esac
	shift
done
cd "$(dirname "$0")/.."
OUT=${OUT:-$(mktemp -d /tmp/dlld-train-bench.XXXXXX)}
mkdir -p "$OUT"
ROWS="$OUT/train.tsv"
: >"$ROWS"

make -s BUILD="$BUILD" "$BUILD/bench/bench_nn_net" >/dev/null
NET="$BUILD/bench/bench_nn_net"

echo "# DLLD training throughput — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, threads=$THREADS"
echo "# CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "# $CFG at ${SIZE}x$SIZE, batch $BATCH; $ROUNDS rounds of $REPS steps each"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# raw rows: $ROWS"
r=0
while [ $r -lt "$ROUNDS" ]; do
	"$NET" --cfg "$CFG" --size "$SIZE" --mode train --batch "$BATCH" --reps "$REPS" \
		--threads "$THREADS" >>"$ROWS"
	"$PYTHON" bench/torch_darknet.py --cfg "$CFG" --size "$SIZE" --mode train \
		--batch "$BATCH" --reps "$REPS" --threads "$THREADS" >>"$ROWS"
	r=$((r + 1))
done
echo
echo "| round | engine | ms per step | images/s | CPU ms per step |"
echo "|---|---|---|---|---|"
awk -F'\t' '{n[$1]++; printf "| %d | %s | %.0f | %.1f | %.0f |\n", n[$1], $1, $5, $4 * 1000 / $5, $11}' "$ROWS"
echo
# medians over rounds; columns: engine, cfg, size, batch, ms/call, ..., cpu_ms (11)
sort -t'	' -k1,1 -k5,5n "$ROWS" | awk -F'\t' '
	{k = $1; ms[k, ++n[k]] = $5; b[k] = $4}
	END {for (k in n) print k "\t" b[k] "\t" ms[k, int((n[k] + 1) / 2)]}' >"$OUT/ms.tsv"
sort -t'	' -k1,1 -k11,11n "$ROWS" | awk -F'\t' '
	{k = $1; c[k, ++n[k]] = $11}
	END {for (k in n) print k "\t" c[k, int((n[k] + 1) / 2)]}' >"$OUT/cpu.tsv"
awk -F'\t' '
	FILENAME ~ /cpu/ {cpu[$1] = $2; next}
	{ips[$1] = $2 * 1000 / $3; ms[$1] = $3}
	END {
		d = "dlld-train"; t = "torch-train"
		printf "median over rounds: dlld %.1f images/s (%.0f ms per step, CPU %.0f ms), ", ips[d], ms[d], cpu[d]
		printf "PyTorch %.1f images/s (%.0f ms per step, CPU %.0f ms)\n", ips[t], ms[t], cpu[t]
		if (ips[t] > 0 && cpu[d] > 0)
			printf "dlld / PyTorch: %.2f× the images/s (wall), %.2f× less CPU per step\n",
				ips[d] / ips[t], cpu[t] / cpu[d]
	}' "$OUT/cpu.tsv" "$OUT/ms.tsv"
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

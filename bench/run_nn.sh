#!/bin/sh
# bench/run_nn.sh — the nn engine benchmark of issue 4, one command:
#
#     bench/run_nn.sh [--quick] [--reps N] [--darknet-reps N] [--no-darknet] [--no-torch]
#                     [--no-gemm]
#
# Builds the benchmark programs (make BUILD=$BUILD bench; BUILD defaults to
# build-bench), then, side by side in one run:
#   1. GEMM: dlld's kernels vs OpenBLAS (as it loads, and with its core type
#      forced — a measurement only, DLLD never needs it) vs oneDNN;
#   2. forward ms/image at batch 1 for yolov3-tiny and yolov3 at 416 and 512:
#      dlld vs Debian's darknet (`darknet speed CFG 1`) vs PyTorch (default
#      and batch-norm-fused channels-last, bench/torch_darknet.py);
#   3. a training step (forward + backward + SGD, batch 8, yolov3-tiny@416):
#      dlld vs PyTorch;
#   4. training throughput of DLLD's default network (models/dlld-tiny.cfg,
#      256², batch 16): dlld vs PyTorch, images/s (bench/train_throughput.sh);
# and prints medians, ratios, achieved GFLOP/s against the measured sgemm
# peak, and peak memory against weights + largest live activations.
# All threads = 2 (THREADS=n to change). Raw rows go to $OUT (default a new
# /tmp folder), the summary to stdout. It takes ~10 minutes (darknet's
# yolov3@512 alone is ~1 minute per image); --quick skips yolov3 and darknet's
# big runs. Numbers on a shared machine are noisy: rerun on a quiet one.
set -eu

BUILD=${BUILD:-build-bench}
THREADS=${THREADS:-2}
PYTHON=${PYTHON:-/usr/bin/python3}
CFGDIR=${CFGDIR:-/usr/share/darknet/cfg}
REPS=7
DN_REPS=1
QUICK=0
DARKNET=1
TORCH=1
GEMM_RUN=1
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) QUICK=1; REPS=3 ;;
	--reps) REPS=$2; shift ;;
	--darknet-reps) DN_REPS=$2; shift ;;
	--no-darknet) DARKNET=0 ;;
	--no-torch) TORCH=0 ;;
	--no-gemm) GEMM_RUN=0 ;;
	-h|--help) sed -n '2,23p' "$0"; exit 0 ;;
	*) echo "run_nn.sh: unknown option $1" >&2; exit 1 ;;
	esac
	shift
done
cd "$(dirname "$0")/.."
OUT=${OUT:-$(mktemp -d /tmp/dlld-bench.XXXXXX)}
mkdir -p "$OUT"
ROWS="$OUT/rows.tsv"
: >"$ROWS"

make -s BUILD="$BUILD" bench >/dev/null
GEMM="$BUILD/bench/bench_nn_gemm"
NET="$BUILD/bench/bench_nn_net"

echo "# DLLD nn benchmark — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, threads=$THREADS"
echo "# CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# raw rows: $ROWS"
# Debian's darknet does its GEMM in its own C loops: it imports no BLAS
# symbol (libblas.so.3 is only loaded for OpenCV), so OpenBLAS's core type
# (OPENBLAS_CORETYPE, issue 4's SSE3 fallback) cannot change its speed.
if [ "$DARKNET" = 1 ] && command -v darknet >/dev/null; then
	n=$(nm -D "$(command -v darknet)" | grep -c -i -E ' U .*(sgemm|cblas)' || true)
	echo "# darknet's imported BLAS functions: $n"
fi

# ---- 1. GEMM ------------------------------------------------------------------
PEAK=0
if [ "$GEMM_RUN" = 1 ]; then
	if grep -q avx512f /proc/cpuinfo; then FORCE=SkylakeX; else FORCE=Haswell; fi
	gemm_args="--reps $REPS"
	[ "$QUICK" = 1 ] && gemm_args="$gemm_args --quick"
	"$GEMM" $gemm_args >"$OUT/gemm.tsv"
	OPENBLAS_CORETYPE=$FORCE "$GEMM" $gemm_args | awk -F'\t' -v f="$FORCE" \
		'/^#/ {print; next} $2 == "openblas" {$2 = "openblas-" f; print}' OFS='\t' >"$OUT/gemm_forced.tsv"
	echo
	echo "## GEMM (median ms, GFLOP/s)"
	grep '^#' "$OUT/gemm.tsv" "$OUT/gemm_forced.tsv" | sed 's/^[^:]*://'
	{ grep -v '^#' "$OUT/gemm.tsv"; grep -v -e '^#' -e '^shape' "$OUT/gemm_forced.tsv"; } |
		awk -F'\t' 'NR == 1 {next} {key = $1 "\t" $3; g[key, $2] = $5; shapes[key] = 1; impl[$2] = 1}
		END {
			printf "| shape | threads |"; n = 0
			for (i in impl) names[++n] = i
			for (a = 1; a <= n; a++) for (b = a + 1; b <= n; b++) if (names[b] < names[a]) {t = names[a]; names[a] = names[b]; names[b] = t}
			for (a = 1; a <= n; a++) printf " %s |", names[a]; printf "\n|---|---|"
			for (a = 1; a <= n; a++) printf "---|"; printf "\n"; fflush()
			for (k in shapes) { split(k, p, "\t"); row = sprintf("| %s | %s |", p[1], p[2])
				for (a = 1; a <= n; a++) row = row sprintf(" %s |", ((k, names[a]) in g) ? g[k, names[a]] : "")
				print row | "sort" }
			close("sort")
		}'
	PEAK=$(cat "$OUT/gemm.tsv" "$OUT/gemm_forced.tsv" |
		awk -F'\t' -v t="$THREADS" '$1 == "square 1536" && $3 == t && $5 > p {p = $5} END {print p + 0}')
	echo "measured sgemm peak ($THREADS threads, best of all libraries, square 1536): $PEAK GFLOP/s"
fi

# ---- 2./3. networks --------------------------------------------------------------
net_cfgs="yolov3-tiny:416 yolov3-tiny:512 yolov3:416 yolov3:512"
[ "$QUICK" = 1 ] && net_cfgs="yolov3-tiny:416 yolov3-tiny:512"

darknet_cfg() { # cfg size -> path of a copy with width/height = size
	f="$OUT/$1-$2.cfg"
	sed -e "s/^width=.*/width=$2/" -e "s/^height=.*/height=$2/" "$CFGDIR/$1.cfg" >"$f"
	echo "$f"
}

for cs in $net_cfgs; do
	cfg=${cs%%:*}; size=${cs##*:}
	"$NET" --cfg "$CFGDIR/$cfg.cfg" --size "$size" --reps "$REPS" --threads "$THREADS" >>"$ROWS"
	"$NET" --cfg "$CFGDIR/$cfg.cfg" --size "$size" --reps "$REPS" --threads "$THREADS" --pack >>"$ROWS"
	if [ "$TORCH" = 1 ]; then
		for mode in default fused; do
			"$PYTHON" bench/torch_darknet.py --cfg "$CFGDIR/$cfg.cfg" --size "$size" \
				--mode $mode --reps "$REPS" --threads "$THREADS" >>"$ROWS"
		done
	fi
	"$PYTHON" bench/torch_darknet.py --cfg "$CFGDIR/$cfg.cfg" --size "$size" --memory-model \
		>>"$OUT/memory.tsv"
	if [ "$DARKNET" = 1 ] && { [ "$QUICK" = 0 ] || [ "$cfg" = yolov3-tiny ]; }; then
		f=$(darknet_cfg "$cfg" "$size")
		r=0
		while [ $r -lt "$DN_REPS" ]; do
			# darknet's speed: batch 1, N evals; prints "Speed: S sec/eval" (stderr)
			s=$(darknet speed "$f" 1 2>&1 | awk '/sec\/eval/ {print $2}')
			printf 'darknet\t%s\t%s\t1\t%s\n' "$cfg" "$size" "$(awk -v s="$s" 'BEGIN {print s * 1000}')" >>"$OUT/darknet.tsv"
			r=$((r + 1))
		done
	fi
done
if [ -f "$OUT/darknet.tsv" ]; then # median per configuration
	sort -t'	' -k2,2 -k3,3n -k5,5n "$OUT/darknet.tsv" | awk -F'\t' '
		{k = $2 "\t" $3; v[k, ++n[k]] = $5; keys[k] = 1}
		END {for (k in keys) {m = v[k, int((n[k] + 1) / 2)]; printf "darknet\t%s\t1\t%.1f\t%.1f\n", k, m, m}}' >>"$ROWS"
fi
"$NET" --cfg "$CFGDIR/yolov3-tiny.cfg" --size 416 --mode train --batch 8 --reps "$REPS" \
	--threads "$THREADS" >>"$ROWS"
[ "$TORCH" = 1 ] && "$PYTHON" bench/torch_darknet.py --cfg "$CFGDIR/yolov3-tiny.cfg" --size 416 \
	--mode train --batch 8 --reps "$REPS" --threads "$THREADS" >>"$ROWS"

# ---- summary ------------------------------------------------------------------------
echo
echo "## Networks (median ms per image; ratio = other / dlld, > 1 means dlld is faster)"
echo "dlld = weights as loaded (packed per call); packed = dlld_net_pack_weights (one more copy of the weights)."
echo "cpu = CPU ms per image, all threads (steadier than wall time on a busy machine)."
echo "| network | dlld ms | packed ms | best GFLOP/s (% of peak) | torch default | torch fused CL | darknet | fused / best dlld | darknet / best dlld | cpu dlld / packed / torch fused | dlld maxrss MiB | packed maxrss MiB | bound MiB (1.5 × (weights + live act.)) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
awk -F'\t' -v peak="$PEAK" '
	FILENAME ~ /memory/ {bound[$1 "\t" $2] = 1.5 * ($4 + $6); next}
	{k = $2 "\t" $3; ms[$1, k] = $6; rss[$1, k] = $7; cpu[$1, k] = $11; keys[k] = 1; if ($8 > 0) bfl[k] = $8}
	END {
		for (k in keys) {
			if (!(("dlld-forward", k) in ms)) continue
			d = ms["dlld-forward", k]; pk = ms["dlld-forward-packed", k]; split(k, p, "\t")
			best = pk && pk < d ? pk : d
			f = ms["torch-fused", k]; dn = ms["darknet", k]
			printf "| %s@%s | %.1f | %s | %.0f (%s) | %s | %s | %s | %s | %s | %s / %s / %s | %s | %s | %.0f |\n", p[1], p[2], d, pk,
				bfl[k] / best * 1e3, (peak > 0 ? sprintf("%.0f%%", 100 * bfl[k] / best * 1e3 / peak) : "n/a"),
				ms["torch-default", k], f, dn,
				f ? sprintf("%.2f", f / best) : "", dn ? sprintf("%.1f", dn / best) : "",
				cpu["dlld-forward", k], cpu["dlld-forward-packed", k], cpu["torch-fused", k],
				rss["dlld-forward", k], rss["dlld-forward-packed", k], bound[k]
		}
	}' "$OUT/memory.tsv" "$ROWS" | sort -t'|' -k2,2
echo
echo "## Training step, yolov3-tiny@416, batch 8 (median ms per step)"
awk -F'\t' '$1 ~ /train/ {t[$1] = $5; c[$1] = $11} END {
	printf "dlld %s ms (cpu %s ms), torch %s ms (cpu %s ms)", t["dlld-train"], c["dlld-train"],
		t["torch-train"], c["torch-train"]
	if (t["dlld-train"] && t["torch-train"]) printf ", torch / dlld = %.2f", t["torch-train"] / t["dlld-train"]
	printf "\n"}' "$ROWS"
if [ "$TORCH" = 1 ]; then
	echo
	echo "## Training throughput, models/dlld-tiny.cfg@256, batch 16 (bench/train_throughput.sh)"
	BUILD=$BUILD THREADS=$THREADS PYTHON=$PYTHON OUT="$OUT/train" bench/train_throughput.sh \
		--rounds 1 --reps "$REPS" | grep -v '^# '
fi
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

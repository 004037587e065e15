#!/bin/sh
# tools/darknet_compare.sh — runs yolov3-tiny and yolov3 in Debian's real
# darknet and in dlld on the same random weights and input, compares every
# yolo layer's output, and (with --update) refreshes the committed fixtures
# that tests/nn/test_darknet.c checks without darknet:
#
#   tests/nn/fixtures/darknet_tiny_96x64.in.f32    input, 1x3x64x96 float32 LE
#   tests/nn/fixtures/darknet_tiny_96x64.out.f32   darknet's yolo outputs
#   tests/nn/fixtures/darknet_yolov3_96x64.{in,out}.f32   the same for yolov3
#
# Usage: tools/darknet_compare.sh [--update] [BUILD_DIR]   (default build)
# Needs: the darknet package (libdarknet.so + darknet.h), python3, a built
# dlld. The weights are dlld's own random init (seed 7, `dlld net init`),
# written as darknet .weights, so only the small input and outputs are
# committed; the test regenerates the same weights from the seed.
#
# darknet's CLI cannot dump raw layer outputs, so a 40-line C helper linked
# against libdarknet.so calls load_network + network_predict and writes
# each YOLO layer's l.output (sigmoid on x, y, objectness, classes; raw
# tw, th) in layer order — the layout `dlld net forward` writes.
set -eu
update=0
if [ "${1:-}" = "--update" ]; then update=1; shift; fi
build=${1:-build}
dlld=$(cd "$build" && pwd)/dlld
root=$(cd "$(dirname "$0")/.." && pwd)
fixtures=$root/tests/nn/fixtures
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
W=96 H=64 SEED=7

[ -x "$dlld" ] || { echo "no dlld binary in $build" >&2; exit 2; }
[ -f /usr/lib/darknet/libdarknet.so ] || { echo "darknet not installed" >&2; exit 2; }

cat >"$tmp/dump.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include "darknet.h"
int main(int argc, char **argv)
{
	if (argc != 5) return 1;
	network *net = load_network(argv[1], argv[2], 0);
	set_batch_network(net, 1);
	size_t n = (size_t)net->w * net->h * net->c;
	float *x = malloc(n * sizeof *x);
	FILE *in = fopen(argv[3], "rb"), *out = fopen(argv[4], "wb");
	if (!x || !in || !out || fread(x, sizeof *x, n, in) != n) return 2;
	network_predict(net, x);
	for (int i = 0; i < net->n; i++) {
		layer l = net->layers[i];
		if (l.type != YOLO) continue;
		if (fwrite(l.output, sizeof(float), (size_t)l.outputs, out) != (size_t)l.outputs)
			return 3;
		fprintf(stderr, "darknet layer %d yolo %d floats\n", i, l.outputs);
	}
	return fclose(out) != 0;
}
EOF
cc -O2 -I/usr/lib/darknet/include -o "$tmp/dump" "$tmp/dump.c" \
	-L/usr/lib/darknet -ldarknet -Wl,-rpath,/usr/lib/darknet -lm -pthread

# compare NAME CFG [calibrate]: one network through darknet and dlld;
# `calibrate` sets the random network's batch-norm statistics from the input
# (`dlld net init --input`), which keeps yolov3's 75 random layers in range.
compare() {
	name=$1
	sed -e "s/^width=.*/width=$W/" -e "s/^height=.*/height=$H/" "$2" >"$tmp/$name.cfg"
	if [ "$update" -eq 1 ] || [ ! -f "$fixtures/darknet_${name}_${W}x${H}.in.f32" ]; then
		python3 - "$tmp/in.f32" $((3 * W * H)) <<-'EOF'
	import random, struct, sys
	rng = random.Random(20260101)
	n = int(sys.argv[2])
	with open(sys.argv[1], "wb") as f:
	    f.write(struct.pack("<%df" % n, *[rng.random() for _ in range(n)]))
	EOF
	else
		cp "$fixtures/darknet_${name}_${W}x${H}.in.f32" "$tmp/in.f32"
	fi

	calibrate=
	[ "$3" = calibrate ] && calibrate="--input $tmp/in.f32"
	# shellcheck disable=SC2086
	"$dlld" net init --cfg "$tmp/$name.cfg" --seed $SEED $calibrate -o "$tmp/w.weights" --force --quiet
	"$tmp/dump" "$tmp/$name.cfg" "$tmp/w.weights" "$tmp/in.f32" "$tmp/darknet.f32" 2>"$tmp/darknet.log"
	grep "^darknet layer" "$tmp/darknet.log"
	"$dlld" net forward --cfg "$tmp/$name.cfg" --weights "$tmp/w.weights" --input "$tmp/in.f32" \
		-o "$tmp/dlld.f32" --force --quiet
	"$dlld" net forward --cfg "$tmp/$name.cfg" --weights "$tmp/w.weights" --input "$tmp/in.f32" \
		-o "$tmp/dlld_unfolded.f32" --no-fold --force --quiet >/dev/null

	python3 - "$tmp/darknet.f32" "$tmp/dlld.f32" "$tmp/dlld_unfolded.f32" "$name" <<-'EOF'
	import struct, sys
	def load(p):
	    b = open(p, "rb").read()
	    return struct.unpack("<%df" % (len(b) // 4), b)
	ref = load(sys.argv[1])
	folded, unfolded = load(sys.argv[2]), load(sys.argv[3])
	# float noise floor: dlld against itself with batch norm folded or not
	noise = max(abs(x - y) for x, y in zip(folded, unfolded))
	scale = max(1.0, max(abs(v) for v in ref))
	print("%s: dlld folded vs unfolded (float noise): max |diff| %.3g" % (sys.argv[4], noise))
	bad = False
	for name, got in (("dlld (folded)", folded), ("dlld (unfolded)", unfolded)):
	    assert len(got) == len(ref), (len(got), len(ref))
	    d = max(abs(a - b) for a, b in zip(got, ref))
	    print("%s %s vs darknet: %d values in [%.3g, %.3g], max |diff| %.3g (%.2g of the range)"
	          % (sys.argv[4], name, len(ref), min(ref), max(ref), d, d / scale))
	    bad = bad or d > max(1e-4 * scale, 3 * noise)
	if bad:
	    sys.exit("MISMATCH: beyond 3 x the noise floor")
	EOF

	if [ "$update" -eq 1 ]; then
		cp "$tmp/in.f32" "$fixtures/darknet_${name}_${W}x${H}.in.f32"
		cp "$tmp/darknet.f32" "$fixtures/darknet_${name}_${W}x${H}.out.f32"
		echo "fixtures updated in $fixtures"
	fi
}

compare tiny /usr/share/darknet/cfg/yolov3-tiny.cfg keep
compare yolov3 /usr/share/darknet/cfg/yolov3.cfg calibrate

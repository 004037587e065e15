#!/bin/sh
# tests/nn/test_net.sh — `dlld net info|forward|init|convert`: darknet's
# summary, the darknet parity fixture through the CLI, exit codes.
. tests/lib.sh
T=$T_TMP
CFG=/usr/share/darknet/cfg/yolov3-tiny.cfg
FIX=tests/nn/fixtures

expect_exit 0 "net --help" -- "$DLLD" net --help
expect_grep "help names forward" "net forward" "$T_TMP/stdout"
expect_exit 1 "net without subcommand" -- "$DLLD" net
expect_exit 1 "net with unknown subcommand" -- "$DLLD" net fly
expect_exit 1 "net info without cfg" -- "$DLLD" net info
expect_exit 1 "net info --width 0" -- "$DLLD" net info "$FIX/torch_conv.cfg" --width 0
expect_exit 1 "net info --width abc" -- "$DLLD" net info "$FIX/torch_conv.cfg" --width abc
expect_exit 2 "net info missing cfg" -- "$DLLD" net info "$T/missing.cfg"
printf '[net]\nwidth=8\nheight=8\nchannels=3\n[convolutional]\nfilterz=3\n' >"$T/bad.cfg"
expect_exit 3 "net info bad key" -- "$DLLD" net info "$T/bad.cfg"
expect_grep "error names file:line" "bad.cfg:6" "$T_TMP/stderr"

if [ -f "$CFG" ]; then
	expect_exit 0 "net info yolov3-tiny" -- "$DLLD" net info "$CFG"
	tail -n +2 "$FIX/darknet_summary_yolov3-tiny.txt" >"$T/want"
	sed -n '2,25p' "$T_TMP/stdout" >"$T/got"
	expect_true "summary lines equal darknet's" cmp -s "$T/want" "$T/got"
	expect_grep "total parameters" "8858734 parameters" "$T_TMP/stdout"
	expect_exit 0 "net info --channels 1 --params" -- "$DLLD" net info "$CFG" --channels 1 --params
	expect_grep "1 channel input" "416 x 416 x   1" "$T_TMP/stdout"

	sed -e 's/^width=.*/width=96/' -e 's/^height=.*/height=64/' "$CFG" >"$T/tiny.cfg"
	expect_exit 0 "net init darknet weights" -- "$DLLD" net init --cfg "$T/tiny.cfg" --seed 7 -o "$T/w.weights" --quiet
	expect_exit 5 "net init refuses to overwrite" -- "$DLLD" net init --cfg "$T/tiny.cfg" -o "$T/w.weights"
	expect_exit 0 "net convert to dlld" -- "$DLLD" net convert --cfg "$T/tiny.cfg" --weights "$T/w.weights" -o "$T/w.dlld" --format dlld
	expect_exit 0 "net forward (dlld weights)" -- "$DLLD" net forward --cfg "$T/tiny.cfg" --weights "$T/w.dlld" \
		--input "$FIX/darknet_tiny_96x64.in.f32" -o "$T/out.f32" --threads 2 --quiet
	expect_grep "lists the yolo outputs" "layer 23 yolo 1x255x4x6 offset 1530" "$T_TMP/stdout"
	expect_true "output has both yolo layers" test "$(wc -c <"$T/out.f32")" -eq 30600
	# darknet's outputs: equal within 1e-4 (float summation order differs)
	expect_true "forward equals darknet" python3 -c "
import struct,sys
a=open('$T/out.f32','rb').read(); b=open('$FIX/darknet_tiny_96x64.out.f32','rb').read()
a=struct.unpack('<%df'%(len(a)//4),a); b=struct.unpack('<%df'%(len(b)//4),b)
sys.exit(not (len(a)==len(b) and max(abs(x-y) for x,y in zip(a,b))<1e-4))"
	head -c 1000 "$FIX/darknet_tiny_96x64.in.f32" >"$T/short.f32"
	expect_exit 4 "net forward with a short input" -- "$DLLD" net forward --cfg "$T/tiny.cfg" --weights "$T/w.dlld" \
		--input "$T/short.f32" -o "$T/o2.f32"
	head -c 5000 "$T/w.weights" >"$T/cut.weights"
	expect_exit 3 "net forward with truncated weights" -- "$DLLD" net forward --cfg "$T/tiny.cfg" --weights "$T/cut.weights" \
		--input "$FIX/darknet_tiny_96x64.in.f32" -o "$T/o3.f32"
	expect_exit 0 "net forward --all-layers --no-fold" -- "$DLLD" net forward --cfg "$T/tiny.cfg" --weights "$T/w.dlld" \
		--input "$FIX/darknet_tiny_96x64.in.f32" -o "$T/all.f32" --all-layers --no-fold --quiet
	expect_grep "lists every layer" "layer 22 convolutional 1x255x4x6" "$T_TMP/stdout"
	expect_true "all-layers file holds every output" test "$(awk '{split($4,d,"x"); n+=d[1]*d[2]*d[3]*d[4]} END {print n*4}' "$T_TMP/stdout")" -eq "$(wc -c <"$T/all.f32")"
	sed -e 's/^channels=.*/channels=1/' "$T/tiny.cfg" >"$T/tiny1.cfg"
	expect_exit 0 "net init 1-channel" -- "$DLLD" net init --cfg "$T/tiny1.cfg" -o "$T/w1.weights" --quiet
	head -c $((96 * 64 * 4)) "$FIX/darknet_tiny_96x64.in.f32" >"$T/in1.f32"
	expect_exit 0 "net forward 1-channel" -- "$DLLD" net forward --cfg "$T/tiny1.cfg" --weights "$T/w1.weights" \
		--input "$T/in1.f32" -o "$T/o1.f32" --quiet
	expect_exit 4 "3-channel weights do not fit a 1-channel cfg" -- "$DLLD" net forward --cfg "$T/tiny1.cfg" \
		--weights "$T/w.weights" --input "$T/in1.f32" -o "$T/o5.f32" --quiet
	expect_exit 1 "net forward without --input" -- "$DLLD" net forward --cfg "$T/tiny.cfg" --weights "$T/w.dlld" -o "$T/o4.f32"
	expect_true "no partial output left" test ! -e "$T/o2.f32" -a ! -e "$T/o3.f32"
else
	skip "darknet cfg cases" "$CFG not installed"
fi
finish

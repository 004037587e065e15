#!/bin/sh
# tests/eval/test_cli.sh — `dlld eval` end to end on tests/eval/data/eval-tiny
# (a copy of ../shared/examples/eval-tiny): outputs, exit codes, overwrite
# refusal, replayed bootstrap, determinism, and the paper's printed intervals
# from a study built with its counts.
. tests/lib.sh
TINY=tests/eval/data/eval-tiny
T=$T_TMP

expect_exit 0 "help" -- "$DLLD" eval --help
expect_grep "help names --bootstrap-indices" "bootstrap-indices" "$T_TMP/stdout"

expect_exit 0 "summary on eval-tiny" -- "$DLLD" eval --study $TINY --quiet
expect_grep "AI AFROC 18.5/28 in the summary" "^AI +AI +4/7 .* 0\.6607 " "$T_TMP/stdout"

expect_exit 0 "json + report + plots" -- "$DLLD" eval --cases $TINY/cases.csv \
	--lesions $TINY/lesions.csv --readers $TINY/readers.csv --marks $TINY/marks.csv \
	--json "$T/r.json" --report "$T/r.md" --plots "$T/plots" --seed 7 --decimals 2 --quiet
expect_grep "JSON AFROC at full precision" '"AFROC":[[:space:]]*0\.6607142857142857' "$T/r.json"
expect_grep "JSON null for an undefined CI" '"ci_logit_wald":[[:space:]]*null' "$T/r.json"
expect_grep "report Table 2" "^## Table 2" "$T/r.md"
expect_grep "report n/N beside percentages, 2 decimals" "57\.14% \(4/7\)" "$T/r.md"
expect_grep "report Table 5 difference row" "AI − mean\(radiologist\)" "$T/r.md"
expect_true "plots: SVG and PNG per reader and group" test -s "$T/plots/reader_AI_afroc.svg" \
	-a -s "$T/plots/group_radiologist_froc.png" -a -s "$T/plots/all_afroc.png"
expect_true "PNG signature" sh -c "head -c 8 '$T/plots/all_froc.png' | od -c | grep -q 'P   N   G'"
expect_grep "curve points CSV" "^AI,afroc,1,1$" "$T/plots/curves.csv"

expect_exit 5 "refuses to overwrite without --force" -- "$DLLD" eval --study $TINY --json "$T/r.json"
expect_exit 0 "same seed again with --force" -- "$DLLD" eval --study $TINY --json "$T/r2.json" \
	--seed 7 --quiet
expect_true "same seed, same JSON" cmp -s "$T/r.json" "$T/r2.json"
expect_exit 0 "--force overwrites" -- "$DLLD" eval --study $TINY --json "$T/r2.json" --seed 8 \
	--force --quiet
expect_true "another seed, another bootstrap" sh -c "! cmp -s '$T/r.json' '$T/r2.json'"

printf 'replicate,slot1,slot2,slot3,slot4,slot5,slot6,slot7,slot8\n1,N1,N2,N3,N4,D1,D2,D3,D4\n2,N1,N1,N3,N3,D3,D3,D4,D4\n' >"$T/idx.csv"
expect_exit 0 "--bootstrap-indices replay" -- "$DLLD" eval --study $TINY --json "$T/b.json" \
	--bootstrap-indices "$T/idx.csv" --quiet
expect_grep "replayed B = 2" '"B":[[:space:]]*2' "$T/b.json"
printf 'replicate,slot1,slot2,slot3,slot4,slot5,slot6,slot7,slot8\n1,N1,N2,N3,D4,D1,D2,D3,D4\n' >"$T/bad-idx.csv"
expect_exit 4 "diseased patient in a normal slot" -- "$DLLD" eval --study $TINY \
	--bootstrap-indices "$T/bad-idx.csv"
expect_grep "error names file:line" "bad-idx\.csv:2" "$T_TMP/stderr"

expect_exit 1 "non-numeric --bootstrap" -- "$DLLD" eval --study $TINY --bootstrap many
expect_exit 1 "--decimals out of range" -- "$DLLD" eval --study $TINY --decimals 9
expect_exit 1 "missing inputs" -- "$DLLD" eval --cases $TINY/cases.csv
expect_exit 2 "input not found" -- "$DLLD" eval --study "$T/nowhere"

mkdir -p "$T/bad"
cp $TINY/*.csv "$T/bad/"
printf 'reader,patient_id,lesion_id,rating\nAI,D1,L1,40\nAI,D1,L1,high\n' >"$T/bad/marks.csv"
expect_exit 3 "non-numeric rating" -- "$DLLD" eval --study "$T/bad"
expect_grep "names marks.csv:3" "marks\.csv:3" "$T_TMP/stderr"
printf 'reader,patient_id,lesion_id,rating\nAI,D1,L1,40\nAI,D9,,40\n' >"$T/bad/marks.csv"
expect_exit 4 "unknown patient" -- "$DLLD" eval --study "$T/bad"
expect_grep "names the patient and line" "marks\.csv:3.*D9" "$T_TMP/stderr"

# The paper's counts: 35/40 per-patient sensitivity, 10/45 specificity,
# 113 FPs on 85 patients with sum of squares 333 (38×1, 10×3, 5×4, 5×5).
P="$T/paper"; mkdir -p "$P"
{ echo patient_id,diseased; i=1; while [ $i -le 45 ]; do echo N$i,0; i=$((i + 1)); done
  i=1; while [ $i -le 40 ]; do echo D$i,1; i=$((i + 1)); done; } >"$P/cases.csv"
{ echo patient_id,lesion_id,diameter_mm; i=1; while [ $i -le 40 ]; do echo D$i,L1,12; i=$((i + 1)); done; } >"$P/lesions.csv"
printf 'reader,group,threshold\nAI,AI,50\n' >"$P/readers.csv"
{ echo reader,patient_id,lesion_id,rating
  i=1; while [ $i -le 35 ]; do echo AI,D$i,L1,90; i=$((i + 1)); done
  n=0
  for c in $(i=0; while [ $i -lt 38 ]; do echo 1; i=$((i + 1)); done) 3 3 3 3 3 3 3 3 3 3 4 4 4 4 4 5 5 5 5 5; do
	if [ $n -lt 35 ]; then p=N$((n + 1)); else p=D$((n - 34)); fi
	k=0; while [ $k -lt "$c" ]; do echo AI,$p,,$((60 + k)); k=$((k + 1)); done
	n=$((n + 1))
  done; } >"$P/marks.csv"
expect_exit 0 "paper-count study" -- "$DLLD" eval --study "$P" --json "$T/paper.json" --bootstrap 0 --quiet
expect_true "paper intervals (73.3-94.7, 12.4-36.6, 1.052-1.681)" /usr/bin/python3 -c "
import json, sys
r = json.load(open('$T/paper.json'))['readers']['AI']
s, sp, f = r['patient_sensitivity'], r['patient_specificity'], r['fpp']
ok = (s['x'], s['n'], sp['x'], sp['n'], f['fp'], f['patients'], f['sum_fp_squared']) == (35, 40, 10, 45, 113, 85, 333)
ok &= [round(100 * v, 1) for v in s['ci_logit_wald'] + sp['ci_logit_wald']] == [73.3, 94.7, 12.4, 36.6]
ok &= [round(v, 3) for v in f['ci_gee_poisson_indep_robust']] == [1.052, 1.681]
sys.exit(0 if ok else 1)"
finish

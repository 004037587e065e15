#!/bin/sh
# tests/run.sh — runs every test program of the build and every tests/*/test_*.sh
# script, sums their "N passed, N failed, N skipped" lines and ends with the total.
# Exits non-zero when any test failed or any program crashed.
# Environment: BUILD (default build), MODULES (default: all), DLLD_DATA.
BUILD=${BUILD:-build}
MODULES=${MODULES:-"core ct synth nn detect lesion eval"}
DLLD=$(cd "$BUILD" 2>/dev/null && pwd)/dlld
export DLLD
: "${DLLD_DATA:=$(cd ../shared/data 2>/dev/null && pwd)}"
export DLLD_DATA
passed=0; failed=0; skipped=0; crashed=0
log=$(mktemp)
for m in $MODULES cli; do
	for t in "$BUILD"/tests/$m/test_* tests/$m/test_*.sh; do
		[ -f "$t" ] || continue
		case "$t" in
		*.sh) [ -x "$DLLD" ] || continue; sh "$t" >"$log" 2>&1 ;;
		*) "$t" >"$log" 2>&1 ;;
		esac
		rc=$?
		cat "$log"
		line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
		if [ -z "$line" ]; then
			echo "CRASH $t (exit $rc, no result line)"
			crashed=$((crashed + 1)); continue
		fi
		p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
		f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
		s=$(echo "$line" | sed -nE 's/.*, ([0-9]+) skipped.*/\1/p')
		passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + ${s:-0}))
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			echo "CRASH $t (exit $rc)"; crashed=$((crashed + 1))
		fi
	done
done
rm -f "$log"
failed=$((failed + crashed))
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]

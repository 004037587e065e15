# tests/lib.sh — helpers for command-line tests (sourced by tests/*/test_*.sh).
# $DLLD is the binary under test. Each check prints "ok"/"FAIL"; `finish`
# prints "N passed, N failed, N skipped" and exits non-zero on failure.
T_PASS=0; T_FAIL=0; T_SKIP=0
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/dlld-cli-XXXXXX")
trap 'rm -rf "$T_TMP"' EXIT

# expect_exit CODE NAME -- CMD...: runs CMD, checks its exit status; its
# stderr is kept in $T_TMP/stderr and stdout in $T_TMP/stdout.
expect_exit() {
	want=$1; name=$2; shift 3
	"$@" >"$T_TMP/stdout" 2>"$T_TMP/stderr"
	got=$?
	if [ "$got" -eq "$want" ]; then
		T_PASS=$((T_PASS + 1)); echo "ok   $name"
	else
		T_FAIL=$((T_FAIL + 1)); echo "FAIL $name: exit $got, wanted $want"
		sed 's/^/  | /' "$T_TMP/stderr" | head -n 20
	fi
}

# expect_grep NAME PATTERN FILE: FILE contains PATTERN (extended regex).
expect_grep() {
	if grep -Eq -- "$2" "$3"; then
		T_PASS=$((T_PASS + 1)); echo "ok   $1"
	else
		T_FAIL=$((T_FAIL + 1)); echo "FAIL $1: /$2/ not in $3"
		head -n 20 "$3" | sed 's/^/  | /'
	fi
}

# expect_true NAME CMD...: CMD succeeds.
expect_true() {
	name=$1; shift
	if "$@"; then
		T_PASS=$((T_PASS + 1)); echo "ok   $name"
	else
		T_FAIL=$((T_FAIL + 1)); echo "FAIL $name"
	fi
}

skip() { T_SKIP=$((T_SKIP + 1)); echo "skipped $1: $2"; }

finish() {
	echo "$T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
	[ "$T_FAIL" -eq 0 ]
	exit $?
}

# Shared helpers for the scripted tests in tests/cli/*.sh (sourced, POSIX sh).
# Each script calls ok/not_ok per check and `finish` at the end, which
# prints the closing line "N passed, N failed" that tests/run sums.
BUILD=${BUILD:-build}
HEARTH=${HEARTH:-$BUILD/hearth}
FIXTURES=${HEARTH_FIXTURES:-../shared/fixtures}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
_pass=0
_fail=0

ok() { _pass=$((_pass + 1)); echo "PASS $1"; }
not_ok() { _fail=$((_fail + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/  /'; return 0; }

# check NAME COMMAND...: passes when the command exits 0.
check() {
    name=$1
    shift
    if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "$out"; fi
}

finish() {
    echo "$_pass passed, $_fail failed"
    [ "$_fail" -eq 0 ]
}

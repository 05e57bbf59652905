# Shared helpers for the whole-run tests (sourced; not itself a test).
# Each test gets the pslab binary as $1 and runs from the repository root.
set -euo pipefail
PSLAB=${1:?usage: test.sh PATH/TO/pslab}
TMP=$(mktemp -d /tmp/pslab-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
# expect_error "substring" command...: the command must fail and print the substring.
expect_error() {
    local want=$1; shift
    local out rc=0
    out=$("$@" 2>&1) || rc=$?
    [ $rc -ne 0 ] || fail "expected failure from: $*"
    [ $rc -lt 128 ] || fail "'$*' died of a signal (exit $rc): $out"
    grep -qF -- "$want" <<<"$out" || fail "error for '$*' lacks '$want'; got: $out"
    echo "ok: $want"
}
summary_value() { sed -n "s/^$2: //p" "$1/summary.txt"; }

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
# A script's background job starts with SIGINT ignored, which its children would
# inherit; a terminal's job does not. "${DFL[@]}" CMD... runs CMD with the default
# back (perl is essential in Debian), as the same process.
DFL=(perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV or die "exec: $!"' --)
# small_ini FILE ITERATIONS [LINE...]: the fault tests' run, LR on 2 servers and 4
# workers (2,000 features, a row every 50 clocks), then a [fault] section of LINEs
small_ini() {
    local f=$1 n=$2
    shift 2
    printf '[run]\niterations = %s\neval_every = 50\n[cluster]\nservers = 2\nworkers = 4\n' "$n" > "$f"
    printf '[data]\nfeatures = 2000\ntrain_examples = 8000\ntest_examples = 1000\n' >> "$f"
    printf '[real]\ntimeout = 20\n[fault]\n' >> "$f"
    printf '%s\n' "$@" >> "$f"
}
# same_model REF DIR: DIR trained REF's model (every metrics.csv column but the time)
same_model() {
    cmp -s <(cut -d, -f2- "$1/metrics.csv") <(cut -d, -f2- "$2/metrics.csv") ||
        fail "$2: another model than $1's: $(diff <(cut -d, -f2- "$1/metrics.csv") \
            <(cut -d, -f2- "$2/metrics.csv") | head -4)"
}

#!/usr/bin/env bash
# An 8-host sim run of 20 iterations whose metrics.csv must equal the checked-in
# expectation, time column included (simulated time is deterministic).
source "$(dirname "$0")/common.bash"
"$PSLAB" run tests/expected/golden8.ini --out "$TMP/run" >/dev/null
diff -u tests/expected/golden8.metrics.csv "$TMP/run/metrics.csv" || fail "metrics.csv differs from the golden file"
[ "$(wc -l < "$TMP/run/metrics.csv")" -eq 12 ] || fail "expected 11 evaluation rows"
echo "ok: golden metrics match"

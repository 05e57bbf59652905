#!/usr/bin/env bash
# An 8-host sim run of 20 iterations whose metrics.csv must equal the checked-in
# expectation, time column included (simulated time is deterministic). The hash
# partitioner must train the very same model: each key's updates are summed in
# worker order whichever server holds it, so every column but time is equal.
source "$(dirname "$0")/common.bash"
"$PSLAB" run tests/expected/golden8.ini --out "$TMP/run" >/dev/null
diff -u tests/expected/golden8.metrics.csv "$TMP/run/metrics.csv" || fail "metrics.csv differs from the golden file"
[ "$(wc -l < "$TMP/run/metrics.csv")" -eq 12 ] || fail "expected 11 evaluation rows"
"$PSLAB" run tests/expected/golden8.ini --set policy.partitioner=hash --out "$TMP/hash" >/dev/null
diff -u <(cut -d, -f2- tests/expected/golden8.metrics.csv) <(cut -d, -f2- "$TMP/hash/metrics.csv") ||
    fail "the hash partitioner trained another model than the golden file's"
echo "ok: golden metrics match, and the hash partitioner's model is the same"

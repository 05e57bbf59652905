#!/usr/bin/env bash
# The same sim run twice gives identical files, byte for byte; another seed does not.
source "$(dirname "$0")/common.bash"
"$PSLAB" run tests/expected/golden8.ini --set policy.partitioner=hash --out "$TMP/a" >/dev/null
"$PSLAB" run tests/expected/golden8.ini --set policy.partitioner=hash --out "$TMP/b" >/dev/null
for f in config.ini metrics.csv workers.csv summary.txt platform.xml; do
    [ -s "$TMP/a/$f" ] || fail "$f missing or empty"
    cmp "$TMP/a/$f" "$TMP/b/$f" || fail "$f differs between two identical runs"
done
"$PSLAB" run tests/expected/golden8.ini --set policy.partitioner=hash --set run.seed=43 --out "$TMP/c" >/dev/null
cmp -s "$TMP/a/metrics.csv" "$TMP/c/metrics.csv" && fail "a different seed gave the same metrics"
echo "ok: identical files across runs, different with another seed"

#!/usr/bin/env bash
# Every consistency model on a small traced real run (8 processes on 127.0.0.1)
# with stragglers, which on the real backend sleep in proportion to their compute
# time: `pslab check` passes for each, and SSP with s = 0 serves no pull ahead of
# the slowest worker.
source "$(dirname "$0")/common.bash"
small=(--set run.iterations=15 --set stragglers.fraction=0.34 --set stragglers.factor=4
       --set stragglers.iteration_prob=0.1 --set stragglers.iteration_factor=4 --backend real)
for m in bsp ssp asp wsp; do
    "$PSLAB" run tests/expected/golden8.ini "${small[@]}" --set policy.consistency=$m \
        --trace --out "$TMP/$m" >/dev/null 2>"$TMP/$m.err" || fail "real $m run failed: $(cat "$TMP/$m.err")"
    out=$("$PSLAB" check "$TMP/$m") || fail "check of real $m failed: $out"
    grep -q "ok: $m" <<<"$out" || fail "check of real $m: $out"
    echo "ok (real): $out"
done
"$PSLAB" run tests/expected/golden8.ini "${small[@]}" --set policy.consistency=ssp \
    --set policy.staleness=0 --trace --out "$TMP/ssp0" >/dev/null 2>&1 || fail "real ssp s=0 run failed"
"$PSLAB" check "$TMP/ssp0" >/dev/null || fail "check of real ssp s=0 failed"
awk -F, 'FNR > 1 && $4 > $5 { bad++ } END { exit bad > 0 }' "$TMP"/ssp0/trace/server*.pulls.csv ||
    fail "real SSP s=0 served a pull ahead of the slowest worker"
echo "ok (real): ssp s=0 serves no pull ahead of the slowest"

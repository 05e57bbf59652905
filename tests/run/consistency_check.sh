#!/usr/bin/env bash
# Every consistency model on a small traced sim run with stragglers: `pslab check`
# passes; SSP with s = 0 serves no pull ahead of the slowest worker; an ASP trace
# checked as if it were BSP fails, naming a pull (so the checker can fail on real
# traces, not only on doctored ones).
source "$(dirname "$0")/common.bash"
small=(--set run.iterations=12 --set stragglers.fraction=0.34 --set stragglers.factor=3
       --set stragglers.iteration_prob=0.1 --set stragglers.iteration_factor=4
       --set model.flop_scale=300)
for m in bsp ssp asp wsp; do
    "$PSLAB" run tests/expected/golden8.ini "${small[@]}" --set policy.consistency=$m \
        --trace --out "$TMP/$m" >/dev/null
    out=$("$PSLAB" check "$TMP/$m") || fail "check of $m failed: $out"
    grep -q "ok: $m" <<<"$out" || fail "check of $m: $out"
    echo "ok: $out"
done
# staleness statistics reach metrics.csv: ASP reads are stale, BSP's never
awk -F, 'NR > 1 && $7 > 0 { s = 1 } END { exit !s }' "$TMP/asp/metrics.csv" ||
    fail "ASP run shows no stale pull in metrics.csv"
awk -F, 'NR > 1 && ($6 != 0 || $7 != 0) { s = 1 } END { exit s }' "$TMP/bsp/metrics.csv" ||
    fail "BSP run shows stale pulls in metrics.csv"

"$PSLAB" run tests/expected/golden8.ini "${small[@]}" --set policy.consistency=ssp \
    --set policy.staleness=0 --trace --out "$TMP/ssp0" >/dev/null
"$PSLAB" check "$TMP/ssp0" >/dev/null || fail "check of ssp s=0 failed"
awk -F, 'FNR > 1 && $4 > $5 { bad++ } END { exit bad > 0 }' "$TMP"/ssp0/trace/server*.pulls.csv ||
    fail "SSP s=0 served a pull ahead of the slowest worker"
n=$(cat "$TMP"/ssp0/trace/server*.pulls.csv | grep -v time_s | grep -vc '^#')
[ "$n" -gt 100 ] || fail "SSP s=0 trace has only $n pulls"
echo "ok: ssp s=0, $n pulls, none ahead of the slowest"

# the ASP trace judged by the BSP rule must fail and name the pull
sed -i 's/^consistency = asp/consistency = bsp/' "$TMP/asp/config.ini"
rc=0; out=$("$PSLAB" check "$TMP/asp" 2>&1) || rc=$?
[ $rc -eq 1 ] || fail "ASP trace passed as BSP (exit $rc): $out"
grep -qE "server[0-9]\.pulls\.csv:[0-9]+: bsp violated: server [0-9] served worker [0-9] its pull for clock [0-9]+ while the slowest worker had completed [0-9]+ clocks" <<<"$out" ||
    fail "violation does not name the pull: $out"
echo "ok: ASP trace fails the BSP rule"

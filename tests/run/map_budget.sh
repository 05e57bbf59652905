#!/usr/bin/env bash
# When vm.max_map_count leaves no room for more helper actors (postmen), actors
# start their sends themselves: the run goes on, says so once, and simulates
# exactly what it would have simulated with them.
source "$(dirname "$0")/common.bash"
cfg=(bench/scale.ini --set run.iterations=3 --set cluster.servers=5 --set cluster.workers=95
     --set data.train_examples=100000 --set data.features=100000)
"$PSLAB" run "${cfg[@]}" --out "$TMP/free" >/dev/null 2>&1 || fail "the run without a mapping limit failed"
# the launch's own need (its error names it), plus a few: node actors fit, postmen soon do not
need=$({ PSLAB_SIM_MAX_MAPS=1 "$PSLAB" run "${cfg[@]}" --out "$TMP/probe" 2>&1 || true; } |
       sed -n 's/.* need about \([0-9]*\) memory mappings.*/\1/p')
[ -n "$need" ] || fail "a limit of 1 mapping did not refuse the launch with its need"
PSLAB_SIM_MAX_MAPS=$((need + 8)) "$PSLAB" run "${cfg[@]}" --out "$TMP/tight" > "$TMP/out" 2>&1 ||
    fail "a run whose postmen did not fit failed: $(head -c 2000 "$TMP/out")"
[ "$(grep -c 'leaves no room for more helper actors' "$TMP/out")" = 1 ] ||
    fail "the refused postmen were not reported exactly once: $(head -c 2000 "$TMP/out")"
cmp -s "$TMP/free/metrics.csv" "$TMP/tight/metrics.csv" ||
    fail "sends started without postmen changed the simulation"
echo "ok: map budget"

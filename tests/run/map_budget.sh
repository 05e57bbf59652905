#!/usr/bin/env bash
# When vm.max_map_count leaves no room for more helper actors (postmen), actors
# start their sends themselves: the run goes on, says so once, and simulates
# exactly what it would have simulated with them.
source "$(dirname "$0")/common.bash"
cfg=(bench/scale.ini --set run.iterations=3 --set cluster.servers=5 --set cluster.workers=95
     --set data.train_examples=100000 --set data.features=100000)
"$PSLAB" run "${cfg[@]}" --out "$TMP/free" >/dev/null 2>&1 || fail "the run without a mapping limit failed"
# the launch's own need (its error names it), plus a few: node actors fit, postmen
# soon do not. The mappings a process holds vary a little from run to run (more so
# under ASan): a launch refused at need + 8 names its new need, tried next.
limit=1 ok=0
for attempt in 1 2 3 4 5 6; do
    rm -rf "$TMP/tight"
    if PSLAB_SIM_MAX_MAPS=$limit "$PSLAB" run "${cfg[@]}" --out "$TMP/tight" > "$TMP/out" 2>&1; then
        ok=1; break
    fi
    need=$(sed -n 's/.* need about \([0-9]*\) memory mappings.*/\1/p' "$TMP/out")
    [ -n "$need" ] || fail "a run under a mapping limit of $limit failed otherwise: $(head -c 2000 "$TMP/out")"
    limit=$((need + 8))
done
[ $ok = 1 ] || fail "no launch fitted its own need plus 8 mappings in 6 tries"
[ "$limit" -gt 1 ] || fail "a limit of 1 mapping did not refuse the launch"
[ "$(grep -c 'leaves no room for more helper actors' "$TMP/out")" = 1 ] ||
    fail "the refused postmen were not reported exactly once: $(head -c 2000 "$TMP/out")"
cmp -s "$TMP/free/metrics.csv" "$TMP/tight/metrics.csv" ||
    fail "sends started without postmen changed the simulation"
echo "ok: map budget"

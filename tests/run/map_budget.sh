#!/usr/bin/env bash
# When vm.max_map_count leaves no room for more helper actors (postmen), actors
# start their sends themselves: the run goes on, says so once, and two runs under
# the same limit give the same files (where postmen stop depends on the limit and
# the run only, not on the mappings the process happens to hold).
source "$(dirname "$0")/common.bash"
cfg=(bench/scale.ini --set run.iterations=3 --set cluster.servers=5 --set cluster.workers=95
     --set data.train_examples=100000 --set data.features=100000)
"$PSLAB" run "${cfg[@]}" --out "$TMP/free" >/dev/null 2>&1 || fail "the run without a mapping limit failed"
# 101 actors under a limit of 4,310 mappings: the launch fits (the process holds a
# few hundred), and the actors one may have alive, (4,310 - 4,096 kept) / 2 = 107,
# leave room for 6 postmen only
for r in 1 2; do
    PSLAB_SIM_MAX_MAPS=4310 "$PSLAB" run "${cfg[@]}" --out "$TMP/tight$r" > "$TMP/out$r" 2>&1 ||
        fail "a run whose postmen did not fit failed: $(head -c 2000 "$TMP/out$r")"
    [ "$(grep -c 'leaves no room for more helper actors' "$TMP/out$r")" = 1 ] ||
        fail "the refused postmen were not reported exactly once: $(head -c 2000 "$TMP/out$r")"
done
for f in metrics.csv workers.csv summary.txt; do
    cmp -s "$TMP/tight1/$f" "$TMP/tight2/$f" || fail "two runs under one mapping limit differ in $f"
done
[ "$(wc -l < "$TMP/tight1/metrics.csv")" = "$(wc -l < "$TMP/free/metrics.csv")" ] ||
    fail "the run under the limit did not evaluate as often as the free one"
# the launch itself must fit: a limit below its need is refused with the need named
expect_error "but vm.max_map_count is 600: raise it" env PSLAB_SIM_MAX_MAPS=600 "$PSLAB" run "${cfg[@]}" --out "$TMP/low"
echo "ok: map budget"

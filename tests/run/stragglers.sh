#!/usr/bin/env bash
# experiments/stragglers.sh runs (it once failed on a key of WSP's set for BSP), and
# WSP as DRPS means it: with transient stragglers it does not wait like BSP (its
# predictions are of when updates arrive, on the server's clock), reaching the
# target loss sooner than BSP; a traced WSP run passes pslab check.
source "$(dirname "$0")/common.bash"
PSLAB=$PSLAB experiments/stragglers.sh "$TMP/s" >"$TMP/out" 2>&1 || fail "stragglers.sh: $(tail -5 "$TMP/out")"
t() { awk -v r="$1" '$1 == r && NF == 4 { print $3 }' "$TMP/out"; }
for sc in persistent transient; do
    for m in bsp ssp asp wsp; do
        [ -n "$(t $sc-$m)" ] && [ "$(t $sc-$m)" != never ] || fail "$sc-$m has no time to the target: $(cat "$TMP/out")"
    done
done
bsp=$(t transient-bsp) wsp=$(t transient-wsp)
awk -v b="$bsp" -v w="$wsp" 'BEGIN { exit !(w < b) }' || fail "WSP ($wsp s) is not faster than BSP ($bsp s) with transient stragglers"
echo "ok: transient stragglers: WSP reaches the target in $wsp s, BSP in $bsp s"
"$PSLAB" run experiments/stragglers.ini --set policy.consistency=wsp --set run.iterations=60 \
    --set stragglers.fraction=0 --set stragglers.iteration_prob=0.25 --set stragglers.iteration_factor=3 \
    --trace --out "$TMP/wsp" >/dev/null || fail "traced WSP run failed"
"$PSLAB" check "$TMP/wsp" | grep -q "ok: wsp" || fail "pslab check of WSP: $("$PSLAB" check "$TMP/wsp" 2>&1 | head -3)"
echo "ok: pslab check holds for WSP"

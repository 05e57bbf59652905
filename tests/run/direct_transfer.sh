#!/usr/bin/env bash
# Direct model transfer (policy.direct_transfer = on): SVRG's one-worker SGD stages
# take the model from the servers in bulk and hand it back in bulk. The model is
# the same as through the servers, at every stage's end, on sim (range and hash
# partitions) and on the real backend; the one-worker stages' simulated time
# shrinks; summary.txt and workers.csv show the transfer each way; the trace
# still passes pslab check.
source "$(dirname "$0")/common.bash"
run() { "$PSLAB" run experiments/svrg.ini --set run.eval_every=1000 "$@" >/dev/null 2>&1; }
run --out "$TMP/off" || fail "svrg through the servers failed"
run --set policy.direct_transfer=on --out "$TMP/on" || fail "svrg with direct transfer failed"
[ "$(wc -l < "$TMP/on/metrics.csv")" -eq 8 ] || fail "expected a row per stage end: $(cat "$TMP/on/metrics.csv")"
cmp <(cut -d, -f2- "$TMP/off/metrics.csv") <(cut -d, -f2- "$TMP/on/metrics.csv") ||
    fail "direct transfer trains another model"
t_off=$(sed -n 's/^stage_2: .*start_s \([0-9.]*\), end_s \([0-9.]*\).*/\1 \2/p' "$TMP/off/summary.txt")
t_on=$(sed -n 's/^stage_2: .*start_s \([0-9.]*\), end_s \([0-9.]*\).*/\1 \2/p' "$TMP/on/summary.txt")
awk -v a="$t_off" -v b="$t_on" 'BEGIN { split(a, x, " "); split(b, y, " ");
    exit !((y[2] - y[1]) * 10 < x[2] - x[1]) }' || fail "the direct stage is not faster: $t_off vs $t_on"
grep -q "^stage_2: workers 1, .*, direct_in_s [0-9.]*[1-9][0-9]*, direct_out_s [0-9.]*[1-9]" "$TMP/on/summary.txt" ||
    fail "summary lacks the transfers: $(grep stage_2 "$TMP/on/summary.txt")"
grep -q "direct_in_s" "$TMP/off/summary.txt" && fail "summary reports transfers of a run without"
awk -F, 'NR > 1 && $10 == 2 && $11 > 0 && $12 > 0 { ok = 1 } END { exit !ok }' "$TMP/on/workers.csv" ||
    fail "workers.csv lacks stage 2's transfer times"
echo "ok: the same model with direct transfer, one-worker stages $t_off -> $t_on (start end)"
run --set policy.direct_transfer=on --set policy.partitioner=hash --trace --out "$TMP/hash" ||
    fail "direct transfer over hash shards failed"
cmp <(cut -d, -f2- "$TMP/on/metrics.csv") <(cut -d, -f2- "$TMP/hash/metrics.csv") ||
    fail "hash shards give another model"
out=$("$PSLAB" check "$TMP/hash") || fail "check with direct transfer: $out"
echo "ok: hash shards, and pslab check: $out"
"$PSLAB" run experiments/svrg.ini --set run.eval_every=1000 --set policy.direct_transfer=on \
    --backend real --out "$TMP/real" >/dev/null 2>"$TMP/real.log" || fail "real: $(cat "$TMP/real.log")"
cmp <(cut -d, -f2- "$TMP/on/metrics.csv") <(cut -d, -f2- "$TMP/real/metrics.csv") ||
    fail "the real backend's direct transfer trains another model"
echo "ok: the same model on the real backend: $(grep '^stage_2' "$TMP/real/summary.txt" | sed 's/.*direct_in/direct_in/')"

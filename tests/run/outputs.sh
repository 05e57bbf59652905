#!/usr/bin/env bash
# The numbers in a run's files agree with each other and with the trace:
# workers.csv's compute, wait and communication add up to each worker's end time,
# and under BSP with stragglers the fast workers wait; metrics.csv's staleness_max
# is the largest staleness of the pulls the servers traced (a maximum, not a sum
# over servers); summary.txt's final metrics are metrics.csv's last row.
source "$(dirname "$0")/common.bash"
slow=(--set run.iterations=12 --set stragglers.fraction=0.34 --set stragglers.factor=3
      --set model.flop_scale=300)

"$PSLAB" run tests/expected/golden8.ini "${slow[@]}" --out "$TMP/bsp" >/dev/null 2>&1 ||
    fail "BSP run failed"
awk -F, 'NR > 1 { d = $3 + $4 + $5 - $6; if (d > 1e-5 || d < -1e-5) bad = 1 } END { exit bad }' \
    "$TMP/bsp/workers.csv" || fail "compute + wait + comm != end time: $(cat "$TMP/bsp/workers.csv")"
# 2 of the 6 workers are 3x slower: the other 4 wait for them at every clock
waiting=$(awk -F, 'NR > 1 && $4 > 0.2 * $6 { n++ } END { print n + 0 }' "$TMP/bsp/workers.csv")
[ "$waiting" -ge 4 ] || fail "only $waiting workers waited: $(cat "$TMP/bsp/workers.csv")"
echo "ok: workers.csv adds up; $waiting of 6 workers wait for the stragglers"

"$PSLAB" run tests/expected/golden8.ini "${slow[@]}" --set policy.consistency=ssp --trace \
    --out "$TMP/ssp" >/dev/null 2>&1 || fail "SSP run failed"
traced=$(awk -F, 'FNR > 1 && $4 - $5 > m { m = $4 - $5 } END { print m + 0 }' "$TMP"/ssp/trace/server*.pulls.csv)
reported=$(awk -F, 'NR > 1 && $7 > m { m = $7 } END { print m + 0 }' "$TMP/ssp/metrics.csv")
[ "$traced" -gt 0 ] || fail "SSP run traced no stale pull"
[ "$traced" = "$reported" ] || fail "staleness_max $reported in metrics.csv, $traced in the trace"
echo "ok: staleness_max $reported is the trace's"

for run in bsp ssp; do
    header=$(head -1 "$TMP/$run/metrics.csv")
    last=$(tail -1 "$TMP/$run/metrics.csv")
    IFS=, read -ra names <<<"$header"
    IFS=, read -ra vals <<<"$last"
    for ((i = 3; i < ${#names[@]} - 2; i++)); do
        got=$(summary_value "$TMP/$run" "final_${names[$i]}")
        [ "$got" = "${vals[$i]}" ] || fail "$run: summary final_${names[$i]} = '$got', metrics.csv '${vals[$i]}'"
    done
    [ "$(summary_value "$TMP/$run" iterations_done)" = "${vals[2]}" ] ||
        fail "$run: iterations_done differs from the last row's iteration"
done
echo "ok: summary.txt's final metrics are metrics.csv's last row"

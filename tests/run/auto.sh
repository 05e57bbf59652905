#!/usr/bin/env bash
# policy.scheduler = auto (auto-parallelism): each stage probes 1, 2, 3 ... workers a
# node for scheduler.probe_iterations iterations, keeps the count before the first
# slower probe (by time per iteration) and runs the rest of the stage with it, at
# the stage's global batch; a stage whose batch size is known skips the probe; one
# with a new batch size searches from its smaller neighbour's count. schedule.csv
# shows every segment; pslab check holds across the resets between them (BSP, SSP,
# WSP); the same on the real backend with its wall-clock probes.
source "$(dirname "$0")/common.bash"
# the README's example, experiments/flexps/auto_stages.ini: 4 nodes of 4 slots and
# cores, global batches 400, 4,000, 400
cp experiments/flexps/auto_stages.ini "$TMP/auto.ini"
run() { "$PSLAB" run "$TMP/auto.ini" "$@" >/dev/null 2>"$TMP/err" || fail "pslab run $*: $(cat "$TMP/err")"; }
# rule DIR PROBE: every stage's segments follow the search, from schedule.csv
rule() {
    awk -F, -v P="$2" -v nodes=4 -v slots=4 '
        NR == 1 { next }
        { st = $2; c = $3 / nodes; it = $8; t = ($5 - $4) / it
          if (c != int(c)) { print "stage " st ": " $3 " workers is not a count a node"; bad = 1 }
          if ($9 != int(400 * (st == 2 ? 10 : 1) / $3 + 0.5)) { print "stage " st ": batch " $9 " for " $3 " workers"; bad = 1 }
          if ($7 != done[st]) { print "stage " st ": segment from " $7 " after " done[st]; bad = 1 }
          done[st] += it; n[st]++; cnt[st, n[st]] = c; tm[st, n[st]] = t; its[st, n[st]] = it }
        END {
          if (done[1] != 60 || done[2] != 40 || done[3] != 30) { print "iterations " done[1] " " done[2] " " done[3]; bad = 1 }
          # stage 1 searches from 1 up
          if (cnt[1, 1] != 1) { print "stage 1 starts at " cnt[1, 1]; bad = 1 }
          for (s = 1; s <= 2; s++) {
              pick = 0
              for (i = 1; i < n[s] && !pick; i++) {
                  if (its[s, i] != P) { print "stage " s " probe " i " of " its[s, i] " iterations"; bad = 1 }
                  if (i > 1 && cnt[s, i] != cnt[s, i - 1] + 1) { print "stage " s ": probe " cnt[s, i] " after " cnt[s, i - 1]; bad = 1 }
                  if (i > 1 && tm[s, i] > tm[s, i - 1]) pick = cnt[s, i - 1]
                  else if (cnt[s, i] == slots) pick = slots
              }
              if (!pick) { # no probe decided: the stage ended while probing, or had no probe
                  k = n[s]
                  if (k > 1 && cnt[s, k] == cnt[s, k - 1] + 1 && its[s, k] <= P || k == 1 && s == 2) pick = cnt[s, k]
                  else { print "stage " s ": the probes pick nothing, yet it runs on with " cnt[s, k]; bad = 1 }
              }
              if (cnt[s, n[s]] != pick) { print "stage " s " runs on with " cnt[s, n[s]] ", its probes pick " pick; bad = 1 }
              best[s] = pick
          }
          if (cnt[2, 1] < best[1]) { print "stage 2 searches from " cnt[2, 1] ", below stage 1 pick " best[1]; bad = 1 }
          if (n[3] != 1 || cnt[3, 1] != best[1]) { print "stage 3 (batch of stage 1) has " n[3] " segments of " cnt[3, 1] ", not one of " best[1]; bad = 1 }
          printf "picks %d %d %d, %d and %d probes\n", best[1], best[2], cnt[3, 1], n[1] - 1, n[2] - 1 > "/dev/stderr"
          exit bad }' "$1/schedule.csv" || fail "$1: the segments break the search: $(cat "$1/schedule.csv")"
}
run --trace --out "$TMP/bsp"
rule "$TMP/bsp" 10 2> "$TMP/picks"
echo "ok: auto's segments follow the search ($(cat "$TMP/picks"))"
[ "$(awk -F, 'NR > 1 && $2 == 1' "$TMP/bsp/schedule.csv" | wc -l)" -ge 3 ] ||
    fail "stage 1 did not probe: $(cat "$TMP/bsp/schedule.csv")"
out=$("$PSLAB" check "$TMP/bsp") || fail "pslab check of an auto run: $out"
for c in ssp wsp; do
    run --set policy.consistency=$c --trace --out "$TMP/$c"
    rule "$TMP/$c" 10 2>/dev/null
    out=$("$PSLAB" check "$TMP/$c") || fail "pslab check of an auto $c run: $out"
done
echo "ok: pslab check holds across the probes' resets under bsp, ssp and wsp"
acc=$(summary_value "$TMP/bsp" final_accuracy)
awk -v a="$acc" 'BEGIN { exit !(a > 0.72) }' || fail "auto's model: accuracy $acc"
run --set scheduler.probe_iterations=5 --out "$TMP/p5"
rule "$TMP/p5" 5 2>/dev/null
echo "ok: scheduler.probe_iterations = 5 probes 5 iterations at a time"
expect_error "scheduler.probe_iterations is a key of scheduler auto" \
    "$PSLAB" run "$TMP/auto.ini" --set policy.scheduler=greedy --set scheduler.probe_iterations=5 --out "$TMP/x"
run --backend real --out "$TMP/real"
rule "$TMP/real" 10 2> "$TMP/picks"
echo "ok: the real backend's wall-clock probes follow the search ($(cat "$TMP/picks"))"
expect_error "platform.cores=0: out of range (must be in 1..1024)" "$PSLAB" run "$TMP/auto.ini" --set platform.cores=0 --out "$TMP/x2"
expect_error "cores (--cores) must be in [1, 1024]" "$PSLAB" platform --hosts 2 --cores 0 -o "$TMP/p.xml"
"$PSLAB" platform --hosts 2 --cores 3 -o "$TMP/p3.xml" >/dev/null || fail "pslab platform --cores 3"
[ "$(grep -c 'core="3"' "$TMP/p3.xml")" = 2 ] || fail "the hosts lack core=\"3\": $(cat "$TMP/p3.xml")"
grep -q 'core=' "$TMP/bsp/platform.xml" && grep -q 'core="4"' "$TMP/bsp/platform.xml" ||
    fail "platform.cores = 4 is not in the run's platform"
echo "ok: platform.cores reaches the hosts, and 0 is refused"

#!/usr/bin/env bash
# A stalled node on the real backend (SIGSTOP: its connections stay open, so no
# EOF tells anyone) no longer hangs the run: with real.stall_timeout set, the
# coordinator gives up after that long without a message, names the evaluation
# point and the workers it waits for, and the run exits non-zero with every
# process gone. (Heartbeats find a stopped node too, after real.timeout:
# tests/run/stall.sh.)
source "$(dirname "$0")/common.bash"
"$PSLAB" run tests/expected/golden8.ini --backend real --set run.iterations=100000 \
    --set run.eval_every=1000 --set real.stall_timeout=2 --out "$TMP/run" \
    >"$TMP/out" 2>"$TMP/err" & pid=$!
sleep 1.5
kids=$(pgrep -P $pid || true)
[ -n "$kids" ] || { kill $pid; fail "no node processes under the launcher"; }
victim=$(tr ' ' '\n' <<<"$kids" | tail -1)
kill -STOP "$victim"
start=$(date +%s)
rc=0
wait $pid || rc=$?
kill -CONT "$victim" 2>/dev/null || true
[ $rc -ne 0 ] || fail "a stalled run exited 0"
[ $(( $(date +%s) - start )) -le 20 ] || fail "the stall took more than 20 s to report"
grep -q "the run stalled: no message for 2 s (real.stall_timeout); waiting for .* snapshots of the evaluation after clock [0-9]*, and for the end of worker(s) " "$TMP/err" ||
    fail "no stall report: $(cat "$TMP/err")"
sleep 0.5
for k in $kids; do
    if kill -0 "$k" 2>/dev/null; then kill -KILL "$k"; fail "node process $k outlived the run"; fi
done
[ -s "$TMP/run/metrics.csv" ] || fail "the rows before the stall are lost"
echo "ok: a stopped node is reported as a stall within the timeout: $(grep -o 'the run stalled.*' "$TMP/err" | head -1)"

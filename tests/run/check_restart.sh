#!/usr/bin/env bash
# pslab check on runs that restarted from a checkpoint (fault.crash with
# fault.restarts, pslab run --resume): the trace covers the last attempt, whose
# pushes add to the checkpoint's values (trace/serverS.initial.csv) from its clock
# (trace/resumed.csv); each attempt before is kept as trace.1, trace.2, ... A
# checkpoint value changed, a resumed.csv lost or false, are found.
source "$(dirname "$0")/common.bash"
small_ini "$TMP/c.ini" 300 "checkpoint_every = 5" "restarts = 2"

"$PSLAB" run "$TMP/c.ini" --set fault.crash="server1@212, worker2@250" --trace --out "$TMP/two" \
    >/dev/null 2>"$TMP/two.err" || fail "two crashes: $(tail -3 "$TMP/two.err")"
[ "$(summary_value "$TMP/two" restarts)" = 2 ] || fail "two: $(cat "$TMP/two/summary.txt")"
"$PSLAB" check "$TMP/two" > "$TMP/two.check" || fail "pslab check of a restarted run: $(head -5 "$TMP/two.check")"
grep -q "ok: bsp" "$TMP/two.check" || fail "$(cat "$TMP/two.check")"
[ "$(sed -n 2p "$TMP/two/trace/resumed.csv")" = 250 ] || fail "resumed.csv: $(cat "$TMP/two/trace/resumed.csv")"
# the earlier attempts' traces are kept: the first from clock 0, the second from 210
for n in 1 2; do
    [ -f "$TMP/two/trace.$n/server0.pulls.csv" ] || fail "trace.$n was not kept: $(ls "$TMP/two")"
done
first() { awk -F, 'FNR == 2 { print $4; exit }' "$1"; }
[ "$(first "$TMP/two/trace.1/server0.pulls.csv")" = 0 ] && [ "$(first "$TMP/two/trace.2/server0.pulls.csv")" = 210 ] &&
    [ "$(first "$TMP/two/trace/server0.pulls.csv")" = 250 ] ||
    fail "the attempts' first pulls: $(first "$TMP/two/trace.1/server0.pulls.csv"), $(first "$TMP/two/trace.2/server0.pulls.csv"), $(first "$TMP/two/trace/server0.pulls.csv")"
[ "$(sed -n 2p "$TMP/two/trace.2/resumed.csv")" = 210 ] ||
    fail "trace.2/resumed.csv: $(cat "$TMP/two/trace.2/resumed.csv")"
echo "ok: two restarts: the last attempt checks ok from clock 250, the earlier two kept as trace.1 and trace.2"

# a checkpoint's value changed in the trace: the pushes since no longer reach the
# final value
cp -r "$TMP/two" "$TMP/bad"
awk -F, 'BEGIN { OFS = "," } NR == 3 { $3 = $3 + 1 } { print }' "$TMP/two/trace/server1.initial.csv" \
    > "$TMP/bad/trace/server1.initial.csv"
"$PSLAB" check "$TMP/bad" > "$TMP/bad.check" 2>&1 && fail "a changed initial value passes: $(cat "$TMP/bad.check")"
grep -q "update lost on table 0 key .*from the checkpoint" "$TMP/bad.check" || fail "$(cat "$TMP/bad.check")"
# resumed.csv lost, or a clock of another attempt: an error, or clocks missing
rm "$TMP/bad/trace/resumed.csv"
cp "$TMP/two/trace/server1.initial.csv" "$TMP/bad/trace/"
rc=0; "$PSLAB" check "$TMP/bad" > "$TMP/bad.check" 2>&1 || rc=$?
[ $rc = 2 ] && grep -q "resumed.csv: cannot open" "$TMP/bad.check" || fail "no resumed.csv: rc $rc, $(cat "$TMP/bad.check")"
printf 'clock\n210\n# end: 1\n' > "$TMP/bad/trace/resumed.csv"
"$PSLAB" check "$TMP/bad" > "$TMP/bad.check" 2>&1 && fail "a false resume clock passes"
grep -q "worker 0 ran clock 210 .* no server's trace has its pull" "$TMP/bad.check" || fail "$(head -3 "$TMP/bad.check")"
echo "ok: a changed checkpoint value, a lost or false resumed.csv are found"

# stages: resumed in the second, the first done before the checkpoint
sed '/^\[run\]/,/^\[cluster\]/{/^iterations/d}' "$TMP/c.ini" > "$TMP/st.ini"
printf '[stage.1]\niterations = 100\nworkers = 3\n[stage.2]\niterations = 60\nbatch = 50\n' >> "$TMP/st.ini"
"$PSLAB" run "$TMP/st.ini" --set fault.crash=server0@130 --trace --out "$TMP/st" >/dev/null 2>"$TMP/st.err" ||
    fail "staged run: $(tail -3 "$TMP/st.err")"
[ "$(summary_value "$TMP/st" resumed_from_clock)" = 130 ] || fail "st: $(cat "$TMP/st/summary.txt")"
"$PSLAB" check "$TMP/st" > "$TMP/st.check" 2>&1 || fail "pslab check of a staged run resumed in stage 2: $(head -3 "$TMP/st.check")"
echo "ok: a run of two stages restarted in its second checks ok"

# pslab run --resume after an interrupt, and a real-backend restart
"$PSLAB" run "$TMP/c.ini" --set run.iterations=3000 --trace --out "$TMP/int" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 300); do
    [ -f "$TMP/int/metrics.csv" ] && [ "$(wc -l < "$TMP/int/metrics.csv")" -ge 4 ] && break
    sleep 0.05
done
kill -INT $pid
wait $pid || true
"$PSLAB" run --resume "$TMP/int" --trace >/dev/null 2>"$TMP/int.err" || fail "resume: $(tail -3 "$TMP/int.err")"
"$PSLAB" check "$TMP/int" > "$TMP/int.check" || fail "pslab check after --resume: $(head -3 "$TMP/int.check")"
[ -d "$TMP/int/trace.1" ] || fail "the interrupted attempt's trace was not kept"
"$PSLAB" run "$TMP/c.ini" --backend real --set fault.crash=server1@212 --trace --out "$TMP/real" \
    >/dev/null 2>"$TMP/real.err" || fail "real restart: $(tail -3 "$TMP/real.err")"
"$PSLAB" check "$TMP/real" > "$TMP/real.check" || fail "pslab check of a real restart: $(head -3 "$TMP/real.check")"
# the newest checkpoint every server had committed when the node died (210, or 205
# when its writer had not finished)
[ "$(sed -n 2p "$TMP/real/trace/resumed.csv")" = "$(summary_value "$TMP/real" resumed_from_clock)" ] ||
    fail "real resumed.csv: $(cat "$TMP/real/trace/resumed.csv"), summary: $(summary_value "$TMP/real" resumed_from_clock)"
echo "ok: pslab run --resume after SIGINT, and a real server's death restarted: each checks ok"

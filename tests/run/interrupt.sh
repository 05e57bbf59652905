#!/usr/bin/env bash
# Ctrl-C and SIGTERM stop a run cleanly, on both backends: the process exits as a
# shell reports the signal (130, 143), every node process is gone, every file of
# the run (metrics.csv, workers.csv, the traces) is whole, summary.txt says the run
# was interrupted and at which clock, and `pslab check` finds the traces sound.
# Sim: SIGINT, as a terminal sends it; SIGTERM with --trace. Real: SIGINT to the
# whole process group (a terminal's Ctrl-C reaches every node), SIGTERM to the
# launcher alone, and SIGTERM to one worker node of a `pslab node` cluster.
source "$(dirname "$0")/common.bash"
iters=200000
cat > "$TMP/long.ini" <<INI
[run]
iterations = $iters
eval_every = 20
[cluster]
servers = 2
workers = 4
[data]
features = 2000
train_examples = 8000
test_examples = 1000
[real]
timeout = 20
INI

# wait_rows DIR N: until DIR/metrics.csv has N rows after its header
wait_rows() {
    for _ in $(seq 600); do
        [ -f "$1/metrics.csv" ] && [ "$(wc -l < "$1/metrics.csv")" -gt "$2" ] && return 0
        sleep 0.1
    done
    fail "$1/metrics.csv did not reach $2 rows in 60 s"
}
# wait_exit PID: its exit status in $RC, once it has ended (a hang fails the test)
wait_exit() {
    for _ in $(seq 600); do
        if ! kill -0 "$1" 2>/dev/null; then
            RC=0
            wait "$1" || RC=$?
            return
        fi
        sleep 0.1
    done
    kill -9 -- -"$1" 2>/dev/null || kill -9 "$1"
    fail "pid $1 did not stop within 60 s of the signal"
}
# whole FILE: ends with a newline, and every line has the header's field count
whole() {
    [ -s "$1" ] || fail "$1 is empty"
    [ "$(tail -c1 "$1" | od -An -c | tr -d ' ')" = '\n' ] || fail "$1 ends in a cut line"
    awk -F, '/^# end: [0-9]+$/ { next } NR == 1 { n = NF } NF != n { print FILENAME ": line " NR " has " NF \
        " fields, the header " n; bad = 1 } END { exit bad }' "$1" || fail "$1 has a cut line"
}
# check_stopped DIR SIG RC ERR: what a cleanly interrupted run leaves
check_stopped() {
    local dir=$1 sig=$2 rc=$3 err=$4 want
    want=$([ "$sig" = SIGINT ] && echo 130 || echo 143)
    [ "$rc" = "$want" ] || fail "$dir: exit $rc after $sig, expected $want: $(tail -3 "$err")"
    grep -q "pslab: $sig: stopping every worker" "$err" || fail "$dir: no stop notice: $(cat "$err")"
    ! grep -qiE "ctrl-c pressed|backtrace|ERROR: AddressSanitizer|runtime error" "$err" ||
        fail "$dir: $(cat "$err")"
    [ "$(summary_value "$dir" interrupted)" = "$sig" ] ||
        fail "$dir: summary.txt does not say interrupted: $sig: $(cat "$dir/summary.txt")"
    local at lo done last
    at=$(summary_value "$dir" interrupted_at_clock)
    lo=$(summary_value "$dir" interrupted_min_clock)
    done=$(summary_value "$dir" iterations_done)
    last=$(tail -1 "$dir/metrics.csv" | cut -d, -f3)
    [ "$done" = "$last" ] || fail "$dir: iterations_done $done, metrics.csv ends at $last"
    # BSP: a worker is at most one clock past another; the evaluation at most one
    # eval_every behind the slowest
    [ "$lo" -le "$at" ] && [ "$at" -le $((lo + 1)) ] && [ "$at" -lt "$iters" ] &&
        [ "$done" -le "$lo" ] && [ "$done" -gt $((lo - 20 - 1)) ] ||
        fail "$dir: clocks min $lo, at $at, evaluated $done out of order"
    for f in "$dir"/*.csv "$dir"/trace/*.csv; do [ -f "$f" ] && whole "$f"; done
    awk -F, -v lo="$lo" -v at="$at" 'NR > 1 && ($2 < lo || $2 > at) { bad = 1 } END { exit bad }' \
        "$dir/workers.csv" || fail "$dir: a worker's iterations are outside $lo..$at"
    [ "$(awk -F, 'NR > 1 { print $2 }' "$dir/workers.csv" | sort -n | head -1)" = "$lo" ] ||
        fail "$dir: no worker stopped at interrupted_min_clock $lo"
    "$PSLAB" check "$dir" > "$TMP/check.out" || fail "$dir: pslab check: $(cat "$TMP/check.out")"
    echo "ok: $dir stopped by $sig at clock $at (slowest $lo, evaluated $done), files whole"
}

# sim, Ctrl-C: in its own process group, signalled as a terminal would
setsid "${DFL[@]}" "$PSLAB" run "$TMP/long.ini" --out "$TMP/sim_int" --trace >/dev/null 2>"$TMP/sim_int.err" &
pid=$!
wait_rows "$TMP/sim_int" 3
kill -INT -- -"$pid"
wait_exit "$pid"
check_stopped "$TMP/sim_int" SIGINT "$RC" "$TMP/sim_int.err"

# sim, SIGTERM with --trace
"${DFL[@]}" "$PSLAB" run "$TMP/long.ini" --out "$TMP/sim_term" --trace >/dev/null 2>"$TMP/sim_term.err" &
pid=$!
wait_rows "$TMP/sim_term" 3
kill -TERM "$pid"
wait_exit "$pid"
check_stopped "$TMP/sim_term" SIGTERM "$RC" "$TMP/sim_term.err"

# real, Ctrl-C reaching every node process of the group
setsid "${DFL[@]}" "$PSLAB" run "$TMP/long.ini" --backend real --out "$TMP/real_int" --trace \
    >/dev/null 2>"$TMP/real_int.err" &
pid=$!
wait_rows "$TMP/real_int" 3
kill -INT -- -"$pid"
wait_exit "$pid"
check_stopped "$TMP/real_int" SIGINT "$RC" "$TMP/real_int.err"
sleep 0.5
! pgrep -g "$pid" >/dev/null || fail "node processes outlived the run: $(pgrep -a -g "$pid")"

# real, SIGTERM to the launcher alone
setsid "${DFL[@]}" "$PSLAB" run "$TMP/long.ini" --backend real --out "$TMP/real_term" --trace \
    >/dev/null 2>"$TMP/real_term.err" &
pid=$!
wait_rows "$TMP/real_term" 3
kill -TERM "$pid"
wait_exit "$pid"
check_stopped "$TMP/real_term" SIGTERM "$RC" "$TMP/real_term.err"
sleep 0.5
! pgrep -g "$pid" >/dev/null || fail "node processes outlived the run: $(pgrep -a -g "$pid")"

# a cluster of `pslab node` processes: SIGTERM to worker 3's node (rank 5) is
# forwarded to the coordinator, and the whole cluster stops
port=$(( 20000 + RANDOM % 20000 ))
"${DFL[@]}" "$PSLAB" node --coordinator 127.0.0.1:$port --rank 0 --nodes 6 "$TMP/long.ini" \
    --out "$TMP/cluster" >/dev/null 2>"$TMP/cluster.err" & p0=$!
pids=()
for r in 1 2 3 4 5; do
    "${DFL[@]}" "$PSLAB" node --coordinator 127.0.0.1:$port --rank $r 2>"$TMP/n$r.err" & pids+=($!)
done
wait_rows "$TMP/cluster" 3
kill -TERM "${pids[4]}"
wait_exit "$p0"
rc0=$RC
for i in 0 1 2 3 4; do
    wait_exit "${pids[$i]}"
    [ "$RC" = 0 ] || fail "node $((i + 1)) exited $RC: $(cat "$TMP/n$((i + 1)).err")"
done
grep -q "pslab: SIGTERM: stopping every worker" "$TMP/cluster.err" ||
    fail "the coordinator was not told of worker 3's SIGTERM: $(cat "$TMP/cluster.err")"
[ "$(summary_value "$TMP/cluster" interrupted)" = SIGTERM ] || fail "cluster summary: $(cat "$TMP/cluster/summary.txt")"
[ "$rc0" = 143 ] || fail "node 0 exited $rc0, expected 143 (SIGTERM stopped the run)"
for f in "$TMP/cluster"/*.csv; do whole "$f"; done
echo "ok: SIGTERM to one worker node of a pslab node cluster stopped the whole cluster cleanly"

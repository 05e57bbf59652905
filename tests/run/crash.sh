#!/usr/bin/env bash
# Injected crashes (fault.crash, fault.restarts): in sim a server or a worker dies
# at a clock, the run stops as its peers would see it gone, and starts again from
# the servers' newest checkpoint fault.recovery_s after the crash: the same model
# as the fault-free run under BSP, the simulated time longer by the recovery and
# the clocks lost, the same files on every run of the same seed. On the real
# backend the node's process kills itself with SIGKILL and the launcher restarts
# the run. Bad crash lists are errors.
source "$(dirname "$0")/common.bash"
small_ini "$TMP/c.ini" 1000 "checkpoint_every = 5" "restarts = 2" "recovery_s = 2.5"
"$PSLAB" run "$TMP/c.ini" --out "$TMP/ref" >/dev/null 2>&1 || fail "the fault-free run failed"
crash() { # NAME CRASHES [ARGS...]
    local name=$1 list=$2
    shift 2
    "$PSLAB" run "$TMP/c.ini" --set fault.crash="$list" "$@" --out "$TMP/$name" >/dev/null \
        2>"$TMP/$name.err" || fail "$name: $(tail -3 "$TMP/$name.err")"
    same_model "$TMP/ref" "$TMP/$name"
}

crash server "server1@212"
grep -q "fault.crash: server1 dies at clock 212" "$TMP/server.err" || fail "server: $(cat "$TMP/server.err")"
[ "$(summary_value "$TMP/server" restarts)" = 1 ] && [ "$(summary_value "$TMP/server" resumed_from_clock)" = 210 ] ||
    fail "server: $(cat "$TMP/server/summary.txt")"
# the run is longer by the recovery and the two clocks lost (from 210 to 212)
awk -v a="$(summary_value "$TMP/ref" sim_time_s)" -v b="$(summary_value "$TMP/server" sim_time_s)" \
    -v n="$(summary_value "$TMP/ref" iterations)" \
    'BEGIN { it = a / n; d = b - a - 2.5; exit !(d > 1.5 * it && d < 2.5 * it) }' ||
    fail "server: simulated $(summary_value "$TMP/server" sim_time_s) s against $(summary_value "$TMP/ref" sim_time_s) s"
awk -F, 'NR > 2 && $1 < t { bad = 1 } { t = $1 } END { exit bad }' "$TMP/server/metrics.csv" ||
    fail "server: metrics.csv's times go back"
echo "ok: server1 crashed at clock 212: resumed from 210 after 2.5 s, the fault-free model"

# at a time of the run: the first clock end from then on, here the reference run's
# time of clock 212
at=$(awk -F, -v n="$(summary_value "$TMP/ref" iterations)" -v t="$(summary_value "$TMP/ref" sim_time_s)" \
    'BEGIN { printf "%.6f", t * 211.5 / n }')
crash timed "server1@${at}s"
grep -q "fault.crash: server1 dies at clock 212" "$TMP/timed.err" || fail "timed: $(cat "$TMP/timed.err")"
echo "ok: server1 crashed at ${at} s: at clock 212, the first it ended from then on, the fault-free model"

crash again "server1@212"
for f in metrics.csv workers.csv summary.txt; do
    cmp -s "$TMP/server/$f" "$TMP/again/$f" || fail "the same crash gives another $f"
done
echo "ok: the same seed and crash give the same files"

crash two "worker3@100, server0@640"
[ "$(summary_value "$TMP/two" restarts)" = 2 ] || fail "two: $(cat "$TMP/two/summary.txt")"
grep -q "worker3 dies at clock 100" "$TMP/two.err" && grep -q "server0 dies at clock 640" "$TMP/two.err" ||
    fail "two: $(cat "$TMP/two.err")"
echo "ok: a worker then a server crash: restarted twice, the fault-free model"

crash early "server1@3" --set fault.checkpoint_every=0
grep -q "no checkpoint yet: the run starts again from the start" "$TMP/early.err" || fail "early: $(cat "$TMP/early.err")"
echo "ok: a crash before any checkpoint: the run starts again from the start"

crash real "worker2@212" --backend real
grep -q "node 4 died of signal 9: restart 1 of 2" "$TMP/real.err" || fail "real: $(cat "$TMP/real.err")"
echo "ok: real: worker2's process killed itself at clock 212, restarted, the fault-free model"

# failures drawn at a rate (per node-hour of simulated time) from the seed
crash rate "" --set fault.rate=1500 --set fault.restarts=30
n=$(summary_value "$TMP/rate" restarts)
[ "${n:-0}" -ge 2 ] && [ "$(grep -c "fault.rate: .* dies at clock" "$TMP/rate.err")" = "$n" ] ||
    fail "rate: $n restarts: $(cat "$TMP/rate.err")"
crash rate2 "" --set fault.rate=1500 --set fault.restarts=30
cmp -s "$TMP/rate/summary.txt" "$TMP/rate2/summary.txt" && cmp -s "$TMP/rate/metrics.csv" "$TMP/rate2/metrics.csv" ||
    fail "the same seed and rate give other files"
"$PSLAB" run "$TMP/c.ini" --set fault.rate=1500 --set fault.restarts=1 --out "$TMP/few" >/dev/null 2>"$TMP/few.err" &&
    fail "more crashes than fault.restarts: the run succeeded"
grep -q "a node crashed (fault.crash) at" "$TMP/few.err" || fail "few: $(cat "$TMP/few.err")"
echo "ok: failures at 1500 per node-hour: $n crashes, restarted each time, the fault-free model, the same files again; too few restarts fail the run"

expect_error "fault.rate needs fault.restarts (one per crash)" \
    "$PSLAB" run "$TMP/c.ini" --set fault.rate=10 --set fault.restarts=0 --out "$TMP/e5"
expect_error "fault.rate and fault.crash are one or the other" \
    "$PSLAB" run "$TMP/c.ini" --set fault.rate=10 --set fault.crash=server1@10 --out "$TMP/e6"
expect_error "fault.crash injects 2 crash(es) to restart from but fault.restarts = 1" \
    "$PSLAB" run "$TMP/c.ini" --set fault.restarts=1 --set fault.crash="server1@10,worker0@20" --out "$TMP/e1"
expect_error "fault.crash: 'worker0@20': crashes at clocks and at times are one or the other" \
    "$PSLAB" run "$TMP/c.ini" --set fault.crash="server1@1.5s,worker0@20" --out "$TMP/e5"
expect_error "fault.crash: 'server1@1.5' is not NODE@CLOCK or NODE@SECONDSs" \
    "$PSLAB" run "$TMP/c.ini" --set fault.crash=server1@1.5 --out "$TMP/e7"
expect_error "fault.crash: 'server1:10' is not NODE@CLOCK" \
    "$PSLAB" run "$TMP/c.ini" --set fault.crash=server1:10 --out "$TMP/e2"
expect_error "fault.crash: worker4 is not a node of the cluster" \
    "$PSLAB" run "$TMP/c.ini" --set fault.crash=worker4@10 --out "$TMP/e3"
expect_error "server0 is node 0 on the real backend, the launcher itself" \
    "$PSLAB" run "$TMP/c.ini" --backend real --set fault.crash=server0@10 --out "$TMP/e4"

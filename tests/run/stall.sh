#!/usr/bin/env bash
# A stalled node (SIGSTOP: alive, its connections open, silent) on the real
# backend: heartbeats on the join connections find it within real.timeout, and it
# counts as failed. Node 0 kills it; fault.restarts then starts the run again from
# the newest checkpoint, which ends with the fault-free model; without restarts the
# run fails naming it. A stalled node 0 fails the other nodes instead of hanging
# them; a whole launch stopped and continued (a terminal's Ctrl-Z, then fg) is no
# stall and goes on.
source "$(dirname "$0")/common.bash"
small_ini "$TMP/r.ini" 1500 "checkpoint_every = 5" "restarts = 2"
"$PSLAB" run "$TMP/r.ini" --out "$TMP/ref" >/dev/null 2>&1 || fail "the fault-free sim run failed"

# start NAME [--set ...]: a real run with real.timeout = 2 in the background ($pid)
start() {
    local name=$1
    shift
    timeout 60 "$PSLAB" run "$TMP/r.ini" --backend real --set real.timeout=2 "$@" \
        --out "$TMP/$name" >/dev/null 2>"$TMP/$name.err" &
    pid=$!
    for _ in $(seq 600); do
        [ -f "$TMP/$name/metrics.csv" ] && [ "$(wc -l < "$TMP/$name/metrics.csv")" -gt 4 ] && break
        sleep 0.05
    done
    launcher=$(ps -o pid= --ppid "$pid" | tr -d ' ') # timeout's child: pslab, node 0
    kids=$(ps -o pid= --ppid "$launcher" | sort -n | tr -d ' ')
    [ -n "$kids" ] || fail "$name: no node processes (did the run end first?)"
}
node() { sed -n "${1}p" <<<"$kids"; }

start worker
kill -STOP "$(node 4)"
rc=0
wait "$pid" || rc=$?
[ $rc = 0 ] || fail "worker: exit $rc: $(tail -4 "$TMP/worker.err")"
grep -q "node 4 sent nothing for .* it is stopped or hung, and counts as failed" "$TMP/worker.err" ||
    fail "worker: $(cat "$TMP/worker.err")"
grep -q "node 4 died of signal 9: restart 1 of 2" "$TMP/worker.err" || fail "worker: $(cat "$TMP/worker.err")"
[ "$(summary_value "$TMP/worker" restarts)" = 1 ] || fail "worker: restarts $(summary_value "$TMP/worker" restarts)"
same_model "$TMP/ref" "$TMP/worker"
echo "ok: a stopped worker counts as failed, is killed, and the restarted run ends with the fault-free model"

start server --set fault.restarts=0
s=$(node 1)
t0=$(date +%s)
kill -STOP "$s"
rc=0
wait "$pid" || rc=$?
[ $rc = 1 ] || fail "server, no restarts: exit $rc: $(tail -4 "$TMP/server.err")"
[ $(( $(date +%s) - t0 )) -lt 30 ] || fail "server: took $(( $(date +%s) - t0 )) s to fail"
grep -q "node 1 sent nothing for" "$TMP/server.err" || fail "server: $(cat "$TMP/server.err")"
! kill -0 "$s" 2>/dev/null || { kill -9 "$s"; fail "server: the stopped node outlived the run"; }
echo "ok: without restarts a stopped server fails the run within seconds, naming node 1, and is gone"

start launcher --set run.iterations=50000 # long enough to need node 0 while it is stopped
kill -STOP "$launcher"
sleep 5
kill -CONT "$launcher"
rc=0
wait "$pid" || rc=$?
[ $rc = 1 ] || fail "stopped node 0: exit $rc: $(tail -4 "$TMP/launcher.err")"
grep -q "node 0 sent nothing for" "$TMP/launcher.err" || fail "launcher: $(cat "$TMP/launcher.err")"
echo "ok: a stopped node 0 fails the other nodes (they name it) instead of hanging them"

start group
kill -STOP "$launcher" $kids
sleep 5
kill -CONT "$launcher" $kids
rc=0
wait "$pid" || rc=$?
[ $rc = 0 ] || fail "stopped group: exit $rc: $(tail -4 "$TMP/group.err")"
! grep -q "sent nothing" "$TMP/group.err" || fail "group: a stall was seen: $(cat "$TMP/group.err")"
same_model "$TMP/ref" "$TMP/group"
echo "ok: every node stopped for 5 s and continued (Ctrl-Z, fg) is no stall: the run ends, the same model"

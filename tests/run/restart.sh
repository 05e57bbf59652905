#!/usr/bin/env bash
# fault.restarts on the real backend: a node process killed with SIGKILL in the
# middle of a local run (a server's, a worker's, one after another) makes the run
# start again on fresh processes from the servers' newest checkpoint, and under BSP
# it ends with exactly the fault-free run's model (against the sim run: the
# backends agree bit for bit), its times counting the work lost. Before the first
# checkpoint it starts again from the start; with fault.restarts = 0 the run fails,
# naming the lost node, as before.
source "$(dirname "$0")/common.bash"
small_ini "$TMP/r.ini" 1500 "checkpoint_every = 5" "restarts = 2"
"$PSLAB" run "$TMP/r.ini" --out "$TMP/ref" >/dev/null 2>&1 || fail "the fault-free run failed"

# kill_node DIR RANK ROWS: once DIR/metrics.csv has ROWS rows, SIGKILLs node RANK
# (the launcher forks nodes 1.. in order) of the run whose launcher is $pid
kill_node() {
    for _ in $(seq 600); do
        [ -f "$1/metrics.csv" ] && [ "$(wc -l < "$1/metrics.csv")" -gt "$3" ] && break
        sleep 0.05
    done
    local kid
    kid=$(ps -o pid= --ppid "$pid" | sort -n | sed -n "${2}p" | tr -d ' ')
    [ -n "$kid" ] || fail "$1: no node $2 to kill (did the run end first?)"
    kill -9 "$kid"
}
# faulted NAME RANK...: a real run with node RANK killed, then the next, each once the
# run (restarted) has 3 more rows; it must end whole, restarted once per kill
faulted() {
    local name=$1 dir="$TMP/$1" rows=3 rc=0 k=0
    shift
    "$PSLAB" run "$TMP/r.ini" --backend real --out "$dir" >/dev/null 2>"$dir.err" &
    pid=$!
    for rank in "$@"; do
        kill_node "$dir" "$rank" $rows
        k=$((k + 1))
        for _ in $(seq 400); do # until the launcher has started the run again
            [ "$(grep -c "died of signal 9: restart" "$dir.err")" = $k ] && break
            sleep 0.05
        done
        rows=$(( $(wc -l < "$dir/metrics.csv") + 3 )) # the resumed run's first rows
    done
    wait "$pid" || rc=$?
    [ $rc = 0 ] || fail "$name: exit $rc: $(tail -4 "$dir.err")"
    [ "$(summary_value "$dir" restarts)" = $# ] ||
        fail "$name: summary says restarts '$(summary_value "$dir" restarts)', expected $#"
    [ "$(grep -c "died of signal 9: restart" "$dir.err")" = $# ] || fail "$name: $(cat "$dir.err")"
    same_model "$TMP/ref" "$dir"
    awk -F, 'NR > 2 && $1 < t { bad = 1 } { t = $1 } END { exit bad }' "$dir/metrics.csv" ||
        fail "$name: metrics.csv's times go back"
    echo "ok: $name: node(s) $* killed, restarted from clock $(summary_value "$dir" resumed_from_clock), the fault-free model"
}
faulted server 1
faulted worker 4
faulted twice 1 3

# before the first checkpoint: from the start
sed 's/^checkpoint_every = 5/checkpoint_every = 0/' "$TMP/r.ini" > "$TMP/nock.ini"
"$PSLAB" run "$TMP/nock.ini" --backend real --out "$TMP/nock" >/dev/null 2>"$TMP/nock.err" &
pid=$!
kill_node "$TMP/nock" 2 3
wait "$pid" || fail "nock: $(tail -3 "$TMP/nock.err")"
grep -q "no checkpoint yet: the run starts again from the start" "$TMP/nock.err" || fail "nock: $(cat "$TMP/nock.err")"
same_model "$TMP/ref" "$TMP/nock"
echo "ok: a node killed before any checkpoint: the run starts again and ends with the same model"

# without restarts: the run fails, naming the node that vanished
sed 's/^restarts = 2/restarts = 0/' "$TMP/r.ini" > "$TMP/none.ini"
"$PSLAB" run "$TMP/none.ini" --backend real --out "$TMP/none" >/dev/null 2>"$TMP/none.err" &
pid=$!
kill_node "$TMP/none" 1 3
rc=0
wait "$pid" || rc=$?
[ $rc = 1 ] || fail "restarts = 0: exit $rc"
grep -q "closed without saying goodbye (did the process die?)" "$TMP/none.err" || fail "none: $(cat "$TMP/none.err")"
! grep -q "restart [0-9]* of" "$TMP/none.err" || fail "restarts = 0 restarted: $(cat "$TMP/none.err")"
# the run's own error names the node killed, not those that failed after it
grep -q "^pslab run: node 1 (server 1) died of signal 9 (Killed) and the run failed with it" \
    "$TMP/none.err" || fail "none: the first node lost is not named: $(grep '^pslab run' "$TMP/none.err")"
echo "ok: with fault.restarts = 0 a killed node fails the run, as before, and the error names it"

#!/usr/bin/env bash
# fault.on_worker_failure: a worker's death under continue (the run goes on with
# the others, the servers counting only them from then on), abort (the run fails
# whatever fault.restarts), in sim (an injected crash) and on the real backend (a
# worker's node killed with SIGKILL, or stopped); a server's death is not a
# worker's.
source "$(dirname "$0")/common.bash"
Q=experiments/quickstart.ini
"$PSLAB" run "$Q" --out "$TMP/ref" >/dev/null 2>&1 || fail "the fault-free run failed"

lost() { # DIR WORKER CLOCK: summary.txt says the run lost that worker at that clock
    [ "$(summary_value "$1" lost_workers)" = 1 ] && [ "$(summary_value "$1" "lost_worker_$2")" = "at clock $3" ] ||
        fail "$1: summary says: $(grep lost "$1/summary.txt" | tr '\n' ' ')"
}
cont=(--set fault.on_worker_failure=continue)
"$PSLAB" run "$Q" "${cont[@]}" --set fault.crash=worker3@100 --out "$TMP/c" >/dev/null 2>"$TMP/c.err" ||
    fail "continue: $(tail -3 "$TMP/c.err")"
grep -q "worker 3 lost (fault.on_worker_failure = continue): the run goes on with 7 workers" "$TMP/c.err" ||
    fail "continue: $(cat "$TMP/c.err")"
lost "$TMP/c" 3 100
[ "$(summary_value "$TMP/c" iterations_done)" = 200 ] || fail "continue: the run stopped at $(summary_value "$TMP/c" iterations_done)"
cmp -s <(awk -F, 'NR == 1 || $3 <= 100' "$TMP/ref/metrics.csv") <(awk -F, 'NR == 1 || $3 <= 100' "$TMP/c/metrics.csv") ||
    fail "continue: the rows up to the loss are not the fault-free run's"
! cmp -s <(awk -F, '$3 > 100' "$TMP/ref/metrics.csv" | cut -d, -f2-) <(awk -F, '$3 > 100' "$TMP/c/metrics.csv" | cut -d, -f2-) ||
    fail "continue: the model after the loss is the fault-free one: the worker's loss changed nothing"
awk -F, '$1 == 3 && $2 != 100 { bad = 1 } $1 != 3 && NR > 1 && $2 != 200 { bad = 1 } END { exit bad }' "$TMP/c/workers.csv" ||
    fail "continue: workers.csv: $(cut -d, -f1,2 "$TMP/c/workers.csv" | tr '\n' ' ')"
"$PSLAB" run "$Q" "${cont[@]}" --set fault.crash=worker3@100 --out "$TMP/c2" >/dev/null 2>&1
cmp -s "$TMP/c/metrics.csv" "$TMP/c2/metrics.csv" || fail "continue: the same crash gave another metrics.csv"
echo "ok: sim, continue: worker 3 lost at clock 100, the run goes on to 200 with 7 workers, the same rows up to 100, the same files again"
for m in ssp asp wsp; do
    "$PSLAB" run "$Q" "${cont[@]}" --set fault.crash=worker5@60 --set policy.consistency=$m --out "$TMP/$m" \
        >/dev/null 2>"$TMP/$m.err" || fail "continue, $m: $(tail -3 "$TMP/$m.err")"
    lost "$TMP/$m" 5 60
done
echo "ok: sim, continue under SSP, ASP and WSP"

# fault.rate under continue: a worker's crash loses it and the draws go on; a
# server's restarts the run (this seed: server 0 first, then workers 7, 1 and 2)
rate=(--set fault.rate=3000 --set fault.restarts=3 --set fault.checkpoint_every=10)
for d in r1 r2; do
    "$PSLAB" run "$Q" "${cont[@]}" "${rate[@]}" --out "$TMP/$d" >/dev/null 2>"$TMP/$d.err" ||
        fail "rate, continue: $(tail -3 "$TMP/$d.err")"
done
[ "$(summary_value "$TMP/r1" restarts)" = 1 ] && [ "$(summary_value "$TMP/r1" lost_workers)" = 3 ] &&
    [ "$(summary_value "$TMP/r1" iterations_done)" = 200 ] || fail "rate, continue: $(cat "$TMP/r1/summary.txt")"
cmp -s "$TMP/r1/metrics.csv" "$TMP/r2/metrics.csv" && cmp -s "$TMP/r1/summary.txt" "$TMP/r2/summary.txt" ||
    fail "rate, continue: the same seed gave other files"
echo "ok: sim, fault.rate under continue: a server's crash restarted the run, 3 workers lost after it, the same files again"

rc=0
"$PSLAB" run "$Q" --set fault.on_worker_failure=abort --set fault.restarts=1 --set fault.checkpoint_every=10 \
    --set fault.crash=worker3@100 --out "$TMP/a" >/dev/null 2>"$TMP/a.err" || rc=$?
[ $rc = 1 ] || fail "abort: exit $rc"
grep -q "a worker's node died, and fault.on_worker_failure = abort: the run fails" "$TMP/a.err" || fail "abort: $(cat "$TMP/a.err")"
! grep -q "restart 1" "$TMP/a.err" || fail "abort restarted: $(cat "$TMP/a.err")"
echo "ok: sim, abort: a worker's crash fails the run, fault.restarts or not"
expect_error "fault.on_worker_failure = continue does not work with a plan of stages yet" \
    "$PSLAB" run experiments/stages_sgd.ini "${cont[@]}" --out "$TMP/bad"
expect_error "fault.on_worker_failure=later: not one of restart, continue, abort" \
    "$PSLAB" run "$Q" --set fault.on_worker_failure=later --out "$TMP/bad"

# real: a worker's node killed, then one stopped; the run ends without it
small_ini "$TMP/r.ini" 1500 "on_worker_failure = continue"
real_loss() { # NAME SIGNAL: a real run whose worker 2 (node 4) gets SIGNAL mid-run
    local name=$1 dir="$TMP/$1"
    timeout 60 "$PSLAB" run "$TMP/r.ini" --backend real --set real.timeout=2 --out "$dir" >/dev/null 2>"$dir.err" &
    local pid=$!
    for _ in $(seq 600); do
        [ -f "$dir/metrics.csv" ] && [ "$(wc -l < "$dir/metrics.csv")" -gt 4 ] && break
        sleep 0.05
    done
    local launcher kid
    launcher=$(ps -o pid= --ppid "$pid" | tr -d ' ')
    kid=$(ps -o pid= --ppid "$launcher" | sort -n | sed -n 4p | tr -d ' ')
    [ -n "$kid" ] || fail "$name: no node 4 (did the run end first?)"
    kill "-$2" "$kid"
    rc=0
    wait "$pid" || rc=$?
    [ $rc = 0 ] || fail "$name: exit $rc: $(tail -4 "$dir.err")"
    [ "$(summary_value "$dir" lost_workers)" = 1 ] && grep -q "^lost_worker_2: at clock [0-9]" "$dir/summary.txt" ||
        fail "$name: $(grep lost "$dir/summary.txt")"
    [ "$(tail -1 "$dir/metrics.csv" | cut -d, -f3)" = 1500 ] || fail "$name: metrics.csv ends at $(tail -1 "$dir/metrics.csv")"
    ! kill -0 "$kid" 2>/dev/null || { kill -9 "$kid"; fail "$name: the lost node outlived the run"; }
    echo "ok: real, continue: worker 2's node ${name}: the run ends at clock 1500 without it ($(summary_value "$dir" lost_worker_2))"
}
real_loss killed KILL
real_loss stopped STOP

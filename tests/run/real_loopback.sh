#!/usr/bin/env bash
# A real run of 4 processes on loopback (2 servers, 2 workers), started the way a
# cluster starts them: one `pslab node` per process, node 0 with the config, the
# others with only the coordinator's address (ranks by --rank, and by the Slurm
# and Open MPI environment variables). The run directory must be complete and
# every process must exit 0. Then the failure paths: an unreachable coordinator
# and a missing node are errors naming the address or rank, within the timeout.
source "$(dirname "$0")/common.bash"
port=$(( 20000 + RANDOM % 20000 ))
cat > "$TMP/four.ini" <<INI
[run]
iterations = 30
eval_every = 10
[cluster]
servers = 2
workers = 2
[data]
features = 2000
train_examples = 4000
test_examples = 1000
[real]
timeout = 20
INI
"$PSLAB" node --coordinator 127.0.0.1:$port --rank 0 --nodes 4 "$TMP/four.ini" --out "$TMP/run" \
    >"$TMP/n0.out" 2>"$TMP/n0.err" & p0=$!
"$PSLAB" node --coordinator 127.0.0.1:$port --rank 1 2>"$TMP/n1.err" & p1=$!
SLURM_PROCID=2 SLURM_NTASKS=4 "$PSLAB" node --coordinator 127.0.0.1:$port 2>"$TMP/n2.err" & p2=$!
OMPI_COMM_WORLD_RANK=3 OMPI_COMM_WORLD_SIZE=4 "$PSLAB" node --coordinator 127.0.0.1:$port \
    2>"$TMP/n3.err" & p3=$!
for i in 0 1 2 3; do
    pid_var=p$i
    wait "${!pid_var}" || fail "node $i exited non-zero: $(cat "$TMP/n$i.err")"
done
[ "$(wc -l < "$TMP/run/metrics.csv")" -eq 5 ] || fail "expected 4 evaluation rows: $(cat "$TMP/run/metrics.csv")"
[ "$(wc -l < "$TMP/run/workers.csv")" -eq 3 ] || fail "expected 2 workers in workers.csv"
grep -qx "iterations_done: 30" "$TMP/run/summary.txt" ||
    fail "summary lacks iterations_done: 30: $(cat "$TMP/run/summary.txt")"
grep -qx "backend: real" "$TMP/run/summary.txt" || fail "summary does not say backend: real"
echo "ok: 4 pslab node processes (ranks from --rank, SLURM_*, OMPI_*) completed a run"

# The same config through the local launcher gives the same model.
"$PSLAB" run "$TMP/four.ini" --backend real --out "$TMP/local" >/dev/null 2>&1 || fail "local real run failed"
cmp <(cut -d, -f2- "$TMP/run/metrics.csv") <(cut -d, -f2- "$TMP/local/metrics.csv") ||
    fail "pslab node and pslab run --backend real disagree"
echo "ok: pslab node and the local launcher agree"

# Nobody listening: the node names the address and gives up within the timeout.
start=$(date +%s)
expect_error "cannot reach the coordinator" \
    "$PSLAB" node --coordinator 127.0.0.1:1 --rank 1 --set real.timeout=1
[ $(( $(date +%s) - start )) -le 5 ] || fail "the unreachable coordinator took too long to report"
expect_error "127.0.0.1:1" "$PSLAB" node --coordinator 127.0.0.1:1 --rank 2 --set real.timeout=1
# the join's bound is real.timeout from the node's own config file, as documented
{ cat tests/expected/golden8.ini; printf '\n[real]\ntimeout = 3\n'; } > "$TMP/t3.ini"
start=$(date +%s)
expect_error "127.0.0.1:1" "$PSLAB" node --coordinator 127.0.0.1:1 --rank 1 "$TMP/t3.ini"
took=$(( $(date +%s) - start ))
[ $took -ge 2 ] && [ $took -le 6 ] || fail "real.timeout = 3 bounded the join at $took s"

# A node that never comes: the coordinator names the missing rank.
expect_error "missing rank(s) 3" "$PSLAB" node --coordinator 127.0.0.1:$((port + 1)) --rank 0 \
    "$TMP/four.ini" --out "$TMP/missing" --set real.timeout=1 &
e0=$!
sleep 0.2
"$PSLAB" node --coordinator 127.0.0.1:$((port + 1)) --rank 1 --set real.timeout=5 >/dev/null 2>&1 &
"$PSLAB" node --coordinator 127.0.0.1:$((port + 1)) --rank 2 --set real.timeout=5 >/dev/null 2>&1 &
wait $e0 || fail "the coordinator did not report the missing node"
wait
# A node the coordinator refuses is told why, not only that the connection closed.
expect_error "missing rank(s) 1, 2, 3" "$PSLAB" node --coordinator 127.0.0.1:$((port + 2)) --rank 0 \
    "$TMP/four.ini" --out "$TMP/refusing" --set real.timeout=3 &
e0=$!
sleep 0.3
expect_error "it refused this node: rank 9 is not in 1..3 (the config has 4 nodes)" \
    "$PSLAB" node --coordinator 127.0.0.1:$((port + 2)) --rank 9 --set real.timeout=5
expect_error "it refused this node: it was started for 5 nodes, the config has 4" \
    env SLURM_PROCID=1 SLURM_NTASKS=5 "$PSLAB" node --coordinator 127.0.0.1:$((port + 2)) \
    --set real.timeout=5
wait $e0 || fail "the refusing coordinator did not report its missing nodes"
expect_error "needs the CONFIG" "$PSLAB" node --coordinator 127.0.0.1:$port --rank 0
expect_error "cannot tell this node's rank" env -u SLURM_PROCID "$PSLAB" node --coordinator 127.0.0.1:$port

#!/usr/bin/env bash
# A pslab node cluster that loses one node mid-run (SIGKILL, as a launcher's task
# is killed): every other node must name that node as the one lost, not a server
# that stopped in the cascade. A failing node tells its peers whom it blames
# (PS_WIRE_ABORT) before its process ends; a worker, then a server, are killed.
source "$(dirname "$0")/common.bash"
cat > "$TMP/five.ini" <<INI
[run]
iterations = 1000000
eval_every = 2000
[cluster]
servers = 2
workers = 3
[data]
features = 20000
train_examples = 20000
test_examples = 1000
[real]
timeout = 20
INI

# kill_one NAME RANK: a 5-node cluster (nodes 0-1 servers, 2-4 workers) whose node
# RANK gets SIGKILL once the run is under way; every other node must fail
kill_one() {
    local name=$1 victim=$2 port=$(( 20000 + RANDOM % 20000 )) r
    local -a pids
    timeout 120 "$PSLAB" node --coordinator 127.0.0.1:$port --rank 0 --nodes 5 "$TMP/five.ini" \
        --out "$TMP/$name" >/dev/null 2>"$TMP/$name.0.err" & pids[0]=$!
    for r in 1 2 3 4; do
        timeout 120 "$PSLAB" node --coordinator 127.0.0.1:$port --rank $r 2>"$TMP/$name.$r.err" &
        pids[r]=$!
    done
    for _ in $(seq 600); do # until a row past the first evaluation: every node is training
        [ -f "$TMP/$name/metrics.csv" ] && [ "$(wc -l < "$TMP/$name/metrics.csv")" -ge 3 ] && break
        sleep 0.1
    done
    [ "$(wc -l < "$TMP/$name/metrics.csv")" -ge 3 ] || fail "$name: the run did not get under way"
    pkill -KILL -P "${pids[victim]}" # the node, the child of its timeout
    for r in 0 1 2 3 4; do
        local rc=0
        wait "${pids[r]}" || rc=$?
        [ "$r" = "$victim" ] && continue
        [ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "$name: node $r exited $rc: $(cat "$TMP/$name.$r.err")"
    done
}

# blames NAME RANK: every survivor's actors report their failure as the loss of
# node RANK, and never as another node's
blames() {
    local name=$1 victim=$2 r
    for r in 0 1 2 3 4; do
        [ "$r" = "$victim" ] && continue
        local err=$TMP/$name.$r.err
        grep -qE "^pslab: (coordinator|server [0-9]+|worker [0-9]+): lost (node $victim,|(to|from) node $victim )" \
            "$err" || fail "$name: node $r does not name node $victim as lost: $(cat "$err")"
        ! grep -E "^pslab: (coordinator|server [0-9]+|worker [0-9]+): lost" "$err" |
            grep -vqE "lost (node $victim,|(to|from) node $victim )" ||
            fail "$name: node $r blames another node than $victim: $(cat "$err")"
    done
}

kill_one worker 3
blames worker 3
echo "ok: worker 1's node (3) killed: every other node names node 3, none the servers that stopped after it"
# the servers' nodes see it themselves; the other workers learn it from a server
grep -q "lost node 3, the first node lost (node [01]," "$TMP/worker.2.err" "$TMP/worker.4.err" ||
    fail "no worker was told of node 3 by a server: $(cat "$TMP"/worker.[24].err)"

kill_one server 1
blames server 1
echo "ok: server 1's node killed: every other node names node 1"
# a failed run writes no summary (none to say failed_workers for a server's death),
# and keeps its rows
[ ! -e "$TMP/server/summary.txt" ] || fail "a failed run wrote summary.txt: $(cat "$TMP/server/summary.txt")"
[ "$(head -1 "$TMP/server/metrics.csv" | cut -d, -f1)" = time_s ] && [ "$(wc -l < "$TMP/server/metrics.csv")" -ge 3 ] ||
    fail "metrics.csv lost its rows: $(cat "$TMP/server/metrics.csv")"
echo "ok: the failed run kept metrics.csv's rows and wrote no summary.txt"

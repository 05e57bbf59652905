#!/usr/bin/env bash
# cluster.workers_per_node: several workers share a node (a host in sim, a process
# with a thread per worker on the real backend). The golden config's 6 workers on
# 2 nodes of 3 train the golden model on both backends (BSP sums in worker order
# wherever the workers run); the platform has servers + ceil(workers / 3) hosts;
# pslab node counts nodes the same way.
source "$(dirname "$0")/common.bash"
"$PSLAB" run tests/expected/golden8.ini --set cluster.workers_per_node=3 --out "$TMP/sim" >/dev/null ||
    fail "sim run with 3 workers per node failed"
[ "$(grep -c '<host ' "$TMP/sim/platform.xml")" -eq 4 ] || fail "expected 2 + 2 hosts"
cmp <(cut -d, -f2- "$TMP/sim/metrics.csv") <(cut -d, -f2- tests/expected/golden8.metrics.csv) ||
    fail "3 workers per node train another model (sim)"
"$PSLAB" run tests/expected/golden8.ini --set cluster.workers_per_node=3 --backend real \
    --out "$TMP/real" >/dev/null 2>"$TMP/real.err" || fail "real run failed: $(cat "$TMP/real.err")"
cmp <(cut -d, -f2- "$TMP/real/metrics.csv") <(cut -d, -f2- tests/expected/golden8.metrics.csv) ||
    fail "3 workers per node train another model (real)"
# nodes.csv: each local node's roles and peak memory
printf 'node,roles,peak_rss_kb\n0,coordinator+server0,\n1,server1,\n2,workers0-2,\n3,workers3-5,\n' > "$TMP/nodes.want"
cmp <(sed 's/,[0-9]*$/,/' "$TMP/real/nodes.csv") "$TMP/nodes.want" || fail "nodes.csv: $(cat "$TMP/real/nodes.csv")"
awk -F, 'NR > 1 && !($3 > 1000) { exit 1 }' "$TMP/real/nodes.csv" || fail "nodes.csv without peak memory: $(cat "$TMP/real/nodes.csv")"
[ ! -e "$TMP/sim/nodes.csv" ] || fail "a sim run wrote nodes.csv"
expect_error "needs servers + workers / workers_per_node = 4" "$PSLAB" node --coordinator 127.0.0.1:1 \
    --rank 0 --nodes 8 tests/expected/golden8.ini --set cluster.workers_per_node=3 --out "$TMP/node"
echo "ok: 6 workers on 2 nodes give the golden model on both backends"

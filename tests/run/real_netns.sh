#!/usr/bin/env bash
# The real backend across real interfaces: three network namespaces ("hosts")
# joined by veth pairs to a bridge in a fourth, addresses 10.77.0.1-3. A cluster
# of 1 server and 2 workers runs one `pslab node` per namespace and must give the
# simulator's model. Needs root (to create namespaces); skipped otherwise.
source "$(dirname "$0")/common.bash"
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null || ! ip netns add "pslab$$probe" 2>/dev/null; then
    echo "skip: creating network namespaces needs root and iproute2"
    exit 77
fi
ip netns del "pslab$$probe"
br="pslab$$br"
hosts=("pslab$$a" "pslab$$b" "pslab$$c")
cleanup() {
    for ns in "${hosts[@]}" "$br"; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT
ip netns add "$br"
ip -n "$br" link add br0 type bridge
ip -n "$br" link set br0 up
for i in 0 1 2; do
    ns=${hosts[$i]}
    ip netns add "$ns"
    ip link add "v$$$i" type veth peer name eth0 netns "$ns"
    ip link set "v$$$i" netns "$br"
    ip -n "$br" link set "v$$$i" master br0 up
    ip -n "$ns" addr add "10.77.0.$((i + 1))/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
done
ip netns exec "${hosts[1]}" ping -c1 -W2 10.77.0.3 >/dev/null 2>&1 ||
    echo "note: ping is unavailable or blocked; relying on pslab's own connections"
cat > "$TMP/three.ini" <<INI
[run]
iterations = 40
eval_every = 10
[cluster]
servers = 1
workers = 2
[data]
features = 3000
train_examples = 4000
test_examples = 1000
[real]
timeout = 20
INI
ip netns exec "${hosts[0]}" "$PSLAB" node --coordinator 10.77.0.1:7100 --rank 0 --nodes 3 \
    "$TMP/three.ini" --out "$TMP/run" >/dev/null 2>"$TMP/n0.err" & p0=$!
ip netns exec "${hosts[1]}" "$PSLAB" node --coordinator 10.77.0.1:7100 --rank 1 2>"$TMP/n1.err" & p1=$!
ip netns exec "${hosts[2]}" "$PSLAB" node --coordinator 10.77.0.1:7100 --rank 2 2>"$TMP/n2.err" & p2=$!
wait $p0 || fail "node 0 failed: $(cat "$TMP"/n*.err)"
wait $p1 || fail "node 1 failed: $(cat "$TMP"/n*.err)"
wait $p2 || fail "node 2 failed: $(cat "$TMP"/n*.err)"
"$PSLAB" run "$TMP/three.ini" --out "$TMP/sim" >/dev/null
cmp <(cut -d, -f2-5 "$TMP/sim/metrics.csv") <(cut -d, -f2-5 "$TMP/run/metrics.csv") ||
    fail "the run across namespaces differs from the simulator's model"
echo "ok: 3 nodes in 3 network namespaces (10.77.0.1-3) gave the simulator's model"

# A peer address that nothing answers: node 2 is told to join a coordinator on a
# host that does not exist on the bridge, and must name it and give up.
start=$(date +%s)
out=$(ip netns exec "${hosts[2]}" "$PSLAB" node --set real.timeout=2 --coordinator 10.77.0.9:7100 --rank 2 2>&1) &&
    fail "joining an absent coordinator succeeded"
grep -q "10.77.0.9:7100" <<<"$out" || fail "the error does not name the address: $out"
[ $(( $(date +%s) - start )) -le 8 ] || fail "the absent coordinator took too long to report"
echo "ok: an absent coordinator is reported by address within the timeout"

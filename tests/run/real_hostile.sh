#!/usr/bin/env bash
# Malformed messages against a live cluster: while a real run is going, strangers
# connect to the coordinator's port and send garbage, a wrong version, an
# oversized length, a truncated message, a message before the handshake and a
# hello with a wrong run token. Each is disconnected with a logged error naming
# the peer and what was wrong; the run itself completes with the same model as
# the same config in the simulator.
source "$(dirname "$0")/common.bash"
cat > "$TMP/long.ini" <<INI
[run]
iterations = 1500
eval_every = 500
[cluster]
servers = 1
workers = 2
[model]
batch = 1000
[data]
features = 1000
train_examples = 20000
test_examples = 500
INI
"$PSLAB" run "$TMP/long.ini" --backend real --out "$TMP/run" >"$TMP/out" 2>"$TMP/err" & run=$!
port=
for _ in $(seq 100); do
    port=$(sed -n 's/.*coordinator listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$TMP/err")
    [ -n "$port" ] && break
    sleep 0.05
done
[ -n "$port" ] || fail "no coordinator port in: $(cat "$TMP/err")"
# Strangers must meet the running cluster, not the join phase (which has its own
# checks, and which a slow build, e.g. under ASan, may still be in): wait for the
# first evaluation row, written once every node has joined.
for _ in $(seq 600); do
    [ "$(wc -l < "$TMP/run/metrics.csv" 2>/dev/null || echo 0)" -ge 2 ] && break
    sleep 0.1
done
[ "$(wc -l < "$TMP/run/metrics.csv" 2>/dev/null || echo 0)" -ge 2 ] ||
    fail "the run wrote no evaluation row: $(cat "$TMP/err")"
send() { # bytes as a printf format
    exec 3<>/dev/tcp/127.0.0.1/$port || fail "cannot connect to the coordinator"
    printf "$1" >&3
    sleep 0.1
    exec 3>&-
}
frame_hello='\xff\xff\xff\xff\x02\x00\x00\x00'
hdr() { # version type payload_len(4 bytes as \x..)
    printf 'PSLB\\x%02x\\x%02x\\x00\\x00\\x05\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00%s' "$1" "$2" "$3"
}
send 'GET / HTTP/1.0\r\n\r\n'
send "$frame_hello$(hdr 9 8 '\x00\x00\x00\x00')"
send "$frame_hello$(hdr 1 8 '\xff\xff\xff\x7f')"
send "$frame_hello$(hdr 1 8 '\x00\x01\x00\x00')ABCDEFGH"
send "\x01\x00\x00\x00\x00\x00\x00\x00$(hdr 1 1 '\x00\x00\x00\x00')"
# a well-formed hello (40 bytes of aux: version 1, rank 1, 0 nodes ...) with token 0
aux='\x01\x00\x00\x00\x01\x00\x00\x00'$(printf '\\x00%.0s' $(seq 32))
send "$frame_hello$(hdr 1 8 '\x28\x00\x00\x00')$aux"
wait $run || fail "the run failed after the hostile connections: $(cat "$TMP/err")"
for want in "unknown frame kind" "version 9, expected 1" "over the limit" \
            "stream ended inside a frame" "expected a handshake first" "wrong run token"; do
    grep -q "closing connection from 127.0.0.1:[0-9]*: .*$want" "$TMP/err" ||
        fail "no log line naming the peer for '$want': $(cat "$TMP/err")"
    echo "ok: disconnected and logged: $want"
done
"$PSLAB" run "$TMP/long.ini" --out "$TMP/sim" >/dev/null
cmp <(cut -d, -f2-5 "$TMP/sim/metrics.csv") <(cut -d, -f2-5 "$TMP/run/metrics.csv") ||
    fail "the attacked run's model differs from the simulator's"
echo "ok: the run completed with the simulator's model"

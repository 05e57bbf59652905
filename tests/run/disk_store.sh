#!/usr/bin/env bash
# server.store = disk: in sim the RocksDB store's blocks and I/O are counted and
# charged to the servers' simulated disks (the model is mem's, the simulated time
# longer, summary.txt says how many bytes, a smaller page cache reads more); on the
# real backend it is RocksDB and trains the same model; a platform whose server
# hosts have no disk is refused, the host named.
source "$(dirname "$0")/common.bash"
G=tests/expected/golden8.ini
same_model() { cmp -s <(cut -d, -f2- "$1/metrics.csv") <(cut -d, -f2- "$2/metrics.csv"); }
"$PSLAB" run $G --out "$TMP/mem" >/dev/null || fail "mem run failed"
"$PSLAB" run $G --set server.store=disk --out "$TMP/disk" >/dev/null || fail "disk run failed"
same_model "$TMP/disk" "$TMP/mem" || fail "the disk store trains another model"
[ "$(summary_value "$TMP/disk" store)" = disk ] || fail "summary.txt does not name the store"
rd=$(summary_value "$TMP/disk" disk_read_bytes); wr=$(summary_value "$TMP/disk" disk_written_bytes)
# the shards fit the page cache, and a block never written is not read
[ "$rd" -eq 0 ] && [ "$wr" -gt 0 ] || fail "disk bytes: read $rd (want 0), written $wr"
# the servers' lines add up to the totals
[ "$(sed -n 's/^disk_server_[0-9]*: read_bytes [0-9]*, written_bytes //p' "$TMP/disk/summary.txt" |
     awk '{ s += $1 } END { printf "%.0f", s }')" = "$wr" ] || fail "disk_server_S lines do not add up to $wr"
[ "$(grep -c '^disk_server_' "$TMP/disk/summary.txt")" = "$(summary_value "$TMP/disk" servers)" ] ||
    fail "not a disk_server_S line per server"
# the busiest server's read and written bytes over the mean
want=$(sed -n 's/^disk_server_[0-9]*: read_bytes \([0-9]*\), written_bytes \([0-9]*\)$/\1 \2/p' "$TMP/disk/summary.txt" |
       awk '{ l = $1 + $2; t += l; if (l > m) m = l; n++ } END { printf "%.4f", m / (t / n) }')
[ "$(summary_value "$TMP/disk" disk_load_max_over_mean)" = "$want" ] ||
    fail "disk_load_max_over_mean is not the busiest server's load over the mean ($want)"
# every block written is 8 + 64 x 4 + 8 bytes (server.block_keys = 64)
[ $((wr % 272)) -eq 0 ] || fail "written bytes $wr are not whole blocks of 272"
# writes go to the page cache: within it they cost no simulated time
[ "$(summary_value "$TMP/disk" sim_time_s)" = "$(summary_value "$TMP/mem" sim_time_s)" ] ||
    fail "writes within the page cache cost simulated time"
[ -z "$(summary_value "$TMP/mem" disk_read_bytes)" ] || fail "a mem run reports disk bytes"
echo "ok: the disk store trains mem's model, $wr bytes written on the simulated disks"

# a page cache smaller than the shards reads more
big=(--set data.features=1000000 --set run.iterations=30 --set server.store=disk)
"$PSLAB" run $G "${big[@]}" --set server.cache=1048576 --out "$TMP/small" >/dev/null || fail "small cache failed"
"$PSLAB" run $G "${big[@]}" --out "$TMP/large" >/dev/null || fail "large cache failed"
small=$(summary_value "$TMP/small" disk_read_bytes); large=$(summary_value "$TMP/large" disk_read_bytes)
[ "$small" -gt "$large" ] && [ "$large" -eq 0 ] || fail "a 1 MiB page cache read $small bytes, a 64 MB one $large"
same_model "$TMP/small" "$TMP/large" || fail "the page cache changed the model"
"$PSLAB" run $G "${big[@]}" --set server.store=mem --out "$TMP/big-mem" >/dev/null || fail "mem failed"
# past 1 MiB dirty, writers wait for the disk; reads of evicted blocks wait too
awk -v d="$(summary_value "$TMP/small" sim_time_s)" -v m="$(summary_value "$TMP/big-mem" sim_time_s)" \
    'BEGIN { exit !(d > m) }' || fail "a disk past its page cache costs no simulated time"
echo "ok: a smaller page cache reads more ($small against $large bytes), and costs time"
# platform.disk_seek: each block read waits 1 ms first; the busier of the 2 servers
# waits at least half of them
"$PSLAB" run $G "${big[@]}" --set server.cache=1048576 --set platform.disk_seek=0.001 \
    --out "$TMP/seek" >/dev/null || fail "seek run failed"
same_model "$TMP/seek" "$TMP/small" || fail "seeks changed the model"
awk -v s="$(summary_value "$TMP/seek" sim_time_s)" -v b="$(summary_value "$TMP/small" sim_time_s)" \
    -v r="$small" 'BEGIN { exit !(s >= b + r / 272 * 0.001 / 2) }' ||
    fail "$((small / 272)) block reads with 1 ms seeks cost too little time"
echo "ok: $((small / 272)) block reads each wait platform.disk_seek"
# an evaluation snapshot is the testbed reading the model: evaluating at every other
# clock or once at the end, training reads and writes the same disk bytes, and takes
# the same simulated time but for the snapshots' messages (within 0.5%, as with mem)
"$PSLAB" run $G "${big[@]}" --set server.cache=1048576 --set platform.disk_seek=0.001 \
    --set run.eval_every=30 --out "$TMP/seek-once" >/dev/null || fail "seek run, one evaluation, failed"
for k in disk_read_bytes disk_written_bytes; do
    [ "$(summary_value "$TMP/seek-once" $k)" = "$(summary_value "$TMP/seek" $k)" ] ||
        fail "evaluating every 2 clocks changed $k: $(summary_value "$TMP/seek" $k), once $(summary_value "$TMP/seek-once" $k)"
done
awk -v a="$(summary_value "$TMP/seek" sim_time_s)" -v b="$(summary_value "$TMP/seek-once" sim_time_s)" \
    'BEGIN { exit !(a >= b && a <= b * 1.005) }' ||
    fail "evaluating every 2 clocks took $(summary_value "$TMP/seek" sim_time_s) s, once $(summary_value "$TMP/seek-once" sim_time_s) s"
[ "$(tail -1 "$TMP/seek-once/metrics.csv" | cut -d, -f2-4)" = "$(tail -1 "$TMP/seek/metrics.csv" | cut -d, -f2-4)" ] ||
    fail "evaluating every 2 clocks changed the model"
echo "ok: evaluations cost training no disk bytes, and no simulated time but their messages"

"$PSLAB" run $G --set server.store=disk --backend real --out "$TMP/real" >/dev/null 2>"$TMP/real.err" ||
    fail "real run with the disk store failed: $(cat "$TMP/real.err")"
same_model "$TMP/real" "$TMP/mem" || fail "RocksDB on the real backend trains another model"
[ -d "$TMP/real/store" ] || fail "the real backend's disk store is not RocksDB under RUN_DIR/store/"
echo "ok: on the real backend the disk store is RocksDB, with the same model"

grep -v '<disk ' "$TMP/mem/platform.xml" > "$TMP/nodisk.xml"
expect_error "platform host host0 (node 0) has no <disk>, which server.store = disk needs" \
    "$PSLAB" run $G --set server.store=disk --set cluster.platform="$TMP/nodisk.xml" --out "$TMP/nd"
"$PSLAB" run $G --set cluster.platform="$TMP/nodisk.xml" --out "$TMP/nd-mem" >/dev/null ||
    fail "a mem run needs no disk"

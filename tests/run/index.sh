#!/usr/bin/env bash
# index.strategy: DRPS's block index, built over the backend before training. The
# run trains the model it trains without an index (BSP), its index.csv is the one
# `pslab index` builds from the same samples in one process, its messages are the
# protocol's count, the disk store lays its blocks out by it, a later run reuses it
# (index.load), the real backend builds the same one, and bad index files are
# refused with their line.
source "$(dirname "$0")/common.bash"
G=tests/expected/golden8.ini
D=(--set server.store=disk)
same_model() { cmp -s <(cut -d, -f2- "$1/metrics.csv") <(cut -d, -f2- "$2/metrics.csv"); }
for s in off none basic ours; do
    "$PSLAB" run $G "${D[@]}" --set index.strategy=$s --out "$TMP/$s" >"$TMP/$s.out" ||
        fail "index.strategy=$s failed"
done
for s in none basic ours; do
    same_model "$TMP/$s" "$TMP/off" || fail "index.strategy=$s trains another model"
    [ "$(summary_value "$TMP/$s" index)" = "$s" ] || fail "summary.txt does not name index $s"
    "$PSLAB" index $G "${D[@]}" --set index.strategy=$s --out "$TMP/direct-$s.csv" >/dev/null ||
        fail "pslab index $s failed"
    cmp -s "$TMP/direct-$s.csv" "$TMP/$s/index.csv" ||
        fail "the $s index built over the backend is not the one built from the same samples"
    # the messages: counts and hot keys (12), per round counts and merges (12), the
    # counts of the round that merged nothing (6), the index to 2 servers and 6 workers
    rounds=$(summary_value "$TMP/$s" index_rounds)
    want=$((12 + 12 * rounds + 6 + 8)); [ $s = none ] && want=$((12 + 8))
    [ "$(summary_value "$TMP/$s" index_messages)" = $want ] ||
        fail "$s: $(summary_value "$TMP/$s" index_messages) index messages, want $want"
    awk -v a="$(summary_value "$TMP/$s" index_time_s)" -v b="$(summary_value "$TMP/$s" train_time_s)" \
        -v t="$(summary_value "$TMP/$s" sim_time_s)" 'BEGIN { exit !(a > 0 && b > 0 && a + b - t < 2e-6 && t - a - b < 2e-6) }' ||
        fail "$s: index_time_s + train_time_s is not sim_time_s"
    grep -q "^pslab: index $s: " "$TMP/$s.out" || fail "$s: no index line with its wall time"
done
[ -z "$(summary_value "$TMP/off" index)" ] && [ ! -e "$TMP/off/index.csv" ] || fail "index off reports one"
hot=$(summary_value "$TMP/ours" index_hot_keys); blocks=$(summary_value "$TMP/ours" index_blocks)
[ "$(summary_value "$TMP/none" index_blocks)" = "$hot" ] && [ "$(summary_value "$TMP/none" index_merges)" = 0 ] ||
    fail "index none: not one block per hot key"
[ "$(summary_value "$TMP/basic" index_merges)" = "$(summary_value "$TMP/basic" index_rounds)" ] ||
    fail "index basic: not one merge a round"
[ "$blocks" -lt "$hot" ] || fail "index ours merged nothing ($blocks blocks of $hot hot keys)"
# DRPS's block cap: hot keys / (2 servers x 6)
[ "$(summary_value "$TMP/ours" index_largest_block)" -le $((hot / 12)) ] || fail "a block over the cap"
[ "$(grep -c '^[0-9]*,[0-9]*$' "$TMP/ours/index.csv")" = "$hot" ] || fail "index.csv lacks hot keys"
# a push's co-accessed keys share blocks: fewer bytes written than a key a block
ow=$(summary_value "$TMP/ours" disk_written_bytes); nw=$(summary_value "$TMP/none" disk_written_bytes)
[ "$ow" -lt "$nw" ] || fail "blocks of the index wrote $ow bytes, a key a block $nw"
echo "ok: none, basic and ours train the same model; $blocks blocks of $hot hot keys; $ow bytes written against $nw"

# each block lives whole on one server, even where the partitioner would scatter its keys
"$PSLAB" run $G "${D[@]}" --set index.strategy=ours --set policy.partitioner=hash --out "$TMP/hash" >/dev/null ||
    fail "hash run failed"
same_model "$TMP/hash" "$TMP/off" || fail "index with hash partitioning trains another model"
sums=$(sed -n 's/^index_server_[0-9]*: keys \([0-9]*\), hot_keys \([0-9]*\), blocks \([0-9]*\)$/\1 \2 \3/p' "$TMP/hash/summary.txt" |
       awk '{ k += $1; h += $2; b += $3; n++ } END { print n, k, h, b }')
[ "$sums" = "2 5001 $hot $blocks" ] ||
    fail "servers, keys, hot keys and blocks over the servers: $sums, want 2 5001 $hot $blocks"
[ "$(grep -c '^index_server_[0-9]*: keys [0-9]*, hot_keys [1-9]' "$TMP/hash/summary.txt")" = 2 ] ||
    fail "hash partitioning put every block on one server"
echo "ok: with hash partitioning the $blocks blocks lie whole on the 2 servers"

# policy.partitioner = drps: the same model; DRPS's Fig. 12 indicators in summary.txt,
# each server's network bytes adding up; range piles the hot blocks (low keys) on
# server 0, drps spreads them by cost
"$PSLAB" run $G "${D[@]}" --set index.strategy=ours --set policy.partitioner=drps --out "$TMP/drps" >/dev/null ||
    fail "drps run failed"
same_model "$TMP/drps" "$TMP/off" || fail "drps trains another model"
for r in ours hash drps; do
    [ "$(sed -n 's/^net_server_[0-9]*: bytes //p' "$TMP/$r/summary.txt" | awk '{ s += $1 } END { printf "%.0f", s }')" = \
      "$(summary_value "$TMP/$r" net_bytes)" ] || fail "$r: net_server_S lines do not add up to net_bytes"
    want=$(sed -n 's/^net_server_[0-9]*: bytes //p' "$TMP/$r/summary.txt" |
           awk '{ t += $1; if ($1 > m) m = $1; n++ } END { printf "%.4f", m / (t / n) }')
    [ "$(summary_value "$TMP/$r" net_load_max_over_mean)" = "$want" ] || fail "$r: net_load_max_over_mean is not $want"
done
[ "$(grep -c '^index_server_[0-9]*: keys [0-9]*, hot_keys [1-9]' "$TMP/drps/summary.txt")" = 2 ] ||
    fail "drps left a server without blocks"
awk -v r="$(summary_value "$TMP/ours" net_load_max_over_mean)" -v d="$(summary_value "$TMP/drps" net_load_max_over_mean)" \
    -v rd="$(summary_value "$TMP/ours" disk_load_max_over_mean)" -v dd="$(summary_value "$TMP/drps" disk_load_max_over_mean)" \
    'BEGIN { exit !(d < r && dd < rd) }' || fail "drps balances the servers no better than range"
echo "ok: drps trains the same model and balances the servers' network and disk better than range"

# the same run again: the same files
"$PSLAB" run $G "${D[@]}" --set index.strategy=ours --out "$TMP/again" >/dev/null || fail "rerun failed"
for f in index.csv metrics.csv summary.txt workers.csv; do
    cmp -s "$TMP/ours/$f" "$TMP/again/$f" || fail "a rerun with an index wrote another $f"
done
# reused: only the index travels (to the 8 actors), the blocks and the model are the same
"$PSLAB" run $G "${D[@]}" --set index.strategy=ours --set index.load="$TMP/ours/index.csv" \
    --out "$TMP/load" >/dev/null || fail "index.load failed"
[ "$(summary_value "$TMP/load" index)" = "ours (loaded)" ] || fail "summary.txt does not say loaded"
[ "$(summary_value "$TMP/load" index_messages)" = 8 ] || fail "a loaded index was built again"
cmp -s "$TMP/load/index.csv" "$TMP/ours/index.csv" || fail "a loaded index changed"
same_model "$TMP/load" "$TMP/off" || fail "a loaded index trains another model"
[ "$(summary_value "$TMP/load" disk_written_bytes)" = "$ow" ] || fail "a loaded index lays blocks out otherwise"
echo "ok: a rerun gives the same files, and index.load reuses the index"

# the real backend builds the same index over its sockets and trains the same model
"$PSLAB" run $G --set index.strategy=ours --backend real --out "$TMP/real" >/dev/null 2>"$TMP/real.err" ||
    fail "real run with an index failed: $(cat "$TMP/real.err")"
cmp -s "$TMP/real/index.csv" "$TMP/ours/index.csv" || fail "the real backend built another index"
same_model "$TMP/real" "$TMP/off" || fail "the real backend with an index trains another model"
# ... and RocksDB keeps each block under one key: the same model, and the stores
# reopen only with the same index
"$PSLAB" run $G "${D[@]}" --set index.strategy=ours --backend real --out "$TMP/real-disk" >/dev/null 2>"$TMP/real.err" ||
    fail "real run with an index and RocksDB failed: $(cat "$TMP/real.err")"
cmp -s "$TMP/real-disk/index.csv" "$TMP/ours/index.csv" || fail "the real backend with RocksDB built another index"
same_model "$TMP/real-disk" "$TMP/off" || fail "RocksDB laid out by the index trains another model"
[ "$(summary_value "$TMP/real-disk" disk_written_bytes)" -gt 0 ] || fail "RocksDB wrote nothing"
echo "ok: the real backend builds the same index, with mem and with RocksDB"

# bad index files: the line and what is wrong
sed '3s/,.*/,99999/' "$TMP/ours/index.csv" >"$TMP/badblock.csv"
expect_error "badblock.csv:3: key" "$PSLAB" run $G --set index.strategy=ours --set index.load="$TMP/badblock.csv" --out "$TMP/x1"
sed '4s/.*/12;3/' "$TMP/ours/index.csv" >"$TMP/syntax.csv"
expect_error 'syntax.csv:4: expected "key,block"' "$PSLAB" run $G --set index.strategy=ours --set index.load="$TMP/syntax.csv" --out "$TMP/x2"
expect_error "an index of 5001 keys, but table" "$PSLAB" run $G --set data.features=6000 --set index.strategy=ours --set index.load="$TMP/ours/index.csv" --out "$TMP/x3"
head -5 "$TMP/ours/index.csv" >"$TMP/short.csv"
expect_error "short.csv: 3 keys listed, the header says $hot" "$PSLAB" run $G --set index.strategy=ours --set index.load="$TMP/short.csv" --out "$TMP/x4"
[ ! -e "$TMP/x1" ] || fail "a run refused its index left its directory"

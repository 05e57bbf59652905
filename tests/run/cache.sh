#!/usr/bin/env bash
# policy.cache, the worker-side parameter cache: under BSP a node's workers share
# fetches in flight and train exactly the golden model, on both backends; under
# SSP chunks are read from the cache within the bound (cache.staleness, checked by
# pslab check from the workers' read traces, and reached); a small cache evicts
# and stays within its bytes; cache.csv adds up to summary.txt; bad keys refused.
source "$(dirname "$0")/common.bash"
G=tests/expected/golden8.ini
golden_model() { cut -d, -f2- "$1/metrics.csv" | cmp - <(cut -d, -f2- tests/expected/golden8.metrics.csv); }
# cache.csv: reads = hits + joins + fetched on every row, node = worker / per_node,
# and the columns sum to summary.txt's totals.
check_cache_csv() {
    local dir=$1 per_node=$2 workers
    workers=$(summary_value "$dir" workers)
    [ "$(head -1 "$dir/cache.csv")" = "worker,node,reads,hits,joins,fetched,bytes_saved,bytes_added,evictions,peak_bytes" ] ||
        fail "$dir/cache.csv header"
    [ "$(($(wc -l <"$dir/cache.csv") - 1))" -eq "$workers" ] || fail "$dir/cache.csv: a row per worker"
    awk -F, -v pn="$per_node" 'NR > 1 && ($3 != $4 + $5 + $6 || $2 != int($1 / pn)) { exit 1 }' \
        "$dir/cache.csv" || fail "$dir/cache.csv: reads != hits + joins + fetched, or a wrong node"
    local col=3 name
    for name in reads hits joins fetched bytes_saved bytes_added evictions; do
        [ "$(awk -F, -v c=$col 'NR > 1 { s += $c } END { printf "%.0f", s }' "$dir/cache.csv")" = \
            "$(summary_value "$dir" "cache_$name")" ] || fail "$dir: cache.csv's $name does not sum to summary.txt's"
        col=$((col + 1))
    done
}

"$PSLAB" run $G --set cluster.workers_per_node=3 --set policy.cache=lru --trace \
    --out "$TMP/bsp" >/dev/null || fail "sim run with a cache failed"
golden_model "$TMP/bsp" || fail "BSP with a cache trains another model (sim)"
joins=$(summary_value "$TMP/bsp" cache_joins)
[ "$joins" -gt 0 ] || fail "no fetch was shared under BSP"
[ "$(summary_value "$TMP/bsp" cache_hits)" -eq 0 ] || fail "BSP read a chunk across clocks"
check_cache_csv "$TMP/bsp" 3
"$PSLAB" check "$TMP/bsp" | grep -q "ok: bsp, .*, $joins chunks read from caches within the bound" ||
    fail "pslab check on the BSP run with a cache: $("$PSLAB" check "$TMP/bsp" 2>&1)"
echo "ok: BSP shares $joins fetches within nodes and trains the golden model"

"$PSLAB" run $G --set cluster.workers_per_node=3 --set policy.cache=lfu --backend real \
    --out "$TMP/real" >/dev/null 2>"$TMP/real.err" || fail "real run with a cache failed: $(cat "$TMP/real.err")"
golden_model "$TMP/real" || fail "BSP with a cache trains another model (real)"
[ "$(summary_value "$TMP/real" cache_joins)" -gt 0 ] || fail "no fetch shared on the real backend"
check_cache_csv "$TMP/real" 3
echo "ok: the same on the real backend, threads of a node sharing fetches"

# SSP(3): reads from the cache, within cache.staleness = 1 and reaching it; the
# model's own bound (3) lets them lag more.
Q=experiments/quickstart.ini
ssp=(--set cluster.workers_per_node=4 --set run.iterations=40 --set policy.consistency=ssp
     --set policy.staleness=3 --set policy.cache=lru --trace)
"$PSLAB" run $Q "${ssp[@]}" --set cache.staleness=1 --out "$TMP/ssp1" >/dev/null || fail "ssp run failed"
"$PSLAB" run $Q "${ssp[@]}" --out "$TMP/ssp3" >/dev/null || fail "ssp run failed"
lag() { awk -F, 'FNR > 1 && $3 - $4 > m { m = $3 - $4 } END { print m + 0 }' "$1"/trace/worker*.reads.csv; }
[ "$(lag "$TMP/ssp1")" -eq 1 ] || fail "with cache.staleness = 1 the reads lag $(lag "$TMP/ssp1") clocks"
[ "$(lag "$TMP/ssp3")" -gt 1 ] || fail "with the model's bound 3 the reads never lag more than 1"
[ "$(summary_value "$TMP/ssp1" cache_hits)" -gt 0 ] || fail "SSP read nothing from the cache"
check_cache_csv "$TMP/ssp1" 4
for d in ssp1 ssp3; do
    "$PSLAB" check "$TMP/$d" >/dev/null 2>&1 || fail "pslab check on $d: $("$PSLAB" check "$TMP/$d" 2>&1 | head -3)"
done
# the checker itself: a read lagging 2 clocks under cache.staleness = 1 is named
f=$(wc -l "$TMP"/ssp1/trace/worker*.reads.csv | sort -n | sed -n 's/^ *[0-9]* //p' | grep -v total | tail -1)
awk -F, 'BEGIN { OFS = "," } FNR == 3 { $4 = $3 - 2 } { print }' "$f" >"$f.new" && mv "$f.new" "$f"
expect_error "at most 1 allowed" "$PSLAB" check "$TMP/ssp1"
echo "ok: SSP reads chunks within cache.staleness, and pslab check holds them to it"

# Read-my-writes: one worker under SSP(3) reads its chunks for up to 3 clocks,
# each with its own pushes written through as the server adds them, so it trains
# exactly the model it trains without a cache.
one=(--set cluster.workers=1 --set run.iterations=60 --set policy.consistency=ssp --set policy.staleness=3)
"$PSLAB" run $Q "${one[@]}" --set policy.cache=lru --out "$TMP/one" >/dev/null || fail "one worker, cache"
"$PSLAB" run $Q "${one[@]}" --out "$TMP/one0" >/dev/null || fail "one worker"
[ "$(summary_value "$TMP/one" cache_hits)" -gt 0 ] || fail "one worker read nothing from its cache"
cmp -s <(cut -d, -f2- "$TMP/one/metrics.csv") <(cut -d, -f2- "$TMP/one0/metrics.csv") ||
    fail "a worker reading its cache does not see its own writes as the server does"
echo "ok: a worker reads its own writes through the cache"

# A cache of 20,000 bytes evicts, and never holds more.
"$PSLAB" run $Q "${ssp[@]}" --set cache.bytes=20000 --out "$TMP/small" >/dev/null || fail "small cache failed"
[ "$(summary_value "$TMP/small" cache_evictions)" -gt 0 ] || fail "a small cache evicted nothing"
[ "$(summary_value "$TMP/small" cache_peak_bytes)" -le 20000 ] || fail "the cache grew past its bytes"
echo "ok: a small cache evicts within its bytes"

# A multi-task run's cache is the cluster's: each task gets it, and trains the
# model it trains without one.
T=experiments/flexps/two_tasks.ini
"$PSLAB" run $T --set cluster.workers_per_node=2 --set policy.cache=lru --out "$TMP/mt" >/dev/null ||
    fail "multi-task run with a cache failed"
"$PSLAB" run $T --set cluster.workers_per_node=2 --out "$TMP/mt0" >/dev/null || fail "multi-task run failed"
for t in lr svm; do
    [ -f "$TMP/mt/$t/cache.csv" ] || fail "task $t has no cache"
    cmp -s <(cut -d, -f2- "$TMP/mt/$t/metrics.csv") <(cut -d, -f2- "$TMP/mt0/$t/metrics.csv") ||
        fail "task $t trains another model with the cluster's cache"
done
[ "$(summary_value "$TMP/mt/lr" cache_joins)" -gt 0 ] || fail "task lr shared no fetch"
echo "ok: each task of a multi-task run gets the cluster's cache"

expect_error "cache.bytes is set but policy.cache is off" "$PSLAB" run $G --set cache.bytes=1M --out "$TMP/e1"
expect_error "cache.staleness = 1 exceeds the bound of policy.consistency = bsp (0)" \
    "$PSLAB" run $G --set policy.cache=lru --set cache.staleness=1 --out "$TMP/e2"
expect_error "policy.cache" "$PSLAB" run $G --set policy.cache=mru --out "$TMP/e3"

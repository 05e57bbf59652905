#!/usr/bin/env bash
# The worker-side parameter cache (policy.cache): what it saves, in sim. For each
# workload (sparse LR: one value a key; MF: 8 values a key), 16 workers on 2 nodes
# of 8 (FlexPS's threads of a machine) under BSP and SSP(3), a run without a cache
# and one with an LRU cache, side by side: the final metric (BSP: the same model),
# simulated time, the bytes every message carried (the backend's count), the reads
# the cache served (hits: from the cache; joins: another worker's fetch) and the
# pull bytes it saved against the push bytes it added.
#   bench/cache.sh [PSLAB] [OUT_DIR]
set -euo pipefail
PSLAB=${1:-build/pslab}
OUT=${2:-$(mktemp -d /tmp/pslab-cache-bench.XXXXXX)}
mkdir -p "$OUT"
common=(--set cluster.servers=2 --set cluster.workers=16 --set cluster.workers_per_node=8)
declare -A extra=([lr]="experiments/quickstart.ini --set run.iterations=100"
                  [mf]="experiments/mf.ini --set run.iterations=300 --set model.lr=0.04")
val() { sed -n "s/^$2: //p" "$1/summary.txt"; }
printf '%-4s %-4s %-5s %-12s %10s %10s %8s %8s %8s %12s %12s\n' model cons cache final sim_time_s \
    MB_sent hits joins fetched saved_bytes added_bytes
for model in lr mf; do
    for cons in bsp ssp; do
        for cache in off lru; do
            d="$OUT/$model-$cons-$cache"
            rm -rf "$d"
            set -- ${extra[$model]}
            args=("$@" "${common[@]}" --set policy.consistency=$cons --set policy.cache=$cache)
            [ "$cons" = ssp ] && args+=(--set policy.staleness=3)
            "$PSLAB" run "${args[@]}" --out "$d" >"$d.log" 2>&1 ||
                { echo "bench/cache.sh: $model $cons $cache failed: $(tail -3 "$d.log")" >&2; exit 1; }
            mb=$(sed -n 's/.* messages (.* per wall second), \([0-9.]*\) MB$/\1/p' "$d.log")
            metric=$(grep -m1 '^final_' "$d/summary.txt" | sed 's/: /=/')
            if [ $cache = off ]; then
                printf '%-4s %-4s %-5s %-12s %10s %10s %8s %8s %8s %12s %12s\n' $model $cons $cache \
                    "${metric#final_}" "$(val "$d" sim_time_s)" "$mb" - - - - -
            else
                printf '%-4s %-4s %-5s %-12s %10s %10s %8s %8s %8s %12s %12s\n' $model $cons $cache \
                    "${metric#final_}" "$(val "$d" sim_time_s)" "$mb" "$(val "$d" cache_hits)" \
                    "$(val "$d" cache_joins)" "$(val "$d" cache_fetched)" \
                    "$(val "$d" cache_bytes_saved)" "$(val "$d" cache_bytes_added)"
            fi
        done
    done
done
echo "runs in $OUT"

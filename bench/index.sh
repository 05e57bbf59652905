#!/usr/bin/env bash
# The block index's build at scale: bench/scale.ini's LR (1M features, CTR-like,
# 5% servers) with server.store = disk and index.strategy, on N simulated hosts in
# scale mode, for a few training iterations. Prints, per size: hot keys, blocks,
# rounds, the build's simulated seconds, messages and bytes, its wall seconds
# (pslab's own line), the whole run's wall and peak memory.
#   bench/index.sh [--strategy ours|basic] [--samples K] [SIZES...]   (default: ours, 1, 100 1000)
# A worker's first round sends every co-accessed pair of hot blocks in its samples,
# so the build grows with workers x samples x (hot keys a batch)^2: index.samples
# is the lever.
set -euo pipefail
cd "$(dirname "$0")/.."
strategy=ours samples=1
while [ $# -gt 0 ]; do
    case "$1" in
        --strategy) strategy=${2:?}; shift 2 ;;
        --samples) samples=${2:?}; shift 2 ;;
        *) break ;;
    esac
done
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(100 1000)
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j"$(nproc)" --target pslab >/dev/null
tmp=$(mktemp -d /tmp/pslab-bench.XXXXXX); trap 'rm -rf "$tmp"' EXIT
printf '%-6s %6s %7s %7s %6s %7s %11s %9s %12s %12s %8s %8s\n' strategy hosts samples hot blocks rounds index_sim_s messages bytes index_wall_s wall_s peak_MB
for n in "${sizes[@]}"; do
    s=$(( (n * 5 + 99) / 100 )); w=$((n - s))
    /usr/bin/time -f '%e %M' -o "$tmp/time" build-bench/pslab run bench/scale.ini --set run.iterations=5 \
        --set cluster.servers=$s --set cluster.workers=$w --set server.store=disk \
        --set index.strategy="$strategy" --set index.samples="$samples" --out "$tmp/run-$n" >"$tmp/out" 2>&1 ||
        { echo "bench: $n hosts failed: $(tail -3 "$tmp/out")" >&2; exit 1; }
    v() { sed -n "s/^$1: //p" "$tmp/run-$n/summary.txt"; }
    iw=$(sed -n 's/^pslab: index .* s (backend), \([0-9.]*\) s wall$/\1/p' "$tmp/out")
    read -r wall kb < "$tmp/time"
    printf '%-6s %6d %7d %7s %6s %7s %11s %9s %12s %12s %8s %8d\n' "$strategy" "$n" "$samples" \
        "$(v index_hot_keys)" "$(v index_blocks)" "$(v index_rounds)" "$(v index_time_s)" \
        "$(v index_messages)" "$(v index_bytes)" "$iw" "$wall" $((kb / 1024))
done

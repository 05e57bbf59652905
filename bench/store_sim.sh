#!/usr/bin/env bash
# The disk store in sim (server.store = disk): its wall cost against mem's, and
# the many-host scale benchmark with it. Part 1 runs experiments/quickstart.ini
# (10 nodes) with mem and with disk, alternating, K times each (the VM's speed
# drifts: medians side by side), and once with rocksdb (real RocksDB under the
# simulator) for reference; the target is disk's median within 1.5x of mem's.
# Part 2 (--scale N) runs bench/scale.ini (LR, 5% servers, 1M features, 100
# iterations, scale mode) on N hosts with the disk store, once, and prints wall,
# peak memory, simulated time and the disk bytes; the target at 1,000 hosts is 5
# minutes.
#   bench/store_sim.sh [--repeat K] [--scale N]
set -euo pipefail
cd "$(dirname "$0")/.."
repeat=5 scale=0
while [ $# -gt 0 ]; do
    case "$1" in
        --repeat) repeat=${2:?}; shift 2 ;;
        --scale) scale=${2:?}; shift 2 ;;
        *) echo "usage: bench/store_sim.sh [--repeat K] [--scale N]" >&2; exit 2 ;;
    esac
done
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j"$(nproc)" --target pslab >/dev/null
tmp=$(mktemp -d /tmp/pslab-store-bench.XXXXXX); trap 'rm -rf "$tmp"' EXIT
median() {
    printf '%s\n' "$@" | sort -g |
        awk '{ v[NR] = $1 } END { m = int((NR + 1) / 2); print (NR % 2 ? v[m] : (v[m] + v[m + 1]) / 2) }'
}
# timed STORE N [SETS...]: one run; prints "wall peak_MB sim_s"
timed() {
    local store=$1 n=$2; shift 2
    /usr/bin/time -f "%e %M" -o "$tmp/time" build-bench/pslab run "$@" --set server.store="$store" \
        --out "$tmp/$store-$n" >"$tmp/out" 2>"$tmp/err" || { echo "bench: $store failed:"; cat "$tmp/err"; exit 1; }
    read -r wall rss < "$tmp/time"
    echo "$wall $((rss / 1024)) $(sed -n 's/^sim_time_s: //p' "$tmp/$store-$n/summary.txt")"
}
if [ "$scale" = 0 ]; then
    mem=() disk=()
    printf '%-8s %4s %8s %8s %10s\n' store run wall_s peak_MB sim_s
    for ((i = 1; i <= repeat; i++)); do
        for st in mem disk; do
            read -r w p s < <(timed $st $i experiments/quickstart.ini)
            printf '%-8s %4d %8s %8s %10s\n' $st $i "$w" "$p" "$s"
            [ $st = mem ] && mem+=("$w") || disk+=("$w")
            rm -rf "$tmp/$st-$i"
        done
    done
    read -r w p s < <(timed rocksdb 1 experiments/quickstart.ini)
    printf '%-8s %4d %8s %8s %10s\n' rocksdb 1 "$w" "$p" "$s"
    m=$(median "${mem[@]}") d=$(median "${disk[@]}")
    echo "median wall: mem $m s, disk $d s, ratio $(awk -v a="$d" -v b="$m" 'BEGIN { printf "%.2f", a / b }') (target <= 1.5); rocksdb $w s"
else
    s=$(( (scale * 5 + 99) / 100 )); wk=$((scale - s))
    read -r w p sim < <(timed disk "$scale" bench/scale.ini --set cluster.servers=$s --set cluster.workers=$wk)
    d=$tmp/disk-$scale
    echo "disk store, $scale hosts ($s servers, $wk workers), 100 iterations: wall $w s (target at 1,000 hosts: 300), peak $p MB, sim $sim s, read $(sed -n 's/^disk_read_bytes: //p' "$d/summary.txt") B, written $(sed -n 's/^disk_written_bytes: //p' "$d/summary.txt") B"
fi

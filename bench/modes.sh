#!/usr/bin/env bash
# Compares the send modes of bench/raw_simgrid_ps.c (see its enum send_mode) at 100,
# 300 and 1000 hosts (5% servers), printing messages per wall second; the best of
# REPS runs is kept, since this 2-core VM is noisy.
#   bench/modes.sh [BUILD_DIR] [REPS] [extra raw_simgrid_ps arguments: --cfg=...,
#                  --flops-spread X, --size BYTES]
# ITERS_100, ITERS_300, ITERS_1000, MODES and BACKBONE (backbone bandwidth, see
# bench/gen_platform.sh) override the defaults below.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-sim}; reps=${2:-1}; shift $(( $# < 2 ? $# : 2 ))
modes=${MODES:-"detached perm async-test async-waitany async-rdv postman"}
declare -A iters=([100]=${ITERS_100:-10} [300]=${ITERS_300:-10} [1000]=${ITERS_1000:-5})
tmp=$(mktemp -d /tmp/pslab-modes.XXXXXX); trap 'rm -rf "$tmp"' EXIT
printf '%-14s %6s %6s %10s %10s %9s %12s\n' mode hosts iters messages sim_s wall_s msgs_per_s
for n in 100 300 1000; do
    bench/gen_platform.sh "$n" "$tmp/p$n.xml" "${BACKBONE:-1.25GBps}"
    s=$(( (n * 5 + 99) / 100 )); w=$((n - s))
    for m in $modes; do
        best=""
        for ((r = 0; r < reps; r++)); do
            line=$("$build"/bench/raw_simgrid_ps "$tmp/p$n.xml" "$s" "$w" "${iters[$n]}" --mode "$m" "$@" 2>/dev/null)
            rate=$(awk '{ for (i = 1; i < NF; i++) if ($i == "msgs_per_s") print $(i + 1) }' <<<"$line")
            if [ -z "$best" ] || [ "${rate%.*}" -gt "${best%.*}" ]; then best=$rate; bestline=$line; fi
        done
        awk -v m="$m" -v n="$n" '{ for (i = 1; i < NF; i++) v[$i] = $(i + 1)
            printf "%-14s %6d %6d %10d %10.4f %9.2f %12.0f\n", m, n, v["iterations"], v["messages"], v["sim_s"], v["wall_s"], v["msgs_per_s"] }' <<<"$bestline"
    done
done

#!/usr/bin/env bash
# Stage transition cost: a two-stage LR task (BSP, all workers in stage 1, half of
# them in stage 2) at several cluster sizes, on the simulator and on the real
# backend (local processes on 127.0.0.1), printing each run's transition as
# summary.txt reports it: the longest any server took from the end of stage 1 (its
# last clock completed there) to its first served pull of stage 2. FlexPS
# measured 0.014 s at 20 processes x 10 worker threads (exp/stage_transition).
#   bench/stage_transition.sh [--repeat K] [--wpn W] [SIM_SIZES...] [-- REAL_SIZES...]
# Defaults: sim 20 100 300 1000 hosts, real 8 20 nodes; 5% servers (at least 1);
# --wpn W puts W workers on each worker node (FlexPS: 20 processes x 10 threads is
# --wpn 10 -- 20).
set -euo pipefail
cd "$(dirname "$0")/.."
repeat=1 wpn=1
if [ "${1:-}" = "--repeat" ]; then repeat=${2:?--repeat needs a count}; shift 2; fi
if [ "${1:-}" = "--wpn" ]; then wpn=${2:?--wpn needs a count}; shift 2; fi
sim=() real=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do sim+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
real=("$@")
[ ${#sim[@]} -gt 0 ] || sim=(20 100 300 1000)
[ ${#real[@]} -gt 0 ] || real=(8 20)
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j"$(nproc)" --target pslab >/dev/null
tmp=$(mktemp -d /tmp/pslab-transition.XXXXXX); trap 'rm -rf "$tmp"' EXIT
task=experiments/flexps/transition_task.ini
printf '%-5s %6s %7s %7s %14s %14s %9s\n' backend nodes servers workers transition_s stage1_end_s wall_s
# (workers: the cluster's, workers_per_node to a node)
run_one() { # BACKEND NODES
    local n=$2 s w rep
    s=$(( (n * 5 + 99) / 100 )); w=$(( (n - s) * wpn ))
    for ((rep = 1; rep <= repeat; rep++)); do
        rm -rf "$tmp/run"
        local t0 t1
        t0=$(date +%s.%N)
        build-bench/pslab run "$task" --backend "$1" --set cluster.servers=$s \
            --set cluster.workers=$w --set cluster.workers_per_node=$wpn \
            --set stage.2.workers=$(( (w + 1) / 2 )) \
            --set real.timeout=60 --out "$tmp/run" >/dev/null 2>"$tmp/err" ||
            { echo "bench: $1 at $n nodes failed:"; cat "$tmp/err"; exit 1; }
        t1=$(date +%s.%N)
        local line trans end
        line=$(grep '^stage_2:' "$tmp/run/summary.txt")
        trans=$(sed -n 's/.*transition_s \([0-9.e+-]*\).*/\1/p' <<<"$line")
        end=$(grep '^stage_1:' "$tmp/run/summary.txt" | sed -n 's/.*end_s \([0-9.]*\).*/\1/p')
        printf '%-7s %6d %7d %7d %14s %14s %9.2f\n' "$1" "$n" "$s" "$w" "$trans" "$end" \
            "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
    done
}
for n in "${sim[@]}"; do run_one sim "$n"; done
for n in "${real[@]}"; do run_one real "$n"; done

#!/usr/bin/env bash
# Scaling benchmark: sparse LR under BSP on 100, 300 and 1000 simulated hosts
# (5% servers), printing wall seconds, peak memory, messages simulated and
# messages per wall second, for pslab and for bench/raw_simgrid_ps.c (a minimal
# raw-SimGrid program with the same message pattern), and the ratio of their
# wall cost per message.   bench/scale.sh [--full] [--repeat K] [ITERATIONS] [SIZES...]
# --repeat K runs each pair K times, alternating, and takes the ratio of the median
# walls: on a shared VM the machine's speed drifts over minutes, and one pair of
# long runs can differ by tens of percent from the next.
# The pslab run records its pattern (PSLAB_SIM_PATTERN: every message's size and
# every worker's flops, in order; the cost of recording is counted against pslab)
# and raw_simgrid_ps --pattern replays it exactly, so both programs move the same
# messages between the same actors, of the same sizes, with the same computations
# in between: their simulated times agree to a few parts per 10^4.
# By default both programs run in scale mode (platform.worker_links = 0, SimGrid
# precision 10 us; see README "Scale"); --full keeps every host's link, the
# backbone and exact event times.
set -euo pipefail
cd "$(dirname "$0")/.."
full=0 repeat=1
while [ $# -gt 0 ]; do
    case "$1" in
        --full) full=1; shift ;;
        --repeat) repeat=${2:?--repeat needs a count}; shift 2 ;;
        *) break ;;
    esac
done
case "$repeat" in ''|*[!0-9]*|0) echo "bench: --repeat wants a positive count, not '$repeat'" >&2; exit 2 ;; esac
iters=${1:-100}; shift || true
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(100 300 1000)
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j"$(nproc)" --target pslab raw_simgrid_ps >/dev/null
tmp=$(mktemp -d /tmp/pslab-bench.XXXXXX); trap 'rm -rf "$tmp"' EXIT

# measure LABEL CMD...: runs CMD under /usr/bin/time, sets wall, rss_mb, out
measure() {
    local label=$1; shift
    /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" > "$tmp/out" 2> "$tmp/err" || {
        echo "bench: $label failed:"; cat "$tmp/err"; exit 1; }
    read -r wall rss_kb < "$tmp/time"
    rss_mb=$((rss_kb / 1024))
}

# median X...: the middle value (the mean of the two middle ones of an even count)
median() {
    printf '%s\n' "$@" | sort -g |
        awk '{ v[NR] = $1 } END { m = int((NR + 1) / 2); print (NR % 2 ? v[m] : (v[m] + v[m + 1]) / 2) }'
}

printf '%-8s %6s %6s %6s %9s %9s %12s %12s %12s %10s\n' what hosts servers workers wall_s peak_MB messages msgs_per_s us_per_msg sim_s
for n in "${sizes[@]}"; do
    s=$(( (n * 5 + 99) / 100 )); w=$((n - s))
    if [ $full = 1 ]; then
        modeset=(--set platform.worker_links=1 --set platform.precision=1n); linked=0; prec=1e-9
    else
        modeset=(); linked=$s; prec=1e-5
    fi
    build-bench/pslab platform --hosts "$n" --linked-hosts "$linked" -o "$tmp/platform-$n.xml" >/dev/null
    p_walls=() r_walls=()
    for ((rep = 1; rep <= repeat; rep++)); do
        PSLAB_SIM_PATTERN="$tmp/pattern-$n" measure pslab build-bench/pslab run bench/scale.ini \
            --set run.iterations="$iters" --set cluster.servers="$s" --set cluster.workers="$w" \
            "${modeset[@]}" --out "$tmp/run-$n"
        msgs=$(sed -n 's/.* \([0-9]*\) messages .*/\1/p' "$tmp/out")
        sim_s=$(sed -n 's/^sim_time_s: //p' "$tmp/run-$n/summary.txt")
        rm -rf "$tmp/run-$n"
        e_us=$(awk -v t="$wall" -v m="$msgs" 'BEGIN { printf "%.2f", t / m * 1e6 }')
        p_walls+=("$wall")
        printf '%-8s %6d %6d %6d %9.2f %9d %12d %12.0f %12s %10.6f\n' pslab "$n" "$s" "$w" "$wall" "$rss_mb" \
            "$msgs" "$(awk -v t="$wall" -v m="$msgs" 'BEGIN { print m / t }')" "$e_us" "$sim_s"
        measure raw build-bench/bench/raw_simgrid_ps "$tmp/platform-$n.xml" "$s" "$w" "$iters" \
            --pattern "$tmp/pattern-$n" --cfg=network/crosstraffic:0 --cfg=surf/precision:$prec
        rm -f "$tmp/pattern-$n"
        grep 'raw_simgrid_ps:' "$tmp/err" || true
        rmsgs=$(awk '{ for (i = 1; i < NF; i++) if ($i == "messages") print $(i + 1) }' "$tmp/out")
        r_us=$(awk -v t="$wall" -v m="$rmsgs" 'BEGIN { printf "%.2f", t / m * 1e6 }')
        rsim=$(awk '{ for (i = 1; i < NF; i++) if ($i == "sim_s") print $(i + 1) }' "$tmp/out")
        r_walls+=("$wall")
        printf '%-8s %6d %6d %6d %9.2f %9d %12d %12.0f %12s %10.6f\n' raw "$n" "$s" "$w" "$wall" "$rss_mb" \
            "$rmsgs" "$(awk -v t="$wall" -v m="$rmsgs" 'BEGIN { print m / t }')" "$r_us" "$rsim"
    done
    pm=$(median "${p_walls[@]}") rm_=$(median "${r_walls[@]}")
    echo "ratio   hosts=$n  pslab/raw wall cost per message: $(awk -v a="$pm" -v b="$rm_" -v m="$msgs" -v r="$rmsgs" 'BEGIN { printf "%.3f", (a / m) / (b / r) }')  (median walls of $repeat: pslab $pm s, raw $rm_ s; target <= 1.25)"
done

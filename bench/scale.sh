#!/usr/bin/env bash
# Scaling benchmark: sparse LR under BSP on 100, 300 and 1000 simulated hosts
# (5% servers), printing wall seconds, peak memory, messages simulated and
# messages per wall second, for pslab and for bench/raw_simgrid_ps.c (a minimal
# raw-SimGrid program with the same message pattern), and the ratio of their
# wall cost per message; setup_s is the part of the wall outside the SimGrid run.
#   bench/scale.sh [--full] [--mf] [--platform cluster|fattree] [--repeat K] [ITERATIONS] [SIZES...]
# --repeat K runs each pair K times, alternating, and takes the ratio of the median
# walls: on a shared VM the machine's speed drifts over minutes, and one pair of
# long runs can differ by tens of percent from the next.
# A first pslab run records its pattern (PSLAB_SIM_PATTERN: every message's size and
# every worker's flops, in order; printed as "pslab+rec", not in the ratio) and
# raw_simgrid_ps --pattern replays it exactly, so both programs move the same
# messages between the same actors, of the same sizes, with the same computations
# in between: their simulated times agree to a few parts per 10^4. The timed pslab
# runs record nothing, as a user's runs do, and must give the same simulated time.
# The ratio is of wall seconds; the one of CPU seconds (user + system) is printed
# beside it, since a VM's stolen time inflates walls but not CPU time.
# By default both programs run in scale mode (platform.worker_links = 0, SimGrid
# precision 10 us; see README "Scale"); --full keeps every host's link, the
# backbone and exact event times. --mf runs bench/scale_mf.ini instead: matrix
# factorisation, rank 16, a million users and 100,000 items, power-law ratings.
# --platform cluster|fattree runs both programs on one of SimGrid's own standard
# platforms instead (bench/gen_standard_platform.sh: a <cluster> with a shared
# backbone, or a two-level fat tree), every host linked; with --full, at exact
# event times, else merged within 10 us.
set -euo pipefail
cd "$(dirname "$0")/.."
full=0 repeat=1 config=bench/scale.ini standard=
while [ $# -gt 0 ]; do
    case "$1" in
        --full) full=1; shift ;;
        --mf) config=bench/scale_mf.ini; shift ;;
        --repeat) repeat=${2:?--repeat needs a count}; shift 2 ;;
        --platform) standard=${2:?--platform needs cluster or fattree}; shift 2 ;;
        *) break ;;
    esac
done
case "$repeat" in ''|*[!0-9]*|0) echo "bench: --repeat wants a positive count, not '$repeat'" >&2; exit 2 ;; esac
iters=${1:-100}; shift || true
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(100 300 1000)
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j"$(nproc)" --target pslab raw_simgrid_ps >/dev/null
tmp=$(mktemp -d /tmp/pslab-bench.XXXXXX); trap 'rm -rf "$tmp"' EXIT

# measure LABEL CMD...: runs CMD under /usr/bin/time, sets wall, cpu, rss_mb, out
measure() {
    local label=$1; shift
    /usr/bin/time -f "%e %M %U %S" -o "$tmp/time" "$@" > "$tmp/out" 2> "$tmp/err" || {
        echo "bench: $label failed:"; cat "$tmp/err"; exit 1; }
    local user sys
    read -r wall rss_kb user sys < "$tmp/time"
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    rss_mb=$((rss_kb / 1024))
}

# median X...: the middle value (the mean of the two middle ones of an even count)
median() {
    printf '%s\n' "$@" | sort -g |
        awk '{ v[NR] = $1 } END { m = int((NR + 1) / 2); print (NR % 2 ? v[m] : (v[m] + v[m + 1]) / 2) }'
}

printf '%-9s %6s %6s %6s %9s %8s %8s %9s %12s %12s %12s %10s\n' what hosts servers workers wall_s setup_s cpu_s peak_MB messages msgs_per_s us_per_msg sim_s
# row LABEL HOSTS SERVERS WORKERS MESSAGES SIM_S: one line of the table, from measure's figures
row() {
    printf '%-9s %6d %6d %6d %9.2f %8.2f %8.2f %9d %12d %12.0f %12s %10.6f\n' "$1" "$2" "$3" "$4" "$wall" "$setup" "$cpu" \
        "$rss_mb" "$5" "$(awk -v t="$wall" -v m="$5" 'BEGIN { print m / t }')" \
        "$(awk -v t="$wall" -v m="$5" 'BEGIN { printf "%.2f", t / m * 1e6 }')" "$6"
}
# pslab_sim: sets msgs and sim_s from the pslab run just measured, and removes it
pslab_sim() {
    msgs=$(sed -n 's/.* \([0-9]*\) messages .*/\1/p' "$tmp/out")
    setup_from "$(sed -n 's/^pslab: wall \([0-9.]*\) s.*/\1/p' "$tmp/out")"
    sim_s=$(sed -n 's/^sim_time_s: //p' "$tmp/run-$n/summary.txt")
    rm -rf "$tmp/run-$n"
}
# setup_from SIM_WALL: setup = the whole run's wall (measure's) less its simulation's
# (what the program reports for its SimGrid run); data made by actors at time 0 counts
# as simulation.
setup_from() { setup=$(awk -v t="$wall" -v s="${1:-0}" 'BEGIN { printf "%.2f", t - s }'); }
# per_msg_ratio PSLAB_SECONDS RAW_SECONDS: pslab's cost per message over raw's
per_msg_ratio() { awk -v a="$1" -v b="$2" -v m="$msgs" -v r="$rmsgs" 'BEGIN { printf "%.3f", (a / m) / (b / r) }'; }
for n in "${sizes[@]}"; do
    s=$(( (n * 5 + 99) / 100 )); w=$((n - s))
    if [ $full = 1 ]; then
        modeset=(--set platform.worker_links=1 --set platform.precision=1n); linked=0; prec=1e-9
    else
        modeset=(); linked=$s; prec=1e-5
    fi
    if [ -n "$standard" ]; then
        bench/gen_standard_platform.sh "$standard" "$n" "$tmp/platform-$n.xml"
        modeset=(--set cluster.platform="$tmp/platform-$n.xml" --set platform.precision="$prec")
    else
        build-bench/pslab platform --hosts "$n" --linked-hosts "$linked" -o "$tmp/platform-$n.xml" >/dev/null
    fi
    pslab_run=(build-bench/pslab run "$config" --set run.iterations="$iters" --set cluster.servers="$s"
               --set cluster.workers="$w" "${modeset[@]}" --out "$tmp/run-$n")
    PSLAB_SIM_PATTERN="$tmp/pattern-$n" measure pslab+rec "${pslab_run[@]}"
    pslab_sim
    rec_sim=$sim_s
    row pslab+rec "$n" "$s" "$w" "$msgs" "$sim_s"
    p_walls=() r_walls=() p_cpus=() r_cpus=()
    for ((rep = 1; rep <= repeat; rep++)); do
        measure pslab "${pslab_run[@]}"
        pslab_sim
        if [ "$sim_s" != "$rec_sim" ]; then
            echo "bench: pslab's simulated time changed between runs ($rec_sim, then $sim_s)" >&2; exit 1
        fi
        p_walls+=("$wall") p_cpus+=("$cpu")
        row pslab "$n" "$s" "$w" "$msgs" "$sim_s"
        measure raw build-bench/bench/raw_simgrid_ps "$tmp/platform-$n.xml" "$s" "$w" "$iters" \
            --pattern "$tmp/pattern-$n" --cfg=network/crosstraffic:0 --cfg=surf/precision:$prec
        grep 'raw_simgrid_ps:' "$tmp/err" || true
        rmsgs=$(awk '{ for (i = 1; i < NF; i++) if ($i == "messages") print $(i + 1) }' "$tmp/out")
        rsim=$(awk '{ for (i = 1; i < NF; i++) if ($i == "sim_s") print $(i + 1) }' "$tmp/out")
        setup_from "$(awk '{ for (i = 1; i < NF; i++) if ($i == "wall_s") print $(i + 1) }' "$tmp/out")"
        r_walls+=("$wall") r_cpus+=("$cpu")
        row raw "$n" "$s" "$w" "$rmsgs" "$rsim"
    done
    rm -f "$tmp/pattern-$n"
    pm=$(median "${p_walls[@]}") rm_=$(median "${r_walls[@]}")
    pc=$(median "${p_cpus[@]}") rc=$(median "${r_cpus[@]}")
    echo "ratio     hosts=$n  pslab/raw wall cost per message: $(per_msg_ratio "$pm" "$rm_")  (median walls of $repeat: pslab $pm s, raw $rm_ s; target <= 1.25)  cpu: $(per_msg_ratio "$pc" "$rc")"
done

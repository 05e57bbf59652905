#!/usr/bin/env bash
# FlexPS experiment 5: the cost of a stage transition against the cluster's size.
# A two-stage LR task (BSP; all workers, then half) on the simulator at growing
# sizes and on the real backend with local processes of 10 worker threads each
# (FlexPS's layout: 20 processes x 10 threads); the transition is summary.txt's:
# the longest any server took from the first stage's end to its first served
# pull of the second, scheduling included: the task runs under a scheduler
# (policy.scheduler = greedy, as the one task of a [task.1] run), whose grant of
# the second stage reaches the servers and workers over the network. Writes OUT/transition.csv, OUT/transition.png and .svg, and
# prints one REPORT.md row.   experiments/flexps/transition.sh PSLAB OUT [--quick]
set -euo pipefail
pslab=${1:?usage: transition.sh PSLAB OUT [--quick]}; out=${2:?}; quick=${3:-}
mkdir -p "$out"
if [ "$quick" = --quick ]; then sim=(20 100); real=(4 8); else sim=(20 100 300 1000); real=(4 8 20); fi
task="$(dirname "$0")/transition_task.ini"
echo "backend,nodes,workers_per_node,workers,transition_s" > "$out/transition.csv"
point() { # BACKEND NODES WORKERS_PER_NODE
    local s=$(( ($2 * 5 + 99) / 100 )) wpn=$3
    local w=$(( ($2 - s) * wpn ))
    rm -rf "$out/run"
    sed "s/^\[stage.2\]$/[stage.2]\nworkers = $(( (w + 1) / 2 ))/" "$task" > "$out/task.ini"
    printf '[cluster]\nservers = %d\nworkers = %d\nworkers_per_node = %d\n' $s $w $wpn > "$out/run.ini"
    printf '[platform]\nworker_links = 0\nprecision = 10u\n[real]\ntimeout = 60\n' >> "$out/run.ini"
    printf '[policy]\nscheduler = greedy\n[task.1]\nname = transition\nconfig = %s\n' "$out/task.ini" >> "$out/run.ini"
    "$pslab" run "$out/run.ini" --backend "$1" --out "$out/run" >/dev/null 2>"$out/err" ||
        { echo "transition: $1 at $2 nodes failed: $(cat "$out/err")" >&2; exit 1; }
    local t
    t=$(sed -n 's/^stage_2: .*transition_s \([0-9.e+-]*\).*/\1/p' "$out/run/transition/summary.txt")
    echo "$1,$2,$wpn,$w,$t" >> "$out/transition.csv"
}
for n in "${sim[@]}"; do point sim "$n" 1; done
for n in "${real[@]}"; do point real "$n" 10; done
rm -rf "$out/run" "$out/err" "$out/run.ini" "$out/task.ini"
gnuplot <<GP
set datafile separator ','
set terminal pngcairo size 900,600 noenhanced
set output '$out/transition.png'
set title 'stage transition: end of stage 1 to the first served pull of stage 2'
set xlabel 'nodes'
set ylabel 'seconds'
set logscale y
set grid
set key top left
plot '< grep ^sim $out/transition.csv' using 2:(\$5 > 0 ? \$5 : 1e-7) with linespoints lw 2 title 'sim (1 worker a node; 0 drawn at 1e-7)', \
     '< grep ^real $out/transition.csv' using 2:(\$5 > 0 ? \$5 : 1e-7) with linespoints lw 2 title 'real, 10 workers a node', \
     0.014 with lines dt 2 lw 2 title 'FlexPS: 0.014 s at 20 x 10'
set terminal svg size 900,600 noenhanced background rgb 'white'
set output '$out/transition.svg'
replot
GP
worst=$(awk -F, 'NR > 1 && $1 == "real" && $5 > m { m = $5 } END { printf "%.6f", m }' "$out/transition.csv")
largest=$(awk -F, 'NR > 1 && $1 == "real" { n = $2 } END { print n }' "$out/transition.csv")
sim_max=$(awk -F, 'NR > 1 && $1 == "sim" && $5 > m { m = $5 } END { printf "%.6f", m }' "$out/transition.csv")
holds=$(awk -v w="$worst" 'BEGIN { print (w <= 0.014 ? "yes" : "no") }')
echo "| FlexPS, stage transition (its exp/stage_transition) | a stage transition costs 0.014 s at 20 processes x 10 threads | real, up to $largest nodes x 10 workers: at most $worst s; sim, up to ${sim[-1]} hosts: at most $sim_max s (scheduling included: the scheduler's grant of stage 2; the workers persist between stages, where FlexPS starts new instances) | $(basename "$out")/transition.png | $holds |"

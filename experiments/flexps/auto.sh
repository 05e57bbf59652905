#!/usr/bin/env bash
# FlexPS experiment 4: auto-parallelism. LR on a 1M-feature CTR set in three stages
# (global batch 3,500, then 35,000, then 3,500 again) on 4 server and 96 worker
# hosts of 4 cores, under policy.scheduler = auto: each stage probes 1, 2, 3 ...
# workers a node for scheduler.probe_iterations iterations and keeps the count
# before the first slower probe; the third stage's batch size is known and skips
# the probe. Against a `pslab sweep` of the same stages at 1 .. 4 workers a node
# throughout: is each stage's pick within 10% of that stage's best fixed time?
# Writes OUT/auto.csv, OUT/auto.png and .svg, prints one REPORT.md row.
#   experiments/flexps/auto.sh PSLAB OUT [--quick]
set -euo pipefail
pslab=${1:?usage: auto.sh PSLAB OUT [--quick]}; out=${2:?}; quick=${3:-}
mkdir -p "$out"
. "$(dirname "$0")/../lib.sh"
nodes=96 features=1M examples=400000
[ "$quick" = --quick ] && nodes=8 features=100000 examples=100000
slots=8 cores=4 batches=(3500 35000 3500) its=(60 60 30)
{
    printf '[run]\nseed = 1\neval_every = 1000\n\n[cluster]\nservers = 4\nworkers = %d\n' $((nodes * slots))
    printf 'workers_per_node = %d\n\n[platform]\ncores = %d\n\n' $slots $cores
    printf '[data]\nsource = synthetic\nfeatures = %s\ntrain_examples = %d\ntest_examples = 5000\nnnz = 20\nzipf = 1.1\n\n' \
        "$features" "$examples"
    printf '[model]\ntype = lr\nlr = 2\nl2 = 1e-6\nflop_scale = 100\n'
    for k in 0 1 2; do
        # the stage's global batch as configured: workers x batch, on one worker a node
        printf '\n[stage.%d]\nworkers = %d\nbatch = %d\niterations = %d\n' $((k + 1)) $nodes \
            $((batches[k] / nodes)) "${its[$k]}"
    done
} > "$out/base.ini"
list() { local IFS=,; echo "$*"; }
w=() b1=() b2=() b3=()
for c in $(seq 1 $slots); do
    w+=($((c * nodes))); b1+=($((batches[0] / (c * nodes)))); b2+=($((batches[1] / (c * nodes))))
    b3+=($((batches[2] / (c * nodes))))
done
{ cat "$out/base.ini"
  printf '\n[sweep]\nmode = zip\nstage.1.workers = %s\nstage.2.workers = %s\nstage.3.workers = %s\n' \
      "$(list "${w[@]}")" "$(list "${w[@]}")" "$(list "${w[@]}")"
  printf 'stage.1.batch = %s\nstage.2.batch = %s\nstage.3.batch = %s\n' \
      "$(list "${b1[@]}")" "$(list "${b2[@]}")" "$(list "${b3[@]}")"
} > "$out/fixed.ini"
run_sweep auto "$out/fixed.ini" "$out/fixed"
rm -rf "$out/auto"
"$pslab" run "$out/base.ini" --set policy.scheduler=auto --out "$out/auto" >/dev/null 2>"$out/err" ||
    { echo "auto: the auto run failed: $(cat "$out/err")" >&2; exit 1; }
rm -f "$out/err"
# auto.csv: per stage, auto's pick, probes and time, and each fixed count's time
{
    printf 'stage,auto_pick,auto_probes,auto_s'
    for c in $(seq 1 $slots); do printf ',fixed_%d_s' "$c"; done
    printf ',best_fixed,best_fixed_s\n'
    for k in 1 2 3; do
        awk -F, -v k=$k -v n=$nodes 'NR > 1 && $2 == k { if (!s) s = $4; e = $5; pick = $3 / n; p++ }
            END { printf "%d,%d,%d,%.6f", k, pick, p - 1, e - s }' "$out/auto/schedule.csv"
        best=0 best_t=
        for c in $(seq 1 $slots); do
            t=$(sed -n "s/^stage_$k: .*start_s \([0-9.]*\), end_s \([0-9.]*\).*/\1 \2/p" \
                "$out/fixed/$(printf 'point-%03d' $((c - 1)))/summary.txt" | awk '{ printf "%.6f", $2 - $1 }')
            printf ',%s' "$t"
            if [ -z "$best_t" ] || awk -v a="$t" -v b="$best_t" 'BEGIN { exit !(a < b) }'; then
                best=$c best_t=$t
            fi
        done
        printf ',%d,%s\n' "$best" "$best_t"
    done
} > "$out/auto.csv"
# a stage's pick holds when its fixed time is within 10% of the stage's best
holds=$(awk -F, -v n=$slots 'NR > 1 { t = $(4 + $2); if (t > 1.1 * $(n + 6)) bad = 1 }
    END { print bad ? "no" : "yes" }' "$out/auto.csv")
for term in "pngcairo size 800,500" "svg size 800,500"; do
    ext=${term%% *}; ext=${ext%cairo}
    gnuplot <<GP
set terminal $term
set output "$out/auto.$ext"
set datafile separator ","
set title "auto-parallelism: each stage's time at fixed workers a node, and auto's pick"
set xlabel "workers a node"
set ylabel "stage time (simulated s)"
set key outside right
set xrange [0.5:$slots.5]
set xtics 1
plot for [k=1:3] "< awk -F, -v k=" . k . " 'NR > 1 && \$1 == k { for (c = 1; c <= $slots; c++) print c \",\" \$(4 + c) }' $out/auto.csv" \
         using 1:2 with linespoints lw 2 title "stage ".k." fixed", \
     "$out/auto.csv" using 2:(column(4 + column(2))) every ::1 with points pt 7 ps 2 title "auto's pick"
GP
done
row() { awk -F, -v k="$1" -v c="$2" 'NR > 1 && $1 == k { print $c }' "$out/auto.csv"; }
summ=""
for k in 1 2 3; do
    summ+="stage $k (batch ${batches[$((k - 1))]}): picked $(row $k 2) after $(row $k 3) probes, $(row $k $((4 + $(row $k 2)))) s; best fixed $(row $k $((slots + 5))) a node, $(row $k $((slots + 6))) s; "
done
echo "| FlexPS, auto-parallelism | timed probes of 1, 2, 3 ... workers a process pick a count close to the best fixed one for each stage, and a known batch size skips the probe | sim, $((nodes + 4)) hosts of $cores cores ($slots worker slots): ${summ}auto's whole run $(awk -F, 'NR > 1 { s += $4 } END { printf "%.3f", s }' "$out/auto.csv") s with its probes | $(basename "$out")/auto.png | $holds |"

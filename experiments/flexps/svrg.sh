#!/usr/bin/env bash
# FlexPS experiment 2: SVRG with its inner SGD stage on one worker and direct
# model transfer (the flexible plan), against SVRG with every stage on all
# workers, and against plain SGD on all workers, on experiments/svrg.ini's data:
# time to a target held-out loss, and the final loss. In sim, on 4 servers and 96
# workers (100 hosts) over 1M features, each full-gradient stage one pass over
# 400,000 examples, and the target the worse SVRG plan's final loss; --quick (2,000
# features) and --real (10 local processes) keep svrg.ini's 10 nodes and loss 0.51.
# Writes OUT/svrg.csv,
# OUT/svrg.png and .svg (loss against time), and prints one REPORT.md row.
#   experiments/flexps/svrg.sh PSLAB OUT [--quick] [--real]
set -euo pipefail
pslab=${1:?usage: svrg.sh PSLAB OUT [--quick] [--real]}; out=${2:?}; shift 2
quick=0 backend=sim
for a in "$@"; do case "$a" in --quick) quick=1 ;; --real) backend=real ;; esac; done
mkdir -p "$out"
target=0.51
all=8 size=() where=$backend
[ $quick = 1 ] && size=(--set data.features=2000)
if [ $quick = 0 ] && [ $backend = sim ]; then
    all=96 where="sim, 100 hosts, 1M features"
    size=(--set cluster.servers=4 --set cluster.workers=96 --set data.features=1M
          --set data.train_examples=400000)
    for k in 1 3 5; do size+=(--set stage.$k.iterations=42); done # 400,000 / (96 x 100)
fi
wide=(--set stage.2.workers=$all --set stage.4.workers=$all --set stage.6.workers=$all)
sgd=(--set model.type=lr --set stage.1.step=sgd --set stage.3.step=sgd --set stage.5.step=sgd)
run() { # NAME ARGS...
    local name=$1; shift
    rm -rf "$out/$name"
    "$pslab" run experiments/svrg.ini --backend "$backend" --set run.eval_every=20 \
        --set run.name="$name" "${size[@]}" "$@" --out "$out/$name" >/dev/null 2>"$out/$name.err" ||
        { echo "svrg: $name failed: $(cat "$out/$name.err")" >&2; exit 1; }
    rm -f "$out/$name.err"
}
run svrg-flexible --set policy.direct_transfer=on
run svrg-wide "${wide[@]}"
run sgd "${sgd[@]}" "${wide[@]}"
"$pslab" plot "$out/svrg-flexible" "$out/svrg-wide" "$out/sgd" -o "$out/svrg" \
    --title "SVRG: one-worker SGD stages with direct transfer, all stages wide, plain SGD" >/dev/null
final() { awk -F, 'END { print $4 }' "$out/$1/metrics.csv"; }
[ "$all" = 8 ] || target=$(awk -v a="$(final svrg-flexible)" -v b="$(final svrg-wide)" 'BEGIN { print (a > b ? a : b) }')
echo "plan,time_to_target_s,final_loss,final_time_s" > "$out/svrg.csv"
for name in svrg-flexible svrg-wide sgd; do
    awk -F, -v n="$name" -v t="$target" 'NR > 1 { if (!hit && $4 <= t) { hit = $1 } last = $4; end = $1 }
        END { printf "%s,%s,%s,%s\n", n, hit ? hit : "never", last, end }' "$out/$name/metrics.csv" >> "$out/svrg.csv"
done
get() { awk -F, -v n="$1" -v c="$2" '$1 == n { print $c }' "$out/svrg.csv"; }
flex=$(get svrg-flexible 2) wide_t=$(get svrg-wide 2) sgd_t=$(get sgd 2)
holds=$(awk -v a="$flex" -v b="$wide_t" 'BEGIN { print (a != "never" && (b == "never" || a + 0 < b + 0)) ? "yes" : "no" }')
lower=$(awk -v s="$(get sgd 3)" -v f="$(get svrg-flexible 3)" 'BEGIN { print s + 0 < f + 0 ? "lower" : "higher" }')
echo "| FlexPS, SVRG with its SGD stage on one process | a one-process SGD stage with direct model transfer finishes SVRG sooner than every stage at full parallelism | $where: time to loss $target: flexible $flex s, all wide ($all workers) $wide_t s, plain SGD $sgd_t s; final loss $(get svrg-flexible 3), $(get svrg-wide 3), $(get sgd 3) (plain SGD ends $lower on this data) | $(basename "$out")/svrg.png | $holds |"

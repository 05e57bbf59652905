#!/usr/bin/env bash
# FlexPS experiment 2: SVRG with its inner SGD stage on one worker and direct
# model transfer (the flexible plan), against SVRG with every stage on all 8
# workers, and against plain SGD on 8 workers, on experiments/svrg.ini's data:
# simulated time to a target held-out loss, and the final loss. Writes OUT/svrg.csv,
# OUT/svrg.png and .svg (loss against time), and prints one REPORT.md row.
#   experiments/flexps/svrg.sh PSLAB OUT [--quick] [--real]
set -euo pipefail
pslab=${1:?usage: svrg.sh PSLAB OUT [--quick] [--real]}; out=${2:?}; shift 2
quick=0 backend=sim
for a in "$@"; do case "$a" in --quick) quick=1 ;; --real) backend=real ;; esac; done
mkdir -p "$out"
target=0.51
wide=(--set stage.2.workers=8 --set stage.4.workers=8 --set stage.6.workers=8)
sgd=(--set model.type=lr --set stage.1.step=sgd --set stage.3.step=sgd --set stage.5.step=sgd)
size=(); [ $quick = 1 ] && size=(--set data.features=2000)
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
echo "plan,time_to_target_s,final_loss,final_time_s" > "$out/svrg.csv"
for name in svrg-flexible svrg-wide sgd; do
    awk -F, -v n="$name" -v t="$target" 'NR > 1 { if (!hit && $4 <= t) { hit = $1 } last = $4; end = $1 }
        END { printf "%s,%s,%s,%s\n", n, hit ? hit : "never", last, end }' "$out/$name/metrics.csv" >> "$out/svrg.csv"
done
get() { awk -F, -v n="$1" -v c="$2" '$1 == n { print $c }' "$out/svrg.csv"; }
flex=$(get svrg-flexible 2) wide_t=$(get svrg-wide 2) sgd_t=$(get sgd 2)
holds=$(awk -v a="$flex" -v b="$wide_t" 'BEGIN { print (a != "never" && (b == "never" || a + 0 < b + 0)) ? "yes" : "no" }')
echo "| FlexPS, SVRG with its SGD stage on one process | a one-process SGD stage with direct model transfer finishes SVRG sooner than every stage at full parallelism | $backend: time to loss $target: flexible $flex s, all wide $wide_t s, plain SGD $sgd_t s; final loss $(get svrg-flexible 3), $(get svrg-wide 3), $(get sgd 3) (plain SGD ends lower on this data) | $(basename "$out")/svrg.png | $holds |"

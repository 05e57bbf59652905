#!/usr/bin/env bash
# FlexPS experiment 1 (LR, SVM or Lasso): multi-stage SGD with the batch growing 350 -> 3,500 ->
# 35,000 examples over 1,000 -> 100 -> 10 iterations (experiments/stages_sgd.ini),
# with per-stage parallelism (5, 50, then 96 workers), against the same stages at
# one fixed worker count, swept with `pslab sweep` over 5 .. 96 workers (the global
# batch is kept: each worker takes its share). Simulated time to a target held-out
# loss, and worker-seconds (workers x seconds, summed over stages) to reach it and
# in all. The target is the worst plan's final value, so that every plan reaches it. Writes OUT/multistage.csv, OUT/multistage.png and
# .svg, prints a REPORT.md row.
# On 4 servers and 96 workers (100 hosts), LR and SVM over 1M features; --quick
# runs a fifth of the iterations (200 -> 20 -> 2) on the config's 2 servers, up to
# 70 workers and 20,000 features, for figures-quick; --real runs on the real
# backend, 2 servers and 2, 4 then 8 workers (10 local processes), timed by wall.
#   experiments/flexps/multistage_sgd.sh PSLAB OUT [lr|svm|lasso] [--quick] [--real]
set -euo pipefail
pslab=${1:?usage: multistage_sgd.sh PSLAB OUT [lr|svm|lasso] [--quick] [--real]}; out=${2:?}
model=lr quick= backend=sim
for a in "${@:3}"; do case "$a" in --quick) quick=--quick ;; --real) backend=real ;; *) model=$a ;; esac; done
cd "$(dirname "$0")/../.."
mkdir -p "$out"
. experiments/lib.sh
# the model's loss column, and its changes to experiments/stages_sgd.ini
case $model in
    lr) metric=loss; edit=(-e 's/^type = lr$/type = lr/') ;;
    svm) metric=hinge; edit=(-e 's/^type = lr$/type = svm/') ;;
    lasso) metric=objective
           edit=(-e 's/^type = lr$/type = lasso\nl1 = 0.001/' -e 's/^lr = 2$/lr = 0.05/'
                 -e 's/^lr = 0.7$/lr = 0.02/' -e 's/^zipf = 1.1$/zipf = 1.1\ntarget = linear/'
                 -e '/^l2 = /d') ;;
    *) echo "multistage_sgd: model $model: lr, svm or lasso" >&2; exit 2 ;;
esac
[ "$quick" = --quick ] && edit+=(-e 's/^iterations = 1000$/iterations = 200/'
    -e 's/^iterations = 100$/iterations = 20/' -e 's/^iterations = 10$/iterations = 2/'
    -e 's/^eval_every = 50$/eval_every = 10/')
sed "${edit[@]}" experiments/stages_sgd.ini > "$out/base.ini"
top=96 counts=(5 10 25 50 96) size=(-e 's/^servers = 2$/servers = 4/')
[ "$model" = lasso ] || size+=(-e 's/^features = 20000$/features = 1000000/')
f1=5 f2=50 jobs=()
if [ "$quick" = --quick ]; then top=70 counts=(5 10 25 50 70) size=(); fi
# the real backend: one cluster at a time, so that the runs' wall times do not mix
if [ $backend = real ]; then top=8 counts=(2 4 8) size=() f1=2 f2=4 jobs=(--jobs 1); fi
size+=(-e "s/^\[run\]$/[run]\nbackend = $backend/")
[ ${#size[@]} -eq 0 ] || sed -i "${size[@]}" "$out/base.ini"
list() { local IFS=,; echo "$*"; }
b1=() b2=() b3=()
for w in "${counts[@]}"; do b1+=($((350 / w))); b2+=($((3500 / w))); b3+=($((35000 / w))); done
{ cat "$out/base.ini"
  printf '[sweep]\nmode = zip\ncluster.workers = %s\n' "$(list "${counts[@]}")"
  printf 'stage.1.batch = %s\nstage.2.batch = %s\nstage.3.batch = %s\n' \
      "$(list "${b1[@]}")" "$(list "${b2[@]}")" "$(list "${b3[@]}")"
} > "$out/fixed.ini"
run_sweep multistage_sgd "$out/fixed.ini" "$out/fixed" "${jobs[@]}"
rm -rf "$out/flexible"
"$pslab" run "$out/base.ini" --set run.name=flexible --set cluster.workers=$top \
    --set stage.1.workers=$f1 --set stage.1.batch=$((350 / f1)) --set stage.2.workers=$f2 \
    --set stage.2.batch=$((3500 / f2)) --set stage.3.batch=$((35000 / top)) --out "$out/flexible" >/dev/null 2>"$out/err" ||
    { echo "multistage_sgd: the flexible plan failed: $(cat "$out/err")" >&2; exit 1; }
rm -f "$out/err"
# PLAN WORKERS RUN_DIR -> a csv row: time to the target, worker-seconds to it and in all
row() {
    awk -v plan="$1" -v w="$2" -v t="$target" -v m="$metric" '
        FILENAME ~ /metrics.csv$/ { if (FNR == 1) { for (i = 1; i <= NF; i++) if ($i == m) c = i; next }
                                    if (hit == "" && $c <= t) hit = $1; last = $c; next }
        /^stage_[0-9]+:/ { n++; sw[n] = $3 + 0
                           for (i = 1; i <= NF; i++) { if ($i == "start_s") s[n] = $(i + 1) + 0; if ($i == "end_s") e[n] = $(i + 1) + 0 } }
        END { all = 0; to = 0
              for (k = 1; k <= n; k++) { all += sw[k] * (e[k] - s[k])
                  if (hit != "") { hi = e[k] < hit ? e[k] : hit; if (hi > s[k]) to += sw[k] * (hi - s[k]) } }
              printf "%s,%s,%s,%s,%s,%s,%.3f\n", plan, w, hit == "" ? "never" : hit,
                     hit == "" ? "never" : sprintf("%.3f", to), last, e[n], all }' \
        FS=, "$3/metrics.csv" FS=' ' "$3/summary.txt"
}
final() { awk -F, -v m="$metric" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == m) c = i } { v = $c } END { print v }' "$1/metrics.csv"; }
target=$(final "$out/flexible")
for i in "${!counts[@]}"; do
    target=$(awk -v a="$target" -v b="$(final "$out/fixed/$(printf 'point-%03d' "$i")")" 'BEGIN { print (b > a ? b : a) }')
done
echo "plan,workers,time_to_target_s,worker_s_to_target,final_loss,end_s,worker_s" > "$out/multistage.csv"
row flexible "$f1/$f2/$top" "$out/flexible" >> "$out/multistage.csv"
for i in "${!counts[@]}"; do
    row fixed "${counts[$i]}" "$out/fixed/$(printf 'point-%03d' "$i")" >> "$out/multistage.csv"
done
best=$(awk -F, '$1 == "fixed" && $3 != "never" && (b == "" || $3 + 0 < t) { b = $2; t = $3 + 0 } END { print b }' "$out/multistage.csv")
"$pslab" plot "$out/flexible" "$out/fixed/$(printf 'point-%03d' 0)" \
    "$out/fixed/$(printf 'point-%03d' $(( ${#counts[@]} - 1 )))" -o "$out/multistage" \
    --title "multi-stage SGD ($model, $backend): $f1/$f2/$top workers by stage, against ${counts[0]} and $top throughout" >/dev/null
get() { awk -F, -v p="$1" -v w="$2" -v c="$3" '$1 == p && $2 == w { print $c }' "$out/multistage.csv"; }
flex_t=$(get flexible $f1/$f2/$top 3) best_t=$(get fixed "$best" 3)
holds=$(awk -v a="$flex_t" -v b="$best_t" 'BEGIN { print (a != "never" && a + 0 < b + 0) ? "yes" : "no" }')
echo "| FlexPS, multi-stage SGD (${model^^}, batch 350 -> 3,500 -> 35,000) | per-stage parallelism reaches the target loss sooner than the best fixed parallelism | $backend, $((top + $(sed -n "s/^servers = //p" "$out/base.ini"))) $([ $backend = sim ] && echo hosts || echo "local processes"), $(sed -n "s/^features = //p" "$out/base.ini") features: time to $metric $target: per-stage ($f1, $f2, $top workers) $flex_t s with $(get flexible $f1/$f2/$top 4) worker-seconds; best fixed ($best workers) $best_t s with $(get fixed "$best" 4); ${counts[0]} workers $(get fixed ${counts[0]} 3) s with $(get fixed ${counts[0]} 4). In all: $(get flexible $f1/$f2/$top 7) worker-seconds, against $(get fixed "$best" 7) at $best workers and $(get fixed ${counts[0]} 7) at ${counts[0]}. An iteration's time here is its round trip to the servers, not its compute (20 features an example), so more workers barely speed a stage up: to the target, the per-stage plan uses $(awk -v a="$(get flexible $f1/$f2/$top 4)" -v b="$(get fixed "$best" 4)" 'BEGIN { print (a < b) ? "fewer" : "more" }') worker-seconds than the fastest fixed count | $(basename "$out")/multistage.png | $holds |"

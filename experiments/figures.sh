#!/usr/bin/env bash
# Reproduces the figures of the source papers that pslab implements and writes
# OUT/REPORT.md: one row per claim (the paper's figure or finding, pslab's
# figures, whether it holds), the PNG and SVG files beside it. --quick shrinks
# every experiment to fit a few minutes (CI runs it).
#   experiments/figures.sh PSLAB OUT [--quick]      (make figures, figures-quick)
set -euo pipefail
cd "$(dirname "$0")/.."
pslab=${1:?usage: figures.sh PSLAB OUT [--quick]}; out=${2:?}; quick=${3:-}
case "$pslab" in /*) ;; *) pslab=$PWD/$pslab ;; esac
mkdir -p "$out"
rows=()
rows+=("$(experiments/flexps/multistage_sgd.sh "$pslab" "$out/flexps-multistage" lr $quick)")
for m in svm lasso; do
    rows+=("$(experiments/flexps/multistage_sgd.sh "$pslab" "$out/flexps-multistage-$m" $m $quick)")
done
rows+=("$(experiments/flexps/transition.sh "$pslab" "$out/flexps-transition" $quick)")
rows+=("$(experiments/flexps/svrg.sh "$pslab" "$out/flexps-svrg" $quick)")
rows+=("$(experiments/flexps/kmeans.sh "$pslab" "$out/flexps-kmeans")")
rows+=("$(experiments/flexps/multi_task.sh "$pslab" "$out/flexps-multi-task" $quick)")
rows+=("$(experiments/flexps/auto.sh "$pslab" "$out/flexps-auto" $quick)")
rows+=("$(experiments/drps/fig11.sh "$pslab" "$out/drps-fig11" $quick)")
rows+=("$(experiments/drps/fig12.sh "$pslab" "$out/drps-fig12" $quick)")
# table2.sh prints two rows (Table 2 and Fig. 13)
t2=$(experiments/drps/table2.sh "$pslab" "$out/drps-table2" $quick)
while IFS= read -r row; do rows+=("$row"); done <<<"$t2"
rows+=("$(experiments/faults/checkpoint_interval.sh "$pslab" "$out/faults-checkpoints" $quick)")
rows+=("$(experiments/faults/rate_1000.sh "$pslab" "$out/faults-rate" $quick)")
if [ "$quick" != --quick ]; then
    rows+=("$(experiments/flexps/svrg.sh "$pslab" "$out/flexps-svrg-real" --real)")
    rows+=("$(experiments/flexps/multistage_1000.sh "$pslab" "$out/flexps-multistage-1000")")
    rows+=("$(experiments/flexps/multistage_sgd.sh "$pslab" "$out/flexps-multistage-real" lr --real)")
    t2=$(experiments/drps/table2.sh "$pslab" "$out/drps-table2-real" --real)
    while IFS= read -r row; do rows+=("$row"); done <<<"$t2"
    rows+=("$(experiments/faults/checkpoint_interval.sh "$pslab" "$out/faults-checkpoints-real" --real)")
fi
{
    echo "# pslab: the source papers' figures"
    echo
    echo "Made by \`experiments/figures.sh\`$( [ "$quick" = --quick ] && echo " --quick (reduced sizes)") on $(date -u +%Y-%m-%d)."
    echo "Each row: the paper's claim, what pslab measured, its figure (beside this file,"
    echo "in the experiment's folder), and whether the finding holds. Where it does not,"
    echo "the row says why; nothing is tuned to agree."
    echo
    echo "| paper | finding | pslab | figure | holds |"
    echo "|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
} > "$out/REPORT.md"
echo "figures: $out/REPORT.md"

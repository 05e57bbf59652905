#!/usr/bin/env bash
# Prints, for each run directory, the simulated time at which the test loss first
# reaches TARGET (linearly interpolated between the two evaluation points around
# the crossing), and its ratio to the last run given (the reference, e.g. WSP).
#   experiments/time_to_loss.sh TARGET RUN_DIR...
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 TARGET RUN_DIR..." >&2; exit 2; }
target=$1; shift
. "$(dirname "$0")/lib.sh"
times=()
for d in "$@"; do
    [ -r "$d/metrics.csv" ] || { echo "$0: $d/metrics.csv: cannot read" >&2; exit 2; }
    t=$(time_to_loss "$target" "$d")
    times+=("$t")
done
ref=${times[$(($# - 1))]}
last=${!#}
printf "%-34s %-8s %14s %10s\n" run model "time_to_${target}" "vs_${last##*/}"
i=0
for d in "$@"; do
    t=${times[$i]}; i=$((i + 1))
    model=$(summary_value "$d" consistency)
    ratio=-
    if [ "$t" != - ] && [ "$ref" != - ]; then ratio=$(awk -v a="$t" -v b="$ref" 'BEGIN { printf "%.3f", a / b }'); fi
    printf "%-34s %-8s %14s %10s\n" "${d##*/}" "$model" "$t" "$ratio"
done

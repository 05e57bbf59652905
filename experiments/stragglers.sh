#!/usr/bin/env bash
# The straggler experiment: experiments/stragglers.ini (LR, 32 simulated workers)
# under BSP, SSP, ASP and WSP, in two scenarios:
#   persistent  8 of the 32 workers (25%) compute 3x slower for the whole run
#   transient   no slow workers, but any iteration of any worker is 3x slower
#               with probability 0.25 (the same average load)
# then plots loss against time per scenario (gnuplot) and prints the time each
# model takes to reach the target loss, with its ratio to WSP. About a minute.
#   experiments/stragglers.sh [OUT_DIR [TARGET_LOSS]]   (default runs/stragglers, 0.49)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/stragglers}
target=${2:-0.49}
pslab=${PSLAB:-build/pslab}
[ -x "$pslab" ] || { echo "$0: $pslab not found: build first (tests/run.sh)" >&2; exit 2; }
[ ! -e "$out" ] || { echo "$0: $out exists; give another OUT_DIR" >&2; exit 2; }
mkdir -p "$out"
declare -A extra=(
    [persistent]=""
    [transient]="--set stragglers.fraction=0 --set stragglers.iteration_prob=0.25 --set stragglers.iteration_factor=3"
)
for scenario in persistent transient; do
    dirs=()
    for m in bsp ssp asp wsp; do
        d=$out/$scenario-$m
        # shellcheck disable=SC2086
        "$pslab" run experiments/stragglers.ini --set run.name=$scenario-$m \
            --set policy.consistency=$m ${extra[$scenario]} --out "$d" >/dev/null
        dirs+=("$d")
    done
    "$pslab" plot "${dirs[@]}" -o "$out/$scenario" --title "LR, 32 workers, $scenario stragglers" >/dev/null
    echo "== $scenario stragglers (plot: $out/$scenario.png)"
    experiments/time_to_loss.sh "$target" "${dirs[@]}"
    for d in "${dirs[@]}"; do
        printf "   %-16s final loss %s at %s s; mean staleness %s\n" "${d##*/}" \
            "$(sed -n 's/^final_loss: //p' "$d/summary.txt")" \
            "$(sed -n 's/^sim_time_s: //p' "$d/summary.txt")" \
            "$(awk -F, 'NR > 2 { s += $6; n++ } END { printf "%.2f", n ? s / n : 0 }' "$d/metrics.csv")"
    done
done

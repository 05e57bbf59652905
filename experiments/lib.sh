# Shell helpers the experiment scripts share: a sweep that stops the script with
# pslab's own message, a value of a run's summary.txt, a run's best test loss and
# the simulated time at which it first reaches a loss.   . experiments/lib.sh

# run_sweep TAG INI DIR [ARG...]: "$pslab" sweep INI --out DIR ARG..., DIR replaced
run_sweep() {
    local tag=$1 ini=$2 dir=$3
    shift 3
    rm -rf "${dir:?}"
    "$pslab" sweep "$ini" --out "$dir" "$@" >/dev/null 2>"$dir.err" ||
        { echo "$tag: the sweep of $ini failed: $(cat "$dir.err")" >&2; exit 1; }
    rm -f "$dir.err"
}

# summary_value RUN_DIR KEY: KEY's value in RUN_DIR/summary.txt
summary_value() { sed -n "s/^$2: //p" "$1/summary.txt"; }

# best_loss RUN_DIR: the lowest test loss of RUN_DIR/metrics.csv
best_loss() { awk -F, 'NR > 1 && (m == "" || $4 < m) { m = $4 } END { print m }' "$1/metrics.csv"; }

# time_to_loss LOSS RUN_DIR: the simulated time at which the test loss first reaches
# LOSS, interpolated between the two evaluations around the crossing ("-" if never)
time_to_loss() {
    awk -F, -v y="$1" 'NR > 1 {
        if ($4 <= y) {
            t = (NR == 2 || pl <= y) ? $1 : pt + ($1 - pt) * (pl - y) / (pl - $4)
            printf "%.3f\n", t; found = 1; exit
        }
        pt = $1; pl = $4
    } END { if (!found) print "-" }' "$2/metrics.csv"
}

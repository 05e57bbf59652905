#!/usr/bin/env bash
# A diverging run is an error: a non-zero exit, a message naming the stage (0: a
# config without stage sections), the iteration and the worker (or the metric,
# when only the evaluation sees it), and the files written up to it whole.
source "$(dirname "$0")/common.bash"
expect_error "diverged at stage 0, iteration" \
    "$PSLAB" run experiments/lasso.ini --set model.lr=2 --set model.batch=1000 --out "$TMP/d1"
"$PSLAB" run experiments/lasso.ini --set model.lr=2 --set model.batch=1000 --out "$TMP/d2" \
    2>"$TMP/err" >/dev/null && fail "diverged run exited 0"
grep -q "^pslab: worker [0-9]*: diverged at stage 0, iteration [0-9]*: the batch loss is" "$TMP/err" ||
    fail "no worker named: $(cat "$TMP/err")"
cols=$(head -1 "$TMP/d2/metrics.csv" | awk -F, '{ print NF }')
awk -F, -v n="$cols" 'NF != n { exit 1 }' "$TMP/d2/metrics.csv" || fail "metrics.csv has a cut row"
[ "$(wc -l < "$TMP/d2/metrics.csv")" -ge 2 ] || fail "metrics.csv lost the rows before the divergence"
grep -q "^failed_workers: 4$" "$TMP/d2/summary.txt" || fail "summary.txt: $(cat "$TMP/d2/summary.txt")"
echo "ok: divergence ends the run with the worker, stage and iteration named"

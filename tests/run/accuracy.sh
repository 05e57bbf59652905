#!/usr/bin/env bash
# Sparse LR on generated data reaches a held-out accuracy within 2 points of the
# true model's (the generator's own weights) on the same held-out set.
source "$(dirname "$0")/common.bash"
"$PSLAB" run experiments/quickstart.ini --out "$TMP/run" >/dev/null
acc=$(summary_value "$TMP/run" final_accuracy)
truth=$(summary_value "$TMP/run" true_model_accuracy)
[ -n "$acc" ] && [ -n "$truth" ] || fail "summary lacks accuracies"
awk -v a="$acc" -v t="$truth" 'BEGIN { exit !(a >= t - 0.02) }' ||
    fail "held-out accuracy $acc is more than 2 points below the true model's $truth"
echo "ok: accuracy $acc vs true model $truth"

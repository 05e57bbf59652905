#!/usr/bin/env bash
# Every model's example config, on generated data with a known truth: lr, svm and
# svrg (stages: full gradient on 8 workers, SGD on one, three times) reach within 2 points of the true model's held-out accuracy; lasso recovers the
# true support (F1 >= 0.9), its weights are exactly 0 off it (the servers' final
# shards); mf's held-out RMSE is within 10% of the noise level; kmeans's objective
# is within 5% of the true centres'; metrics.csv names each model's metrics. model.update = average
# keeps a run stable when only the worker count changes; sum does not.
source "$(dirname "$0")/common.bash"

at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

for m in lr svm svrg; do
    "$PSLAB" run "experiments/$m.ini" --out "$TMP/$m" >/dev/null 2>&1 || fail "$m run failed"
    acc=$(summary_value "$TMP/$m" final_accuracy)
    truth=$(summary_value "$TMP/$m" true_model_accuracy)
    [ -n "$acc" ] && [ -n "$truth" ] || fail "$m: summary lacks accuracies"
    at_least "$acc" "$(awk -v t="$truth" 'BEGIN { print t - 0.02 }')" ||
        fail "$m: held-out accuracy $acc is more than 2 points below the true model's $truth"
    echo "ok: $m accuracy $acc vs true model $truth"
done
[ "$(head -1 "$TMP/lr/metrics.csv")" = "time_s,stage,iteration,loss,accuracy,staleness_mean,staleness_max" ] ||
    fail "lr metrics.csv header: $(head -1 "$TMP/lr/metrics.csv")"
[ "$(head -1 "$TMP/svm/metrics.csv")" = "time_s,stage,iteration,accuracy,hinge,staleness_mean,staleness_max" ] ||
    fail "svm metrics.csv header: $(head -1 "$TMP/svm/metrics.csv")"

"$PSLAB" run experiments/lasso.ini --trace --out "$TMP/lasso" >/dev/null 2>&1 || fail "lasso run failed"
head -1 "$TMP/lasso/metrics.csv" | grep -qx "time_s,stage,iteration,objective,mse,nonzero,support_f1,staleness_mean,staleness_max" ||
    fail "lasso metrics.csv header: $(head -1 "$TMP/lasso/metrics.csv")"
f1=$(summary_value "$TMP/lasso" final_support_f1)
nz=$(summary_value "$TMP/lasso" final_nonzero)
true_nz=$(summary_value "$TMP/lasso" true_model_nonzero)
at_least "$f1" 0.9 || fail "lasso: support F1 $f1 < 0.9"
# the final shards: weights (keys below 200; 200 is the bias) that are exactly 0
zeros=$(awk -F, 'FNR > 1 && $1 == 0 && $2 < 200 && $3 == "0"' "$TMP"/lasso/trace/server*.final.csv | wc -l)
[ "$zeros" -ge 150 ] || fail "lasso: only $zeros of 200 weights are exactly 0"
awk -v z="$zeros" -v nz="$nz" 'BEGIN { exit !(nz == (200 - z) / 200) }' ||
    fail "lasso: metrics say $nz of the weights are nonzero, the shards $((200 - zeros)) of 200"
echo "ok: lasso support F1 $f1, $zeros of 200 weights exactly 0 (nonzero $nz, true $true_nz)"

"$PSLAB" run experiments/mf.ini --trace --out "$TMP/mf" >/dev/null 2>&1 || fail "mf run failed"
rmse=$(summary_value "$TMP/mf" final_rmse)
noise=$(summary_value "$TMP/mf" true_model_rmse)
at_least "$(awk -v n="$noise" 'BEGIN { print 1.1 * n }')" "$rmse" ||
    fail "mf: held-out RMSE $rmse is more than 10% above the noise level $noise"
[ "$(head -1 "$TMP/mf/metrics.csv")" = "time_s,stage,iteration,rmse,staleness_mean,staleness_max" ] ||
    fail "mf metrics.csv header: $(head -1 "$TMP/mf/metrics.csv")"
out=$("$PSLAB" check "$TMP/mf") || fail "check of the mf run (two tables of 8 values a key): $out"
# users and items, two tables of one shape, are served as one (users+items, the
# items' keys after the 2000 users'): one message per server and iteration, and
# 2000 x 8 + 1000 x 8 parameters checked
grep -qF "24000 keys pushed by 4 workers (users: 16000, items: 8000), no update lost" <<<"$out" ||
    fail "check does not count the tables' parameters: $out"
grep -qF "12000 pulls on 2 servers" <<<"$out" || fail "not one pull per server and iteration: $out"
# an item's value changed (parameter 16000 and up): the check names it
line=$(awk -F, 'FNR > 1 && $1 == 0 && $2 >= 16000 { print FNR; exit }' "$TMP/mf/trace/server1.final.csv")
IFS=, read -r t k v < <(sed -n "${line}p" "$TMP/mf/trace/server1.final.csv")
sed -i "${line}s/.*/0,$k,$(awk -v v="$v" 'BEGIN { print v + 1 }')/" "$TMP/mf/trace/server1.final.csv"
rc=0; bad=$("$PSLAB" check "$TMP/mf" 2>&1) || rc=$?
[ $rc -eq 1 ] && grep -qF "update lost on table 0 key $k (items parameter $((k - 16000)))" <<<"$bad" ||
    fail "a changed item value: $bad"
echo "ok: mf RMSE $rmse, noise $noise; $out"

"$PSLAB" run experiments/kmeans.ini --out "$TMP/km" >/dev/null 2>&1 || fail "kmeans run failed"
obj=$(summary_value "$TMP/km" final_objective)
tobj=$(summary_value "$TMP/km" true_model_objective)
at_least "$(awk -v t="$tobj" 'BEGIN { print 1.05 * t }')" "$obj" ||
    fail "kmeans: objective $obj is more than 5% above the true centres' $tobj"
at_least "$(summary_value "$TMP/km" final_purity)" 0.99 || fail "kmeans: purity below 0.99"
echo "ok: kmeans objective $obj, true centres $tobj"

# every example plots with its own metrics
for m in lr svm lasso mf km svrg; do
    "$PSLAB" plot "$TMP/$m" -o "$TMP/$m-plot" >/dev/null 2>&1 || fail "pslab plot of the $m run failed"
    [ -s "$TMP/$m-plot.png" ] && [ -s "$TMP/$m-plot.svg" ] || fail "pslab plot wrote no $m figure"
done
grep -q "rmse vs time" "$TMP/mf-plot.svg" || fail "the mf figure does not plot rmse"
grep -q "purity vs iteration" "$TMP/km-plot.svg" || fail "the kmeans figure does not plot purity"
echo "ok: every example's figure plots its model's metrics"

# The partitioner changes where keys live, not the model: under BSP each key's
# pushes are summed in worker order either way (and a hash partition regroups a
# batch's keys by server, which range leaves in order)
for m in mf kmeans; do
    "$PSLAB" run "experiments/$m.ini" --set policy.partitioner=hash --set run.iterations=200 \
        --out "$TMP/$m-hash" >/dev/null 2>&1 || fail "$m with hash partitioning failed"
    "$PSLAB" run "experiments/$m.ini" --set run.iterations=200 --out "$TMP/$m-range" >/dev/null 2>&1 ||
        fail "$m run failed"
    cmp <(cut -d, -f2- "$TMP/$m-range/metrics.csv") <(cut -d, -f2- "$TMP/$m-hash/metrics.csv") ||
        fail "$m: hash partitioning trains another model than range"
    echo "ok: $m trains the same model under hash and range partitioning"
done

# Evaluated on the keys the held-out set touches (run.eval_full_max = 0: the
# servers snapshot only those, the coordinator holds only those), the metrics are
# those of the whole model
for m in lr mf svrg; do
    "$PSLAB" run "experiments/$m.ini" --set run.eval_full_max=0 --set run.iterations=300 \
        --out "$TMP/$m-touched" >/dev/null 2>&1 || fail "$m evaluated on touched keys failed"
    "$PSLAB" run "experiments/$m.ini" --set run.iterations=300 --out "$TMP/$m-whole" >/dev/null 2>&1 ||
        fail "$m run failed"
    cmp <(cut -d, -f2- "$TMP/$m-whole/metrics.csv") <(cut -d, -f2- "$TMP/$m-touched/metrics.csv") ||
        fail "$m: the model evaluated on the touched keys measures otherwise"
done
echo "ok: lr, mf and svrg evaluated on the held-out set's keys alone give the whole model's metrics"

# 8x the workers: the averaged update keeps lr.ini's step and its accuracy; the
# summed one steps 64 times as far and lands far from it
"$PSLAB" run experiments/lr.ini --set cluster.workers=64 --out "$TMP/avg" >/dev/null 2>&1 ||
    fail "64 workers, update = average: run failed"
"$PSLAB" run experiments/lr.ini --set cluster.workers=64 --set model.update=sum \
    --out "$TMP/sum" >/dev/null 2>&1 || true
truth=$(summary_value "$TMP/avg" true_model_accuracy)
avg=$(summary_value "$TMP/avg" final_accuracy)
sum=$(summary_value "$TMP/sum" final_accuracy)
at_least "$avg" "$(awk -v t="$truth" 'BEGIN { print t - 0.02 }')" ||
    fail "64 workers, update = average: accuracy $avg, true model $truth"
at_least "$(awk -v t="$truth" 'BEGIN { print t - 0.05 }')" "${sum:-0}" ||
    fail "64 workers, update = sum: accuracy $sum is as good as the averaged step's"
echo "ok: 64 workers: average $avg, sum ${sum:-diverged} (true model $truth)"

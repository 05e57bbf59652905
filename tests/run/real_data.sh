#!/usr/bin/env bash
# Real data from Debian's dataset-fashion-mnist (gzip'd IDX files): K-means on all
# ten classes reaches the purity K-means gets on raw pixels, and LR on two classes
# (sneakers, ankle boots) a held-out accuracy above 90%.
source "$(dirname "$0")/common.bash"
if [ ! -r /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
    echo "skip: Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"
    exit 77
fi
"$PSLAB" run experiments/fashion_mnist.ini --out "$TMP/km" >/dev/null 2>&1 || fail "kmeans run failed"
purity=$(summary_value "$TMP/km" final_purity)
awk -v p="$purity" 'BEGIN { exit !(p > 0.5) }' || fail "K-means purity $purity on Fashion-MNIST"
start=$(sed -n 2p "$TMP/km/metrics.csv" | cut -d, -f4)
end=$(summary_value "$TMP/km" final_objective)
awk -v a="$start" -v b="$end" 'BEGIN { exit !(b < 0.8 * a) }' || fail "objective $start -> $end"
echo "ok: Fashion-MNIST K-means purity $purity, objective $start -> $end"
grep -v '^k = ' experiments/fashion_mnist.ini > "$TMP/lr.ini"
"$PSLAB" run "$TMP/lr.ini" --set model.type=lr --set data.classes=7,9 --set model.lr=1 \
    --out "$TMP/lr" >/dev/null 2>&1 || fail "lr run failed"
acc=$(summary_value "$TMP/lr" final_accuracy)
awk -v a="$acc" 'BEGIN { exit !(a > 0.9) }' || fail "LR accuracy $acc on sneakers vs ankle boots"
echo "ok: Fashion-MNIST LR (7 vs 9) accuracy $acc"

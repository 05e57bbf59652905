#!/usr/bin/env bash
# A training file sorted by label trains as well as the same file shuffled, because
# mini-batches are drawn from a new permutation each epoch (data.order = shuffled);
# swept in file order (data.order = file), each batch holds one label and the model
# swings from one to the other. A stage of fewer workers than the cluster's splits
# the whole file among its workers: one worker of two, alone in its stage, still
# trains on both labels (not on the first half of the file, all of one label).
source "$(dirname "$0")/common.bash"
# 20,000 rows of 20 features: label 1 when the first five sum above the last five
awk 'BEGIN { srand(3); for (i = 0; i < 20000; i++) { s = 0; line = "";
        for (j = 1; j <= 20; j++) { v = rand() - 0.5; if (j <= 5) s += v; if (j > 15) s -= v;
            line = line " " j ":" sprintf("%.4f", v) }
        print (s > 0 ? 1 : 0) line } }' > "$TMP/all.svm"
head -n 16000 "$TMP/all.svm" > "$TMP/train.svm"
tail -n 4000 "$TMP/all.svm" > "$TMP/test.svm"
sort -k1,1 -s "$TMP/train.svm" > "$TMP/sorted.svm"
cat > "$TMP/run.ini" <<INI
[run]
iterations = 200
eval_every = 50
[cluster]
servers = 1
workers = 1
[data]
source = libsvm
path = $TMP/sorted.svm
test_path = $TMP/test.svm
[model]
type = lr
batch = 50
lr = 2
l2 = 0
INI
acc() { summary_value "$1" final_accuracy; }
"$PSLAB" run "$TMP/run.ini" --set data.order=shuffled --out "$TMP/shuffled" >/dev/null 2>&1 || fail "run failed"
"$PSLAB" run "$TMP/run.ini" --set data.order=shuffled --set data.path="$TMP/train.svm" \
    --out "$TMP/unsorted" >/dev/null 2>&1 || fail "run failed"
"$PSLAB" run "$TMP/run.ini" --set data.order=file --out "$TMP/file" >/dev/null 2>&1 || fail "run failed"
printf '[stage.1]\nworkers = 1\n' >> "$TMP/run.ini"
"$PSLAB" run "$TMP/run.ini" --set data.order=shuffled --set cluster.workers=2 --out "$TMP/alone" \
    >/dev/null 2>&1 || fail "run with a one-worker stage failed"
a=$(acc "$TMP/shuffled"); b=$(acc "$TMP/unsorted"); c=$(acc "$TMP/file"); d=$(acc "$TMP/alone")
awk -v a="$a" -v d="$d" 'BEGIN { exit !(d >= a - 0.02) }' ||
    fail "one worker of two in its stage reached $d against $a: it did not see the whole file"

awk -v a="$a" -v b="$b" 'BEGIN { exit !(a >= b - 0.01 && a > 0.9) }' ||
    fail "sorted file, shuffled batches: accuracy $a; unsorted file: $b"
awk -v a="$a" -v c="$c" 'BEGIN { exit !(c < a - 0.05) }' ||
    fail "sorted file in file order reached $c, as good as shuffled ($a): the test shows nothing"
echo "ok: a file sorted by label: shuffled batches $a, an unsorted file $b, file order $c, one worker of two in its stage $d"

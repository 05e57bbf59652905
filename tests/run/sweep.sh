#!/usr/bin/env bash
# pslab sweep: a grid of 3 x 2 points, each its own run directory with the swept
# values in its config.ini, a sweep.csv row each (final loss, time to the target
# loss), and a plot of the points; zip and repeat modes; a failed point is
# reported while the others go on; malformed sweeps are errors naming the line.
source "$(dirname "$0")/common.bash"
cat > "$TMP/sw.ini" <<'INI'
[run]
iterations = 40
eval_every = 20
[cluster]
servers = 1
workers = 2
[data]
features = 2000
train_examples = 20000
test_examples = 2000
[model]
batch = 50
[sweep]
model.lr = 0.5, 2, 8
cluster.workers = 2, 4
target_loss = 0.6
INI
"$PSLAB" sweep "$TMP/sw.ini" --out "$TMP/grid" --jobs 2 >/dev/null 2>&1 || fail "grid sweep failed"
[ "$(wc -l < "$TMP/grid/sweep.csv")" -eq 7 ] || fail "grid: $(cat "$TMP/grid/sweep.csv")"
head -1 "$TMP/grid/sweep.csv" | grep -qx "point,model.lr,cluster.workers,status,final_loss,sim_time_s,time_to_target_s" ||
    fail "sweep.csv header: $(head -1 "$TMP/grid/sweep.csv")"
got=$(awk -F, 'NR > 1 { printf "%s/%s ", $2, $3 }' "$TMP/grid/sweep.csv")
[ "$got" = "0.5/2 0.5/4 2/2 2/4 8/2 8/4 " ] || fail "grid points: $got"
for p in 0 3 5; do
    dir=$TMP/grid/point-00$p
    lr=$(awk -F, -v p=$p 'NR == p + 2 { print $2 }' "$TMP/grid/sweep.csv")
    grep -qx "lr = $lr" "$dir/config.ini" || fail "point $p's config.ini lacks lr = $lr"
    want=$(sed -n 's/^final_loss: //p' "$dir/summary.txt")
    row=$(awk -F, -v p=$p 'NR == p + 2 { print $5 }' "$TMP/grid/sweep.csv")
    [ "$row" = "$want" ] || fail "point $p: sweep.csv says $row, summary.txt $want"
    t=$(awk -F, -v p=$p 'NR == p + 2 { print $7 }' "$TMP/grid/sweep.csv")
    first=$(awk -F, 'NR > 1 && $4 <= 0.6 { print $1; exit }' "$dir/metrics.csv")
    [ "$t" = "$first" ] || fail "point $p: time to target $t, metrics.csv says '$first'"
done
[ -s "$TMP/grid/sweep.png" ] && grep -q "p5 lr=8 workers=4" "$TMP/grid/sweep.svg" ||
    fail "the sweep's plot lacks its points"
echo "ok: a 3 x 2 grid, each point's run, sweep.csv and plot"

sed -i 's/^target_loss = 0.6$/mode = zip\nrepeat = 2/; s/^cluster.workers = 2, 4$/cluster.workers = 2, 3, 4/' "$TMP/sw.ini"
"$PSLAB" sweep "$TMP/sw.ini" --out "$TMP/zip" >/dev/null 2>&1 || fail "zip sweep failed"
got=$(awk -F, 'NR > 1 { printf "%s/%s/%s ", $2, $3, $4 }' "$TMP/zip/sweep.csv")
[ "$got" = "0.5/2/1 0.5/2/2 2/3/1 2/3/2 8/4/1 8/4/2 " ] || fail "zip with repeat: $got"
grep -qx "seed = 2" "$TMP/zip/point-001/config.ini" || fail "repeat 2's seed"
echo "ok: zip mode with repeat = 2"

# a point that fails (more workers than rows) is reported; the others still run
sed -i 's/^cluster.workers = 2, 3, 4$/data.train_examples = 20000, 1, 20000/' "$TMP/sw.ini"
rc=0; "$PSLAB" sweep "$TMP/sw.ini" --out "$TMP/fail" >/dev/null 2>"$TMP/fail.err" || rc=$?
[ $rc -eq 1 ] || fail "a failed point: exit $rc"
grep -q "point 2 FAILED" "$TMP/fail.err" || fail "the failed point is not named: $(cat "$TMP/fail.err")"
awk -F, 'NR > 1 { s = s $5 " " } END { exit s != "ok ok failed failed ok ok " }' "$TMP/fail/sweep.csv" ||
    fail "statuses: $(cat "$TMP/fail/sweep.csv")"
echo "ok: failed points reported, the others run"

printf '[run]\niterations = 5\n[sweep]\nmodel.lr = 1,\n' > "$TMP/bad.ini"
expect_error "bad.ini:4: an empty value of model.lr" "$PSLAB" sweep "$TMP/bad.ini" --out "$TMP/b1"
printf '[sweep]\nmode = cross\n' > "$TMP/bad.ini"
expect_error "bad.ini:2: sweep mode 'cross': grid or zip" "$PSLAB" sweep "$TMP/bad.ini" --out "$TMP/b2"
printf '[sweep]\nmode = zip\nmodel.lr = 1, 2\nmodel.batch = 3\n' > "$TMP/bad.ini"
expect_error "mode = zip needs lists of one length" "$PSLAB" sweep "$TMP/bad.ini" --out "$TMP/b3"
printf '[run]\niterations = 5\n' > "$TMP/bad.ini"
expect_error "no [sweep] section" "$PSLAB" sweep "$TMP/bad.ini" --out "$TMP/b4"
expect_error "already exists" "$PSLAB" sweep "$TMP/sw.ini" --out "$TMP/grid"

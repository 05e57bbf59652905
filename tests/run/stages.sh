#!/usr/bin/env bash
# Multi-stage tasks: a config of one [stage.N] section trains what the same keys
# without it train; stages run in order with their own workers, batch, step and
# consistency, clocks counting within each; the servers reset to each stage's
# workers and stay up; metrics.csv, workers.csv and summary.txt report each
# stage; pslab check judges every pull by its stage's rule; the real backend
# gives the simulator's model; a malformed stage plan is an error naming it.
source "$(dirname "$0")/common.bash"

# one stage made of the run's keys, as a section or not: the same model and times
"$PSLAB" run tests/expected/golden8.ini --out "$TMP/plain" >/dev/null
"$PSLAB" run tests/expected/golden8.ini --set stage.1.iterations=20 --out "$TMP/one" >/dev/null
cmp <(cut -d, -f1,3- "$TMP/plain/metrics.csv") <(cut -d, -f1,3- "$TMP/one/metrics.csv") ||
    fail "one [stage.1] of the run's keys trains another model"
awk -F, 'NR > 1 && $2 != 0 { exit 1 }' "$TMP/plain/metrics.csv" || fail "unstaged run's stage is not 0"
awk -F, 'NR > 1 && $2 != 1 { exit 1 }' "$TMP/one/metrics.csv" || fail "[stage.1]'s stage is not 1"
echo "ok: a single [stage.1] is the run's keys"

cat > "$TMP/two.ini" <<'INI'
[run]
eval_every = 20
[cluster]
servers = 2
workers = 4
[data]
features = 2000
train_examples = 20000
test_examples = 2000
[model]
batch = 50
lr = 2
[stage.1]
workers = 2
iterations = 40
[stage.2]
iterations = 30
batch = 200
consistency = ssp
staleness = 2
[stage.3]
workers = 3
iterations = 10
consistency = bsp
INI
"$PSLAB" run "$TMP/two.ini" --trace --set stragglers.fraction=0.25 --set stragglers.factor=3 \
    --set model.flop_scale=300 --out "$TMP/st" >/dev/null 2>&1 || fail "staged run failed"
got=$(awk -F, 'NR > 1 { printf "%s:%s ", $2, $3 }' "$TMP/st/metrics.csv")
[ "$got" = "1:0 1:20 1:40 2:20 2:30 3:10 " ] || fail "stage:iteration rows are '$got'"
# workers.csv: a row per worker and stage it took part in
got=$(awk -F, 'NR > 1 { n[$10]++ } END { printf "%d %d %d", n[1], n[2], n[3] }' "$TMP/st/workers.csv")
[ "$got" = "2 4 3" ] || fail "workers per stage in workers.csv: $got"
awk -F, 'NR > 1 && $10 == 2 && $2 != 30 { exit 1 }' "$TMP/st/workers.csv" || fail "stage 2 rows lack 30 iterations"
grep -qx "stages: 3" "$TMP/st/summary.txt" || fail "summary lacks the stage count"
grep -q "^stage_2: workers 4, iterations 30, batch 200, consistency ssp, start_s " "$TMP/st/summary.txt" ||
    fail "summary's stage 2: $(grep stage_2 "$TMP/st/summary.txt")"
grep -q "^stage_3: workers 3, .* transition_s [0-9]" "$TMP/st/summary.txt" || fail "summary lacks stage 3's transition"
# idle in stage 1, worker 3 waits for it: its stage-2 wait covers stage 1
end1=$(awk -F, 'NR > 1 && $10 == 1 && $6 > m { m = $6 } END { print m }' "$TMP/st/workers.csv")
wait3=$(awk -F, 'NR > 1 && $1 == 3 && $10 == 2 { print $4 }' "$TMP/st/workers.csv")
awk -v a="$end1" -v b="$wait3" 'BEGIN { exit !(b >= 0.99 * a) }' ||
    fail "worker 3 waited $wait3 s for stage 1, which ended at $end1 s"
out=$("$PSLAB" check "$TMP/st") || fail "check of the staged run: $out"
grep -q "stage 1: bsp (at most 0), stage 2: ssp (at most 2), stage 3: bsp (at most 0)" <<<"$out" ||
    fail "check does not judge per stage: $out"
# stage 2's stale pulls are violations under stage 2 = bsp: the check is per stage
awk -F, 'NR > 1 && $2 == 2 && $7 > 0 { s = 1 } END { exit !s }' "$TMP/st/metrics.csv" ||
    fail "the SSP stage served no stale pull (the next check shows nothing)"
sed -i '/^\[stage.2\]/,/^\[/ s/^consistency = ssp/consistency = bsp/' "$TMP/st/config.ini"
rc=0; "$PSLAB" check "$TMP/st" >/dev/null 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "stage 2's SSP pulls passed a BSP rule (exit $rc)"
echo "ok: 3 stages reported per stage and checked per stage ($out)"

# the reset under each model, the worker count changing at every stage (4, 2, 3, 4)
"$PSLAB" run "$TMP/two.ini" --trace --set stage.1.workers=4 --set stage.1.consistency=wsp \
    --set stage.2.workers=2 --set stage.3.consistency=ssp --set stage.4.iterations=10 \
    --set stage.4.consistency=asp --set stragglers.fraction=0.25 --set stragglers.factor=3 \
    --set model.flop_scale=300 --out "$TMP/resets" >/dev/null 2>&1 || fail "wsp/ssp/ssp/asp stages failed"
out=$("$PSLAB" check "$TMP/resets") || fail "check of wsp, ssp, ssp, asp stages: $out"
grep -q "stage 1: wsp (at most 2), stage 2: ssp (at most 2), stage 3: ssp (at most 2), stage 4: asp (unbounded)" <<<"$out" ||
    fail "check's rules: $out"
got=$(awk -F, 'NR > 1 { n[$10]++ } END { printf "%d %d %d %d", n[1], n[2], n[3], n[4] }' "$TMP/resets/workers.csv")
[ "$got" = "4 2 3 4" ] || fail "workers per stage: $got"
echo "ok: resets between wsp, ssp and asp stages of 4, 2, 3 and 4 workers pass pslab check"

# the real backend trains the simulator's model, stage by stage (BSP throughout)
"$PSLAB" run "$TMP/two.ini" --set stage.2.consistency=bsp --out "$TMP/sim" >/dev/null 2>&1 || fail "sim run failed"
"$PSLAB" run "$TMP/two.ini" --set stage.2.consistency=bsp --backend real --out "$TMP/real" \
    >/dev/null 2>"$TMP/real.log" || fail "real staged run failed: $(cat "$TMP/real.log")"
cmp <(cut -d, -f2-5 "$TMP/sim/metrics.csv") <(cut -d, -f2-5 "$TMP/real/metrics.csv") ||
    fail "sim and real disagree on the staged run"
echo "ok: the staged run gives the same model on the real backend"

expect_error "[stage.5] without [stage.4]: stages are numbered 1, 2, ... without gaps" \
    "$PSLAB" run "$TMP/two.ini" --out "$TMP/x1" --set stage.5.lr=1
expect_error "stage.1.workers = 9 exceeds cluster.workers = 4" "$PSLAB" run "$TMP/two.ini" \
    --set stage.1.workers=9 --out "$TMP/x2"
expect_error "unknown key 'epochs' in section [stage.2]" bash -c \
    "sed 's/^batch = 200/epochs = 3/' '$TMP/two.ini' > '$TMP/bad.ini' && '$PSLAB' run '$TMP/bad.ini' --out '$TMP/x3'"
expect_error "stage.1.iterations is not set, and there is no run.iterations" bash -c \
    "sed '/^iterations = 40/d' '$TMP/two.ini' > '$TMP/bad2.ini' && '$PSLAB' run '$TMP/bad2.ini' --out '$TMP/x4'"
expect_error "unknown key stage.17.lr" "$PSLAB" run "$TMP/two.ini" --set stage.17.lr=1 --out "$TMP/x5"

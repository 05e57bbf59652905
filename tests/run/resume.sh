#!/usr/bin/env bash
# Checkpoints and pslab run --resume: a run stopped by SIGINT and resumed from its
# servers' newest checkpoint ends with exactly the uninterrupted run's model under
# BSP (every metrics.csv column but the time), in sim, twice over, on the real
# backend (against the sim run: the backends agree bit for bit), and with the disk
# store; its times go on from the checkpoint's. A damaged or missing checkpoint, a
# finished run and extra arguments are clear errors.
source "$(dirname "$0")/common.bash"
small_ini "$TMP/ck.ini" 1500 "checkpoint_every = 5"
"$PSLAB" run "$TMP/ck.ini" --out "$TMP/ref" >/dev/null 2>&1 || fail "the uninterrupted run failed"
[ -f "$TMP/ref/checkpoint/server0.ckpt" ] && [ -f "$TMP/ref/checkpoint/server1.prev.ckpt" ] ||
    fail "no checkpoint files: $(ls -R "$TMP/ref")"

# interrupt DIR ARGS...: starts pslab run ARGS --out DIR (or --resume DIR when ARGS
# is "resume"), sends SIGINT once metrics.csv has grown by 3 rows, waits for it
interrupt() {
    local dir=$1 rows=0 pid
    shift
    [ -f "$dir/metrics.csv" ] && rows=$(wc -l < "$dir/metrics.csv")
    if [ "$1" = resume ]; then
        setsid "${DFL[@]}" "$PSLAB" run --resume "$dir" >/dev/null 2>"$dir.err" & pid=$!
    else
        setsid "${DFL[@]}" "$PSLAB" run "$@" --out "$dir" >/dev/null 2>"$dir.err" & pid=$!
    fi
    for _ in $(seq 600); do
        [ -f "$dir/metrics.csv" ] && [ "$(wc -l < "$dir/metrics.csv")" -gt $((rows + 3)) ] && break
        sleep 0.1
    done
    kill -INT -- -"$pid" 2>/dev/null || true
    local rc=0
    wait "$pid" || rc=$?
    [ $rc = 130 ] || fail "$dir: exit $rc after SIGINT (did it end first?): $(tail -2 "$dir.err")"
}
# resumed DIR REF: resumes DIR to its end and compares it with REF
resumed() {
    local dir=$1 ref=$2 at
    at=$(summary_value "$dir" interrupted_min_clock)
    "$PSLAB" run --resume "$dir" >/dev/null 2>"$dir.resume.err" ||
        fail "$dir: resume failed: $(cat "$dir.resume.err")"
    local from
    from=$(summary_value "$dir" resumed_from_clock)
    [ -n "$from" ] && [ $((from % 5)) = 0 ] && [ "$from" -le "$at" ] && [ "$from" -gt $((at - 5)) ] ||
        fail "$dir: resumed from clock '$from', the slowest worker was at $at (checkpoints every 5)"
    grep -q "resuming $dir from its checkpoint at clock $from" "$dir.resume.err" ||
        fail "$dir: no resume notice: $(cat "$dir.resume.err")"
    same_model "$ref" "$dir"
    awk -F, 'NR > 2 && $1 < t { bad = 1 } { t = $1 } END { exit bad }' "$dir/metrics.csv" ||
        fail "$dir: metrics.csv's times go back after the resume"
    [ "$(summary_value "$dir" final_loss)" = "$(summary_value "$ref" final_loss)" ] ||
        fail "$dir: final_loss differs from $ref's"
    [ -z "$(summary_value "$dir" interrupted)" ] || fail "$dir: the resumed summary still says interrupted"
    echo "ok: $dir interrupted at $at, resumed from $from: the same model as $ref"
}

interrupt "$TMP/sim" "$TMP/ck.ini"
resumed "$TMP/sim" "$TMP/ref"
# a resumed run stopped again goes on again
interrupt "$TMP/twice" "$TMP/ck.ini"
interrupt "$TMP/twice" resume
resumed "$TMP/twice" "$TMP/ref"
interrupt "$TMP/real" "$TMP/ck.ini" --backend real
resumed "$TMP/real" "$TMP/ref"
"$PSLAB" run "$TMP/ck.ini" --set server.store=disk --out "$TMP/dref" >/dev/null 2>&1 ||
    fail "the disk store's uninterrupted run failed"
interrupt "$TMP/disk" "$TMP/ck.ini" --set server.store=disk
resumed "$TMP/disk" "$TMP/dref"

# a checkpoint is a barrier under every model: under SSP with stragglers, no pull
# for clock c is served before the slowest worker has reached the checkpoint at or
# below c; without checkpoints, some are (so the check can fail)
behind() { awk -F, 'FNR > 1 && !/^#/ && $5 < int($4 / 5) * 5 { n++ } END { print n + 0 }' \
    "$1"/trace/server*.pulls.csv; }
for every in 5 0; do
    "$PSLAB" run "$TMP/ck.ini" --set fault.checkpoint_every=$every --set run.iterations=200 \
        --set policy.consistency=ssp --set platform.slow_fraction=0.25 --set platform.slow_factor=4 \
        --trace --out "$TMP/ssp$every" >/dev/null 2>&1 || fail "ssp run (checkpoints every $every) failed"
    "$PSLAB" check "$TMP/ssp$every" >/dev/null || fail "pslab check of ssp$every"
done
[ "$(behind "$TMP/ssp5")" = 0 ] || fail "$(behind "$TMP/ssp5") pulls went past a checkpoint's barrier"
[ "$(behind "$TMP/ssp0")" -gt 0 ] || fail "without checkpoints no SSP pull runs ahead: the check cannot fail"
echo "ok: under SSP no pull passes a checkpoint's clock early ($(behind "$TMP/ssp0") do without)"

# the newest checkpoint lost (a delta: whole ones are at 5, 55, ..., 1455): the one
# before it (1495) is resumed from, and the rows written after it (1500) are
# written again, once
cp -r "$TMP/ref" "$TMP/lost"
rm "$TMP/lost/checkpoint/server0.d1500.ckpt" "$TMP/lost/checkpoint/server1.d1500.ckpt"
"$PSLAB" run --resume "$TMP/lost" >/dev/null 2>&1 || fail "resume from the checkpoint before failed"
[ "$(summary_value "$TMP/lost" resumed_from_clock)" = 1495 ] || fail "lost: not resumed from 1495"
same_model "$TMP/ref" "$TMP/lost"
echo "ok: without the newest checkpoint, the one before; metrics.csv's rows after it written once"
# the newest whole ones lost: the deltas on them are of no use, and the chain before
# (whole at 1405, deltas to 1450) serves
cp -r "$TMP/ref" "$TMP/lostw"
rm "$TMP/lostw/checkpoint/server0.ckpt" "$TMP/lostw/checkpoint/server1.ckpt"
"$PSLAB" run --resume "$TMP/lostw" >/dev/null 2>&1 || fail "resume from the chain before failed"
[ "$(summary_value "$TMP/lostw" resumed_from_clock)" = 1450 ] || fail "lostw: resumed from $(summary_value "$TMP/lostw" resumed_from_clock), not 1450"
same_model "$TMP/ref" "$TMP/lostw"
# whole checkpoints only: the same run, resumed from the same clock, the same model
"$PSLAB" run "$TMP/ck.ini" --set fault.checkpoint_full_every=1 --out "$TMP/whole" >/dev/null 2>&1 ||
    fail "the run of whole checkpoints failed"
[ "$(ls "$TMP/whole/checkpoint")" = "$(printf 'server0.ckpt\nserver0.prev.ckpt\nserver1.ckpt\nserver1.prev.ckpt')" ] ||
    fail "whole checkpoints: $(ls "$TMP/whole/checkpoint" | tr '\n' ' ')"
rm "$TMP/whole/checkpoint/server0.ckpt" "$TMP/whole/checkpoint/server1.ckpt"
"$PSLAB" run --resume "$TMP/whole" >/dev/null 2>&1 || fail "resume of whole checkpoints failed"
[ "$(summary_value "$TMP/whole" resumed_from_clock)" = 1495 ] || fail "whole: not resumed from 1495"
same_model "$TMP/ref" "$TMP/whole"
echo "ok: without the newest whole checkpoints, the chain before them (1450); with whole ones only, the one before (1495)"

expect_error "checkpoint is at its last clock (1500): the run was complete" \
    "$PSLAB" run --resume "$TMP/ref"
"$PSLAB" run "$TMP/ck.ini" --set fault.checkpoint_every=0 --set run.iterations=20 \
    --out "$TMP/none" >/dev/null 2>&1
expect_error "has no clock that every one of the 2 servers checkpointed (was fault.checkpoint_every set?)" \
    "$PSLAB" run --resume "$TMP/none"
expect_error "--resume takes only the run directory (its config.ini says the rest) and --trace" "$PSLAB" run --resume "$TMP/ref" --set run.seed=2
cp -r "$TMP/sim" "$TMP/cut"
for f in "$TMP/cut/checkpoint/"*.ckpt; do truncate -s -9 "$f"; done
expect_error "server0.ckpt is cut short (no end mark)" "$PSLAB" run --resume "$TMP/cut"
cp -r "$TMP/sim" "$TMP/junk"
head -c 4096 /dev/urandom > "$TMP/junk/checkpoint/server1.ckpt"
expect_error "server1.ckpt is not a pslab checkpoint" "$PSLAB" run --resume "$TMP/junk"
expect_error "fault.checkpoint_every does not work with a multi-task run yet" \
    "$PSLAB" run experiments/flexps/two_tasks.ini --set fault.checkpoint_every=5 --out "$TMP/tasks"
expect_error "fault.checkpoint_every does not work with policy.cache yet" \
    "$PSLAB" run "$TMP/ck.ini" --set policy.cache=lru --out "$TMP/cache"

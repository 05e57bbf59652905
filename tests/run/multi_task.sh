#!/usr/bin/env bash
# Several tasks on one cluster ([task.N] sections, policy.scheduler): which stage
# starts when and on which nodes under sequential, greedy and priority; each task
# trains the model it trains alone (its metrics but the time column); schedule.csv
# and summary.txt agree with each other; the same run on the real backend trains
# the same models; bad task sections are refused by name.
source "$(dirname "$0")/common.bash"
EX=experiments/flexps/two_tasks.ini
run() { "$PSLAB" run "$@" >/dev/null 2>"$TMP/err.log" || fail "pslab run $*: $(cat "$TMP/err.log")"; }
# the rows of schedule.csv without their times: task, stage, workers, nodes
plan() { awk -F, 'NR > 1 { print $1, $2, $3, $6 }' "$1/schedule.csv" | tr '\n' '|'; }
col() { awk -F, -v t="$2" -v s="$3" -v c="$4" '$1 == t && $2 == s { print $c }' "$1/schedule.csv"; }

run "$EX" --out "$TMP/greedy"
[ "$(plan "$TMP/greedy")" = "lr 1 4 2:1 3:1 4:1 5:1|lr 2 2 2:1 3:1|svm 1 2 4:1 5:1|" ] ||
    fail "greedy's schedule: $(plan "$TMP/greedy")"
[ "$(col "$TMP/greedy" svm 1 4)" = "$(col "$TMP/greedy" lr 1 5)" ] ||
    fail "greedy: svm does not start when lr's first stage frees two slots"
run "$EX" --set policy.scheduler=sequential --out "$TMP/seq"
[ "$(plan "$TMP/seq")" = "lr 1 4 2:1 3:1 4:1 5:1|lr 2 2 2:1 3:1|svm 1 2 2:1 3:1|" ] ||
    fail "sequential's schedule: $(plan "$TMP/seq")"
[ "$(col "$TMP/seq" svm 1 4)" = "$(col "$TMP/seq" lr 2 5)" ] ||
    fail "sequential: svm does not wait for lr's last stage"
echo "ok: greedy overlaps the tasks, sequential runs one stage at a time"

# Each task alone, as a run of its own config, trains the same model.
for t in lr:lr_stages svm:svm_small; do
    run "experiments/flexps/tasks/${t#*:}.ini" --out "$TMP/alone-${t%%:*}"
    cmp <(cut -d, -f2- "$TMP/alone-${t%%:*}/metrics.csv") <(cut -d, -f2- "$TMP/greedy/${t%%:*}/metrics.csv") ||
        fail "task ${t%%:*} trains another model beside the other task"
    [ -s "$TMP/greedy/${t%%:*}/workers.csv" ] && [ -s "$TMP/greedy/${t%%:*}/config.ini" ] ||
        fail "task ${t%%:*} lacks its outputs"
done
# svm's workers are workers 2 and 3 of its task (nodes 4 and 5), its ranks 0 and 1
[ "$(awk -F, 'NR > 1 { print $1 }' "$TMP/greedy/svm/workers.csv" | tr '\n' ' ')" = "2 3 " ] ||
    fail "svm's workers.csv names other workers: $(cat "$TMP/greedy/svm/workers.csv")"
echo "ok: each task trains the model it trains alone"

# summary.txt: completion = done - submit, makespan = the last done, from schedule.csv
for d in greedy seq; do
    awk -F, 'NR > 1 && $5 > done[$1] { done[$1] = $5 }
             END { for (t in done) if (done[t] > m) m = done[t]; printf "%.9f\n", m }' \
        "$TMP/$d/schedule.csv" > "$TMP/m"
    [ "$(summary_value "$TMP/$d" makespan_s)" = "$(cat "$TMP/m")" ] ||
        fail "$d: makespan $(summary_value "$TMP/$d" makespan_s), schedule.csv's last end $(cat "$TMP/m")"
    lr_done=$(col "$TMP/$d" lr 2 5); svm_done=$(col "$TMP/$d" svm 1 5)
    want=$(awk -v a="$lr_done" -v b="$svm_done" 'BEGIN { printf "%.9f", (a + b - 0.001) / 2 }')
    awk -v got="$(summary_value "$TMP/$d" mean_completion_s)" -v want="$want" \
        'BEGIN { d = got - want; exit !(d < 3e-9 && d > -3e-9) }' ||
        fail "$d: mean completion $(summary_value "$TMP/$d" mean_completion_s), want $want"
done
awk -v g="$(summary_value "$TMP/greedy" makespan_s)" -v s="$(summary_value "$TMP/seq" makespan_s)" \
    'BEGIN { exit !(g < s) }' || fail "greedy's makespan is not below sequential's"
echo "ok: makespan $(summary_value "$TMP/greedy" makespan_s) (greedy) < $(summary_value "$TMP/seq" makespan_s) (sequential)"

# Starvation: two tasks of three 2-slot stages keep a 4-slot task waiting under
# greedy; priority serves it once it has waited scheduler.angry_after events.
small() { sed -e "s/^seed = .*/seed = $2/" -e 's/^workers = 4$/workers = 2/' \
    -e 's/^iterations = 30$/iterations = 10/' experiments/flexps/tasks/lr_stages.ini > "$TMP/$1.ini"
    printf '[stage.3]\nworkers = 2\nbatch = 200\niterations = 10\n' >> "$TMP/$1.ini"; }
small a 1; small c 3
sed -e 's/^workers = 2$/workers = 4/' experiments/flexps/tasks/svm_small.ini > "$TMP/b.ini"
cat > "$TMP/starve.ini" <<INI
[cluster]
servers = 2
workers = 4
[task.1]
name = a
config = $TMP/a.ini
[task.2]
name = b
config = $TMP/b.ini
submit = 0.001
[task.3]
name = c
config = $TMP/c.ini
INI
run "$TMP/starve.ini" --out "$TMP/starve-greedy"
run "$TMP/starve.ini" --set policy.scheduler=priority --set scheduler.angry_after=1 --out "$TMP/starve-prio"
last() { awk -F, 'NR > 1 { t = $1 } END { print t }' "$1/schedule.csv"; }
[ "$(last "$TMP/starve-greedy")" = b ] || fail "greedy does not starve b: $(plan "$TMP/starve-greedy")"
[ "$(awk -F, 'NR == 4 { print $1 }' "$TMP/starve-prio/schedule.csv")" = b ] ||
    fail "priority does not serve b after one stage end: $(plan "$TMP/starve-prio")"
b_g=$(col "$TMP/starve-greedy" b 1 4); b_p=$(col "$TMP/starve-prio" b 1 4)
awk -v g="$b_g" -v p="$b_p" 'BEGIN { exit !(p < g) }' || fail "b starts at $b_p under priority, $b_g greedy"
echo "ok: the 4-slot task starts at $b_g s under greedy, $b_p s under priority"

# A traced multi-task run: each task's directory passes pslab check.
run "$EX" --trace --out "$TMP/traced"
for t in lr svm; do
    out=$("$PSLAB" check "$TMP/traced/$t") || fail "pslab check of task $t: $out"
    grep -q "no update lost" <<<"$out" || fail "pslab check of task $t: $out"
done
echo "ok: pslab check passes each task of a traced run"

# The real backend: the same schedule's models.
run "$EX" --backend real --out "$TMP/real"
for t in lr svm; do
    cmp <(cut -d, -f2- "$TMP/greedy/$t/metrics.csv") <(cut -d, -f2- "$TMP/real/$t/metrics.csv") ||
        fail "task $t trains another model on the real backend"
done
[ "$(plan "$TMP/real")" = "$(plan "$TMP/greedy")" ] || fail "the real backend's schedule: $(plan "$TMP/real")"
echo "ok: the real backend runs both tasks to the same models and schedule"

# One pslab node per process, as a launcher starts them: the same models.
port=$(( 20000 + RANDOM % 20000 ))
for r in 1 2 3 4 5; do
    "$PSLAB" node --coordinator 127.0.0.1:$port --rank $r 2>"$TMP/node$r.err" & pids[$r]=$!
done
"$PSLAB" node --coordinator 127.0.0.1:$port --rank 0 --nodes 6 "$EX" --out "$TMP/nodes" \
    >/dev/null 2>"$TMP/node0.err" || fail "pslab node 0: $(cat "$TMP/node0.err")"
for r in 1 2 3 4 5; do wait "${pids[$r]}" || fail "pslab node $r: $(cat "$TMP/node$r.err")"; done
for t in lr svm; do
    cmp <(cut -d, -f2- "$TMP/greedy/$t/metrics.csv") <(cut -d, -f2- "$TMP/nodes/$t/metrics.csv") ||
        fail "task $t trains another model under pslab node"
done
echo "ok: six pslab node processes run both tasks to the same models"

# A task that diverges ends with its error; the scheduler gives its slots to the
# other, which trains its model, and the run's outputs say which failed.
sed -e 's/^lr = 0.5$/lr = 2/' -e 's/^batch = 500$/batch = 1000/' experiments/lasso.ini > "$TMP/div.ini"
printf '[cluster]\nservers = 2\nworkers = 4\n[task.1]\nname = div\nconfig = %s\n[task.2]\nname = svm\nconfig = %s\n' \
    "$TMP/div.ini" experiments/flexps/tasks/svm_small.ini > "$TMP/mtdiv.ini"
expect_error "diverged at stage 0" "$PSLAB" run "$TMP/mtdiv.ini" --out "$TMP/div"
grep -q "^task_1: div, .*, failed$" "$TMP/div/summary.txt" || fail "summary.txt: $(cat "$TMP/div/summary.txt")"
grep -q "^task_2: svm, .*[0-9]$" "$TMP/div/summary.txt" || fail "svm is reported failed: $(cat "$TMP/div/summary.txt")"
cmp <(cut -d, -f2- "$TMP/alone-svm/metrics.csv") <(cut -d, -f2- "$TMP/div/svm/metrics.csv") ||
    fail "the task beside a failed one trains another model"
echo "ok: a diverging task ends alone; the other runs on to its model"

# Bad task sections
printf '[cluster]\nservers = 1\nworkers = 2\n[task.2]\nconfig = %s\n' "$TMP/a.ini" > "$TMP/gap.ini"
expect_error "[task.2] without [task.1]" "$PSLAB" run "$TMP/gap.ini" --out "$TMP/x1"
printf '[cluster]\nservers = 1\nworkers = 2\n[task.1]\nsubmit = 1\n' > "$TMP/noconf.ini"
expect_error "[task.1] has no config" "$PSLAB" run "$TMP/noconf.ini" --out "$TMP/x2"
expect_error "scheduler.angry_after is a key of scheduler priority" \
    "$PSLAB" run "$EX" --set scheduler.angry_after=2 --out "$TMP/x3"
expect_error "stage.1.workers = 4 exceeds cluster.workers = 2" \
    "$PSLAB" run "$EX" --set cluster.workers=2 --out "$TMP/x4"
printf '[cluster]\nservers = 1\nworkers = 2\n[task.1]\nconfig = %s\nname = ../up\n' "$TMP/a.ini" > "$TMP/dots.ini"
expect_error "cannot be '.', '..' or hold '/'" "$PSLAB" run "$TMP/dots.ini" --out "$TMP/x5"

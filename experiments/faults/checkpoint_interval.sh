#!/usr/bin/env bash
# Checkpoint interval against a server's crash: LR (1M features) trained for 300
# clocks under BSP, server 1 crashing once it has completed clock 195
# (fault.crash), with checkpoints every 1, 10 and 100 clocks (fault.checkpoint_every,
# fault.restarts = 1). For each interval, the fault-free run's time against one
# without checkpoints (the checkpoints' overhead) and the crashed run's against the
# fault-free one (the clocks lost since the last checkpoint and the recovery). Sim:
# 100 hosts (5 servers, 95 workers) with the parameters on disk (server.store =
# disk), simulated seconds, fault.recovery_s = 1; --real: 8 local node processes (2
# servers, 6 workers, mem store), wall seconds, the crash a real SIGKILL. --quick: 20
# hosts and 100k features. Writes OUT/intervals.csv, OUT/faults.png and .svg (loss
# against time of the crashed runs and the fault-free one), and prints a REPORT.md row.
#   experiments/faults/checkpoint_interval.sh PSLAB OUT [--quick] [--real]
set -euo pipefail
pslab=${1:?usage: checkpoint_interval.sh PSLAB OUT [--quick] [--real]}; out=${2:?}
quick='' real=''
for a in "${@:3}"; do case "$a" in --quick) quick=1 ;; --real) real=1 ;;
    *) echo "checkpoint_interval: $a: --quick or --real" >&2; exit 2 ;; esac; done
here=$(dirname "$0")
. "$here/../lib.sh"
mkdir -p "$out"
servers=5 workers=95 features=1000000 store=disk backend=sim
[ -n "$quick" ] && servers=2 workers=18 features=100000
[ -n "$real" ] && servers=2 workers=6 store=mem backend=real
cat > "$out/base.ini" <<INI
[run]
name = faults
backend = $backend
iterations = 300
eval_every = 5
[cluster]
servers = $servers
workers = $workers
[data]
features = $features
train_examples = $(( workers * 2000 ))
test_examples = 2000
nnz = 20
zipf = 1.1
[model]
batch = 100
lr = 4
[server]
store = $store
[fault]
restarts = 1
recovery_s = 1
[real]
timeout = 60
INI
# run NAME ARGS...: one run into OUT/NAME; its time: simulated in sim, wall on real
run() {
    local name=$1
    shift
    rm -rf "${out:?}/$name"
    "$pslab" run "$out/base.ini" "$@" --set run.name="$name" --out "$out/$name" >"$out/$name.log" 2>&1 ||
        { echo "checkpoint_interval: $name failed: $(tail -3 "$out/$name.log")" >&2; exit 1; }
}
# took NAME: the time of its last evaluation (real: wall seconds since the first
# attempt's start, which a restart's nodes share)
took() { summary_value "$out/$1" sim_time_s; }
run none --set fault.restarts=0 # no checkpoints, no crash
echo "interval,fault_free_s,overhead_x,crashed_s,lost_s,resumed_from" > "$out/intervals.csv"
for every in 1 10 100; do
    run "free-$every" --set fault.checkpoint_every=$every
    run "crash-$every" --set fault.checkpoint_every=$every --set fault.crash=server1@195
    cmp -s <(cut -d, -f2- "$out/free-$every/metrics.csv") <(cut -d, -f2- "$out/crash-$every/metrics.csv") ||
        { echo "checkpoint_interval: the crashed run ($every) trained another model" >&2; exit 1; }
    awk -v e=$every -v n="$(took none)" -v f="$(took "free-$every")" -v c="$(took "crash-$every")" \
        -v r="$(summary_value "$out/crash-$every" resumed_from_clock)" \
        'BEGIN { printf "%d,%.3f,%.3f,%.3f,%.3f,%s\n", e, f, f / n, c, c - f, r }' >> "$out/intervals.csv"
done
[ -n "$real" ] || "$pslab" plot "$out/none" "$out/crash-1" "$out/crash-10" "$out/crash-100" \
    -o "$out/faults" --title "a server's crash at clock 195: checkpoints every 1, 10, 100 clocks" >/dev/null
col() { awk -F, -v e="$1" -v c="$2" '$1 == e { print $c }' "$out/intervals.csv"; }
# holds: more frequent checkpoints cost more and lose less
holds=$(awk -v o1="$(col 1 3)" -v o10="$(col 10 3)" -v o100="$(col 100 3)" \
    -v l1="$(col 1 5)" -v l10="$(col 10 5)" -v l100="$(col 100 5)" \
    'BEGIN { print (o1 >= o10 && o10 >= o100 && l1 > 0 && l1 <= l10 && l10 <= l100) ? "yes" : "no" }')
unit=$([ -n "$real" ] && echo "wall s" || echo "simulated s")
cells=""
for e in 1 10 100; do
    cells+=" every $e: overhead $(col $e 3)x, crash costs $(col $e 5) $unit (resumed from clock $(col $e 6));"
done
why=""
[ "$holds" = yes ] || why=" Not here: at this size a checkpoint's cost or a clock's is within the noise of the measurement."
where=$([ -n "$real" ] && echo "real, $((servers + workers)) local processes, mem store" || echo "sim, $((servers + workers)) hosts, parameters on disk")
echo "| Parameter Server (OSDI'14), fault tolerance (no figure of it) | a checkpoint interval trades the checkpoints' overhead against the work a server's crash loses: the shorter, the costlier and the less lost; under BSP the model is the fault-free one | $where, server 1 crashed at clock 195 of 300:$cells the same model as the fault-free run each time.$why | $(basename "$out")/$([ -n "$real" ] && echo intervals.csv || echo faults.png) | $holds |"

#!/usr/bin/env bash
# Stopping a sweep: Ctrl-C (SIGINT to its process group, as a terminal sends it)
# or SIGTERM to the sweep alone stops the running points cleanly (SIGTERM passed
# on to them), starts no more, waits for them, and still writes sweep.csv, each
# point's status in it (interrupted, not run); the sweep exits 130 or 143.
source "$(dirname "$0")/common.bash"
cat > "$TMP/sw.ini" <<'INI'
[run]
iterations = 2000000
eval_every = 1000
[cluster]
servers = 1
workers = 2
[data]
features = 2000
train_examples = 20000
test_examples = 2000
[sweep]
model.lr = 0.5, 1, 2, 4
INI
# stop SIGNAL TARGET: a sweep of 4 long points, 2 at a time, stopped once both run
stop() {
    local sig=$1 target=$2 dir="$TMP/$1"
    setsid "${DFL[@]}" "$PSLAB" sweep "$TMP/sw.ini" --out "$dir" --jobs 2 >/dev/null 2>"$dir.err" &
    local pid=$!
    for _ in $(seq 600); do
        [ "$(cat "$dir"/point-00[01]/metrics.csv 2>/dev/null | wc -l)" -ge 4 ] && break
        sleep 0.05
    done
    [ "$target" = group ] && kill "-$sig" -- "-$pid" || kill "-$sig" "$pid"
    local rc=0 t0
    t0=$(date +%s)
    wait "$pid" || rc=$?
    [ $rc = "$3" ] || fail "$sig: the sweep exited $rc, not $3: $(cat "$dir.err")"
    [ $(( $(date +%s) - t0 )) -lt 30 ] || fail "$sig: the sweep took $(( $(date +%s) - t0 )) s to stop"
    [ "$(cut -d, -f3 "$dir/sweep.csv" | tail -n +2 | tr '\n' ' ')" = "interrupted interrupted not run not run " ] ||
        fail "$sig: sweep.csv: $(cat "$dir/sweep.csv")"
    for p in 0 1; do
        [ "$(summary_value "$dir/point-00$p" interrupted)" = "$sig" ] ||
            fail "$sig: point $p: $(cat "$dir/point-00$p/summary.txt")"
    done
    [ ! -e "$dir/point-002" ] || fail "$sig: point 2 was started"
    grep -q "pslab sweep: $sig: stopping the 2 running point(s), starting none of the 2 left" "$dir.err" ||
        fail "$sig: $(cat "$dir.err")"
    echo "ok: $sig ($target): the 2 running points stopped cleanly, 2 not run, sweep.csv says so, exit $rc"
}
stop SIGINT group 130
stop SIGTERM sweep 143

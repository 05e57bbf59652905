#!/usr/bin/env bash
# Recovery on the real backend (fault.restarts): a local run of LR over 1M features
# (4 MB of parameters, 2 servers, 8 workers, BSP, checkpoints every 10 clocks) whose
# server 1 process is killed with SIGKILL at iteration ~100, with the mem and the
# RocksDB store. Prints the time from the kill to the restarted run's first
# iteration past its checkpoint (the launcher sees the death, every node stops, the
# data is made again, fresh processes join and load the checkpoint, the first pulls
# are served), and the run's wall against a fault-free one (the lost clocks since the
# checkpoint and that restart). Median of REPEATS, alternating.
#   bench/restart.sh [PSLAB] [OUT_DIR] [REPEATS]
set -euo pipefail
PSLAB=${1:-build/pslab}
OUT=${2:-$(mktemp -d /tmp/pslab-restart-bench.XXXXXX)}
REPS=${3:-3}
mkdir -p "$OUT"
ini=$(dirname "$0")/fault_lr.ini
fault=(--set run.iterations=300 --set run.eval_every=1 --set fault.checkpoint_every=10
       --set fault.restarts=1)
now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
printf '%-8s %14s %12s %12s %8s\n' store recovery_s wall_s clean_wall_s wall_x
for store in mem rocksdb; do
    : > "$OUT/$store.rec"; : > "$OUT/$store.wall"; : > "$OUT/$store.clean"
    for rep in $(seq "$REPS"); do
        d="$OUT/$store-clean-$rep"; rm -rf "$d"
        t0=$(now)
        "$PSLAB" run "$ini" "${fault[@]}" --backend real --set server.store=$store --out "$d" >/dev/null 2>&1
        awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }' >> "$OUT/$store.clean"
        d="$OUT/$store-kill-$rep"; rm -rf "$d"
        t0=$(now)
        "$PSLAB" run "$ini" "${fault[@]}" --backend real --set server.store=$store --out "$d" \
            >/dev/null 2>"$d.err" &
        pid=$!
        until [ -f "$d/metrics.csv" ] && [ "$(wc -l < "$d/metrics.csv")" -gt 100 ]; do sleep 0.01; done
        kid=$(ps -o pid= --ppid "$pid" | sort -n | head -1 | tr -d ' ')
        kill -9 "$kid"
        tk=$(now)
        until grep -q "from its checkpoint at clock" "$d.err"; do sleep 0.01; done
        c=$(sed -n 's/.*from its checkpoint at clock \([0-9]*\).*/\1/p' "$d.err")
        until [ "$(tail -1 "$d/metrics.csv" | cut -d, -f3)" -gt "$c" ] 2>/dev/null; do sleep 0.005; done
        awk -v a="$tk" -v b="$(now)" 'BEGIN { print b - a }' >> "$OUT/$store.rec"
        wait "$pid"
        awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }' >> "$OUT/$store.wall"
    done
    rec=$(median < "$OUT/$store.rec"); wall=$(median < "$OUT/$store.wall")
    clean=$(median < "$OUT/$store.clean")
    awk -v s=$store -v r="$rec" -v w="$wall" -v c="$clean" \
        'BEGIN { printf "%-8s %14.3f %12.2f %12.2f %8.3f\n", s, r, w, c, w / c }'
done
echo "runs in $OUT"

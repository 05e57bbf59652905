#!/usr/bin/env bash
# A model larger than the servers' caches on the real backend (DRPS): sparse LR over
# FEATURES parameters (default 50M: 200 MB of float32) with uniform features (100 an
# example, batches of 2,000: each iteration touches 800k keys, so that the run
# reaches much of the model), 4 servers with server.cache = 16 MB each (64 MB in
# all) and 4 workers, each a local process; once with the mem store and once with
# the disk store (RocksDB). Prints, per store: each server's peak resident memory
# (nodes.csv), the bytes each server's store read and wrote (summary.txt), and the
# time an iteration takes (training time over iterations, from metrics.csv).
#   bench/larger_than_memory.sh [FEATURES [ITERATIONS]]
set -euo pipefail
cd "$(dirname "$0")/.."
features=${1:-50000000}; iters=${2:-20}
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j"$(nproc)" --target pslab >/dev/null
tmp=$(mktemp -d /tmp/pslab-ltm.XXXXXX); trap 'rm -rf "$tmp"' EXIT
for st in mem disk; do
    d=$tmp/$st
    build-bench/pslab run experiments/quickstart.ini --backend real --set run.name=ltm-$st \
        --set cluster.servers=4 --set cluster.workers=4 --set data.features="$features" \
        --set data.train_examples=200000 --set data.zipf=0 --set data.nnz=100 --set model.batch=2000 \
        --set run.iterations="$iters" --set run.eval_every="$iters" --set run.eval_full_max=0 \
        --set server.store=$st --set server.cache=16777216 --out "$d" >"$d.log" 2>&1 ||
        { echo "bench: $st failed: $(tail -3 "$d.log")"; exit 1; }
    per_iter=$(awk -F, -v n="$iters" 'NR == 2 { a = $1 } END { printf "%.4f", ($1 - a) / n }' "$d/metrics.csv")
    echo "== $st: $features parameters ($((features * 4 / 1000000)) MB), 16 MB of cache a server, $iters iterations: $per_iter s an iteration"
    awk -F, 'NR > 1 && $2 ~ /server/ { printf "  node %d (%s): peak RSS %.1f MB\n", $1, $2, $3 / 1024 }' "$d/nodes.csv"
    grep '^disk_server_' "$d/summary.txt" | sed 's/^/  /' || true
    grep '^final_loss' "$d/summary.txt" | sed 's/^/  /'
done

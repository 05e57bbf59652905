#!/usr/bin/env bash
# 200 simulated hosts, 190 workers talking to every server: each actor receives
# through 8 mailboxes (sim/backend_sim.c, ps__put), which must simulate exactly
# what one mailbox per actor did. The expected files were written by pslab before
# the mailboxes were split (one mailbox per actor), at exact event times.
source "$(dirname "$0")/common.bash"
"$PSLAB" run bench/scale.ini --set run.iterations=10 --set run.eval_every=2 --set cluster.servers=10 \
    --set cluster.workers=190 --set data.train_examples=200000 --set data.features=100000 \
    --set platform.precision=1n --out "$TMP/run" >/dev/null
for f in metrics workers; do
    cmp -s "$TMP/run/$f.csv" "tests/expected/mailboxes200.$f.csv" ||
        fail "$f.csv differs from one mailbox per actor: $(diff "$TMP/run/$f.csv" "tests/expected/mailboxes200.$f.csv" | head -5)"
done
echo "ok: split mailboxes simulate as one"

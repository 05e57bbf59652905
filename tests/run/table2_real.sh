#!/usr/bin/env bash
# DRPS Table 2's LMF and LoR workloads on the real backend (make figures runs them;
# here at --quick): 8 local processes with RocksDB stores, six rows a workload, the
# table, figures and verdicts following from the runs as in sim.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/table2.bash"
rows=$(experiments/drps/table2.sh "$PSLAB" "$TMP/t2" --quick --real 2>"$TMP/err") || fail "table2 --real: $(cat "$TMP/err")"
check_table2 "$TMP/t2" "$rows" movielens classification
for p in "$TMP"/t2/*/point-00[0-5]; do
    [ "$(summary_value "$p" backend)/$(summary_value "$p" store)" = real/disk ] || fail "$p is not a real run on disk"
    [ $(( $(summary_value "$p" servers) + $(summary_value "$p" workers) )) -ge 8 ] || fail "$p has fewer than 8 nodes"
    [ "$(summary_value "$p" disk_read_bytes)" -gt 0 ] || fail "$p read nothing from its RocksDB stores"
done
grep -q '^| DRPS, Table 2 (real) | .* | real backend, 8 local processes with RocksDB stores, .* wall seconds' <<<"$rows" ||
    fail "the real Table 2 row does not say where it ran: $rows"
echo "ok: Table 2 on the real backend: $(grep -o '| [a-z]* |$' <<<"$rows" | head -1)"

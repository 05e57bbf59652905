#!/usr/bin/env bash
# The table of hostile inputs (tests/hostile/cases.txt): each must end with its
# exit code, never a signal, and an error with its words.
source "$(dirname "$0")/common.bash"
H=tests/hostile
n=0
while IFS= read -r line; do
    case "$line" in '#'* | '') continue ;; esac
    want_rc=$(sed 's/ *|.*//' <<<"$line")
    words=$(sed 's/^[^|]*| *//; s/ *|.*//' <<<"$line")
    cmd=$(sed 's/^[^|]*|[^|]*| *//' <<<"$line")
    rm -rf "$TMP/a" "$TMP/p"
    rc=0
    out=$(PSLAB="$PSLAB" H="$H" TMP="$TMP" bash -c "$cmd" 2>&1) || rc=$?
    [ "$rc" -lt 128 ] || fail "died of a signal ($rc): $cmd: $out"
    [ "$rc" = "$want_rc" ] || fail "exit $rc, not $want_rc: $cmd: $out"
    grep -qF -- "$words" <<<"$out" || fail "no '$words' in the error of: $cmd: $out"
    n=$((n + 1))
done < "$H/cases.txt"
[ $n -ge 16 ] || fail "only $n cases ran"
echo "ok: $n hostile inputs, each a clear error"

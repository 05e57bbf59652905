#!/usr/bin/env bash
# `pslab check` on doctored traces of a BSP run: a pull served ahead of the
# slowest worker and a lost update are found and named (exit 1); missing or
# malformed files and bad usage are I/O or usage errors (exit 2).
source "$(dirname "$0")/common.bash"
"$PSLAB" run tests/expected/golden8.ini --set run.iterations=6 --trace --out "$TMP/run" >/dev/null
"$PSLAB" check "$TMP/run" >/dev/null || fail "the untouched trace must pass"
check_rc() { # expected-exit-code substring dir
    local rc=0 out
    out=$("$PSLAB" check "$3" 2>&1) || rc=$?
    [ $rc -eq "$1" ] || fail "check $3 exited $rc, expected $1: $out"
    grep -qF -- "$2" <<<"$out" || fail "check $3 lacks '$2': $out"
    echo "ok: exit $1, $2"
}
cp -r "$TMP/run" "$TMP/ahead"
# line 20 of server 1's pulls: claim the slowest worker was one clock behind
line=$(sed -n 20p "$TMP/ahead/trace/server1.pulls.csv")
IFS=, read -r t s w c slow <<<"$line"
[ "$c" -ge 1 ] || fail "line 20 should be a pull past clock 0: $line"
sed -i "20s/.*/$t,$s,$w,$c,$((c - 1))/" "$TMP/ahead/trace/server1.pulls.csv"
check_rc 1 "server1.pulls.csv:20: bsp violated: server 1 served worker $w its pull for clock $c while the slowest worker had completed $((c - 1)) clocks (1 ahead, at most 0 allowed), at time $t" "$TMP/ahead"

cp -r "$TMP/run" "$TMP/lost"
# drop one worker's pushes on the key of line 2 from the final model
IFS=, read -r table key val < <(sed -n 2p "$TMP/lost/trace/server0.final.csv")
sed -i "2s/.*/$table,$key,0/" "$TMP/lost/trace/server0.final.csv"
if awk -v v="$val" 'BEGIN { exit !(v == 0) }'; then fail "key $key has a final value of 0"; fi
check_rc 1 "server0.final.csv:2: update lost on table 0 key $key" "$TMP/lost"

cp -r "$TMP/run" "$TMP/gone"
sed -i '2d' "$TMP/gone/trace/server0.final.csv"
check_rc 1 "update lost on table 0 key $key" "$TMP/gone"

cp -r "$TMP/run" "$TMP/bad"
sed -i '5s/.*/0.1,0,x,1,1/' "$TMP/bad/trace/server0.pulls.csv"
check_rc 2 "server0.pulls.csv:5" "$TMP/bad"
rm "$TMP/bad/trace/worker3.pushes.csv"
sed -i '5d' "$TMP/bad/trace/server0.pulls.csv"
check_rc 2 "worker3.pushes.csv" "$TMP/bad"
"$PSLAB" run tests/expected/golden8.ini --set run.iterations=2 --out "$TMP/untraced" >/dev/null
check_rc 2 "pslab run --trace" "$TMP/untraced"
check_rc 2 "config.ini" "$TMP/nonexistent"
expect_error "no run directory" "$PSLAB" check
"$PSLAB" check --help | grep -q "Exit status" || fail "check --help"

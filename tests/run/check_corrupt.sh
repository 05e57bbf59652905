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

# The server's own column is not trusted: a pull for clock 2 served before the
# others' pulls for clock 1, its column claiming every worker had done 2 clocks
cp -r "$TMP/run" "$TMP/early"
f=$TMP/early/trace/server1.pulls.csv
IFS=, read -r _ _ w2 c2 s2 < <(sed -n 14p "$TMP/run/trace/server1.pulls.csv")
IFS=, read -r t1 _ _ c1 _ < <(sed -n 8p "$TMP/run/trace/server1.pulls.csv")
[ "$c2,$s2,$c1" = "2,2,1" ] || fail "lines 8 and 14 should be the first pulls of clocks 1 and 2"
awk -F, -v OFS=, -v t="$t1" 'NR == FNR { if (FNR == 14) l14 = $0; next }
     FNR == 8 { split(l14, a, ","); print t, a[2], a[3], a[4], a[5] } FNR != 14 { print }' \
    "$TMP/run/trace/server1.pulls.csv" "$TMP/run/trace/server1.pulls.csv" > "$f"
check_rc 1 "server1.pulls.csv:8: server 1 says the slowest worker had completed 2 clocks when it served worker $w2's pull for clock 2, but a worker's later pull there shows at most 1" "$TMP/early"
check_rc 1 "server1.pulls.csv:8: bsp violated: server 1 served worker $w2 its pull for clock 2 while the slowest worker had completed 1 clocks (1 ahead, at most 0 allowed)" "$TMP/early"
check_rc 1 "server 1 served worker $w2's pull for clock 1 after its pull for clock 2: a worker's clocks never go back" "$TMP/early"

cp -r "$TMP/run" "$TMP/lost"
# drop one worker's pushes on the key of line 2 from the final model
IFS=, read -r table key val < <(sed -n 2p "$TMP/lost/trace/server0.final.csv")
sed -i "2s/.*/$table,$key,0/" "$TMP/lost/trace/server0.final.csv"
if awk -v v="$val" 'BEGIN { exit !(v == 0) }'; then fail "key $key has a final value of 0"; fi
check_rc 1 "server0.final.csv:2: update lost on table 0 key $key" "$TMP/lost"

cp -r "$TMP/run" "$TMP/gone"
# a key the server never stored: gone from its final shard, the end count agreeing
f=$TMP/gone/trace/server0.final.csv
sed -i '2d' "$f"
sed -i "s/^# end: .*/# end: $(grep -v '^#' "$f" | tail -n +2 | wc -l)/" "$f"
check_rc 1 "update lost on table 0 key $key" "$TMP/gone"

# every clock a worker ran (workers.csv) needs its pulls: worker 4's pulls of
# clock 3 gone from every server, the end counts agreeing
cp -r "$TMP/run" "$TMP/noclock"
for f in "$TMP"/noclock/trace/server*.pulls.csv; do
    awk -F, '!($3 == 4 && $4 == 3)' "$f" | grep -v '^# end' > "$f.tmp"
    echo "# end: $(($(wc -l < "$f.tmp") - 1))" >> "$f.tmp" && mv "$f.tmp" "$f"
done
cmp -s "$TMP/run/trace/server0.pulls.csv" "$TMP/noclock/trace/server0.pulls.csv" &&
    fail "worker 4 should have pulled from server 0 in clock 3"
check_rc 1 "worker 4 ran clock 3 (workers.csv: 6 iterations of its stage), but no server's trace has its pull nor its cache reads" "$TMP/noclock"

cp -r "$TMP/run" "$TMP/bad"
sed -i '5s/.*/0.1,0,x,1,1/' "$TMP/bad/trace/server0.pulls.csv"
check_rc 2 "server0.pulls.csv:5" "$TMP/bad"
rm "$TMP/bad/trace/worker3.pushes.csv"
cp "$TMP/run/trace/server0.pulls.csv" "$TMP/bad/trace/server0.pulls.csv"
check_rc 2 "worker3.pushes.csv" "$TMP/bad"

# Cut traces (an interrupted run, a full disk): every file ends with "# end: N"
p=trace/server1.pulls.csv
cp -r "$TMP/run" "$TMP/cut" && head -1 "$TMP/run/$p" > "$TMP/cut/$p" # only the header
check_rc 2 "server1.pulls.csv: ends without its last line '# end: N'" "$TMP/cut"
head -n -2 "$TMP/run/$p" > "$TMP/cut/$p" # at a line boundary
check_rc 2 "server1.pulls.csv: ends without its last line" "$TMP/cut"
head -c -20 "$TMP/run/$p" > "$TMP/cut/$p" # mid-line
check_rc 2 "is cut short (no end of line)" "$TMP/cut"
sed '7d' "$TMP/run/$p" > "$TMP/cut/$p" # a line lost in the middle
n=$(($(grep -vc '^#' "$TMP/run/$p") - 1))
check_rc 2 "the file says it has $n lines and has $((n - 1)): lines are missing" "$TMP/cut"
{ cat "$TMP/run/$p"; echo "0.5,1,0,1,1"; } > "$TMP/cut/$p"
check_rc 2 "a line after the end line" "$TMP/cut"
cp "$TMP/run/$p" "$TMP/cut/$p"
head -n -1 "$TMP/run/trace/worker2.pushes.csv" > "$TMP/cut/trace/worker2.pushes.csv"
check_rc 2 "worker2.pushes.csv: ends without its last line" "$TMP/cut"
"$PSLAB" run tests/expected/golden8.ini --set run.iterations=2 --out "$TMP/untraced" >/dev/null
check_rc 2 "pslab run --trace" "$TMP/untraced"
check_rc 2 "config.ini" "$TMP/nonexistent"
expect_error "no run directory" "$PSLAB" check
"$PSLAB" check --help | grep -q "Exit status" || fail "check --help"

#!/usr/bin/env bash
# bench/scale.sh's comparison rests on raw_simgrid_ps replaying a pslab run's exact
# message pattern: recording it (PSLAB_SIM_PATTERN) must not change the run, the
# replay must use every recorded size and flops and none past them, and the two
# simulated times must agree; an unwritable recording, and a file that is not a
# pattern or is cut short, are refused by name.
source "$(dirname "$0")/common.bash"
RAW="$(dirname "$PSLAB")/bench/raw_simgrid_ps"
[ -x "$RAW" ] || { echo "skip: $RAW not built"; exit 77; }
PSLAB_SIM_PATTERN="$TMP/pattern" "$PSLAB" run tests/expected/golden8.ini --out "$TMP/run" >/dev/null
diff -u tests/expected/golden8.metrics.csv "$TMP/run/metrics.csv" ||
    fail "recording the pattern changed the run"
[ "$(head -c 7 "$TMP/pattern")" = PSPAT1 ] || fail "pattern lacks its magic"
out=$("$RAW" "$TMP/run/platform.xml" 2 6 20 --pattern "$TMP/pattern" --log=root.thres:warning \
      --cfg=network/crosstraffic:0 2>"$TMP/err") || fail "replay failed: $(cat "$TMP/err")"
grep -q 'past the recorded pattern' "$TMP/err" && fail "replay ran past the pattern: $(cat "$TMP/err")"
raw_sim=$(awk '{ for (i = 1; i < NF; i++) if ($i == "sim_s") print $(i + 1) }' <<<"$out")
ps_sim=$(summary_value "$TMP/run" sim_time_s)
awk -v a="$raw_sim" -v b="$ps_sim" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 0.01 * b) }' ||
    fail "replayed simulated time $raw_sim s vs pslab's $ps_sim s"
echo "ok: replay of the pattern takes $raw_sim simulated s, pslab $ps_sim s"
# a recording that cannot be written, or that was cut short, is an error
expect_error "cannot write the message pattern to $TMP/no/such/dir" \
    env PSLAB_SIM_PATTERN="$TMP/no/such/dir" "$PSLAB" run tests/expected/golden8.ini --out "$TMP/run2"
head -c -5 "$TMP/pattern" > "$TMP/cut"
expect_error "$TMP/cut is truncated" "$RAW" "$TMP/run/platform.xml" 2 6 20 --pattern "$TMP/cut"
# a replay that needs more than was recorded says so
"$RAW" "$TMP/run/platform.xml" 2 6 25 --pattern "$TMP/pattern" --log=root.thres:warning \
    >/dev/null 2>"$TMP/err2" || fail "longer replay failed: $(cat "$TMP/err2")"
grep -q 'past the recorded pattern' "$TMP/err2" || fail "a replay past the pattern went unreported"
echo "ok: a replay past the pattern is reported"
printf 'garbage!' > "$TMP/bad"
expect_error "$TMP/bad is not a pattern" "$RAW" "$TMP/run/platform.xml" 2 6 20 --pattern "$TMP/bad"
expect_error "not a run of this size" "$RAW" "$TMP/run/platform.xml" 1 3 20 --pattern "$TMP/pattern"

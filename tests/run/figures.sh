#!/usr/bin/env bash
# experiments/figures.sh --quick (make figures-quick): REPORT.md has a row per claim
# with pslab's figures beside it and a verdict; each experiment's table holds its
# points, and the verdicts follow from them.
source "$(dirname "$0")/common.bash"
experiments/figures.sh "$PSLAB" "$TMP/fig" --quick >/dev/null 2>"$TMP/err" || fail "figures: $(cat "$TMP/err")"
r=$TMP/fig/REPORT.md
grep -qx "| paper | finding | pslab | figure | holds |" "$r" || fail "REPORT.md lacks its table: $(cat "$r")"
[ "$(grep -c '^| FlexPS' "$r")" -eq 8 ] || fail "expected 8 FlexPS rows: $(cat "$r")"
grep '^| FlexPS' "$r" | grep -v "not run:" | while IFS= read -r row; do
    fig=$(awk -F' [|] ' '{ print $4 }' <<<"$row")
    [ -s "$TMP/fig/$fig" ] && [ -s "$TMP/fig/${fig%.png}.svg" ] || fail "row's figure $fig is missing"
    grep -qE '\| (yes|no) \|$' <<<"$row" || fail "row without a verdict: $row"
done
# DRPS Fig. 12: three partitioners, and the verdict follows from their indicators
[ "$(grep -c '^| DRPS' "$r")" -eq 4 ] || fail "expected 4 DRPS rows: $(cat "$r")"
# DRPS Fig. 11: 2 workloads x 2 caches x 3 strategies; ours indexes faster than
# basic, and the verdict follows from the table
e=$TMP/fig/drps-fig11/fig11.csv
[ "$(tail -n +2 "$e" | wc -l)" = 12 ] || fail "fig11 points: $(cat "$e")"
[ -s "$TMP/fig/drps-fig11/fig11.png" ] && [ -s "$TMP/fig/drps-fig11/fig11.svg" ] || fail "fig11's figure is missing"
awk -F, 'NR > 1 && $3 == "none" && $5 != 0 { exit 1 }' "$e" || fail "index none made rounds: $(cat "$e")"
want=$(awk -F, 'NR > 1 { k = $1 "," ($2 < 1e6 ? "small" : "fits") "," $3; i[k] = $4; t[k] = $7 }
    END { ok = 1; for (w in i) { split(w, p, ","); if (p[3] != "ours") continue
              b = p[1] "," p[2] ",basic"; n = p[1] "," p[2] ",none"
              if (!(i[w] < i[b])) ok = 0; if (p[2] == "small" && !(t[w] < t[n])) ok = 0 }
          print ok ? "yes" : "no" }' "$e")
grep '^| DRPS, Fig. 11' "$r" | grep -q "| $want |$" || fail "fig11 verdict is not $want"
grep -q "LOR: index build ours $(awk -F, '$1 == "lor" && $2 >= 1e6 && $3 == "ours" { print $4 }' "$e") s" "$r" ||
    fail "the report's LoR index time is not the table's"
row=$(grep '^| DRPS, Fig. 12' "$r")
[ -s "$TMP/fig/drps-fig12/fig12.png" ] && [ -s "$TMP/fig/drps-fig12/fig12.svg" ] || fail "fig12's figure is missing"
f=$TMP/fig/drps-fig12/fig12.csv
[ "$(cut -d, -f1 "$f" | tail -n +2 | tr '\n' ' ')" = "range hash drps " ] || fail "fig12 points: $(cat "$f")"
want=$(awk -F, 'NR > 1 { n[$1] = $5; d[$1] = $6; t[$1] = $7 } END {
    print (n["drps"] <= n["range"] && n["drps"] <= n["hash"] && d["drps"] <= d["range"] && d["drps"] <= d["hash"] &&
           t["drps"] <= t["range"] && t["drps"] <= t["hash"]) ? "yes" : "no" }' "$f")
grep -q "| $want |$" <<<"$row" || fail "fig12 verdict is not $want: $row"
[ "$(awk -F, '$1 == "drps" { print $5 }' "$f")" = "$(sed -n 's/^net_load_max_over_mean: //p' "$TMP/fig/drps-fig12/sweep/point-002/summary.txt")" ] ||
    fail "fig12.csv's drps load is not its run's"
grep -q "drps $(awk -F, '$1 == "drps" { print $5 }' "$f") / " <<<"$row" || fail "the report's drps load is not the table's"
# DRPS Table 2 and Fig. 13
source "$(dirname "$0")/table2.bash"
check_table2 "$TMP/fig/drps-table2" "$(grep '^| DRPS, \(Table 2\|Fig. 13\)' "$r")" movielens classification avazu
t=$TMP/fig/flexps-transition/transition.csv
[ "$(grep -c '^sim,' "$t")" -eq 2 ] && [ "$(grep -c '^real,' "$t")" -eq 2 ] || fail "transition points: $(cat "$t")"
worst=$(awk -F, '$1 == "real" && $5 > m { m = $5 } END { print m + 0 }' "$t")
want=$(awk -v w="$worst" 'BEGIN { print (w <= 0.014 ? "yes" : "no") }')
grep '^| FlexPS, stage transition' "$r" | grep -q "| $want |$" || fail "transition verdict is not $want"
s=$TMP/fig/flexps-svrg/svrg.csv
[ "$(wc -l < "$s")" -eq 4 ] || fail "svrg plans: $(cat "$s")"
a=$(awk -F, '$1 == "svrg-flexible" { print $2 }' "$s"); b=$(awk -F, '$1 == "svrg-wide" { print $2 }' "$s")
want=$(awk -v a="$a" -v b="$b" 'BEGIN { print (a != "never" && (b == "never" || a + 0 < b + 0)) ? "yes" : "no" }')
grep '^| FlexPS, SVRG' "$r" | grep -q "| $want |$" || fail "svrg verdict is not $want"
grep -q "flexible $a s" "$r" || fail "the report's svrg times are not the table's"
for model in LR SVM LASSO; do
    m=$TMP/fig/flexps-multistage/multistage.csv
    [ $model = LR ] || m=$TMP/fig/flexps-multistage-${model,,}/multistage.csv
    [ "$(grep -c '^fixed,' "$m")" -eq 5 ] && [ "$(grep -c '^flexible,' "$m")" -eq 1 ] || fail "$model multistage plans: $(cat "$m")"
    # a fixed count's worker-seconds are its workers times its run, less the transitions
    awk -F, '$1 == "fixed" { d = $7 - $2 * $6; if (d > 0 || d < -0.01 * $2 * $6) { print; bad = 1 } } END { exit bad }' "$m" ||
        fail "$model multistage worker-seconds are not workers x time: $(cat "$m")"
    # every plan reaches the target, the worst plan's final value
    ! grep -q never "$m" || fail "$model: a plan never reaches the target: $(cat "$m")"
    want=$(awk -F, '$1 == "fixed" && $3 != "never" && (b == "" || $3 + 0 < b) { b = $3 + 0 }
        $1 == "flexible" { f = $3 } END { print (f != "never" && f + 0 < b) ? "yes" : "no" }' "$m")
    grep "^| FlexPS, multi-stage SGD ($model," "$r" | grep -q "| $want |$" || fail "$model multistage verdict is not $want"
done
k=$TMP/fig/flexps-kmeans/kmeans.csv
if [ -s "$k" ]; then
    want=$(awk -F, 'NR > 1 { t[$1] = $2 } END { g = t["growing"]; s = t["small"]; l = t["large"]
        print (g != "never" && (s == "never" || g + 0 < s + 0) && (l == "never" || g + 0 < l + 0)) ? "yes" : "no" }' "$k")
    grep '^| FlexPS, multi-stage K-means' "$r" | grep -q "| $want |$" || fail "kmeans verdict is not $want"
fi
x=$TMP/fig/flexps-multi-task/multi_task.csv
[ "$(awk -F, 'NR > 1 && $4 == 25 { n++ } END { print n }' "$x")" = 3 ] || fail "multi-task policies: $(cat "$x")"
for p in sequential greedy priority; do
    [ "$(awk -F, -v p=$p '$1 == p { print $2 }' "$x")" = "$(sed -n 's/^makespan_s: //p' "$TMP/fig/flexps-multi-task/$p/summary.txt")" ] ||
        fail "multi_task.csv's $p makespan is not its summary's"
done
want=$(awk -F, 'NR > 1 { m[$1] = $2; c[$1] = $3; b[$1] = $5 } END {
    print (m["greedy"] < m["sequential"] && m["priority"] < m["sequential"] && c["greedy"] < c["sequential"] &&
           c["priority"] < c["sequential"] && b["priority"] < b["greedy"]) ? "yes" : "no" }' "$x")
grep '^| FlexPS, multi-task' "$r" | grep -q "| $want |$" || fail "multi-task verdict is not $want"
a=$TMP/fig/flexps-auto/auto.csv
[ "$(awk -F, 'NR > 1' "$a" | wc -l)" = 3 ] || fail "auto stages: $(cat "$a")"
# each stage's pick is the last segment's count a node in the auto run's schedule.csv
for k in 1 2 3; do
    pick=$(awk -F, -v k=$k 'NR > 1 && $2 == k { c = $3 } END { print c / 8 }' "$TMP/fig/flexps-auto/auto/schedule.csv")
    [ "$(awk -F, -v k=$k '$1 == k { print $2 }' "$a")" = "$pick" ] || fail "auto.csv's stage $k pick is not $pick"
done
want=$(awk -F, 'NR == 1 { n = NF - 6 } NR > 1 { t = $(4 + $2); if (t > 1.1 * $NF) bad = 1 } END { print bad ? "no" : "yes" }' "$a")
grep '^| FlexPS, auto-parallelism' "$r" | grep -q "| $want |$" || fail "auto verdict is not $want"
# the checkpoint interval against a crash: each row agrees with its runs
f=$TMP/fig/faults-checkpoints
[ -s "$f/faults.png" ] && [ -s "$f/faults.svg" ] || fail "faults: no figure"
[ "$(tail -n +2 "$f/intervals.csv" | wc -l)" = 3 ] || fail "faults intervals: $(cat "$f/intervals.csv")"
none=$(summary_value "$f/none" sim_time_s)
while IFS=, read -r e free over crashed lost from; do
    awk -v a="$(summary_value "$f/free-$e" sim_time_s)" -v b="$free" 'BEGIN { exit !((a - b)^2 < 1e-6) }' ||
        fail "faults $e: fault_free_s $free is not the run's"
    awk -v o="$over" -v f="$free" -v n="$none" -v c="$crashed" -v l="$lost" -v \
        s="$(summary_value "$f/crash-$e" sim_time_s)" 'BEGIN { exit !((o - f / n)^2 < 1e-5 &&
        (c - s)^2 < 1e-5 && (l - (c - f))^2 < 1e-5) }' || fail "faults $e: row $e,$free,$over,$crashed,$lost is not its runs'"
    [ "$from" = "$(summary_value "$f/crash-$e" resumed_from_clock)" ] && [ "$from" -le 195 ] &&
        [ "$from" -gt $((195 - e - 1)) ] && [ "$(summary_value "$f/crash-$e" restarts)" = 1 ] ||
        fail "faults $e: resumed from $from, not the newest checkpoint before clock 195"
    cmp -s <(cut -d, -f2- "$f/free-$e/metrics.csv") <(cut -d, -f2- "$f/crash-$e/metrics.csv") ||
        fail "faults $e: the crashed run's model is not the fault-free one's"
done < <(tail -n +2 "$f/intervals.csv")
want=$(awk -F, 'NR > 1 { o[NR] = $3; l[NR] = $5 } END { print (o[2] >= o[3] && o[3] >= o[4] &&
    l[2] > 0 && l[2] <= l[3] && l[3] <= l[4]) ? "yes" : "no" }' "$f/intervals.csv")
grep '^| Parameter Server (OSDI.14), fault tolerance' "$r" | grep -q "| $want |$" || fail "faults verdict is not $want"
# host failures at a rate: each row is its run's, the restarted run has the fault-free model
f=$TMP/fig/faults-rate
[ -s "$f/rates.png" ] && [ -s "$f/rates.svg" ] || fail "faults-rate: no figure"
[ "$(tail -n +2 "$f/rates.csv" | cut -d, -f1 | tr '\n' ' ')" = "free restart continue " ] ||
    fail "faults-rate: $(cat "$f/rates.csv")"
t_free=$(summary_value "$f/free" sim_time_s)
count() { local v; v=$(summary_value "$1" "$2"); echo "${v:-0}"; } # a count summary.txt omits at 0
while IFS=, read -r m crashes restarts lost t over wall wallx loss; do
    [ "$crashes" = "$(grep -c "dies at clock" "$f/$m.log" || true)" ] &&
        [ "$restarts" = "$(count "$f/$m" restarts)" ] && [ "$lost" = "$(count "$f/$m" lost_workers)" ] &&
        [ "$loss" = "$(summary_value "$f/$m" final_loss)" ] &&
        awk -v t="$t" -v s="$(summary_value "$f/$m" sim_time_s)" -v o="$over" -v f="$t_free" \
            'BEGIN { exit !((t - s)^2 < 1e-10 && (o - t / f)^2 < 1e-5) }' ||
        fail "faults-rate: row $m is not its run's: $(grep "^$m," "$f/rates.csv")"
done < <(tail -n +2 "$f/rates.csv")
[ "$(awk -F, '$1 == "restart" { print $9 }' "$f/rates.csv")" = "$(summary_value "$f/free" final_loss)" ] ||
    fail "faults-rate: the restarted run's final loss is not the fault-free one's"
want=$(awk -F, '$1 != "free" && $2 == 0 { bad = 1 } END { print bad ? "no" : "yes" }' "$f/rates.csv")
grep '^| Parameter Server (OSDI.14), its job failure data' "$r" | grep -q "| $want |$" ||
    fail "faults-rate verdict is not $want"
echo "ok: REPORT.md's rows, figures and verdicts ($(grep -c '| yes |$' "$r") hold)"

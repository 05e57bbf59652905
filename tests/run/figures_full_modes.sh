#!/usr/bin/env bash
# The experiments make figures runs but figures-quick does not, at reduced sizes:
# FlexPS experiments 1 and 2 on the real backend and experiment 1's many-host run
# (experiments/flexps/multistage_1000.sh --quick: 100 hosts). Each table must hold
# its plans, agree with the runs it was made from, and give the verdict it prints.
source "$(dirname "$0")/common.bash"
F=experiments/flexps
row=$("$F/svrg.sh" "$PSLAB" "$TMP/svrg" --quick --real 2>"$TMP/err") || fail "svrg --real: $(cat "$TMP/err")"
s=$TMP/svrg/svrg.csv
[ "$(wc -l < "$s")" -eq 4 ] || fail "svrg plans: $(cat "$s")"
a=$(awk -F, '$1 == "svrg-flexible" { print $2 }' "$s"); b=$(awk -F, '$1 == "svrg-wide" { print $2 }' "$s")
want=$(awk -v a="$a" -v b="$b" 'BEGIN { print (a != "never" && (b == "never" || a + 0 < b + 0)) ? "yes" : "no" }')
grep -q "| $want |$" <<<"$row" || fail "svrg --real verdict is not $want: $row"
grep -q "flexible $a s" <<<"$row" || fail "the svrg --real row's times are not its table's: $row"
for p in svrg-flexible svrg-wide sgd; do
    [ "$(awk -F, -v p=$p '$1 == p { print $3 }' "$s")" = "$(sed -n 's/^final_loss: //p' "$TMP/svrg/$p/summary.txt")" ] ||
        fail "svrg.csv's $p final loss is not its run's"
done
echo "ok: SVRG on the real backend: $want"

row=$("$F/multistage_sgd.sh" "$PSLAB" "$TMP/ms" lr --quick --real 2>"$TMP/err") || fail "multistage --real: $(cat "$TMP/err")"
m=$TMP/ms/multistage.csv
[ "$(grep -c '^fixed,' "$m")" -eq 3 ] && [ "$(grep -c '^flexible,' "$m")" -eq 1 ] || fail "real multistage plans: $(cat "$m")"
# worker-seconds: each stage's workers times its span, from each run's summary
# (on the real backend the transitions between stages take wall time too)
worker_s() {
    awk '/^stage_[0-9]+:/ { w = $3 + 0; for (i = 1; i <= NF; i++) { if ($i == "start_s") s = $(i + 1) + 0
         if ($i == "end_s") e = $(i + 1) + 0 }; t += w * (e - s) } END { printf "%.3f", t }' "$1/summary.txt"
}
i=0
for w in 2 4 8; do
    [ "$(awk -F, -v w=$w '$1 == "fixed" && $2 == w { print $7 }' "$m")" = "$(worker_s "$TMP/ms/fixed/point-00$i")" ] ||
        fail "fixed $w's worker-seconds are not its run's: $(cat "$m")"
    i=$((i + 1))
done
[ "$(awk -F, '$1 == "flexible" { print $7 }' "$m")" = "$(worker_s "$TMP/ms/flexible")" ] ||
    fail "the flexible plan's worker-seconds are not its run's: $(cat "$m")"
want=$(awk -F, '$1 == "fixed" && $3 != "never" && (b == "" || $3 + 0 < b) { b = $3 + 0 }
    $1 == "flexible" { f = $3 } END { print (f != "never" && f + 0 < b) ? "yes" : "no" }' "$m")
grep -q "| $want |$" <<<"$row" || fail "real multistage verdict is not $want: $row"
echo "ok: multi-stage SGD on the real backend: $want"

row=$("$F/multistage_1000.sh" "$PSLAB" "$TMP/m1k" --quick 2>"$TMP/err") || fail "multistage_1000: $(cat "$TMP/err")"
k=$TMP/m1k/multistage_1000.csv
[ "$(head -1 "$k")" = "plan,time_to_target_s,final_loss,end_s,worker_s,wall_s" ] || fail "multistage_1000.csv header"
[ "$(awk -F, 'NR > 1' "$k" | cut -d, -f1 | tr '\n' ' ')" = "flexible fixed-7 fixed-35 " ] || fail "plans: $(cat "$k")"
for p in flexible fixed-7 fixed-35; do
    d=$TMP/m1k/$p
    ws=$(worker_s "$d")
    hit=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "loss") c = i; next } $c <= 0.495 { print $1; exit }' "$d/metrics.csv")
    [ "$(awk -F, -v p=$p '$1 == p { print $5 }' "$k")" = "$ws" ] || fail "$p's worker-seconds are not its run's ($ws)"
    [ "$(awk -F, -v p=$p '$1 == p { print $2 }' "$k")" = "${hit:-never}" ] || fail "$p's time to target is not its run's (${hit:-never})"
done
f=$(awk -F, '$1 == "flexible" { print $2 }' "$k")
want=$(awk -F, -v f="$f" '$1 ~ /^fixed/ && $2 != "never" && f + 0 >= $2 + 0 { no = 1 } END { print (f != "never" && !no) ? "yes" : "no" }' "$k")
grep -q "| $want |$" <<<"$row" || fail "multistage_1000 verdict is not $want: $row"
[ -s "$TMP/m1k/multistage_1000.png" ] && [ -s "$TMP/m1k/multistage_1000.svg" ] || fail "no multistage_1000 figure"
echo "ok: multi-stage SGD on 100 hosts (the 1,000-host experiment's script): $want"

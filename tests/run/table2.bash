# check_table2 DIR ROWS WORKLOAD...: the checks of experiments/drps/table2.sh's
# output in DIR (sourced by figures.sh and figures_full_modes.sh). ROWS: the two
# REPORT.md rows it printed. 6 rows a workload; each time is its run's test loss
# first reaching the workload's highest best loss; under BSP an index or a
# partitioner changes no update; the verdict and Fig. 13's ratios follow from the
# table's times.
check_table2() {
    local dir=$1 rows=$2 w d p tgt i row mine
    shift 2
    local e=$dir/table2.csv
    [ "$(tail -n +2 "$e" | wc -l)" = $((6 * $#)) ] || fail "table2 rows: $(cat "$e")"
    for w in "$@"; do
        [ -s "$dir/fig13-$w.png" ] && [ -s "$dir/fig13-$w.svg" ] || fail "fig13-$w is missing"
        d=$dir/$w
        tgt=$(for p in "$d"/point-00[0-5]; do tail -n +2 "$p/metrics.csv" | cut -d, -f4 | sort -g | head -1; done | sort -g | tail -1)
        awk -F, -v w=$w -v t="$tgt" '$1 == w && $7 != t { exit 1 }' "$e" || fail "table2 $w target is not $tgt: $(cat "$e")"
        [ "$(cut -d, -f4 "$d"/point-000/metrics.csv)" = "$(cut -d, -f4 "$d"/point-002/metrics.csv)" ] ||
            fail "table2 $w: the index and drps changed BSP's losses"
        # each row's best loss, index build and time to the target are its run's
        i=0
        for p in "$d"/point-00[0-5]; do
            i=$((i + 1))
            row=$(awk -F, -v w=$w '$1 == w' "$e" | sed -n "${i}p")
            [ "$(cut -d, -f6 <<<"$row")" = "$(tail -n +2 "$p/metrics.csv" | cut -d, -f4 | sort -g | head -1)" ] ||
                fail "table2 $w row $i: best loss is not $p's: $row"
            [ "$(cut -d, -f8 <<<"$row")" = "$(summary_value "$p" index_time_s)" ] ||
                fail "table2 $w row $i: index time is not $p's: $row"
            mine=$(awk -F, -v y="$tgt" 'NR > 1 { if ($4 <= y) { t = (NR == 2 || pl <= y) ? $1 : pt + ($1 - pt) * (pl - y) / (pl - $4)
                    printf "%.3f", t; exit } pt = $1; pl = $4 }' "$p/metrics.csv")
            [ "$(cut -d, -f9 <<<"$row")" = "$mine" ] || fail "table2 $w row $i: time is not $mine: $row"
        done
        grep '^| DRPS, Table 2' <<<"$rows" | grep -q " ${w^}:.* WSP $(awk -F, -v w=$w '$1 == w && $2 == "WSP" { print $9 }' "$e") s;" ||
            fail "the report's $w WSP time is not the table's: $rows"
    done
    want=$(awk -F, 'NR > 1 { t[$1 "," $2] = $9; w[$1] = 1 } END { ok = 1
        for (k in w) if (t[k ",WSP"] == "-" || t[k ",SSP"] == "-" || t[k ",+ partitioning = BSP"] == "-" ||
            !(t[k ",WSP"] <= t[k ",+ partitioning = BSP"] && t[k ",WSP"] <= t[k ",SSP"])) ok = 0
        print ok ? "yes" : "no" }' "$e")
    [ "$(grep -c '^| DRPS, \(Table 2\|Fig. 13\).* | '"$want"' |$' <<<"$rows")" = 2 ] ||
        fail "table2 and fig13 verdicts are not $want: $rows"
    # Fig. 13: BSP's and SSP's time over WSP's, per workload
    ratios() { awk -F, -v r="$1" -v ws="$2" 'NR > 1 { t[$1 "," $2] = $9 } END {
        n = split(ws, w, " ")
        for (i = 1; i <= n; i++) { a = t[w[i] "," r]; b = t[w[i] ",WSP"]
            printf "%s%s", (i > 1 ? " " : ""), ((a == "-" || b == "-") ? "-" : sprintf("%.2f", a / b)) } }' "$e"; }
    grep '^| DRPS, Fig. 13' <<<"$rows" | grep -qF "WSP over BSP $(ratios "+ partitioning = BSP" "$*"), over SSP $(ratios SSP "$*") (" ||
        fail "Fig. 13's ratios are not the table's ($(ratios "+ partitioning = BSP" "$*") / $(ratios SSP "$*")): $rows"
}

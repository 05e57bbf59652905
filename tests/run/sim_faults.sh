#!/usr/bin/env bash
# The simulator's timed faults (fault.slow, fault.link_down) on the quickstart's LR
# (2 servers, 8 workers, BSP, about 0.8 simulated s): each kind costs simulated
# time where it should and only while its window lasts, none changes the model
# under BSP, the same config gives the same files, and bad plans are refused,
# naming the entry.
source "$(dirname "$0")/common.bash"
Q=experiments/quickstart.ini
# run NAME [--set ...]: a quickstart run into $TMP/NAME; sets t (its simulated time)
run() {
    local name=$1
    shift
    "$PSLAB" run "$Q" --out "$TMP/$name" "$@" >/dev/null 2>"$TMP/$name.err" ||
        fail "$name: $(tail -3 "$TMP/$name.err")"
    t=$(summary_value "$TMP/$name" sim_time_s)
}
# costs NAME LO HI: NAME's simulated time over the fault-free run's is in [LO, HI]
costs() {
    awk -v t="$t" -v b="$base" -v lo="$2" -v hi="$3" 'BEGIN { d = t - b; exit !(d >= lo && d <= hi) }' ||
        fail "$1: took $t s against $base s fault-free, not $2..$3 s more"
    same_model "$TMP/base" "$TMP/$1"
    echo "ok: $1: $(awk -v t="$t" -v b="$base" 'BEGIN { printf "%+.4f", t - b }') simulated s, the fault-free model"
}
run base
base=$t

# a server's links down for 0.1 s: every worker waits for it (BSP) that long
run down --set fault.link_down=server1@0.2+0.1
costs down 0.09 0.11
run down2 --set fault.link_down=server1@0.2+0.1
cmp -s "$TMP/down/metrics.csv" "$TMP/down2/metrics.csv" && cmp -s "$TMP/down/workers.csv" "$TMP/down2/workers.csv" ||
    fail "the same faults gave other files"
echo "ok: the same config and faults give the same metrics.csv and workers.csv"
# its link by name is the same fault as the node's own links
run named --set fault.link_down=link:link1@0.2+0.1
[ "$t" = "$(summary_value "$TMP/down" sim_time_s)" ] || fail "link:link1 down took $t s, server1's links down $(summary_value "$TMP/down" sim_time_s) s"
echo "ok: link:link1 down is server1's own links down"
# a scale-mode worker has no links, but can still be cut off
run offline --set platform.worker_links=0 --set fault.link_down=worker3@0.2+0.1
awk -v t="$t" 'BEGIN { exit !(t > 0.85) }' || fail "worker3 offline for 0.1 s in scale mode took $t s"
echo "ok: a worker without links of its own cut off for 0.1 s: $t s"
# a window after the run's end costs nothing at all
run late --set "fault.link_down=server1@50+1" --set "fault.slow=worker3.cpu@50+1x1000"
[ "$t" = "$base" ] || fail "faults after the run's end changed its time: $t against $base"
echo "ok: faults after the end of the run change nothing"

# worker 3's CPU 1000x slower for 0.2 s: its compute time grows, and the others wait
run cpu --set fault.slow=worker3.cpu@0.2+0.2x1000
costs cpu 0.05 0.3
awk -F, 'NR > 1 { c[$1] = $3 } END { exit !(c[3] > 20 * c[0] && c[0] == c[1]) }' "$TMP/cpu/workers.csv" ||
    fail "worker 3's compute_s is not the slowed one: $(cut -d, -f1,3 "$TMP/cpu/workers.csv" | tr '\n' ' ')"
echo "ok: only worker 3's compute_s grew: $(awk -F, '$1 == 3 { print $3 }' "$TMP/cpu/workers.csv") s"

# server 1's link 1000x slower for 0.2 s, by the node and by name
run net --set fault.slow=server1.net@0.2+0.2x1000
costs net 0.02 0.3
run netname --set fault.slow=link:link1@0.2+0.2x1000
[ "$t" = "$(summary_value "$TMP/net" sim_time_s)" ] || fail "link:link1 slowed took $t s, server1.net $(summary_value "$TMP/net" sim_time_s) s"
echo "ok: link:link1 slowed is server1.net slowed"

# server 0's disk 10x slower with the parameters on disk and a page cache too small
run disk --set server.store=disk --set server.cache=65536
base=$t
cp -r "$TMP/disk" "$TMP/base-disk"
run diskslow --set server.store=disk --set server.cache=65536 --set fault.slow=server0.disk@0.2+0.2x10
costs diskslow 0.02 2
grep -q "^disk_read_bytes: [1-9]" "$TMP/diskslow/summary.txt" || fail "the disk run read nothing: $(grep disk_ "$TMP/diskslow/summary.txt")"

# the example config: every kind at once, the run going on without worker 5
"$PSLAB" run experiments/faults/faults.ini --out "$TMP/example" >/dev/null 2>"$TMP/example.err" ||
    fail "experiments/faults/faults.ini: $(tail -3 "$TMP/example.err")"
[ "$(summary_value "$TMP/example" lost_worker_5)" = "at clock 120" ] &&
    [ "$(summary_value "$TMP/example" iterations_done)" = 200 ] && [ -s "$TMP/example/checkpoint/server0.ckpt" ] ||
    fail "experiments/faults/faults.ini: $(cat "$TMP/example/summary.txt")"
echo "ok: experiments/faults/faults.ini runs: worker 5 lost at clock 120, the run to 200"

# bad plans
bad() { expect_error "$1" "$PSLAB" run "$Q" --out "$TMP/bad" "${@:2}"; }
bad "fault.slow: 'worker3.gpu': slow a node's .cpu, .disk or .net" --set fault.slow=worker3.gpu@1+1x2
bad "fault.slow: worker9 is not a node of the cluster (workers 0..7)" --set fault.slow=worker9.cpu@1+1x2
bad "is not TARGET@START+DURATIONxFACTOR" --set fault.slow=worker3.cpu@1+1
bad "the factor must be in 1..1000000" --set fault.slow=worker3.cpu@1+1x0.5
bad "a window starts at 0 or later and lasts more than 0 s" --set fault.link_down=server1@1+0
bad "the platform has no link 'nolink'" --set fault.link_down=link:nolink@1+1
bad "host host5 has no link of its own (platform.worker_links = 0 gives workers none)" \
    --set platform.worker_links=0 --set fault.slow=worker3.net@1+1x2
bad "fault.link_down is a simulator fault" --backend real --set fault.link_down=server1@1+1
[ ! -e "$TMP/bad" ] || fail "a refused plan left its run directory"
echo "ok: refused plans leave no run directory"

#!/usr/bin/env bash
# Writes a SimGrid platform for the raw benchmark: N hosts host0..host{N-1} in one
# <zone routing="Cluster">, each with a 1 Gf CPU, a disk and a 1.25 GB/s 50 us
# split-duplex private link, joined by a backbone (50 us, BACKBONE_BW, default
# 1.25GBps).   bench/gen_platform.sh N [OUT.xml|-] [BACKBONE_BW]
# <cluster> cannot hold disks (DESIGN.md section 3), hence the explicit zone.
# A backbone that every flow crosses and that saturates couples all flows in
# SimGrid's max-min solver and makes each flow event re-rate all of them: with
# desynchronised workers (raw_simgrid_ps --flops-spread 0.5 --size 4096) 1000 hosts
# run at ~2,000 msg/s behind a 1.25 or 12.5 GB/s backbone, and ~60,000 msg/s behind a
# full-bisection one (N x 1.25GBps, e.g. 1250GBps).
set -euo pipefail
n=${1:?usage: gen_platform.sh HOSTS [OUT.xml|-] [BACKBONE_BW]}
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "gen_platform.sh: HOSTS must be a positive integer, got '$n'" >&2; exit 2; }
out=${2:--}; [ "$out" = - ] && out=/dev/stdout
bb=${3:-1.25GBps}
[[ $bb =~ ^[0-9.]+[kMGT]?Bps$ ]] || { echo "gen_platform.sh: BACKBONE_BW must look like 1.25GBps, got '$bb'" >&2; exit 2; }
awk -v n="$n" -v bb="$bb" 'BEGIN {
    print "<?xml version=\"1.0\"?>"
    print "<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">"
    print "<platform version=\"4.1\">"
    print "  <zone id=\"z\" routing=\"Cluster\">"
    for (i = 0; i < n; i++) {
        printf "    <host id=\"host%d\" speed=\"1Gf\"><disk id=\"disk%d\" read_bw=\"200MBps\" write_bw=\"100MBps\"/></host>\n", i, i
        printf "    <link id=\"link%d\" bandwidth=\"1.25GBps\" latency=\"50us\" sharing_policy=\"SPLITDUPLEX\"/>\n", i
        printf "    <host_link id=\"host%d\" up=\"link%d_UP\" down=\"link%d_DOWN\"/>\n", i, i, i
    }
    printf "    <backbone id=\"bb\" bandwidth=\"%s\" latency=\"50us\"/>\n", bb
    print "  </zone>"
    print "</platform>"
}' > "$out"

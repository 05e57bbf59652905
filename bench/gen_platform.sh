#!/usr/bin/env bash
# Writes a SimGrid platform for the raw benchmark: N hosts host0..host{N-1} in one
# <zone routing="Cluster">, each with a disk and a split-duplex private link, joined
# by a backbone.   bench/gen_platform.sh N [OUT.xml]   (stdout without OUT)
# <cluster> cannot hold disks (DESIGN.md section 3), hence the explicit zone.
set -euo pipefail
n=${1:?usage: gen_platform.sh HOSTS [OUT.xml]}
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "gen_platform.sh: HOSTS must be a positive integer, got '$n'" >&2; exit 2; }
out=${2:-/dev/stdout}
awk -v n="$n" 'BEGIN {
    print "<?xml version=\"1.0\"?>"
    print "<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">"
    print "<platform version=\"4.1\">"
    print "  <zone id=\"z\" routing=\"Cluster\">"
    for (i = 0; i < n; i++) {
        printf "    <host id=\"host%d\" speed=\"1Gf\"><disk id=\"disk%d\" read_bw=\"200MBps\" write_bw=\"100MBps\"/></host>\n", i, i
        printf "    <link id=\"link%d\" bandwidth=\"1.25GBps\" latency=\"50us\" sharing_policy=\"SPLITDUPLEX\"/>\n", i
        printf "    <host_link id=\"host%d\" up=\"link%d_UP\" down=\"link%d_DOWN\"/>\n", i, i, i
    }
    print "    <backbone id=\"bb\" bandwidth=\"1.25GBps\" latency=\"50us\"/>"
    print "  </zone>"
    print "</platform>"
}' > "$out"

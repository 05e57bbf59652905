#!/usr/bin/env bash
# Writes one of SimGrid's own standard platforms of N hosts host0..host{N-1} (1 Gf,
# 1.25 GB/s 50 us split-duplex private links), as a researcher would bring one:
#   cluster  a <cluster> with a shared backbone of 10x the host bandwidth, 50 us
#   fattree  a two-level <cluster topology="FAT_TREE">: leaf switches of K hosts (K
#            the largest divisor of N up to 40: 40 for 1000, 25 for 100), each with
#            an up-link to each of 4 spine switches
#   bench/gen_standard_platform.sh cluster|fattree N [OUT.xml|-]
# <cluster> cannot hold disks: these platforms are for the mem store.
set -euo pipefail
kind=${1:?usage: gen_standard_platform.sh cluster|fattree HOSTS [OUT.xml|-]}
n=${2:?usage: gen_standard_platform.sh cluster|fattree HOSTS [OUT.xml|-]}
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "gen_standard_platform.sh: HOSTS must be a positive integer, got '$n'" >&2; exit 2; }
out=${3:--}; [ "$out" = - ] && out=/dev/stdout
common="prefix=\"host\" suffix=\"\" radical=\"0-$((n - 1))\" speed=\"1Gf\" bw=\"1.25GBps\" lat=\"50us\" sharing_policy=\"SPLITDUPLEX\""
case "$kind" in
    cluster) topo='bb_bw="12.5GBps" bb_lat="50us"' ;;
    fattree)
        k=40; while [ $((n % k)) != 0 ]; do k=$((k - 1)); done
        topo="topology=\"FAT_TREE\" topo_parameters=\"2;$k,$((n / k));1,4;1,1\"" ;;
    *) echo "gen_standard_platform.sh: KIND must be cluster or fattree, got '$kind'" >&2; exit 2 ;;
esac
cat > "$out" <<XML
<?xml version="1.0"?>
<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">
<platform version="4.1">
  <cluster id="$kind" $common $topo/>
</platform>
XML

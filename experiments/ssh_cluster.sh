#!/usr/bin/env bash
# Starts a real pslab cluster over ssh from a hosts file: one `pslab node` per line
# (line 1 is node 0, the coordinator, and gets the config), waits for all of them
# and fails if any node fails.
#   experiments/ssh_cluster.sh HOSTS CONFIG [PORT] [-- extra pslab node options]
# HOSTS has one host name per line (# comments allowed), as many lines as the
# config's servers + workers; the same host may appear several times. pslab must
# be at the same path ($PSLAB, default: this checkout's build/pslab) on every host,
# and CONFIG (with any data files it names) on the first.
set -euo pipefail
hosts_file=${1:?usage: ssh_cluster.sh HOSTS CONFIG [PORT] [-- options]}
config=${2:?usage: ssh_cluster.sh HOSTS CONFIG [PORT] [-- options]}
port=${3:-7077}
shift $(( $# < 3 ? $# : 3 ))
[ "${1:-}" = "--" ] && shift
PSLAB=${PSLAB:-$(cd "$(dirname "$0")/.." && pwd)/build/pslab}
mapfile -t hosts < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$hosts_file")
n=${#hosts[@]}
[ "$n" -ge 2 ] || { echo "ssh_cluster: $hosts_file lists $n host(s); need at least 2" >&2; exit 2; }
coord="${hosts[0]}:$port"
pids=()
ssh -o BatchMode=yes "${hosts[0]}" "$PSLAB" node --coordinator "$coord" --rank 0 --nodes "$n" \
    "$(realpath "$config")" "$@" & pids+=($!)
for ((r = 1; r < n; r++)); do
    ssh -o BatchMode=yes "${hosts[$r]}" "$PSLAB" node --coordinator "$coord" --rank "$r" \
        --nodes "$n" & pids+=($!)
done
rc=0
for ((r = 0; r < n; r++)); do
    wait "${pids[$r]}" || { echo "ssh_cluster: node $r on ${hosts[$r]} failed" >&2; rc=1; }
done
exit $rc

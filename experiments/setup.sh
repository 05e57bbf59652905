#!/usr/bin/env bash
# Sets pslab up on a fresh Debian 12 machine and runs the quickstart experiment:
# installs the Debian packages it needs, builds build/pslab, runs
# experiments/quickstart.ini on the simulated backend and plots it.
#   experiments/setup.sh              everything
#   experiments/setup.sh --deps-only  only install the packages (used by CI)
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential cmake pkg-config libsimgrid-dev librocksdb-dev libinih-dev
          libcunit1-dev libjemalloc-dev zlib1g-dev gnuplot-nox iproute2 procps
          dataset-fashion-mnist clang libclang-rt-14-dev)

install_deps() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        echo "setup: all packages present"
        return
    fi
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "setup: installing ${missing[*]}"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

install_deps
[ "${1:-}" = "--deps-only" ] && exit 0

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target pslab
out="runs/quickstart-$(date +%Y%m%d-%H%M%S)"
build/pslab run experiments/quickstart.ini --out "$out"
build/pslab plot "$out" -o "$out/convergence"
echo "setup: convergence plot: $out/convergence.png"

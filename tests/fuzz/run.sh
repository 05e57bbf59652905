#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, ASan + UBSan, in build-fuzz/) and runs each
# from its seed corpus: tests/fuzz/run.sh [--time SECONDS | --runs N] [NAME...]
# (default --time 10, every harness). New inputs go to build-fuzz/corpus/NAME, a
# crash's input to build-fuzz/artifacts/; the seeds in tests/fuzz/corpus stay as
# checked in. Prints each harness's executions; exits 1 on the first crash.
set -euo pipefail
cd "$(dirname "$0")/../.."
limit=(-max_total_time=10)
names=()
while [ $# -gt 0 ]; do
    case "$1" in
        --time) limit=(-max_total_time="$2"); shift 2 ;;
        --runs) limit=(-runs="$2"); shift 2 ;;
        -*) echo "usage: tests/fuzz/run.sh [--time SECONDS | --runs N] [NAME...]" >&2; exit 2 ;;
        *) names+=("$1"); shift ;;
    esac
done
[ ${#names[@]} -gt 0 ] || names=(msg config readers check platform)
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPSLAB_FUZZ=ON >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target "${names[@]/#/fuzz_}" >/dev/null
mkdir -p build-fuzz/artifacts
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
for name in "${names[@]}"; do
    mkdir -p "build-fuzz/corpus/$name"
    log="build-fuzz/fuzz_$name.log"
    # -timeout: an input that takes 10 s is a hang; -max_len: a trace directory's files
    rc=0
    build-fuzz/fuzz/"fuzz_$name" "${limit[@]}" -timeout=10 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix=build-fuzz/artifacts/"$name"- "build-fuzz/corpus/$name" \
        "tests/fuzz/corpus/$name" >"$log" 2>&1 || rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "fuzz_$name: ${runs:-?} executions, rc $rc (log: $log)"
    if [ "$rc" != 0 ]; then
        grep -E "ERROR|SUMMARY|runtime error|Test unit written" "$log" | head -20 >&2
        exit 1
    fi
done

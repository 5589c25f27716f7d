#!/usr/bin/env bash
# The unit and end-to-end suites under AddressSanitizer + UndefinedBehaviorSanitizer
# (any report fails the run). Builds into build-asan/ (RelWithDebInfo with
# -fsanitize=address,undefined -fno-sanitize-recover=all), without benchmarks.
# CI (.ci/run) runs it after scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
# --param=asan-stack=0: CivetWeb (Debian) runs handlers on fixed 100 KiB
# worker stacks, which ASan's stack redzones overflow; heap, global and UB
# checks stay on, and the fuzzers (scripts/fuzz.sh) cover the parsers' stacks.
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLCE_BUILD_TESTS=ON -DLCE_BUILD_BENCH=OFF \
      -DLCE_SANITIZE=address,undefined -DCMAKE_CXX_FLAGS=--param=asan-stack=0 >/dev/null
cmake --build build-asan -j2
# Leaks inside the system libraries the exporter loads are not ours to fix:
# tests/sanitizers/lsan.supp lists them, each with the reason.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
cd build-asan
ctest --output-on-failure -j2 --timeout 900 -L 'unit|e2e'

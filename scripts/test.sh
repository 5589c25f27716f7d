#!/usr/bin/env bash
# One command from a fresh Debian 12 clone to every test passing:
# installs what is missing (incl. Prometheus for the end-to-end tests),
# builds, runs the fuzzers, then the unit and end-to-end tests through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
scripts/build.sh -DLCE_BUILD_TESTS=ON -DLCE_BUILD_BENCH=ON
# The real OpenTelemetry JS clients of the OTLP end-to-end tests (npm registry, pinned by package-lock.json).
(cd tests/otel-clients && npm ci --no-audit --no-fund --loglevel=error)
# libFuzzer targets (clang, ASan + UBSan), LCE_FUZZ_SECONDS each (default 20).
scripts/fuzz.sh
cd build
ctest --output-on-failure -j2 --timeout 600

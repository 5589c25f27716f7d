#!/usr/bin/env bash
# One command from a fresh Debian 12 clone to every test passing:
# installs what is missing (incl. Prometheus for the end-to-end tests),
# builds, and runs the unit and end-to-end tests through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
scripts/build.sh -DLCE_BUILD_TESTS=ON -DLCE_BUILD_BENCH=ON
cd build
ctest --output-on-failure -j2 --timeout 600

#!/usr/bin/env bash
# One command from a fresh Debian 12 clone to a running exporter:
# installs what is missing, builds, and starts llm_cost_exporter on its
# embedded defaults (config/, pricing/, 127.0.0.1:9477). Flags pass through.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh -DLCE_BUILD_TESTS=OFF -DLCE_BUILD_BENCH=OFF
exec build/llm_cost_exporter "$@"

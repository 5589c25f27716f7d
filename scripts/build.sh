#!/usr/bin/env bash
# Configures and builds into build/ (Release with debug info, -j2).
# Extra arguments go to CMake's configure step and stay cached in build/,
# e.g. -DLCE_SANITIZE=address,undefined.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build build -j2

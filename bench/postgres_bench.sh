#!/usr/bin/env bash
# The PostgreSQL ledger beside raw PostgreSQL inserts, on a throw-away cluster
# (tests/postgres/cluster.sh: loopback, fsync=off for both the ledger and the
# baselines), stopped and deleted at the end.
#   bench/postgres_bench.sh [BUILD_DIR] [google-benchmark flags...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
shift || true
state=$(mktemp /tmp/lce-pg-bench.XXXXXX)
trap '"$root/tests/postgres/cluster.sh" stop "$state"' EXIT
"$root/tests/postgres/cluster.sh" start "$state"
LCE_BENCH_POSTGRES_STATE=$state "$build/bench/postgres_bench" "$@"

#!/usr/bin/env bash
# HTTP benchmarks (durable ingest, then budget decisions): starts the built exporter on a loopback port with the
# shipped config (its per-client rate limit off: one driver is one client) and pricing and a durable ledger in a
# temporary directory, drives it with bench/load_driver (NDJSON batches
# over keep-alive connections), prints the driver's figures, and stops it.
#   bench/run_http_bench.sh [connections] [batch] [rounds]
# LCE_BENCH_FSYNC=false runs with storage.fsync_every_commit: false (the shipped default is true), to measure
# what the fsync per group commit costs; LCE_BENCH_INGEST_ONLY=1 skips the decision and raw-insert parts;
# LCE_BUILD_DIR runs the binaries of another build directory (default: build).
# Build first: scripts/build.sh (benchmarks are built by default).
set -euo pipefail
cd "$(dirname "$0")/.."
connections=${1:-4}
batch=${2:-1000}
rounds=${3:-300}
port=19477
bin=${LCE_BUILD_DIR:-build}

storage=$(mktemp -d)   # a fresh durable ledger (SQLite) for every run
config=$(mktemp --suffix=.yml)
fsync=${LCE_BENCH_FSYNC:-true}
[[ $fsync == true || $fsync == false ]] || { echo "LCE_BENCH_FSYNC must be true or false" >&2; exit 2; }
sed -e 's/requests_per_second: [0-9]*/requests_per_second: 0/' \
    -e "s/fsync_every_commit: [a-z]*/fsync_every_commit: $fsync/" config/llm_cost_exporter.yml > "$config"
grep -q "fsync_every_commit: $fsync" "$config"
echo "fsync_every_commit=$fsync"
"$bin"/llm_cost_exporter --web.listen-address=127.0.0.1:$port --log.level=warn --storage.path="$storage" \
  --config.file="$config" &
exporter=$!
trap 'kill -TERM $exporter 2>/dev/null; wait $exporter 2>/dev/null || true; rm -rf "$storage" "$config"' EXIT
for _ in $(seq 50); do
  curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null && break
  sleep 0.1
done
"$bin"/bench/load_driver --target=127.0.0.1:$port --connections="$connections" --batch="$batch" \
  --rounds="$rounds" --seconds=20
[[ -n ${LCE_BENCH_INGEST_ONLY:-} ]] && exit 0
# Budget decisions (POST /v1/budget/check, 40 campaigns; POST /v1/budget/batch,
# 100 checks a request) beside GET /-/healthy on the same server: ten rounds of
# 1 s windows each, alternating, with per-round ratios.
"$bin"/bench/decision_driver --target=127.0.0.1:$port --connections="$connections" --seconds=10 --rounds=10 \
  --batch=100
curl -sf "http://127.0.0.1:$port/metrics" | grep -E '^llm_cost_exporter_records_(accepted|rejected)_total' | grep -v ' 0$'

# Baseline in the same run: the store's raw per-row insert rate (plain SQLite
# table, prepared statement, 1000 rows per transaction, same WAL settings).
"$bin"/bench/ledger_bench --benchmark_filter='^BM_RawSqliteInsert/' --benchmark_min_time=1 \
  --benchmark_format=csv 2>/dev/null |
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "items_per_second") col = i }
           /BM_RawSqliteInsert/ { printf "baseline_raw_sqlite_insert_rows_per_second=%.0f\n", $col }'

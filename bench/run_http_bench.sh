#!/usr/bin/env bash
# HTTP ingest benchmark: starts the built exporter on a loopback port with the
# shipped config and pricing, drives it with bench/load_driver (NDJSON batches
# over keep-alive connections), prints the driver's figures, and stops it.
#   bench/run_http_bench.sh [connections] [batch] [rounds]
# Build first: scripts/build.sh (benchmarks are built by default).
set -euo pipefail
cd "$(dirname "$0")/.."
connections=${1:-4}
batch=${2:-1000}
rounds=${3:-300}
port=19477

build/llm_cost_exporter --web.listen-address=127.0.0.1:$port --log.level=warn &
exporter=$!
trap 'kill -TERM $exporter 2>/dev/null; wait $exporter 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null && break
  sleep 0.1
done
build/bench/load_driver --target=127.0.0.1:$port --connections="$connections" --batch="$batch" \
  --rounds="$rounds" --seconds=20
curl -sf "http://127.0.0.1:$port/metrics" | grep -E '^llm_cost_exporter_records_(accepted|rejected)_total' | grep -v ' 0$'

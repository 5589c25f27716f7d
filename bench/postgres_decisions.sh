#!/usr/bin/env bash
# Budget decisions through three exporter replicas sharing one PostgreSQL
# budget (docs/design/shared-budgets.md): a throw-away cluster
# (tests/postgres/cluster.sh), three exporters on it with the shipped config
# (its default budget covers every campaign; the per-client rate limit off),
# and one bench/decision_driver per replica at once, each reporting checks
# per second with p50/p99 beside GET /-/healthy on the same replica.
# Everything is stopped and deleted at the end.
#   bench/postgres_decisions.sh [BUILD_DIR] [seconds] [connections per replica]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
seconds=${2:-10}
connections=${3:-1}
work=$(mktemp -d)
state=$work/cluster.state
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  "$root/tests/postgres/cluster.sh" stop "$state"
  rm -rf "$work"
}
trap cleanup EXIT
"$root/tests/postgres/cluster.sh" start "$state"
# shellcheck disable=SC1090
source "$state"
sed -e 's/requests_per_second: [0-9]*/requests_per_second: 0/' \
    -e "/^storage:/a\\  postgres: {dsn: \"$LCE_PG_DSN\", password_file: $LCE_PG_PASSWORD_FILE, pool_size: 4}" \
    "$root/config/llm_cost_exporter.yml" > "$work/config.yml"
for port in 19481 19482 19483; do
  "$build/llm_cost_exporter" --web.listen-address=127.0.0.1:$port --log.level=warn --storage.path="$work/unused" \
    --config.file="$work/config.yml" --pricing.dir="$root/pricing" &
  pids+=($!)
done
for port in 19481 19482 19483; do
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null && break
    sleep 0.1
  done
  curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null || { echo "replica on $port not ready" >&2; exit 1; }
done
drivers=()
for port in 19481 19482 19483; do
  "$build/bench/decision_driver" --target=127.0.0.1:$port --connections="$connections" --seconds="$seconds" \
    >"$work/driver.$port" &
  drivers+=($!)
done
for pid in "${drivers[@]}"; do wait "$pid"; done
for port in 19481 19482 19483; do
  echo "== replica 127.0.0.1:$port"
  cat "$work/driver.$port"
done

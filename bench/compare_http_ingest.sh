#!/usr/bin/env bash
# One-connection durable HTTP ingest against the in-process pipeline (issue
# 14's "0.6 of BM_FullPipeline"), for two builds in interleaved pairs: each
# run is `LCE_BENCH_INGEST_ONLY=1 bench/run_http_bench.sh 1 5000 100` (a fresh
# exporter and ledger, one keep-alive connection, 100 batches of 5,000 NDJSON
# records) and then `ingest_bench --benchmark_filter=FullPipeline` of the
# same build. Prints each run's ratio, then each build's median.
#
#   bench/compare_http_ingest.sh BASE_BUILD_DIR NEW_BUILD_DIR [PAIRS]
#
# Pass the same directory twice to measure one build. Build both Release
# with benchmarks (scripts/build.sh builds them), e.g. the baseline in a
# `git worktree` of the older commit.
set -euo pipefail
cd "$(dirname "$0")/.."
pairs="${3:-6}"

ratio_of() {
  local build=$1 http pipeline
  http=$(LCE_BUILD_DIR="$build" LCE_BENCH_INGEST_ONLY=1 bench/run_http_bench.sh 1 5000 100 |
    sed -n 's/^http_ingest_records_per_second=//p')
  pipeline=$("$build"/bench/ingest_bench --benchmark_filter='FullPipeline$' --benchmark_min_time=1 \
    --benchmark_format=csv 2>/dev/null | python3 -c '
import csv, sys
print([float(row[6]) for row in csv.reader(sys.stdin) if row and row[0] == "BM_FullPipeline"][0])')
  python3 -c "print(f'{$http:.0f} {$pipeline:.0f} {$http / $pipeline:.4f}')"
}

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for _ in $(seq 1 "$pairs"); do
  for build in base new; do
    dir=$1
    [[ $build == new ]] && dir=$2
    echo "$build $(ratio_of "$dir")" | tee -a "$results"  # build, HTTP records/s, pipeline records/s, ratio
  done
done
python3 - "$results" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
for build in ("base", "new"):
    mine = [r for r in rows if r[0] == build]
    http = statistics.median(float(r[1]) for r in mine)
    ratios = [float(r[3]) for r in mine]
    print(f"{build}: HTTP median {http:.0f} records/s, ratio median {statistics.median(ratios):.3f} "
          f"(min {min(ratios):.3f}, max {max(ratios):.3f})")
PY

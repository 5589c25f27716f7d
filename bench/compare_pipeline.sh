#!/usr/bin/env bash
# Interleaved runs of two ingest_bench builds (a baseline and a candidate):
# prints each run's full pipeline / raw simdjson ratio, then each build's
# median. Ratios, not records/s, because these machines are noisy.
#
#   bench/compare_pipeline.sh BASE_BUILD_DIR NEW_BUILD_DIR [ROUNDS]
#
# Build both with -DCMAKE_BUILD_TYPE=Release -DLCE_BUILD_BENCH=ON (target
# ingest_bench), e.g. the baseline in a `git worktree` of the older commit.
set -euo pipefail
base="$1/bench/ingest_bench"
new="$2/bench/ingest_bench"
rounds="${3:-8}"

ratio_of() {
  "$1" --benchmark_min_time=1 --benchmark_filter='Simdjson|FullPipeline$' --benchmark_format=csv 2>/dev/null |
    python3 -c '
import csv, sys
rate = {row[0]: float(row[6]) for row in csv.reader(sys.stdin) if row and row[0].startswith("BM_")}
print(round(rate["BM_FullPipeline"] / rate["BM_RawParse_Simdjson"], 4))'
}

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for _ in $(seq 1 "$rounds"); do
  for build in base new; do
    binary=$base
    [[ $build == new ]] && binary=$new
    echo "$build $(ratio_of "$binary")" | tee -a "$results"
  done
done
python3 - "$results" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
for build in ("base", "new"):
    ratios = [float(r[1]) for r in rows if r[0] == build]
    print(f"{build}: median {statistics.median(ratios):.4f} (min {min(ratios):.4f}, max {max(ratios):.4f})")
PY

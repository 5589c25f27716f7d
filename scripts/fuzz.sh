#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz_test/ with clang in build-fuzz/
# (AddressSanitizer + UndefinedBehaviorSanitizer, leak detection on) and runs
# each for a bounded time from its seed corpus tests/fuzz/corpus/<name>/ with
# the dictionary tests/fuzz/dict/<name>.dict. Inputs the fuzzer finds go to a
# temporary directory, never into the repository.
#
#   scripts/fuzz.sh                 every target, LCE_FUZZ_SECONDS each (default 20)
#   scripts/fuzz.sh usage_json ...  only the named targets
#
# Environment: LCE_FUZZ_SECONDS (run time per target), LCE_FUZZ_JOBS (targets
# run at once, default 2). Any crash, leak, timeout, out-of-memory or
# sanitizer report fails the script (exit 1) and prints the reproducer
# (build-fuzz/artifacts/<name>/...) and the command that replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=$root/build-fuzz
seconds=${LCE_FUZZ_SECONDS:-20}
jobs=${LCE_FUZZ_JOBS:-2}

start=$(date +%s)
# Ninja when installed (a module's sources compile while the modules it
# links are still building, so -j2 keeps both cores busy); -O1 with line
# tables only builds faster than -O2 -g and still symbolizes reports.
generator=()
if [[ ! -f $build/CMakeCache.txt ]] && command -v ninja >/dev/null; then
  generator=(-G Ninja)
fi
cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
  -DLCE_FUZZ=ON -DLCE_BUILD_TESTS=OFF -DLCE_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" --target lce_fuzzers -j2
built=$(date +%s)
echo "fuzz: build $((built - start)) s"

if [[ $# -gt 0 ]]; then
  targets=("$@")
else
  mapfile -t targets < "$build/fuzz_targets.txt"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/lce-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/logs"

# Sanitizer reports are fatal; the fuzzer turns them into a crash artifact.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1:symbolize=1

# run_target NAME: runs one fuzzer; exit status 0 when it found nothing.
run_target() {
  local name=$1
  local binary=$build/fuzz_test/fuzz_$name
  local seeds=$root/tests/fuzz/corpus/$name
  local dict=$root/tests/fuzz/dict/$name.dict
  local artifacts=$build/artifacts/$name
  local log=$build/logs/$name.log
  local found=$work/corpus/$name
  local args=()
  [[ -x $binary ]] || { echo "fuzz: $name: no binary $binary" >&2; return 1; }
  [[ -d $seeds ]] || { echo "fuzz: $name: no seed corpus $seeds" >&2; return 1; }
  [[ -f $dict ]] && args+=("-dict=$dict")
  rm -rf "$artifacts"
  mkdir -p "$artifacts" "$found"
  local status=0
  "$binary" "${args[@]}" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$found" "$seeds" >"$log" 2>&1 || status=$?
  local reports
  reports=$(grep -cE '^(==[0-9]+==ERROR|SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer)|runtime error:|invariant failed' "$log" || true)
  if [[ $status -ne 0 || $reports -ne 0 ]] || compgen -G "$artifacts/*" >/dev/null; then
    echo "fuzz: $name: FAILED (exit $status); log: $log" >&2
    grep -E 'ERROR|SUMMARY|runtime error|invariant failed|Test unit written' "$log" | head -20 >&2 || true
    local artifact
    for artifact in "$artifacts"/*; do
      [[ -e $artifact ]] || continue
      echo "fuzz: $name: reproducer $artifact" >&2
      echo "fuzz: $name: replay with: $binary $artifact" >&2
    done
    return 1
  fi
  local runs
  runs=$(grep -oE '^stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
  echo "fuzz: $name: ok ($runs runs in ${seconds} s, $(find "$found" -type f | wc -l) new inputs discarded)"
}

failed=0
pids=()
names=()
for name in "${targets[@]}"; do
  while [[ ${#pids[@]} -ge $jobs ]]; do
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  done
  run_target "$name" &
  pids+=($!)
  names+=("$name")
done
for pid in "${pids[@]}"; do
  wait "$pid" || failed=1
done

echo "fuzz: ${#names[@]} targets, total $(($(date +%s) - start)) s (build $((built - start)) s)"
exit $failed

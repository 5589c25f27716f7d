// Restart: how long OpenSqliteLedger takes to be ready with N stored keys,
// beside baselines measured in the same run on the same files (docs/benchmarks.md
// "Restart"):
//   BM_RawKeyScan/N        - baseline: SELECT key, fingerprint FROM idempotency_keys,
//                            every row stepped and both columns read, nothing kept
//   BM_RawSnapshotRead/N   - baseline: malloc + read() of the key snapshot file's bytes
//   BM_OpenFullLoad/N      - OpenSqliteLedger without a key snapshot: every key row claimed
//   BM_OpenFromSnapshot/N  - OpenSqliteLedger with the snapshot its last close wrote
//   BM_OpenSnapshotTail/N  - the same after a crash: the snapshot misses the last 10% of rows
//   BM_SnapshotPause/N     - a running ledger's background key snapshot: the time appends wait while
//                            the writer copies the index (manual time), and the background write
//   BM_SpendAll/N          - Ledger::Spend of every bucket (what Budgets::Restore reads at start)
// N comes from LCE_RESTART_KEYS (comma-separated, default 1000000); each
// ledger is built once per run with Ledger::Append (10,000 entries a call,
// fsync off), in a temporary directory removed at exit, so its files are in
// the page cache (a warm restart). Timestamps spread the records over 7 days
// across 4 services, 40 campaigns and 6 models. Counters: keys in the index;
// index_bytes_per_key (LedgerStats::idempotency_index_bytes / keys); and
// heap_bytes_per_key (mallinfo2 live bytes after the open minus before, per
// key: the index plus whatever SQLite keeps, e.g. its page cache). Times are
// wall clock (the open is one thread).
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "ledger_labels.h"
#include "llm_cost_exporter/ledger.h"

namespace {

constexpr std::size_t kBatch = 10'000;
constexpr std::int64_t kStart = 1'775'124'900'000'000'000;
constexpr std::int64_t kSpanNs = 7LL * 24 * 3600 * 1'000'000'000;

using lce_bench::Mix;

// "evt_01J9<16 hex digits>": unique per n, random order, 24 bytes.
void FormatKey(std::string& out, std::uint64_t n) {
  out = "evt_01J9";
  std::array<char, 16> hex{};
  std::to_chars(hex.data(), hex.data() + hex.size(), Mix(n), 16);
  out.append(hex.data(), hex.size());
}

std::string& RootDir() {
  static std::string root = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "lce_restart_bench_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) return std::string();
    return pattern;
  }();
  return root;
}

lce::LedgerOptions Options(const std::string& directory) {
  lce::LedgerOptions options;
  options.directory = directory;
  options.fsync_every_commit = false;
  options.idempotency_retention = std::chrono::hours(24 * 30);
  options.key_snapshot_every_keys = 0;  // only the snapshot at close, which the cases below rely on
  return options;
}

std::unique_ptr<lce::Ledger> OpenOrDie(const std::string& directory) {
  lce::Result<std::unique_ptr<lce::Ledger>> ledger = lce::OpenSqliteLedger(Options(directory));
  if (!ledger.ok()) {
    std::fprintf(stderr, "open %s: %s\n", directory.c_str(), ledger.status().message().c_str());
    std::exit(1);
  }
  return std::move(ledger).value();
}

// Appends keys [first, last) to the ledger in `directory`.
void Fill(const std::string& directory, std::uint64_t first, std::uint64_t last, std::uint64_t total) {
  using lce_bench::kLedgerModels;
  using lce_bench::kLedgerServices;
  using lce_bench::kLedgerVendors;
  const std::vector<std::string> campaigns = lce_bench::LedgerCampaigns();
  std::unique_ptr<lce::Ledger> ledger = OpenOrDie(directory);
  std::vector<std::string> keys(kBatch);
  std::vector<lce::LedgerEntry> entries;
  for (std::uint64_t n = first; n < last;) {
    entries.clear();
    for (std::size_t i = 0; i < kBatch && n < last; ++i, ++n) {
      FormatKey(keys[i], n);
      lce::LedgerEntry& entry = entries.emplace_back();
      entry.idempotency_key = keys[i];
      entry.fingerprint = Mix(n + 1) | 1;
      entry.service = kLedgerServices[n % kLedgerServices.size()];
      entry.campaign_id = campaigns[n % campaigns.size()];
      entry.vendor = kLedgerVendors[n % kLedgerModels.size()];
      entry.model = kLedgerModels[n % kLedgerModels.size()];
      entry.timestamp_unix_ns = kStart + static_cast<std::int64_t>(n) * (kSpanNs / static_cast<std::int64_t>(total));
      entry.cost = lce::Money::FromAtto(static_cast<lce::int128>(21'000'000'000'000'000) + static_cast<lce::int128>(n));
    }
    const std::int64_t received = kStart + static_cast<std::int64_t>(n);
    if (!ledger->Append(entries, received).ok()) {
      std::fprintf(stderr, "append failed\n");
      std::exit(1);
    }
  }
}

// The directory of a ledger with `keys` keys (built on first use), whose
// snapshot its last close wrote.
const std::string& LedgerWith(std::uint64_t keys) {
  static std::map<std::uint64_t, std::string> built;
  auto it = built.find(keys);
  if (it != built.end()) return it->second;
  const std::string directory = RootDir() + "/" + std::to_string(keys);
  Fill(directory, 0, keys, keys);
  return built.emplace(keys, directory).first->second;
}

std::string SnapshotPath(const std::string& directory) { return directory + "/ledger.keys"; }

std::size_t LiveHeapBytes() {
  const struct mallinfo2 info = ::mallinfo2();
  return info.uordblks + info.hblkhd;
}

// One timed open; the close (which writes the snapshot) is not timed.
void TimedOpen(benchmark::State& state, const std::string& directory) {
  const std::size_t before = LiveHeapBytes();
  std::unique_ptr<lce::Ledger> ledger = OpenOrDie(directory);
  state.PauseTiming();
  const std::size_t after = LiveHeapBytes();
  const lce::LedgerStats stats = ledger->Stats();
  const double keys = static_cast<double>(stats.idempotency_keys);
  state.counters["keys"] = keys;
  state.counters["snapshot_keys"] = static_cast<double>(stats.open_snapshot_keys);
  state.counters["replayed_keys"] = static_cast<double>(stats.open_replayed_keys);
  state.counters["index_bytes_per_key"] = static_cast<double>(stats.idempotency_index_bytes) / keys;
  state.counters["heap_bytes_per_key"] = (static_cast<double>(after) - static_cast<double>(before)) / keys;
  ledger.reset();
  state.ResumeTiming();
}

void BM_RawKeyScan(benchmark::State& state) {
  const std::string& directory = LedgerWith(static_cast<std::uint64_t>(state.range(0)));
  std::uint64_t rows = 0;
  for (auto _ : state) {
    sqlite3* db = nullptr;
    sqlite3_open_v2((directory + "/ledger.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* scan = nullptr;
    sqlite3_prepare_v2(db, "SELECT key, fingerprint FROM idempotency_keys ORDER BY rowid", -1, &scan, nullptr);
    std::uint64_t bytes = 0;
    rows = 0;
    while (sqlite3_step(scan) == SQLITE_ROW) {
      const unsigned char* key = sqlite3_column_text(scan, 0);
      bytes += static_cast<std::uint64_t>(sqlite3_column_bytes(scan, 0)) + (key != nullptr ? 1 : 0);
      bytes += static_cast<std::uint64_t>(sqlite3_column_int64(scan, 1) & 1);
      ++rows;
    }
    benchmark::DoNotOptimize(bytes);
    sqlite3_finalize(scan);
    sqlite3_close(db);
  }
  state.counters["keys"] = static_cast<double>(rows);
}

void BM_RawSnapshotRead(benchmark::State& state) {
  const std::string& directory = LedgerWith(static_cast<std::uint64_t>(state.range(0)));
  const std::string path = SnapshotPath(directory);
  const std::uintmax_t size = std::filesystem::file_size(path);
  for (auto _ : state) {
    std::unique_ptr<char, decltype(&std::free)> buffer(static_cast<char*>(std::malloc(size)), &std::free);
    std::ifstream in(path, std::ios::binary);
    in.read(buffer.get(), static_cast<std::streamsize>(size));
    benchmark::DoNotOptimize(buffer.get()[size / 2]);
  }
  state.counters["file_bytes"] = static_cast<double>(size);
}

void BM_OpenFullLoad(benchmark::State& state) {
  const std::string& directory = LedgerWith(static_cast<std::uint64_t>(state.range(0)));
  for (auto _ : state) {
    state.PauseTiming();
    std::filesystem::remove(SnapshotPath(directory));
    state.ResumeTiming();
    TimedOpen(state, directory);
  }
}

void BM_OpenFromSnapshot(benchmark::State& state) {
  const std::string& directory = LedgerWith(static_cast<std::uint64_t>(state.range(0)));
  for (auto _ : state) TimedOpen(state, directory);
}

// A crash after a snapshot: the last 10% of the rows were committed after
// it. A ledger of its own: 90% of the keys appended and closed (the snapshot
// is kept aside), then the rest; each iteration puts the kept snapshot back,
// which is what a crash after it leaves.
void BM_OpenSnapshotTail(benchmark::State& state) {
  const auto keys = static_cast<std::uint64_t>(state.range(0));
  const std::string directory = RootDir() + "/tail_" + std::to_string(keys);
  const std::string stale = directory + ".keys";
  if (!std::filesystem::exists(stale)) {
    Fill(directory, 0, keys - keys / 10, keys);
    std::filesystem::copy_file(SnapshotPath(directory), stale);
    Fill(directory, keys - keys / 10, keys, keys);
  }
  for (auto _ : state) {
    state.PauseTiming();
    std::filesystem::copy_file(stale, SnapshotPath(directory), std::filesystem::copy_options::overwrite_existing);
    state.ResumeTiming();
    TimedOpen(state, directory);
  }
}

// One new key appended to a ledger of N whose snapshot interval is one key:
// the writer copies the index after that commit, and a thread writes it.
// The iteration's time is the copy (what appends wait for); write_seconds is
// from the append's return until the write is counted (polled, 60 s at most).
void BM_SnapshotPause(benchmark::State& state) {
  const auto keys = static_cast<std::uint64_t>(state.range(0));
  const std::string& directory = LedgerWith(keys);
  lce::LedgerOptions options = Options(directory);
  options.key_snapshot_every_keys = 1;
  lce::Result<std::unique_ptr<lce::Ledger>> ledger = lce::OpenSqliteLedger(options);
  if (!ledger.ok()) {
    state.SkipWithError(ledger.status().message().c_str());
    return;
  }
  std::string key;
  double write_seconds = 0;
  std::uint64_t n = 1'000'000'000'000;
  for (auto _ : state) {
    FormatKey(key, n++);
    lce::LedgerEntry entry;
    entry.idempotency_key = key;
    entry.service = lce_bench::kLedgerServices[0];
    entry.campaign_id = "pause";
    entry.vendor = lce_bench::kLedgerVendors[0];
    entry.model = lce_bench::kLedgerModels[0];
    entry.timestamp_unix_ns = kStart;
    entry.cost = lce::Money::FromAtto(1);
    const std::uint64_t written = (*ledger)->Stats().key_snapshots;
    if (!(*ledger)->Append(std::span(&entry, 1), kStart).ok()) {
      state.SkipWithError("append failed");
      return;
    }
    const auto appended = std::chrono::steady_clock::now();
    lce::LedgerStats stats = (*ledger)->Stats();
    for (int poll = 0; poll < 60'000 && stats.key_snapshots == written && stats.key_snapshot_errors == 0; ++poll) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      stats = (*ledger)->Stats();
    }
    if (stats.key_snapshots == written) {
      state.SkipWithError("no background snapshot was written");
      return;
    }
    write_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - appended).count();
    state.SetIterationTime(stats.key_snapshot_copy_seconds);
    state.counters["keys"] = static_cast<double>(stats.idempotency_keys);
    state.counters["index_bytes"] = static_cast<double>(stats.idempotency_index_bytes);
  }
  state.counters["write_seconds"] = write_seconds;
}

void BM_SpendAll(benchmark::State& state) {
  const std::string& directory = LedgerWith(static_cast<std::uint64_t>(state.range(0)));
  std::unique_ptr<lce::Ledger> ledger = OpenOrDie(directory);
  std::size_t buckets = 0;
  for (auto _ : state) {
    lce::Result<std::vector<lce::SpendBucket>> spend =
        ledger->Spend(std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max());
    buckets = spend.ok() ? spend->size() : 0;
  }
  state.counters["buckets"] = static_cast<double>(buckets);
}

std::vector<std::int64_t> SizesFromEnv() {
  const char* env = std::getenv("LCE_RESTART_KEYS");
  std::string text = env != nullptr ? env : "1000000";
  std::vector<std::int64_t> sizes;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    sizes.push_back(std::stoll(text.substr(start, end - start)));
    start = end + 1;
  }
  return sizes;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  const char* iterations_env = std::getenv("LCE_RESTART_ITERATIONS");
  const int iterations = iterations_env != nullptr ? std::atoi(iterations_env) : 3;
  for (const std::int64_t keys : SizesFromEnv()) {
    for (const auto& [name, function] :
         std::vector<std::pair<const char*, void (*)(benchmark::State&)>>{{"BM_RawKeyScan", BM_RawKeyScan},
                                                                          {"BM_RawSnapshotRead", BM_RawSnapshotRead},
                                                                          {"BM_OpenFullLoad", BM_OpenFullLoad},
                                                                          {"BM_OpenFromSnapshot", BM_OpenFromSnapshot},
                                                                          {"BM_OpenSnapshotTail", BM_OpenSnapshotTail},
                                                                          {"BM_SpendAll", BM_SpendAll}}) {
      benchmark::RegisterBenchmark(name, function)
          ->Arg(keys)
          ->Iterations(iterations)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
    benchmark::RegisterBenchmark("BM_SnapshotPause", BM_SnapshotPause)
        ->Arg(keys)
        ->Iterations(iterations)
        ->Unit(benchmark::kMillisecond)
        ->UseManualTime();
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::error_code ec;
  if (!RootDir().empty()) std::filesystem::remove_all(RootDir(), ec);
  return 0;
}

// Throughput of the durable ledger, beside raw SQLite baselines measured in
// the same run on the same disk with the same settings (WAL,
// synchronous=NORMAL):
//   BM_RawSqliteInsert        - baseline: prepared INSERT of (key, ts, cost
//                               ints) rows into a plain rowid table, one
//                               transaction per 1000 rows
//   BM_RawSqliteInsertKeyed   - the same into a table keyed by the text key
//                               (WITHOUT ROWID), i.e. with a uniqueness check
//   BM_LedgerAppend           - lce Ledger::Append of 1000-entry batches, one thread
//   BM_LedgerAppend_4Threads  - four threads appending at once (group commit)
//   BM_MemoryLedgerAppend     - the in-memory ledger, for scale
// Keys are unique and in random order (the worst case for the key B-tree);
// labels cycle over 4 services, 40 campaigns and 6 models (each with its
// vendor): 120 distinct spend buckets per 1000-entry batch.
// items_per_second is entries per wall-clock second (the writer thread does
// the work while callers wait, so CPU time of the caller would mislead).
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdlib>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ledger_batch.h"
#include "llm_cost_exporter/ledger.h"

namespace {

constexpr std::size_t kBatch = lce_bench::kLedgerBatch;

std::string MakeTempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "lce_ledger_bench_XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return {};
  return pattern;
}

using Batch = lce_bench::LedgerBatch;

sqlite3* OpenRawDb(const std::string& path) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536", nullptr, nullptr,
               nullptr);
  return db;
}

void RawSqliteInsert(benchmark::State& state, const char* create_table) {
  const std::string dir = MakeTempDir();
  sqlite3* db = OpenRawDb(dir + "/raw.db");
  sqlite3_exec(db, create_table, nullptr, nullptr, nullptr);
  sqlite3_stmt* insert = nullptr;
  if (sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?1, ?2, ?3, ?4)", -1, &insert, nullptr) != SQLITE_OK) {
    state.SkipWithError(sqlite3_errmsg(db));
    sqlite3_close(db);
    return;
  }
  Batch batch;
  std::uint64_t counter = 0;
  for (auto _ : state) {
    batch.NextKeys(0, counter);
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    for (const lce::LedgerEntry& entry : batch.entries) {
      sqlite3_bind_text(insert, 1, entry.idempotency_key.data(), static_cast<int>(entry.idempotency_key.size()),
                        SQLITE_STATIC);
      sqlite3_bind_int64(insert, 2, entry.timestamp_unix_ns / 1'000'000'000);
      sqlite3_bind_int64(insert, 3, 0);
      sqlite3_bind_int64(insert, 4, static_cast<std::int64_t>(entry.cost.atto()));
      if (sqlite3_step(insert) != SQLITE_DONE) state.SkipWithError(sqlite3_errmsg(db));
      sqlite3_reset(insert);
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  sqlite3_finalize(insert);
  sqlite3_close(db);
  std::filesystem::remove_all(dir);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBatch));
}

void BM_RawSqliteInsert(benchmark::State& state) {
  RawSqliteInsert(state, "CREATE TABLE t(key TEXT, ts INTEGER, cost_whole INTEGER, cost_frac INTEGER)");
}
BENCHMARK(BM_RawSqliteInsert)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_RawSqliteInsertKeyed(benchmark::State& state) {
  RawSqliteInsert(state,
                  "CREATE TABLE t(key TEXT PRIMARY KEY, ts INTEGER, cost_whole INTEGER, cost_frac INTEGER) "
                  "WITHOUT ROWID");
}
BENCHMARK(BM_RawSqliteInsertKeyed)->Unit(benchmark::kMillisecond)->UseRealTime();

// Shared by the threads of one multi-threaded run; set up and torn down by
// thread 0 (Google Benchmark starts the timed loop on all threads together).
std::unique_ptr<lce::Ledger> g_ledger;
std::string g_dir;

void OpenSharedLedger(benchmark::State& state) {
  g_dir = MakeTempDir();
  lce::LedgerOptions options;
  options.directory = g_dir + "/ledger";
  options.fsync_every_commit = false;  // synchronous=NORMAL, like the raw baselines of this file
  auto ledger = lce::OpenSqliteLedger(options);
  if (!ledger.ok()) {
    state.SkipWithError(ledger.status().message().c_str());
    std::abort();  // the other threads would use a missing ledger
  }
  g_ledger = std::move(ledger).value();
}

void CloseSharedLedger(benchmark::State& state) {
  const lce::LedgerStats stats = g_ledger->Stats();
  state.counters["entries_per_commit"] =
      static_cast<double>(stats.committed_entries) / static_cast<double>(std::max<std::uint64_t>(stats.commits, 1));
  state.counters["db_MiB"] = static_cast<double>(stats.size_bytes) / (1024.0 * 1024.0);
  g_ledger.reset();
  std::filesystem::remove_all(g_dir);
}

void BM_LedgerAppend(benchmark::State& state) {
  if (state.thread_index() == 0) OpenSharedLedger(state);
  lce_bench::AppendBatches(state, g_ledger);
  if (state.thread_index() == 0 && g_ledger) CloseSharedLedger(state);
}
BENCHMARK(BM_LedgerAppend)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_LedgerAppend_4Threads(benchmark::State& state) { BM_LedgerAppend(state); }
BENCHMARK(BM_LedgerAppend_4Threads)->Unit(benchmark::kMillisecond)->UseRealTime()->Threads(4);

void BM_MemoryLedgerAppend(benchmark::State& state) {
  const std::unique_ptr<lce::Ledger> ledger = lce::NewMemoryLedger(std::chrono::hours(24));
  lce_bench::AppendBatches(state, ledger);
}
BENCHMARK(BM_MemoryLedgerAppend)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

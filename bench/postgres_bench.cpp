// Throughput of the PostgreSQL ledger beside raw PostgreSQL baselines measured
// in the same run, on the same server, with the same rows:
//   BM_RawPgInsertKeys      - baseline: the batch's keys (key, fingerprint,
//                             receive time) inserted with one multi-row
//                             INSERT ... SELECT FROM unnest(...) into a table
//                             keyed by the text key, one transaction per batch
//   BM_RawPgCopyKeys        - the same rows with COPY ... FROM STDIN
//   BM_PostgresLedgerAppend - lce Ledger::Append of the same 1000-entry batches:
//                             the keys claimed (ON CONFLICT, fingerprints read
//                             back), 120 spend buckets upserted, one commit
//   BM_PostgresLedgerAppend_4Threads - four threads appending at once
// Entries are those of ledger_bench (ledger_labels.h): unique keys in random
// order, 4 services x 40 campaigns x 6 models. items_per_second is entries
// per wall-clock second. Run through bench/postgres_bench.sh, which starts a
// throw-away cluster (tests/postgres/cluster.sh) and names it in
// LCE_BENCH_POSTGRES_STATE.
#include <benchmark/benchmark.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "ledger_batch.h"
#include "llm_cost_exporter/postgres_ledger.h"

namespace {

constexpr std::size_t kBatch = lce_bench::kLedgerBatch;
constexpr std::int64_t kTimestamp = lce_bench::kLedgerTimestamp;

// The cluster's DSN and password, from the state file cluster.sh wrote.
struct Cluster {
  std::string dsn;
  std::string password;
};

Cluster ReadCluster() {
  Cluster cluster;
  const char* state_file = std::getenv("LCE_BENCH_POSTGRES_STATE");
  if (state_file == nullptr) return cluster;
  std::ifstream state(state_file);
  std::string password_file;
  for (std::string line; std::getline(state, line);) {
    if (line.starts_with("LCE_PG_DSN='")) cluster.dsn = line.substr(12, line.size() - 13);  // unquoted
    if (line.starts_with("LCE_PG_PASSWORD_FILE=")) password_file = line.substr(21);
  }
  std::ifstream password(password_file);
  std::getline(password, cluster.password);
  return cluster;
}

PGconn* Connect(const Cluster& cluster, const std::string& database) {
  const std::string dsn = cluster.dsn + " dbname=" + database;
  const char* keys[] = {"dbname", "password", nullptr};
  const char* values[] = {dsn.c_str(), cluster.password.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, 1);
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return conn;
}

// Runs `sql` with text parameters; fails the benchmark on an error.
bool Exec(PGconn* conn, const std::string& sql, benchmark::State& state, const std::vector<std::string>& params = {}) {
  std::vector<const char*> values;
  for (const std::string& param : params) values.push_back(param.c_str());
  PGresult* result =
      PQexecParams(conn, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0);
  const ExecStatusType status = PQresultStatus(result);
  const bool ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
  if (!ok) state.SkipWithError(PQresultErrorMessage(result));
  PQclear(result);
  return ok;
}

// A database of its own per benchmark, dropped at the end.
class BenchDatabase {
 public:
  explicit BenchDatabase(benchmark::State& state) : cluster_(ReadCluster()) {
    if (cluster_.dsn.empty()) {
      state.SkipWithError("LCE_BENCH_POSTGRES_STATE names no cluster: run bench/postgres_bench.sh");
      return;
    }
    static int counter = 0;
    name_ = "lce_bench_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    PGconn* admin = ::Connect(cluster_, "postgres");
    if (PQstatus(admin) != CONNECTION_OK) {
      state.SkipWithError(PQerrorMessage(admin));
    } else {
      ok_ = Exec(admin, "CREATE DATABASE " + name_, state);
    }
    PQfinish(admin);
  }
  ~BenchDatabase() {
    if (!ok_) return;
    PGconn* admin = ::Connect(cluster_, "postgres");
    PQclear(PQexec(admin, ("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)").c_str()));
    PQfinish(admin);
  }
  BenchDatabase(const BenchDatabase&) = delete;
  BenchDatabase& operator=(const BenchDatabase&) = delete;

  bool ok() const { return ok_; }
  PGconn* Connect() const { return ::Connect(cluster_, name_); }
  lce::PostgresOptions Options() const {
    lce::PostgresOptions options;
    options.dsn = cluster_.dsn + " dbname=" + name_;
    options.password = cluster_.password;
    return options;
  }

 private:
  Cluster cluster_;
  std::string name_;
  bool ok_ = false;
};

using Batch = lce_bench::LedgerBatch;

constexpr const char* kRawTable =
    "CREATE TABLE raw_keys(key text COLLATE \"C\" PRIMARY KEY, fingerprint bigint NOT NULL, "
    "received_unix_ns bigint NOT NULL)";

// The batch's key rows as the three array parameters of the raw insert.
std::vector<std::string> KeyArrays(const Batch& batch) {
  std::string keys = "{";
  std::string fingerprints = "{";
  for (std::size_t i = 0; i < kBatch; ++i) {
    if (i != 0) {
      keys += ',';
      fingerprints += ',';
    }
    keys += '"';  // hex ids: nothing to escape
    keys += batch.keys[i];
    keys += '"';
    fingerprints += std::to_string(static_cast<std::int64_t>(batch.entries[i].fingerprint));
  }
  return {keys + "}", fingerprints + "}", std::to_string(kTimestamp)};
}

// A raw baseline: a database with the keys table, and `write(conn, batch)`
// (one transaction) timed for each batch of new keys.
template <typename WriteBatch>
void RawKeysBenchmark(benchmark::State& state, WriteBatch write) {
  BenchDatabase db(state);
  if (!db.ok()) return;
  PGconn* conn = db.Connect();
  if (Exec(conn, kRawTable, state)) {
    Batch batch;
    std::uint64_t counter = 0;
    for (auto _ : state) {
      batch.NextKeys(0, counter);
      if (!write(conn, batch)) break;
    }
  }
  PQfinish(conn);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBatch));
}

void BM_RawPgInsertKeys(benchmark::State& state) {
  RawKeysBenchmark(state, [&state](PGconn* conn, const Batch& batch) {
    return Exec(conn, "BEGIN", state) &&
           Exec(conn, "INSERT INTO raw_keys SELECT k, f, $3::bigint FROM unnest($1::text[], $2::bigint[]) AS t(k, f)",
                state, KeyArrays(batch)) &&
           Exec(conn, "COMMIT", state);
  });
}
BENCHMARK(BM_RawPgInsertKeys)->Unit(benchmark::kMillisecond)->UseRealTime();

// COPY's text format: tab-separated columns, one row per line.
bool CopyKeys(PGconn* conn, const Batch& batch, std::string& rows) {
  rows.clear();
  for (std::size_t i = 0; i < kBatch; ++i) {
    rows += batch.keys[i];
    rows += '\t';
    rows += std::to_string(static_cast<std::int64_t>(batch.entries[i].fingerprint));
    rows += '\t';
    rows += std::to_string(kTimestamp);
    rows += '\n';
  }
  PGresult* copy = PQexec(conn, "COPY raw_keys FROM STDIN");
  const bool copying = PQresultStatus(copy) == PGRES_COPY_IN;
  PQclear(copy);
  if (!copying || PQputCopyData(conn, rows.data(), static_cast<int>(rows.size())) != 1 ||
      PQputCopyEnd(conn, nullptr) != 1) {
    return false;
  }
  PGresult* done = PQgetResult(conn);
  const bool copied = PQresultStatus(done) == PGRES_COMMAND_OK;
  PQclear(done);
  while (PGresult* extra = PQgetResult(conn)) PQclear(extra);
  return copied;
}

void BM_RawPgCopyKeys(benchmark::State& state) {
  std::string rows;
  RawKeysBenchmark(state, [&state, &rows](PGconn* conn, const Batch& batch) {
    if (!Exec(conn, "BEGIN", state)) return false;
    if (!CopyKeys(conn, batch, rows)) {
      state.SkipWithError("COPY failed");
      return false;
    }
    return Exec(conn, "COMMIT", state);
  });
}
BENCHMARK(BM_RawPgCopyKeys)->Unit(benchmark::kMillisecond)->UseRealTime();

// Shared by the threads of one run; set up and torn down by thread 0
// (Google Benchmark starts the timed loop on all threads together).
std::unique_ptr<BenchDatabase> g_db;
std::unique_ptr<lce::Ledger> g_ledger;

void BM_PostgresLedgerAppend(benchmark::State& state) {
  if (state.thread_index() == 0) {
    g_db = std::make_unique<BenchDatabase>(state);
    if (!g_db->ok()) std::abort();  // the other threads would use a missing ledger
    lce::PostgresOptions options = g_db->Options();
    options.pool_size = static_cast<std::size_t>(state.threads());
    auto ledger = lce::OpenPostgresLedger(options);
    if (!ledger.ok()) {
      state.SkipWithError(ledger.status().message().c_str());
      std::abort();
    }
    g_ledger = std::move(ledger).value();
  }
  lce_bench::AppendBatches(state, g_ledger);
  if (state.thread_index() == 0) {
    g_ledger.reset();
    g_db.reset();
  }
}
BENCHMARK(BM_PostgresLedgerAppend)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_PostgresLedgerAppend_4Threads(benchmark::State& state) { BM_PostgresLedgerAppend(state); }
BENCHMARK(BM_PostgresLedgerAppend_4Threads)->Unit(benchmark::kMillisecond)->UseRealTime()->Threads(4);

}  // namespace

BENCHMARK_MAIN();

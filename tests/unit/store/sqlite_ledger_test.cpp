// SQLite-only behaviour: durability across reopen, the directory lock, open
// and write errors, schema versions, options.
#include <sqlite3.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>
#include <string>

#include "ledger_test_util.h"

namespace lce::ledger_test {
namespace {

// Runs SQL on the ledger's database through a separate raw connection, as
// another process would.
void RawExec(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(db_path.c_str(), &db) == SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  INFO((error ? error : ""));
  sqlite3_free(error);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

TEST_CASE("SqliteLedger restores keys and spend after reopen", "[store][ledger][sqlite]") {
  SqliteFactory factory;
  const Money cost = Dollars("0.0000375");
  {
    auto ledger = factory.Open();
    AppendOk(*ledger, {Entry("a", kT0, cost), Entry("b", kT0, cost), Entry("", kT0, cost)});
    AppendOk(*ledger, {Entry("c", kT0, cost)});
  }
  auto ledger = factory.Open();
  CHECK(ledger->Stats().idempotency_keys == 3);
  CHECK(AppendOk(*ledger, {Entry("a", kT0, cost), Entry("c", kT0, cost), Entry("d", kT0, cost)}) ==
        std::vector<bool>{false, false, true});
  const auto buckets = SpendOk(*ledger, kT0, kT0 + 1);
  REQUIRE(buckets.size() == 1);
  CHECK(buckets[0].cost == Dollars("0.0001875"));
  CHECK(buckets[0].records == 5);
}

TEST_CASE("SqliteLedger Prune deletes stored keys received before now - retention", "[store][ledger][sqlite]") {
  SqliteFactory factory;
  constexpr std::int64_t kHour = 3600 * kSecond;
  const Money cost = Dollars("0.001");
  {
    auto ledger = factory.Open(std::chrono::hours(1));
    // More old keys than one prune chunk (100,000 rows), so Prune loops.
    std::vector<std::string> keys;
    for (int k = 0; k < 250'000; ++k) keys.push_back("old_" + std::to_string(k));
    for (std::size_t first = 0; first < keys.size(); first += 10'000) {
      std::vector<LedgerEntry> batch;
      for (std::size_t k = first; k < first + 10'000; ++k) batch.push_back(Entry(keys[k], kT0, cost));
      AppendOk(*ledger, batch, kT0);
    }
    AppendOk(*ledger, {Entry("edge", kT0, cost)}, kT0 + kHour);  // exactly `retention` before the prune
    AppendOk(*ledger, {Entry("new", kT0, cost)}, kT0 + 2 * kHour);
    REQUIRE(ledger->Prune(kT0 + 2 * kHour).ok());
    // In memory the first Prune only starts a generation: every key is still known.
    CHECK(ledger->Stats().idempotency_keys == 250'002);
    CHECK(AppendOk(*ledger, {Entry("old_7", kT0, cost)}, kT0 + 2 * kHour) == std::vector<bool>{false});
  }
  auto ledger = factory.Open(std::chrono::hours(1));
  CHECK(ledger->Stats().idempotency_keys == 2);
  CHECK(AppendOk(*ledger, {Entry("old_7", kT0, cost), Entry("edge", kT0, cost), Entry("new", kT0, cost)}) ==
        std::vector<bool>{true, false, false});
  // Spend is never pruned.
  CHECK(TotalCost(SpendOk(*ledger, kT0, kT0 + 1)) == Dollars("250.003"));
}

TEST_CASE("SqliteLedger survives repeated reopen while data exists", "[store][ledger][sqlite]") {
  SqliteFactory factory;
  const Money cost = Dollars("1");
  for (int round = 0; round < 3; ++round) {
    auto ledger = factory.Open();
    const std::string key = "evt_" + std::to_string(round);
    CHECK(AppendOk(*ledger, {Entry("evt_0", kT0, cost), Entry(key, kT0, cost)}) ==
          std::vector<bool>{round == 0, round != 0});
    CHECK(TotalCost(SpendOk(*ledger, kT0, kT0 + 1)) == Money::FromAtto(Money::kOneDollar * (round + 1)));
    CHECK(ledger->Stats().size_bytes > 0);
  }
}

TEST_CASE("SqliteLedger refuses a second open of the same directory", "[store][ledger][sqlite]") {
  SqliteFactory factory;
  auto first = factory.Open();
  LedgerOptions options;
  options.directory = factory.dir.path() + "/data";
  Result<std::unique_ptr<Ledger>> second = OpenSqliteLedger(options);
  REQUIRE_FALSE(second.ok());
  CHECK_THAT(second.status().message(), Catch::Contains("in use") && Catch::Contains(options.directory));
}

TEST_CASE("SqliteLedger open fails naming the path when the directory cannot be created",
          "[store][ledger][sqlite]") {
  TempDir dir;
  const std::string file = dir.path() + "/not_a_directory";
  std::ofstream(file) << "x";
  LedgerOptions options;
  options.directory = file + "/ledger";
  Result<std::unique_ptr<Ledger>> ledger = OpenSqliteLedger(options);
  REQUIRE_FALSE(ledger.ok());
  CHECK_THAT(ledger.status().message(), Catch::Contains(options.directory));
}

TEST_CASE("SqliteLedger open rejects a newer schema version", "[store][ledger][sqlite]") {
  SqliteFactory factory;
  factory.Open().reset();
  RawExec(factory.dir.path() + "/data/ledger.db", "PRAGMA user_version=99");
  LedgerOptions options;
  options.directory = factory.dir.path() + "/data";
  Result<std::unique_ptr<Ledger>> ledger = OpenSqliteLedger(options);
  REQUIRE_FALSE(ledger.ok());
  CHECK_THAT(ledger.status().message(), Catch::Contains("schema version 99 is newer") &&
                                            Catch::Contains(options.directory + "/ledger.db"));
}

TEST_CASE("SqliteLedger Append that fails to write commits nothing and reports the error",
          "[store][ledger][sqlite]") {
  SqliteFactory factory;
  auto ledger = factory.Open();
  const std::string db_path = factory.dir.path() + "/data/ledger.db";
  const Money cost = Dollars("2");
  AppendOk(*ledger, {Entry("before", kT0, cost)});
  // Fails the bucket upsert, after the keys of the call were inserted.
  RawExec(db_path,
          "CREATE TRIGGER fail_spend BEFORE UPDATE ON spend_buckets BEGIN SELECT RAISE(ABORT, 'injected'); END");
  const std::vector<LedgerEntry> entries = {Entry("x", kT0, cost), Entry("y", kT0, cost)};
  Result<std::vector<bool>> failed = ledger->Append(entries, kT0);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.status().code() == Status::Code::kIoError);
  CHECK_THAT(failed.status().message(), Catch::Contains("injected"));
  CHECK(ledger->Stats().commit_errors == 1);
  CHECK(ledger->Stats().idempotency_keys == 1);
  CHECK(TotalCost(SpendOk(*ledger, kT0, kT0 + 1)) == cost);
  RawExec(db_path, "DROP TRIGGER fail_spend");
  CHECK(AppendOk(*ledger, entries) == std::vector<bool>{true, true});
  CHECK(TotalCost(SpendOk(*ledger, kT0, kT0 + 1)) == Dollars("6"));
}

TEST_CASE("SqliteLedger opens with fsync on every commit", "[store][ledger][sqlite]") {
  TempDir dir;
  LedgerOptions options;
  options.directory = dir.path() + "/fsync";
  options.fsync_every_commit = true;
  Result<std::unique_ptr<Ledger>> ledger = OpenSqliteLedger(options);
  REQUIRE(ledger.ok());
  CHECK(AppendOk(**ledger, {Entry("a", kT0, Dollars("1"))}) == std::vector<bool>{true});
  CHECK((*ledger)->Stats().commits == 1);
  CHECK((*ledger)->Stats().commit_seconds_sum > 0);
}

TEST_CASE("SqliteLedger is consistent after SIGKILL during appends", "[store][ledger][sqlite]") {
  SqliteFactory factory;
  const std::string directory = factory.dir.path() + "/data";
  const Money cost = Dollars("0.01");
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The child appends batches of unique keys from two threads until killed.
    LedgerOptions options;
    options.directory = directory;
    auto ledger = OpenSqliteLedger(options);
    if (!ledger.ok()) ::_exit(2);
    auto append_forever = [&](int thread) {
      for (int round = 0;; ++round) {
        std::vector<std::string> keys;
        std::vector<LedgerEntry> batch;
        for (int k = 0; k < 100; ++k) keys.push_back(std::to_string(thread) + "_" + std::to_string(round) + "_" + std::to_string(k));
        for (const std::string& key : keys) batch.push_back(Entry(key, kT0, cost));
        if (!(*ledger)->Append(batch, kT0).ok()) ::_exit(3);
      }
    };
    std::thread other(append_forever, 1);
    append_forever(0);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  REQUIRE(::kill(child, SIGKILL) == 0);
  int wait_status = 0;
  REQUIRE(::waitpid(child, &wait_status, 0) == child);
  REQUIRE(WIFSIGNALED(wait_status));
  auto ledger = factory.Open();
  const std::uint64_t keys = ledger->Stats().idempotency_keys;
  CHECK(keys > 0);
  CHECK(keys % 100 == 0);  // whole Append calls only
  const auto buckets = SpendOk(*ledger, kT0, kT0 + 1);
  std::uint64_t records = 0;
  for (const SpendBucket& bucket : buckets) records += bucket.records;
  CHECK(records == keys);
  CHECK(TotalCost(buckets) == cost * keys);
}

}  // namespace
}  // namespace lce::ledger_test

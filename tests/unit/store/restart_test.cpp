// Restart of the SQLite ledger (docs/ledger.md "Restart"): the key snapshot
// written at close, the tail of rows committed after it, and every way a
// snapshot can be missing, stale, damaged or of other rows, each of which
// must still answer a re-sent key as a duplicate (or a conflict).
#include <sqlite3.h>

#include <sys/wait.h>
#include <unistd.h>

#include <deque>
#include <filesystem>
#include <functional>
#include <fstream>
#include <string>
#include <vector>

#include "ledger_test_util.h"

namespace lce::ledger_test {
namespace {

using O = EntryOutcome;

std::vector<LedgerEntry> KeyedBatch(const std::string& prefix, int count, std::uint64_t fingerprint_base) {
  static std::deque<std::string> storage;  // keys outlive the entries' views (a deque never moves them)
  std::vector<LedgerEntry> batch;
  for (int k = 0; k < count; ++k) {
    storage.push_back(prefix + std::to_string(k));
    batch.push_back(Keyed(storage.back(), fingerprint_base + static_cast<std::uint64_t>(k), Dollars("0.01")));
  }
  return batch;
}

// The outcomes of re-sending `count` keys of `prefix`: same content for even
// k, other content for odd k.
std::vector<O> Resend(Ledger& ledger, const std::string& prefix, int count, std::uint64_t fingerprint_base) {
  std::vector<LedgerEntry> batch = KeyedBatch(prefix, count, fingerprint_base);
  for (std::size_t k = 1; k < batch.size(); k += 2) batch[k].fingerprint += 1'000'000;
  return AppendOutcomes(ledger, batch);
}

void ExpectRemembered(Ledger& ledger, const std::string& prefix, int count, std::uint64_t fingerprint_base) {
  const std::vector<O> outcomes = Resend(ledger, prefix, count, fingerprint_base);
  for (std::size_t k = 0; k < outcomes.size(); ++k) {
    INFO(prefix << k);
    REQUIRE(outcomes[k] == (k % 2 == 0 ? O::kDuplicate : O::kConflict));
  }
}

struct Paths {
  std::string directory;
  std::string snapshot() const { return directory + "/ledger.keys"; }
  std::string db() const { return directory + "/ledger.db"; }
};

Paths PathsOf(const SqliteFactory& factory) { return {factory.dir.path() + "/data"}; }

// A ledger that is never closed (what a crash leaves: no snapshot at close);
// nullptr when it cannot be opened.
Ledger* OpenNeverClosed(const LedgerOptions& options) {
  Result<std::unique_ptr<Ledger>> ledger = OpenSqliteLedger(options);
  return ledger.ok() ? ledger->release() : nullptr;
}

// Runs `body` in a child process that then exits at once (_exit); the test
// requires its exit code to be 0, and other codes name what failed.
void CrashAfter(const std::function<int()>& body) {
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) ::_exit(body());
  int wait_status = 0;
  REQUIRE(::waitpid(child, &wait_status, 0) == child);
  REQUIRE(WIFEXITED(wait_status));
  REQUIRE(WEXITSTATUS(wait_status) == 0);
}

// Appends in a child process that exits without closing the ledger.
void AppendThenCrash(const std::string& directory, const std::string& prefix, int count,
                     std::uint64_t fingerprint_base) {
  CrashAfter([&] {
    LedgerOptions options;
    options.directory = directory;
    options.idempotency_retention = std::chrono::hours(24);
    Ledger* ledger = OpenNeverClosed(options);
    if (ledger == nullptr) return 2;
    std::vector<std::string> keys;
    std::vector<LedgerEntry> batch;
    for (int k = 0; k < count; ++k) keys.push_back(prefix + std::to_string(k));
    for (int k = 0; k < count; ++k) {
      LedgerEntry entry = Entry(keys[static_cast<std::size_t>(k)], kT0, Money::FromAtto(1));
      entry.fingerprint = fingerprint_base + static_cast<std::uint64_t>(k);
      batch.push_back(entry);
    }
    if (!ledger->Append(batch, kT0).ok()) return 3;
    return 0;
  });
}

TEST_CASE("Restart from the key snapshot: re-sent keys are duplicates, other content conflicts",
          "[store][ledger][sqlite][restart]") {
  SqliteFactory factory;
  {
    auto ledger = factory.Open();
    AppendOk(*ledger, KeyedBatch("evt_", 5000, 100));
  }
  REQUIRE(std::filesystem::exists(PathsOf(factory).snapshot()));
  auto ledger = factory.Open();
  const LedgerStats stats = ledger->Stats();
  CHECK(stats.open_snapshot_keys == 5000);
  CHECK(stats.open_replayed_keys == 0);
  CHECK(stats.idempotency_keys == 5000);
  CHECK(stats.idempotency_index_bytes <= 30 * 5000);
  ExpectRemembered(*ledger, "evt_", 5000, 100);
  CHECK(AppendOutcomes(*ledger, KeyedBatch("fresh_", 3, 1)) == std::vector<O>{O::kNew, O::kNew, O::kNew});
}

TEST_CASE("Restart after a crash: the snapshot plus the rows committed after it", "[store][ledger][sqlite][restart]") {
  SqliteFactory factory;
  const Paths paths = PathsOf(factory);
  SECTION("rows after a snapshot of keys") {
    {
      auto ledger = factory.Open();
      AppendOk(*ledger, KeyedBatch("before_", 300, 100));
    }
  }
  SECTION("rows after a snapshot of an empty ledger") { factory.Open().reset(); }
  const std::uint64_t before = factory.Open()->Stats().idempotency_keys;  // reopen, close: snapshot again
  REQUIRE(std::filesystem::exists(paths.snapshot()));
  AppendThenCrash(paths.directory, "after_", 200, 500);
  auto ledger = factory.Open();
  const LedgerStats stats = ledger->Stats();
  CHECK(stats.open_snapshot_keys == before);
  CHECK(stats.open_replayed_keys == 200);
  if (before > 0) ExpectRemembered(*ledger, "before_", 300, 100);
  ExpectRemembered(*ledger, "after_", 200, 500);
}

// A child that appends `first` keys, waits (bounded) for the background
// snapshot they trigger (every `first` keys), appends `second` more, and
// crashes. Exit codes other than 0 name what failed.
void SnapshotWhileRunningThenCrash(const std::string& directory, int first, int second) {
  CrashAfter([&] {
    LedgerOptions options;
    options.directory = directory;
    options.key_snapshot_every_keys = static_cast<std::uint64_t>(first);
    Ledger* ledger = OpenNeverClosed(options);
    if (ledger == nullptr) return 2;
    if (!ledger->Append(KeyedBatch("first_", first, 100), kT0).ok()) return 3;
    LedgerStats stats;
    for (int poll = 0; poll < 1000 && (stats = ledger->Stats()).key_snapshots == 0; ++poll) {
      if (stats.key_snapshot_errors != 0) return 4;
      ::usleep(10'000);  // 10 s at most; the write is a few KB
    }
    if (stats.key_snapshots != 1) return 5;
    if (!(stats.key_snapshot_copy_seconds > 0)) return 6;
    if (!ledger->Append(KeyedBatch("second_", second, 500), kT0).ok()) return 7;
    if (ledger->Stats().key_snapshots != 1) return 8;  // fewer than `first` keys since: none started
    return 0;
  });
}

TEST_CASE("A running ledger snapshots its keys in the background: a crash replays only the rows after the last",
          "[store][ledger][sqlite][restart]") {
  SqliteFactory factory;
  const Paths paths = PathsOf(factory);
  SnapshotWhileRunningThenCrash(paths.directory, 400, 150);
  REQUIRE(std::filesystem::exists(paths.snapshot()));
  auto ledger = factory.Open();
  const LedgerStats stats = ledger->Stats();
  CHECK(stats.open_snapshot_keys == 400);
  CHECK(stats.open_replayed_keys == 150);
  CHECK(stats.idempotency_keys == 550);
  ExpectRemembered(*ledger, "first_", 400, 100);
  ExpectRemembered(*ledger, "second_", 150, 500);
}

TEST_CASE("key_snapshot_every_keys = 0 writes no snapshot while running", "[store][ledger][sqlite][restart]") {
  SqliteFactory factory;
  LedgerOptions options;
  options.directory = PathsOf(factory).directory;
  options.key_snapshot_every_keys = 0;
  auto ledger = OpenSqliteLedger(options);
  REQUIRE(ledger.ok());
  for (int round = 0; round < 3; ++round) AppendOk(**ledger, KeyedBatch("r" + std::to_string(round) + "_", 200, 1));
  CHECK((*ledger)->Stats().key_snapshots == 0);
  CHECK_FALSE(std::filesystem::exists(PathsOf(factory).snapshot()));
}

TEST_CASE("Restart with a damaged or missing snapshot loads every key from the ledger",
          "[store][ledger][sqlite][restart]") {
  SqliteFactory factory;
  const Paths paths = PathsOf(factory);
  {
    auto ledger = factory.Open();
    AppendOk(*ledger, KeyedBatch("evt_", 1000, 100));
  }
  SECTION("missing") { std::filesystem::remove(paths.snapshot()); }
  SECTION("a flipped byte") {
    std::fstream file(paths.snapshot(), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(200);
    file.put('\x5a');
  }
  SECTION("truncated") {
    std::filesystem::resize_file(paths.snapshot(), std::filesystem::file_size(paths.snapshot()) / 2);
  }
  SECTION("not a snapshot") { std::ofstream(paths.snapshot(), std::ios::trunc) << "garbage"; }
  auto ledger = factory.Open();
  CHECK(ledger->Stats().open_snapshot_keys == 0);
  CHECK(ledger->Stats().open_replayed_keys == 1000);
  ExpectRemembered(*ledger, "evt_", 1000, 100);
}

TEST_CASE("Restart with the snapshot of other rows discards it and loads every key",
          "[store][ledger][sqlite][restart]") {
  SqliteFactory mine;
  SqliteFactory other;
  {
    auto ledger = mine.Open();
    AppendOk(*ledger, KeyedBatch("mine_", 100, 1));
  }
  {
    auto ledger = other.Open();
    AppendOk(*ledger, KeyedBatch("other_", 100, 1));  // the same rowids, other keys
  }
  std::filesystem::copy_file(PathsOf(other).snapshot(), PathsOf(mine).snapshot(),
                             std::filesystem::copy_options::overwrite_existing);
  auto ledger = mine.Open();
  CHECK(ledger->Stats().open_snapshot_keys == 0);
  CHECK(ledger->Stats().open_replayed_keys == 100);
  ExpectRemembered(*ledger, "mine_", 100, 1);
  CHECK(AppendOutcomes(*ledger, KeyedBatch("other_", 1, 1)) == std::vector<O>{O::kNew});
}

TEST_CASE("Restart with a snapshot of a table emptied and refilled since discards it",
          "[store][ledger][sqlite][restart]") {
  SqliteFactory factory;
  const Paths paths = PathsOf(factory);
  {
    auto ledger = factory.Open();
    AppendOk(*ledger, KeyedBatch("old_", 50, 1));
  }
  const std::string kept = paths.directory + "/kept.keys";
  std::filesystem::copy_file(paths.snapshot(), kept);
  // Another process empties the table: rowids start again at 1, below the
  // snapshot's last row.
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(paths.db().c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "DELETE FROM idempotency_keys", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  AppendThenCrash(paths.directory, "refill_", 20, 900);
  std::filesystem::copy_file(kept, paths.snapshot(), std::filesystem::copy_options::overwrite_existing);
  auto ledger = factory.Open();
  CHECK(ledger->Stats().open_snapshot_keys == 0);
  CHECK(ledger->Stats().open_replayed_keys == 20);
  ExpectRemembered(*ledger, "refill_", 20, 900);
}

TEST_CASE("Restart with a snapshot whose rows were all pruned since claims every row left",
          "[store][ledger][sqlite][restart]") {
  SqliteFactory factory;
  const Paths paths = PathsOf(factory);
  constexpr std::int64_t kDay = 24 * 3600 * kSecond;
  {
    auto ledger = factory.Open();
    AppendOk(*ledger, KeyedBatch("old_", 100, 1), kT0);
  }
  const std::string kept = paths.directory + "/kept.keys";
  std::filesystem::copy_file(paths.snapshot(), kept);
  {
    auto ledger = factory.Open();
    AppendOk(*ledger, KeyedBatch("young_", 30, 700), kT0 + 2 * kDay);
    REQUIRE(ledger->Prune(kT0 + 2 * kDay).ok());  // deletes every old_ row (retention: one day)
  }
  // A crash after the prune leaves the older snapshot: its last row is gone.
  std::filesystem::copy_file(kept, paths.snapshot(), std::filesystem::copy_options::overwrite_existing);
  auto ledger = factory.Open();
  CHECK(ledger->Stats().open_snapshot_keys == 100);
  CHECK(ledger->Stats().open_replayed_keys == 30);
  ExpectRemembered(*ledger, "young_", 30, 700);
  ExpectRemembered(*ledger, "old_", 100, 1);  // still in memory: kept for at least the retention
}

}  // namespace
}  // namespace lce::ledger_test

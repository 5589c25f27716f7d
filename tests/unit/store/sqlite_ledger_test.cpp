// SQLite-only behaviour: durability across reopen, the directory lock, open
// and write errors, schema versions, options.
#include <sqlite3.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
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
  const std::string snapshot = factory.dir.path() + "/data/ledger.keys";
  REQUIRE(std::filesystem::exists(snapshot));

  SECTION("a restart from the key snapshot keeps the generations, which then drop the pruned keys") {
    auto ledger = factory.Open(std::chrono::hours(1));
    CHECK(ledger->Stats().open_snapshot_keys == 250'002);
    CHECK(ledger->Stats().open_replayed_keys == 0);
    CHECK(AppendOk(*ledger, {Entry("old_7", kT0, cost)}, kT0 + 2 * kHour) == std::vector<bool>{false});
    REQUIRE(ledger->Prune(kT0 + 3 * kHour).ok());  // the generation begun before the restart ends
    CHECK(AppendOk(*ledger, {Entry("old_8", kT0, cost)}, kT0 + 3 * kHour) == std::vector<bool>{false});
    REQUIRE(ledger->Prune(kT0 + 4 * kHour).ok());  // and is dropped
    CHECK(ledger->Stats().idempotency_keys == 0);
    CHECK(AppendOk(*ledger, {Entry("old_7", kT0, cost)}, kT0 + 4 * kHour) == std::vector<bool>{true});
  }
  SECTION("a restart without the snapshot reloads only the keys still stored") {
    std::filesystem::remove(snapshot);
    auto ledger = factory.Open(std::chrono::hours(1));
    CHECK(ledger->Stats().idempotency_keys == 2);
    CHECK(ledger->Stats().open_snapshot_keys == 0);
    CHECK(ledger->Stats().open_replayed_keys == 2);
    CHECK(AppendOk(*ledger, {Entry("old_7", kT0, cost), Entry("edge", kT0, cost), Entry("new", kT0, cost)}) ==
          std::vector<bool>{true, false, false});
    // Spend is never pruned.
    CHECK(TotalCost(SpendOk(*ledger, kT0, kT0 + 1)) == Dollars("250.003"));
  }
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

TEST_CASE("SqliteLedger keeps each key's fingerprint across reopen: conflicts survive a restart",
          "[store][ledger][sqlite][conflict]") {
  SqliteFactory factory;
  using O = EntryOutcome;
  {
    auto ledger = factory.Open();
    AppendOk(*ledger, {Keyed("evt_1", 101, Dollars("1")), Keyed("evt_2", 202, Dollars("1"))});
  }
  auto ledger = factory.Open();
  CHECK(AppendOutcomes(*ledger, {Keyed("evt_1", 101, Dollars("1")), Keyed("evt_2", 999, Dollars("1"))}) ==
        std::vector<O>{O::kDuplicate, O::kConflict});
}

TEST_CASE("SqliteLedger migrates a version 1 ledger: its keys stay duplicates, never conflicts",
          "[store][ledger][sqlite][conflict]") {
  SqliteFactory factory;
  const std::string directory = factory.dir.path() + "/data";
  std::filesystem::create_directories(directory);
  // The version 1 schema, as an exporter before fingerprints wrote it.
  RawExec(directory + "/ledger.db",
          "CREATE TABLE idempotency_keys(key TEXT NOT NULL, received_unix_s INTEGER NOT NULL);"
          "CREATE TABLE spend_buckets(bucket_start_unix_ns INTEGER NOT NULL, service TEXT NOT NULL,"
          " campaign_id TEXT NOT NULL, vendor TEXT NOT NULL, model TEXT NOT NULL, cost_whole INTEGER NOT NULL,"
          " cost_frac INTEGER NOT NULL, retry_cost_whole INTEGER NOT NULL, retry_cost_frac INTEGER NOT NULL,"
          " records INTEGER NOT NULL, unpriced_records INTEGER NOT NULL,"
          " PRIMARY KEY (bucket_start_unix_ns, service, campaign_id, vendor, model)) WITHOUT ROWID;"
          "INSERT INTO idempotency_keys VALUES ('legacy', 1775124900);"
          "PRAGMA user_version=1;");
  using O = EntryOutcome;
  {
    auto ledger = factory.Open();
    CHECK(AppendOutcomes(*ledger, {Keyed("legacy", 77, Dollars("1")), Keyed("fresh", 5, Dollars("1"))}) ==
          std::vector<O>{O::kDuplicate, O::kNew});
  }
  auto reopened = factory.Open();
  CHECK(AppendOutcomes(*reopened, {Keyed("legacy", 78, Dollars("1")), Keyed("fresh", 6, Dollars("1"))}) ==
        std::vector<O>{O::kDuplicate, O::kConflict});
}

TEST_CASE("SqliteLedger migrates a version 2 ledger in place: old buckets stay, marked not re-priceable",
          "[store][ledger][sqlite][reprice]") {
  SqliteFactory factory;
  const std::string directory = factory.dir.path() + "/data";
  std::filesystem::create_directories(directory);
  // The version 2 schema, as an exporter before re-pricing detail wrote it:
  // one bucket of $1.5 (0.5 of it retries), 3 records.
  RawExec(directory + "/ledger.db",
          "CREATE TABLE idempotency_keys(key TEXT NOT NULL, received_unix_s INTEGER NOT NULL,"
          " fingerprint INTEGER NOT NULL DEFAULT 0);"
          "CREATE TABLE spend_buckets(bucket_start_unix_ns INTEGER NOT NULL, service TEXT NOT NULL,"
          " campaign_id TEXT NOT NULL, vendor TEXT NOT NULL, model TEXT NOT NULL, cost_whole INTEGER NOT NULL,"
          " cost_frac INTEGER NOT NULL, retry_cost_whole INTEGER NOT NULL, retry_cost_frac INTEGER NOT NULL,"
          " records INTEGER NOT NULL, unpriced_records INTEGER NOT NULL,"
          " PRIMARY KEY (bucket_start_unix_ns, service, campaign_id, vendor, model)) WITHOUT ROWID;"
          "INSERT INTO idempotency_keys VALUES ('old', 1775124900, 7);"
          "INSERT INTO spend_buckets VALUES (1775124900000000000, 'svc', 'cmp_a', 'openai', 'gpt-4o', 1,"
          " 500000000000000000, 0, 500000000000000000, 3, 0);"
          "PRAGMA user_version=2;");
  {
    auto ledger = factory.Open();
    LedgerEntry fresh = Keyed("new", 8, Dollars("0.25"));
    fresh.tokens[TokenType::kInput] = 10;
    using O = EntryOutcome;
    CHECK(AppendOutcomes(*ledger, {Keyed("old", 7, Dollars("1")), fresh}) == std::vector<O>{O::kDuplicate, O::kNew});
  }
  auto ledger = factory.Open();  // a version 3 file opens as it is
  const std::vector<SpendBucket> buckets = SpendOk(*ledger, kT0, kT0 + kWidth);
  REQUIRE(buckets.size() == 2);
  const SpendBucket& legacy = buckets[0].detailed ? buckets[1] : buckets[0];
  const SpendBucket& detailed = buckets[0].detailed ? buckets[0] : buckets[1];
  CHECK_FALSE(legacy.detailed);
  CHECK(legacy.cost == Dollars("1.5"));
  CHECK(legacy.retry_cost == Dollars("0.5"));
  CHECK(legacy.records == 3);
  CHECK(detailed.detailed);
  CHECK(detailed.cost == Dollars("0.25"));
  CHECK(detailed.tokens[TokenType::kInput] == 10);
  RepriceRequest request;
  request.from_unix_ns = kT0;
  request.to_unix_ns = kT0 + kWidth;
  request.who = "test";
  request.pricer = [](const SpendBucket& bucket) {
    return BucketPrice{false, "", Dollars("0.1") * bucket.tokens[TokenType::kInput], "t.yaml@2026-01-01"};
  };
  Result<RepriceReport> report = ledger->Reprice(request);
  REQUIRE(report.ok());
  CHECK(report->audit.buckets_refused == 1);
  CHECK(report->audit.buckets_changed == 1);
  CHECK(report->audit.old_total == Dollars("1.75"));
  CHECK(report->audit.new_total == Dollars("2.5"));
  REQUIRE(report->refused.size() == 1);
  CHECK(report->refused[0].reason.find("not re-priceable") != std::string::npos);
  CHECK(TotalCost(SpendOk(*ledger, kT0, kT0 + kWidth)) == Dollars("2.5"));
}

TEST_CASE("SqliteLedger keeps its audit of re-pricings across a reopen", "[store][ledger][sqlite][reprice]") {
  SqliteFactory factory;
  {
    auto ledger = factory.Open();
    AppendOk(*ledger, {Entry("a", kT0, Dollars("1"))});
    RepriceRequest request;
    request.from_unix_ns = kT0;
    request.to_unix_ns = kT0 + kWidth;
    request.who = "ops";
    request.now_unix_ns = kT0 + 5;
    request.pricer = [](const SpendBucket&) { return BucketPrice{false, "", Dollars("2"), "a.yaml@2026-01-01"}; };
    REQUIRE(ledger->Reprice(request).ok());
  }
  auto ledger = factory.Open();
  CHECK(TotalCost(SpendOk(*ledger, kT0, kT0 + kWidth)) == Dollars("2"));
  const Result<std::vector<RepricingAudit>> audits = ledger->Repricings();
  REQUIRE(audits.ok());
  REQUIRE(audits->size() == 1);
  CHECK((*audits)[0].who == "ops");
  CHECK((*audits)[0].at_unix_ns == kT0 + 5);
  CHECK((*audits)[0].old_total == Dollars("1"));
  CHECK((*audits)[0].new_total == Dollars("2"));
  CHECK((*audits)[0].tables == std::vector<std::string>{"a.yaml@2026-01-01"});
  CHECK((*audits)[0].refused.empty());
}

// Fills the bucket of Entry(..., kT0, ...) of campaign `campaign` to
// kMaxBucketCost less `room`, directly in the file (no Append call may add
// more than kMaxAppendCost).
void FillBucket(const std::string& db_path, const char* campaign, const char* room_frac) {
  RawExec(db_path,
          "INSERT INTO spend_buckets(bucket_start_unix_ns, service, campaign_id, vendor, model, service_tier,"
          " context_tier, retry, cost_whole, cost_frac, retry_cost_whole, retry_cost_frac, records, unpriced_records)"
          " VALUES (" +
              std::to_string(kT0) + ", 'svc', '" + campaign + "', 'openai', 'gpt-4o', '', 0, 0, 999999999999999999, " +
              room_frac + ", 0, 0, 1, 0)");
}

// Creates the ledger's schema in `factory`'s directory and fills campaign
// `campaign`'s bucket to $1 short of kMaxBucketCost; returns the file's path.
std::string CreateWithFilledBucket(SqliteFactory& factory, const char* campaign) {
  const std::string db_path = factory.dir.path() + "/data/ledger.db";
  factory.Open().reset();  // creates the schema
  FillBucket(db_path, campaign, "0");
  return db_path;
}

TEST_CASE("SqliteLedger: entries that would take a bucket past kMaxBucketCost are out of range alone",
          "[store][ledger][sqlite][bounds]") {
  SqliteFactory factory;
  const std::string db_path = CreateWithFilledBucket(factory, "cmp_full");  // $1 of room left
  auto ledger = factory.Open();
  CheckFullBucketRefusesAlone(*ledger);
}

TEST_CASE("SqliteLedger: entries whose tokens would pass int64 in their bucket are out of range alone",
          "[store][ledger][sqlite][bounds]") {
  SqliteFactory factory;
  const std::string db_path = CreateWithFilledBucket(factory, "cmp_tokens");
  RawExec(db_path, "UPDATE spend_buckets SET cost_whole = 0, tokens_input = 9223372036854775000");  // INT64_MAX - 807
  auto ledger = factory.Open();
  LedgerEntry too_many = Entry("too_many", kT0, Dollars("1"), "cmp_tokens");
  too_many.tokens[TokenType::kInput] = 808;
  LedgerEntry fits = Entry("fits", kT0, Dollars("2"), "cmp_tokens");
  fits.tokens[TokenType::kInput] = 807;
  using O = EntryOutcome;
  CHECK(AppendOutcomes(*ledger, {too_many}) == std::vector<O>{O::kOutOfRange});
  CHECK(AppendOutcomes(*ledger, {fits}) == std::vector<O>{O::kNew});
  const std::vector<SpendBucket> buckets = SpendOk(*ledger, kT0, kT0 + 1);
  REQUIRE(buckets.size() == 1);
  CHECK(buckets[0].tokens[TokenType::kInput] == 9223372036854775807ULL);
  CHECK(buckets[0].cost == Dollars("2"));
  CHECK(buckets[0].records == 2);
}

// Holds SQLite's write lock from another connection until released, so the
// ledger's writer waits in BEGIN and the Appends queued meanwhile form one
// group.
class WriteLockHolder {
 public:
  explicit WriteLockHolder(const std::string& db_path) {
    REQUIRE(sqlite3_open(db_path.c_str(), &db_) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  }
  void Release() {
    if (db_ == nullptr) return;
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db_);
    db_ = nullptr;
  }
  ~WriteLockHolder() { Release(); }

 private:
  sqlite3* db_ = nullptr;
};

// Polls `ledger` until `pending` Appends are unanswered, `queued` of them
// still waiting for the writer (bounded: 5 s).
void WaitForAppends(const Ledger& ledger, std::uint64_t pending, std::uint64_t queued) {
  auto reached = [&] {
    const LedgerStats stats = ledger.Stats();
    return stats.pending_appends == pending && stats.queued_appends == queued;
  };
  for (int i = 0; i < 5000 && !reached(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  REQUIRE(reached());
}

TEST_CASE("SqliteLedger: a group whose shared transaction fails commits its innocent requests alone",
          "[store][ledger][sqlite][isolation]") {
  SqliteFactory factory;
  const std::string db_path = CreateWithFilledBucket(factory, "cmp_full");  // $1 of room left
  auto ledger = factory.Open();
  using O = EntryOutcome;
  const std::vector<LedgerEntry> first = {Entry("first", kT0, Dollars("1"))};
  const std::vector<LedgerEntry> innocent = {Entry("i1", kT0, Dollars("2")), Entry("i2", kT0, Dollars("3"), "cmp_b")};
  const std::vector<LedgerEntry> poison = {Entry("p1", kT0, Dollars("4"), "cmp_b"),
                                           Entry("p2", kT0, Dollars("2"), "cmp_full")};
  Result<std::vector<EntryOutcome>> first_result = Status::Internal("not run");
  Result<std::vector<EntryOutcome>> innocent_result = Status::Internal("not run");
  Result<std::vector<EntryOutcome>> poison_result = Status::Internal("not run");
  {
    WriteLockHolder lock(db_path);
    std::thread t1([&] { first_result = ledger->Append(first, kT0); });  // the writer takes it and waits in BEGIN
    WaitForAppends(*ledger, 1, 0);
    std::thread t2([&] { innocent_result = ledger->Append(innocent, kT0); });
    WaitForAppends(*ledger, 2, 1);
    std::thread t3([&] { poison_result = ledger->Append(poison, kT0); });
    WaitForAppends(*ledger, 3, 2);  // innocent and poison wait together: one group
    lock.Release();
    t1.join();
    t2.join();
    t3.join();
  }
  REQUIRE(first_result.ok());
  REQUIRE(innocent_result.ok());
  REQUIRE(poison_result.ok());
  CHECK(*innocent_result == std::vector<O>{O::kNew, O::kNew});
  CHECK(*poison_result == std::vector<O>{O::kNew, O::kOutOfRange});
  const LedgerStats stats = ledger->Stats();
  CHECK(stats.isolated_appends == 2);  // the group's transaction failed and each request ran alone
  CHECK(stats.commit_errors == 0);
  CHECK(TotalCost(SpendOk(*ledger, kT0, kT0 + 1)) == kMaxBucketCost - Dollars("1") + Dollars("10"));
}

TEST_CASE("SqliteLedger: when the store fails, every request of the group gets the error and nothing counts",
          "[store][ledger][sqlite][isolation]") {
  SqliteFactory factory;
  const std::string db_path = factory.dir.path() + "/data/ledger.db";
  auto ledger = factory.Open();
  AppendOk(*ledger, {Entry("before", kT0, Dollars("1"))});
  RawExec(db_path,
          "CREATE TRIGGER fail_keys BEFORE INSERT ON idempotency_keys BEGIN SELECT RAISE(ABORT, 'injected'); END");
  Result<std::vector<EntryOutcome>> a = Status::Internal("not run");
  Result<std::vector<EntryOutcome>> b = Status::Internal("not run");
  {
    WriteLockHolder lock(db_path);
    std::thread t0([&] { (void)ledger->Append(std::vector<LedgerEntry>{Entry("x0", kT0, Dollars("1"))}, kT0); });
    WaitForAppends(*ledger, 1, 0);
    const std::vector<LedgerEntry> ea = {Entry("xa", kT0, Dollars("1"))};
    const std::vector<LedgerEntry> eb = {Entry("xb", kT0, Dollars("1"))};
    std::thread ta([&] { a = ledger->Append(ea, kT0); });
    std::thread tb([&] { b = ledger->Append(eb, kT0); });
    WaitForAppends(*ledger, 3, 2);
    lock.Release();
    t0.join();
    ta.join();
    tb.join();
  }
  CHECK_FALSE(a.ok());
  CHECK_FALSE(b.ok());
  CHECK_THAT(a.status().message(), Catch::Contains("injected"));
  CHECK(ledger->Stats().idempotency_keys == 1);
  CHECK(TotalCost(SpendOk(*ledger, kT0, kT0 + 1)) == Dollars("1"));
}

TEST_CASE("SqliteLedger writes a stream's parts before Finish; an Append queued meanwhile commits after it",
          "[store][ledger][sqlite][stream]") {
  SqliteFactory factory;
  auto ledger = factory.Open();
  using O = EntryOutcome;
  const std::vector<LedgerEntry> first = {Entry("s1", kT0, Dollars("1")), Entry("s2", kT0, Dollars("2"))};
  const std::vector<LedgerEntry> second = {Entry("s3", kT0, Dollars("4"))};
  const std::vector<LedgerEntry> other = {Entry("s3", kT0, Dollars("4")), Entry("o1", kT0, Dollars("8"))};
  std::unique_ptr<AppendStream> stream = ledger->OpenAppend(kT0);
  REQUIRE(stream->Add(first).ok());
  WaitForAppends(*ledger, 1, 0);  // the writer took the stream and waits for its next part
  Result<std::vector<EntryOutcome>> other_result = Status::Internal("not run");
  std::thread t([&] { other_result = ledger->Append(other, kT0); });
  WaitForAppends(*ledger, 2, 1);  // queued behind the stream's open transaction
  CHECK(ledger->Stats().commits == 0);
  REQUIRE(stream->Add(second).ok());
  Result<std::vector<EntryOutcome>> outcomes = stream->Finish();
  t.join();
  REQUIRE(outcomes.ok());
  CHECK(*outcomes == std::vector<O>{O::kNew, O::kNew, O::kNew});
  REQUIRE(other_result.ok());
  CHECK(*other_result == std::vector<O>{O::kDuplicate, O::kNew});  // the stream committed first
  const LedgerStats stats = ledger->Stats();
  CHECK(stats.commits == 2);
  CHECK(stats.committed_entries == 5);
  CHECK(stats.pending_appends == 0);
  CHECK(TotalCost(SpendOk(*ledger, kT0, kT0 + 1)) == Dollars("15"));
}

TEST_CASE("SqliteLedger commits a sealed stream before its Finish, which then answers it",
          "[store][ledger][sqlite][stream]") {
  SqliteFactory factory;
  auto ledger = factory.Open();
  using O = EntryOutcome;
  AppendOk(*ledger, {Entry("s2", kT0, Dollars("2"))});
  const std::vector<LedgerEntry> part = {Entry("s1", kT0, Dollars("1")), Entry("s2", kT0, Dollars("2"))};
  std::unique_ptr<AppendStream> stream = ledger->OpenAppend(kT0);
  REQUIRE(stream->Add(part).ok());
  WaitForAppends(*ledger, 1, 0);  // the writer took the stream and waits for its next part
  CHECK(ledger->Stats().commits == 1);
  stream->Seal();
  // The writer commits without waiting for Finish (a bounded poll, not a sleep).
  for (int i = 0; i < 5000 && ledger->Stats().commits < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  CHECK(ledger->Stats().commits == 2);
  Result<std::vector<EntryOutcome>> outcomes = stream->Finish();
  REQUIRE(outcomes.ok());
  CHECK(*outcomes == std::vector<O>{O::kNew, O::kDuplicate});
  CHECK(ledger->Stats().pending_appends == 0);
  CHECK(TotalCost(SpendOk(*ledger, kT0, kT0 + 1)) == Dollars("3"));
}

TEST_CASE("SqliteLedger: a sealed stream dropped without Finish is committed whole or not at all",
          "[store][ledger][sqlite][stream]") {
  SqliteFactory factory;
  auto ledger = factory.Open();
  const std::vector<LedgerEntry> part = {Entry("s1", kT0, Dollars("1"))};
  {
    std::unique_ptr<AppendStream> stream = ledger->OpenAppend(kT0);
    REQUIRE(stream->Add(part).ok());
    stream->Seal();
  }  // dropped: the destructor waits until the writer is done with it
  CHECK(ledger->Stats().pending_appends == 0);
  const std::uint64_t keys = ledger->Stats().idempotency_keys;
  CHECK(keys <= 1);  // committed, or abandoned before the writer took it: never half
  CHECK(AppendOk(*ledger, part) == std::vector<bool>{keys == 0});
  CHECK(TotalCost(SpendOk(*ledger, kT0, kT0 + 1)) == Dollars("1"));
}

TEST_CASE("SqliteLedger: an abandoned stream fails only itself; the Append grouped with it commits alone",
          "[store][ledger][sqlite][stream]") {
  SqliteFactory factory;
  const std::string db_path = factory.dir.path() + "/data/ledger.db";
  auto ledger = factory.Open();
  using O = EntryOutcome;
  const std::vector<LedgerEntry> part = {Entry("s1", kT0, Dollars("1"))};
  const std::vector<LedgerEntry> innocent = {Entry("i1", kT0, Dollars("2"))};
  Result<std::vector<EntryOutcome>> innocent_result = Status::Internal("not run");
  std::thread t0, t1;
  {
    WriteLockHolder lock(db_path);
    t0 = std::thread([&] { (void)ledger->Append(std::vector<LedgerEntry>{Entry("x0", kT0, Dollars("1"))}, kT0); });
    WaitForAppends(*ledger, 1, 0);  // the writer waits in BEGIN
    std::unique_ptr<AppendStream> stream = ledger->OpenAppend(kT0);
    REQUIRE(stream->Add(part).ok());
    t1 = std::thread([&] { innocent_result = ledger->Append(innocent, kT0); });
    WaitForAppends(*ledger, 3, 2);  // the stream and the innocent Append wait together: one group
    lock.Release();
    t0.join();
    WaitForAppends(*ledger, 2, 0);  // the writer holds the group's transaction open for the stream
    stream.reset();                 // abandoned
    t1.join();
  }
  REQUIRE(innocent_result.ok());
  CHECK(*innocent_result == std::vector<O>{O::kNew});
  const LedgerStats stats = ledger->Stats();
  CHECK(stats.commit_errors == 0);  // an abandoned stream is not the store failing
  CHECK(stats.idempotency_keys == 2);
  CHECK(TotalCost(SpendOk(*ledger, kT0, kT0 + 1)) == Dollars("3"));
  CHECK(AppendOk(*ledger, part) == std::vector<bool>{true});  // nothing of the stream was remembered
}

TEST_CASE("SqliteLedger: a stream whose store fails commits nothing and reports the error",
          "[store][ledger][sqlite][stream]") {
  SqliteFactory factory;
  const std::string db_path = factory.dir.path() + "/data/ledger.db";
  auto ledger = factory.Open();
  AppendOk(*ledger, {Entry("before", kT0, Dollars("1"))});
  RawExec(db_path,
          "CREATE TRIGGER fail_late BEFORE INSERT ON idempotency_keys WHEN NEW.key = 'bad' "
          "BEGIN SELECT RAISE(ABORT, 'injected'); END");
  const std::vector<LedgerEntry> good = {Entry("s1", kT0, Dollars("1"))};
  const std::vector<LedgerEntry> bad = {Entry("bad", kT0, Dollars("1"))};
  std::unique_ptr<AppendStream> stream = ledger->OpenAppend(kT0);
  REQUIRE(stream->Add(good).ok());
  REQUIRE(stream->Add(bad).ok());
  Result<std::vector<EntryOutcome>> outcomes = stream->Finish();
  REQUIRE_FALSE(outcomes.ok());
  CHECK_THAT(outcomes.status().message(), Catch::Contains("injected"));
  CHECK(ledger->Stats().idempotency_keys == 1);
  CHECK(ledger->Stats().commit_errors == 1);
  CHECK(TotalCost(SpendOk(*ledger, kT0, kT0 + 1)) == Dollars("1"));
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

TEST_CASE("SqliteLedger open fails naming the path when the directory cannot be created", "[store][ledger][sqlite]") {
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
  CHECK_THAT(ledger.status().message(),
             Catch::Contains("schema version 99 is newer") && Catch::Contains(options.directory + "/ledger.db"));
}

TEST_CASE("SqliteLedger Append that fails to write commits nothing and reports the error", "[store][ledger][sqlite]") {
  SqliteFactory factory;
  auto ledger = factory.Open();
  const std::string db_path = factory.dir.path() + "/data/ledger.db";
  const Money cost = Dollars("2");
  AppendOk(*ledger, {Entry("before", kT0, cost)});
  // Fails the bucket upsert, after the keys of the call were inserted.
  RawExec(db_path,
          "CREATE TRIGGER fail_spend BEFORE UPDATE ON spend_buckets BEGIN SELECT RAISE(ABORT, 'injected'); END");
  const std::vector<LedgerEntry> entries = {Entry("x", kT0, cost), Entry("y", kT0, cost)};
  Result<std::vector<EntryOutcome>> failed = ledger->Append(entries, kT0);
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
        for (int k = 0; k < 100; ++k)
          keys.push_back(std::to_string(thread) + "_" + std::to_string(round) + "_" + std::to_string(k));
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

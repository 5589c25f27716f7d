// PostgreSQL-only behaviour: several ledgers (replicas) on one database,
// durability across reopen, the schema's versions and migration, bounds
// checked by the server, and connection failures.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "ledger_test_util.h"

namespace lce::ledger_test {
namespace {

std::unique_ptr<Ledger> OpenOn(const TestDatabase& db, std::size_t pool_size = 4,
                               std::chrono::seconds retention = std::chrono::hours(24)) {
  PostgresOptions options = db.Options();
  options.pool_size = pool_size;
  options.idempotency_retention = retention;
  Result<std::unique_ptr<Ledger>> ledger = OpenPostgresLedger(options);
  INFO((ledger.ok() ? "" : ledger.status().message()));
  REQUIRE(ledger.ok());
  return std::move(ledger).value();
}

void Sql(const TestDatabase& db, const std::string& sql) {
  Status run = db.Connect()->Run(sql);
  INFO(run.message());
  REQUIRE(run.ok());
}

TEST_CASE("PostgresLedger: the same records sent to two replicas count once", "[store][ledger][postgres]") {
  TestDatabase db;
  auto first = OpenOn(db);
  auto second = OpenOn(db);
  const Money cost = Dollars("0.25");
  using O = EntryOutcome;
  CHECK(AppendOutcomes(*first, {Keyed("a", 7, cost), Keyed("b", 7, cost)}) == std::vector<O>{O::kNew, O::kNew});
  CHECK(AppendOutcomes(*second, {Keyed("a", 7, cost), Keyed("b", 8, cost), Keyed("c", 7, cost)}) ==
        std::vector<O>{O::kDuplicate, O::kConflict, O::kNew});
  // Each replica reads what both wrote.
  CHECK(TotalCost(SpendOk(*first, kT0, kT0 + 1)) == Dollars("0.75"));
  CHECK(TotalCost(SpendOk(*second, kT0, kT0 + 1)) == Dollars("0.75"));
  CHECK(first->Stats().idempotency_keys == 3);
}

TEST_CASE("PostgresLedger: three replicas appending the same keys at once accept each key once, exactly",
          "[store][ledger][postgres][concurrency]") {
  TestDatabase db;
  constexpr int kReplicas = 3;
  constexpr int kThreadsPerReplica = 2;
  constexpr int kKeys = 3000;
  constexpr int kBatch = 150;
  std::vector<std::unique_ptr<Ledger>> replicas;
  for (int r = 0; r < kReplicas; ++r) replicas.push_back(OpenOn(db, 2));
  std::vector<std::string> keys;
  for (int k = 0; k < kKeys; ++k) keys.push_back("evt_" + std::to_string(k));
  // Key k costs k attodollars + 1 micro-dollar; two campaigns, so batches
  // share buckets across replicas (row locks taken in one order by all).
  auto cost_of = [](int k) { return Money::FromAtto(k) + Dollars("0.000001"); };
  std::vector<std::atomic<int>> accepted(kKeys);
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kReplicas * kThreadsPerReplica; ++t) {
    threads.emplace_back([&, t] {
      Ledger& ledger = *replicas[static_cast<std::size_t>(t % kReplicas)];
      for (int first = 0; first < kKeys; first += kBatch) {
        std::vector<LedgerEntry> batch;
        std::vector<int> ids;
        for (int i = first; i < first + kBatch; ++i) {
          const int k = (i + t * kKeys / (kReplicas * kThreadsPerReplica)) % kKeys;
          batch.push_back(Entry(keys[static_cast<std::size_t>(k)], kT0, cost_of(k), k % 2 ? "cmp_odd" : "cmp_even"));
          ids.push_back(k);
        }
        Result<std::vector<EntryOutcome>> result = ledger.Append(batch, kT0);
        if (!result.ok()) {
          UNSCOPED_INFO(result.status().message());
          failed = true;
          return;
        }
        for (std::size_t i = 0; i < ids.size(); ++i) {
          if ((*result)[i] == EntryOutcome::kNew) ++accepted[static_cast<std::size_t>(ids[i])];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  REQUIRE_FALSE(failed);
  int once = 0;
  for (const std::atomic<int>& times : accepted) once += times == 1 ? 1 : 0;
  CHECK(once == kKeys);
  Money expected;
  for (int k = 0; k < kKeys; ++k) expected += cost_of(k);
  const auto buckets = SpendOk(*replicas[0], kT0, kT0 + 1);
  CHECK(TotalCost(buckets) == expected);
  std::uint64_t records = 0;
  for (const SpendBucket& bucket : buckets) records += bucket.records;
  CHECK(records == kKeys);
}

TEST_CASE("PostgresLedger answers every batch as the memory ledger does: new, re-sent and mixed batches in turn",
          "[store][ledger][postgres]") {
  // Batches of all-new keys take the optimistic insert, batches holding a
  // stored key the ON CONFLICT claim; the switch between the two must not
  // change an answer. Keys repeat across and within batches, with the same
  // or another fingerprint.
  TestDatabase db;
  auto postgres = OpenOn(db);
  auto memory = NewMemoryLedger(std::chrono::hours(24));
  std::vector<std::string> keys;
  for (int k = 0; k < 60; ++k) keys.push_back("k" + std::to_string(k));
  std::uint64_t seed = 12345;
  auto next = [&seed] {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return seed >> 33;
  };
  for (int round = 0; round < 12; ++round) {
    std::vector<LedgerEntry> batch;
    const bool fresh = round % 3 == 0;  // every third batch: keys never sent before
    for (int i = 0; i < 10; ++i) {
      // A fresh batch sends its first key again last (a duplicate or conflict within the batch).
      const std::size_t k = fresh ? static_cast<std::size_t>(round / 3 * 10 + (i == 9 ? 0 : i)) : next() % 40;
      batch.push_back(Keyed(keys[k], 1 + next() % 2, Dollars("0.5"), kT0, next() % 2 ? "cmp_a" : "cmp_b"));
    }
    INFO("round " << round);
    CHECK(AppendOutcomes(*postgres, batch) == AppendOutcomes(*memory, batch));
  }
  CHECK(TotalCost(SpendOk(*postgres, kT0, kT0 + 1)) == TotalCost(SpendOk(*memory, kT0, kT0 + 1)));
  CHECK(postgres->Stats().idempotency_keys == memory->Stats().idempotency_keys);
}

TEST_CASE("PostgresLedger keeps keys, fingerprints and spend across a reopen", "[store][ledger][postgres]") {
  TestDatabase db;
  const Money cost = Dollars("1.000000000000000001");
  {
    auto ledger = OpenOn(db);
    AppendOk(*ledger, {Keyed("a", 5, cost), Keyed("b", 6, cost)});
  }
  auto reopened = OpenOn(db);
  using O = EntryOutcome;
  CHECK(AppendOutcomes(*reopened, {Keyed("a", 5, cost), Keyed("b", 7, cost), Keyed("c", 1, cost)}) ==
        std::vector<O>{O::kDuplicate, O::kConflict, O::kNew});
  CHECK(TotalCost(SpendOk(*reopened, kT0, kT0 + 1)) == Dollars("3.000000000000000003"));
}

TEST_CASE("PostgresLedger: the key generations are shared, so any replica's Prune rotates them for all",
          "[store][ledger][postgres]") {
  TestDatabase db;
  auto first = OpenOn(db);
  auto second = OpenOn(db);
  constexpr std::int64_t kRetention = 24 * 3600 * kSecond;  // OpenOn's
  const Money cost = Dollars("1");
  REQUIRE(first->Prune(kT0).ok());  // starts the generation
  AppendOk(*first, {Entry("k1", kT0, cost)}, kT0);
  REQUIRE(second->Prune(kT0 + kRetention).ok());     // rotates: k1 now older
  REQUIRE(first->Prune(kT0 + kRetention + 1).ok());  // too early: nothing
  CHECK(first->Stats().idempotency_keys == 1);
  REQUIRE(first->Prune(kT0 + 2 * kRetention).ok());  // drops k1
  CHECK(second->Stats().idempotency_keys == 0);
}

TEST_CASE("PostgresLedger drops an old generation of many keys in chunks, keeping the current one",
          "[store][ledger][postgres]") {
  TestDatabase db;
  auto ledger = OpenOn(db);  // retention 24h
  constexpr std::int64_t kRetention = 24 * 3600 * kSecond;
  REQUIRE(ledger->Prune(kT0).ok());  // the generation starts at kT0
  // 120,000 keys received before kT0 (three chunks of the delete), 5 after.
  Sql(db, "INSERT INTO lce_idempotency_keys SELECT 'old_' || g, 0, " + std::to_string(kT0 - kSecond) +
              " FROM generate_series(1, 120000) g");
  AppendOk(*ledger, {Entry("new_1", kT0, Dollars("1")), Entry("new_2", kT0, Dollars("1"))}, kT0 + kSecond);
  REQUIRE(ledger->Prune(kT0 + kRetention).ok());  // rotates: deletes what was received before kT0
  CHECK(ledger->Stats().idempotency_keys == 2);
  CHECK(AppendOk(*ledger, {Entry("old_7", kT0, Dollars("1")), Entry("new_1", kT0, Dollars("1"))}, kT0 + kRetention) ==
        std::vector<bool>{true, false});
}

TEST_CASE("PostgresLedger counts keys exactly up to a million and by PostgreSQL's estimate above",
          "[store][ledger][postgres]") {
  TestDatabase db;
  auto ledger = OpenOn(db);
  Sql(db, "INSERT INTO lce_idempotency_keys SELECT 'k_' || g, 0, 0 FROM generate_series(1, 999999) g");
  CHECK(ledger->Stats().idempotency_keys == 999999);  // never analyzed: counted
  Sql(db, "ANALYZE lce_idempotency_keys");
  CHECK(ledger->Stats().idempotency_keys == 999999);  // at most a million: counted
  Sql(db, "INSERT INTO lce_idempotency_keys SELECT 'm_' || g, 0, 0 FROM generate_series(1, 200000) g");
  Sql(db, "ANALYZE lce_idempotency_keys");
  const std::uint64_t estimate = ledger->Stats().idempotency_keys;
  CHECK(estimate > 1'000'000);
  CHECK(estimate > 1'199'999 * 95 / 100);
  CHECK(estimate < 1'199'999 * 105 / 100);
}

TEST_CASE("PostgresLedger: entries that would take a bucket past kMaxBucketCost are out of range alone",
          "[store][ledger][postgres][bounds]") {
  TestDatabase db;
  auto ledger = OpenOn(db);
  AppendOk(*ledger, {Entry("seed", kT0, Dollars("1"), "cmp_full")});
  Sql(db, "UPDATE lce_spend_buckets SET cost = 999999999999999999 WHERE campaign_id = 'cmp_full'");  // $1 of room
  CheckFullBucketRefusesAlone(*ledger);
}

TEST_CASE("PostgresLedger: entries whose tokens or units would pass int64 in their bucket are out of range alone",
          "[store][ledger][postgres][bounds]") {
  TestDatabase db;
  auto ledger = OpenOn(db);
  LedgerEntry seed = Entry("seed", kT0, Dollars("1"), "cmp_tokens");
  const std::vector<UnitCount> one_email = {UnitCount{"emails", 1}};
  seed.units = one_email;
  AppendOk(*ledger, {seed});
  Sql(db, "UPDATE lce_spend_buckets SET tokens_input = 9223372036854775000");  // INT64_MAX - 807
  Sql(db, "UPDATE lce_spend_bucket_units SET count = 9223372036854775807");
  LedgerEntry too_many = Entry("too_many", kT0, Dollars("1"), "cmp_tokens");
  too_many.tokens[TokenType::kInput] = 808;
  LedgerEntry too_many_units = Entry("too_many_units", kT0, Dollars("1"), "cmp_tokens");
  too_many_units.units = one_email;
  LedgerEntry fits = Entry("fits", kT0, Dollars("2"), "cmp_tokens");
  fits.tokens[TokenType::kInput] = 807;
  using O = EntryOutcome;
  CHECK(AppendOutcomes(*ledger, {too_many}) == std::vector<O>{O::kOutOfRange});
  CHECK(AppendOutcomes(*ledger, {too_many_units}) == std::vector<O>{O::kOutOfRange});
  CHECK(AppendOutcomes(*ledger, {fits}) == std::vector<O>{O::kNew});
  const std::vector<SpendBucket> buckets = SpendOk(*ledger, kT0, kT0 + 1);
  REQUIRE(buckets.size() == 1);
  CHECK(buckets[0].tokens[TokenType::kInput] == 9223372036854775807ULL);
  CHECK(buckets[0].cost == Dollars("3"));
  CHECK(buckets[0].records == 2);
}

TEST_CASE("PostgresLedger refuses an entry with a NUL byte (PostgreSQL text cannot hold one), naming it",
          "[store][ledger][postgres][errors]") {
  TestDatabase db;
  auto ledger = OpenOn(db);
  const std::string key("bad\0key", 7);
  const std::vector<LedgerEntry> entries = {Entry("good", kT0, Dollars("1")), Entry(key, kT0, Dollars("1"))};
  Result<std::vector<EntryOutcome>> refused = ledger->Append(entries, kT0);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Status::Code::kInvalidArgument);
  CHECK_THAT(refused.status().message(), Catch::Contains("ledger entry 1"));
  CHECK(SpendOk(*ledger, kT0, kT0 + 1).empty());  // nothing of the call was written
}

TEST_CASE("PostgresLedger schema: created once, migrated by replicas starting together, newer versions refused",
          "[store][ledger][postgres][schema]") {
  TestDatabase db;
  std::vector<std::thread> starters;
  std::atomic<int> created{0};
  std::atomic<int> failed{0};
  for (int i = 0; i < 4; ++i) {
    starters.emplace_back([&] {
      Result<int> before = MigratePostgresSchema(db.Options());
      if (!before.ok()) {
        ++failed;
      } else if (*before == 0) {
        ++created;
      }
    });
  }
  for (std::thread& starter : starters) starter.join();
  CHECK(failed == 0);
  CHECK(created == 1);  // one replica created it; the others found version 1
  Result<int> again = MigratePostgresSchema(db.Options());
  REQUIRE(again.ok());
  CHECK(*again == kPostgresSchemaVersion);

  Sql(db, "UPDATE lce_schema_version SET version = 99");
  Result<std::unique_ptr<Ledger>> newer = OpenPostgresLedger(db.Options());
  REQUIRE_FALSE(newer.ok());
  CHECK_THAT(newer.status().message(), Catch::Contains("schema version 99 is newer"));
}

TEST_CASE(
    "PostgresLedger: a server that cannot be reached or refuses the password is a clear error without the password",
    "[store][ledger][postgres][errors]") {
  TestDatabase db;
  PostgresOptions wrong_password = db.Options();
  wrong_password.password = "not-the-password-Zq81";
  Result<std::unique_ptr<Ledger>> refused = OpenPostgresLedger(wrong_password);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.status().message(), Catch::Contains("cannot connect"));
  CHECK_THAT(refused.status().message(), !Catch::Contains("Zq81"));

  PostgresOptions nobody = db.Options();
  nobody.dsn = "host=127.0.0.1 port=1 dbname=lce user=lce";
  nobody.connect_timeout = std::chrono::seconds(2);
  Result<std::unique_ptr<Ledger>> unreachable = OpenPostgresLedger(nobody);
  REQUIRE_FALSE(unreachable.ok());
  CHECK_THAT(unreachable.status().message(), Catch::Contains("cannot connect"));
}

TEST_CASE("PostgresLedger: a statement past the timeout fails the Append, which commits nothing",
          "[store][ledger][postgres][errors]") {
  TestDatabase db;
  PostgresOptions options = db.Options();
  options.statement_timeout = std::chrono::milliseconds(300);
  Result<std::unique_ptr<Ledger>> opened = OpenPostgresLedger(options);
  REQUIRE(opened.ok());
  Ledger& ledger = **opened;
  // Another session holds the bucket's row: the upsert waits past its timeout.
  AppendOk(ledger, {Entry("seed", kT0, Dollars("1"))});
  auto holder = db.Connect();
  REQUIRE(holder->Run("BEGIN").ok());
  REQUIRE(holder->Run("SELECT * FROM lce_spend_buckets FOR UPDATE").ok());
  Result<std::vector<EntryOutcome>> blocked =
      ledger.Append(std::vector<LedgerEntry>{Entry("late", kT0, Dollars("2"))}, kT0);
  REQUIRE_FALSE(blocked.ok());
  CHECK_THAT(blocked.status().message(), Catch::Contains("57014"));  // query_canceled
  CHECK(ledger.Stats().commit_errors == 1);
  REQUIRE(holder->Run("ROLLBACK").ok());
  // Nothing of the failed call stayed: its key is still new.
  CHECK(AppendOk(ledger, {Entry("late", kT0, Dollars("2"))}) == std::vector<bool>{true});
  CHECK(TotalCost(SpendOk(ledger, kT0, kT0 + 1)) == Dollars("3"));
}

}  // namespace
}  // namespace lce::ledger_test

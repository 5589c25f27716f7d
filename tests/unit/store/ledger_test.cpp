// Behavioural suite run against both Ledger implementations (memory, SQLite).
#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "ledger_test_util.h"

namespace lce::ledger_test {
namespace {

#define LEDGER_TEST(name) TEMPLATE_TEST_CASE(name, "[store][ledger]", MemoryFactory, SqliteFactory, PostgresFactory)

LEDGER_TEST("Ledger tells new from duplicate keys in one call and across calls") {
  TestType factory;
  auto ledger = factory.Open();
  const Money cost = Dollars("0.5");
  CHECK(AppendOk(*ledger, {Entry("a", kT0, cost), Entry("b", kT0, cost), Entry("a", kT0, cost)}) ==
        std::vector<bool>{true, true, false});
  CHECK(AppendOk(*ledger, {Entry("b", kT0, cost), Entry("c", kT0, cost)}) == std::vector<bool>{false, true});
  CHECK(TotalCost(SpendOk(*ledger, kT0, kT0 + kWidth)) == Dollars("1.5"));
  const LedgerStats stats = ledger->Stats();
  CHECK(stats.idempotency_keys == 3);
  CHECK(stats.commits == 2);
  CHECK(stats.committed_entries == 5);
}

LEDGER_TEST("Ledger: the same key with other content is a conflict, with the same content a duplicate") {
  TestType factory;
  auto ledger = factory.Open();
  const Money cost = Dollars("2");
  using O = EntryOutcome;
  CHECK(AppendOutcomes(*ledger, {Keyed("a", 11, cost), Keyed("a", 11, cost), Keyed("a", 12, cost)}) ==
        std::vector<O>{O::kNew, O::kDuplicate, O::kConflict});
  CHECK(AppendOutcomes(*ledger, {Keyed("a", 12, cost), Keyed("a", 11, cost), Keyed("b", 12, cost)}) ==
        std::vector<O>{O::kConflict, O::kDuplicate, O::kNew});
  // Fingerprint 0 is "unknown": it never conflicts, either way round.
  CHECK(AppendOutcomes(*ledger, {Keyed("a", 0, cost), Keyed("c", 0, cost), Keyed("c", 99, cost)}) ==
        std::vector<O>{O::kDuplicate, O::kNew, O::kDuplicate});
  // Only the new entries were added.
  CHECK(TotalCost(SpendOk(*ledger, kT0, kT0 + kWidth)) == Dollars("6"));
  CHECK(ledger->Stats().idempotency_keys == 3);
}

LEDGER_TEST("Ledger: a conflict is still a conflict after the key's generation rotated") {
  TestType factory;
  auto ledger = factory.Open(std::chrono::hours(1));
  const Money cost = Dollars("1");
  REQUIRE(ledger->Prune(kT0).ok());  // starts a generation
  AppendOk(*ledger, {Keyed("old", 5, cost)});
  REQUIRE(ledger->Prune(kT0 + 3600 * kSecond).ok());  // "old" moves to the older generation
  using O = EntryOutcome;
  CHECK(AppendOutcomes(*ledger, {Keyed("old", 6, cost), Keyed("old", 5, cost)}) ==
        std::vector<O>{O::kConflict, O::kDuplicate});
}

LEDGER_TEST("Ledger always accepts entries without a key") {
  TestType factory;
  auto ledger = factory.Open();
  const Money cost = Dollars("0.25");
  CHECK(AppendOk(*ledger, {Entry("", kT0, cost), Entry("", kT0, cost)}) == std::vector<bool>{true, true});
  CHECK(AppendOk(*ledger, {Entry("", kT0, cost)}) == std::vector<bool>{true});
  const auto buckets = SpendOk(*ledger, kT0, kT0 + 1);
  REQUIRE(buckets.size() == 1);
  CHECK(buckets[0].records == 3);
  CHECK(buckets[0].cost == Dollars("0.75"));
  CHECK(ledger->Stats().idempotency_keys == 0);
}

LEDGER_TEST("Ledger answers an empty Append with an empty result") {
  TestType factory;
  auto ledger = factory.Open();
  CHECK(AppendOk(*ledger, {}).empty());
}

LEDGER_TEST("Ledger sums a million small costs exactly") {
  TestType factory;
  auto ledger = factory.Open();
  const Money each = Dollars("0.0000375");
  const std::vector<LedgerEntry> batch(10'000, Entry("", kT0 + kSecond, each));
  for (int call = 0; call < 100; ++call) AppendOk(*ledger, batch);
  const auto buckets = SpendOk(*ledger, kT0, kT0 + kWidth);
  REQUIRE(buckets.size() == 1);
  CHECK(buckets[0].cost == Dollars("37.5"));
  CHECK(buckets[0].records == 1'000'000);
  CHECK(buckets[0].start_unix_ns == kT0);
}

LEDGER_TEST("Ledger carries large fractions exactly") {
  TestType factory;
  auto ledger = factory.Open();
  const Money big = Dollars("999999.999999999999999999");
  for (int call = 0; call < 3; ++call) AppendOk(*ledger, {Entry("", kT0, big), Entry("", kT0, big)});
  CHECK(TotalCost(SpendOk(*ledger, kT0, kT0 + 1)) == Dollars("5999999.999999999999999994"));
}

LEDGER_TEST("Ledger keeps retry cost and unpriced counts apart") {
  TestType factory;
  auto ledger = factory.Open();
  LedgerEntry retry = Entry("r", kT0, Dollars("0.3"));
  retry.retry = true;
  LedgerEntry unpriced = Entry("u", kT0, Money());
  unpriced.unpriced = true;
  AppendOk(*ledger, {Entry("p", kT0, Dollars("0.1")), retry, unpriced});
  // Retries have a bucket of their own (so re-pricing prices them apart);
  // the report's labels are the same.
  const auto buckets = SpendOk(*ledger, kT0, kT0 + kWidth);
  REQUIRE(buckets.size() == 2);
  const SpendBucket& first = buckets[0].retry ? buckets[1] : buckets[0];
  const SpendBucket& retries = buckets[0].retry ? buckets[0] : buckets[1];
  CHECK(first.cost == Dollars("0.1"));
  CHECK(first.retry_cost == Money());
  CHECK(first.records == 2);
  CHECK(first.unpriced_records == 1);
  CHECK(retries.cost == Dollars("0.3"));
  CHECK(retries.retry_cost == Dollars("0.3"));
  CHECK(retries.records == 1);
  CHECK(retries.unpriced_records == 0);
  for (const SpendBucket& bucket : buckets) {
    CHECK(bucket.service == "svc");
    CHECK(bucket.campaign_id == "cmp_a");
    CHECK(bucket.vendor == "openai");
    CHECK(bucket.model == "gpt-4o");
  }
}

LEDGER_TEST("Ledger buckets by floor of the timestamp, negatives included") {
  TestType factory;
  auto ledger = factory.Open();
  const Money one = Dollars("1");
  AppendOk(*ledger, {Entry("on", kT0, one), Entry("before", kT0 - 1, one), Entry("last", kT0 + kWidth - 1, one),
                     Entry("neg", -1, one), Entry("zero", 0, one), Entry("negb", -kWidth, one)});
  std::map<std::int64_t, std::uint64_t> records;
  for (const SpendBucket& bucket : SpendOk(*ledger, -10 * kWidth, kT0 + 10 * kWidth)) {
    records[bucket.start_unix_ns] += bucket.records;
  }
  CHECK(records == std::map<std::int64_t, std::uint64_t>{{-kWidth, 2}, {0, 1}, {kT0 - kWidth, 1}, {kT0, 2}});
  // Spend returns buckets with start in [floor(from), to): a bucket counts
  // when it overlaps [from, to).
  CHECK(SpendOk(*ledger, kT0 + kWidth - 1, kT0 + kWidth).size() == 1);  // from inside the bucket
  CHECK(SpendOk(*ledger, kT0 - kWidth, kT0).size() == 1);               // to == start excludes it
  CHECK(SpendOk(*ledger, kT0, kT0).empty());
  CHECK(SpendOk(*ledger, -1, 0).size() == 1);
  CHECK(SpendOk(*ledger, -1, 1).size() == 2);
}

LEDGER_TEST("Ledger rejects a negative cost without committing anything") {
  TestType factory;
  auto ledger = factory.Open();
  Result<std::vector<EntryOutcome>> result =
      ledger->Append(std::vector<LedgerEntry>{Entry("a", kT0, Dollars("1")), Entry("b", kT0, Dollars("-1"))}, kT0);
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == Status::Code::kInvalidArgument);
  CHECK_THAT(result.status().message(), Catch::Contains("entry 1"));
  CHECK(AppendOk(*ledger, {Entry("a", kT0, Dollars("1"))}) == std::vector<bool>{true});
}

LEDGER_TEST("Ledger refuses a call beyond kMaxEntryCost or kMaxAppendCost before touching anything") {
  TestType factory;
  auto ledger = factory.Open();
  const Money over_entry = kMaxEntryCost + Money::FromAtto(1);
  Result<std::vector<EntryOutcome>> one = ledger->Append(std::vector<LedgerEntry>{Entry("a", kT0, over_entry)}, kT0);
  REQUIRE_FALSE(one.ok());
  CHECK(one.status().code() == Status::Code::kInvalidArgument);
  std::vector<std::string> keys;
  std::vector<LedgerEntry> at_bound;
  for (int i = 0; i < 1001; ++i) keys.push_back("k" + std::to_string(i));
  for (int i = 0; i < 1000; ++i) at_bound.push_back(Entry(keys[static_cast<std::size_t>(i)], kT0, kMaxEntryCost));
  std::vector<LedgerEntry> over_call = at_bound;
  over_call.push_back(Entry(keys.back(), kT0, Money::FromAtto(1)));
  Result<std::vector<EntryOutcome>> sum = ledger->Append(over_call, kT0);
  REQUIRE_FALSE(sum.ok());
  CHECK_THAT(sum.status().message(), Catch::Contains("entry 1000"));
  CHECK(ledger->Stats().idempotency_keys == 0);
  CHECK(AppendOk(*ledger, at_bound).size() == 1000);  // exactly kMaxAppendCost is within range
  CHECK(TotalCost(SpendOk(*ledger, kT0, kT0 + 1)) == kMaxAppendCost);
}

LEDGER_TEST("Ledger: a stream's parts get the outcomes one Append of them all would") {
  TestType factory;
  auto ledger = factory.Open();
  using O = EntryOutcome;
  AppendOk(*ledger, {Keyed("old", 1, Dollars("1"))});
  const std::vector<LedgerEntry> first = {Keyed("a", 1, Dollars("0.5")), Keyed("old", 1, Dollars("1")),
                                          Entry("", kT0, Dollars("0.25"))};
  const std::vector<LedgerEntry> second = {Keyed("a", 1, Dollars("0.5")), Keyed("b", 1, Dollars("2")),
                                           Keyed("old", 2, Dollars("1"))};
  std::unique_ptr<AppendStream> stream = ledger->OpenAppend(kT0);
  REQUIRE(stream->Add(first).ok());
  REQUIRE(stream->Add({}).ok());  // an empty part changes nothing
  REQUIRE(stream->Add(second).ok());
  Result<std::vector<EntryOutcome>> outcomes = stream->Finish();
  REQUIRE(outcomes.ok());
  CHECK(*outcomes == std::vector<O>{O::kNew, O::kDuplicate, O::kNew, O::kDuplicate, O::kNew, O::kConflict});
  CHECK(TotalCost(SpendOk(*ledger, kT0, kT0 + kWidth)) == Dollars("3.75"));
  CHECK(ledger->Stats().idempotency_keys == 3);
  CHECK(AppendOk(*ledger, {Keyed("b", 1, Dollars("2"))}) == std::vector<bool>{false});
}

LEDGER_TEST("Ledger: a stream dropped before Finish, or after a refused part, commits nothing") {
  TestType factory;
  auto ledger = factory.Open();
  const std::vector<LedgerEntry> part = {Entry("a", kT0, Dollars("1")), Entry("b", kT0, Dollars("2"))};
  {
    std::unique_ptr<AppendStream> dropped = ledger->OpenAppend(kT0);
    REQUIRE(dropped->Add(part).ok());
  }
  // The costs of every part count against kMaxAppendCost.
  std::vector<std::string> keys;
  std::vector<LedgerEntry> at_bound;
  for (int i = 0; i < 1000; ++i) keys.push_back("k" + std::to_string(i));
  for (const std::string& key : keys) at_bound.push_back(Entry(key, kT0, kMaxEntryCost));
  std::unique_ptr<AppendStream> refused = ledger->OpenAppend(kT0);
  REQUIRE(refused->Add(at_bound).ok());
  const std::vector<LedgerEntry> one_more = {Entry("c", kT0, Money::FromAtto(1))};
  const Status over = refused->Add(one_more);
  CHECK(over.code() == Status::Code::kInvalidArgument);
  CHECK_THAT(over.message(), Catch::Contains("entry 1000"));
  CHECK_FALSE(refused->Finish().ok());
  refused.reset();
  CHECK(ledger->Stats().idempotency_keys == 0);
  CHECK(SpendOk(*ledger, kT0, kT0 + kWidth).empty());
  CHECK(AppendOk(*ledger, part) == std::vector<bool>{true, true});
  std::unique_ptr<AppendStream> empty = ledger->OpenAppend(kT0);
  Result<std::vector<EntryOutcome>> none = empty->Finish();
  REQUIRE(none.ok());
  CHECK(none->empty());
}

LEDGER_TEST("Ledger accepts each key once under concurrent appends") {
  TestType factory;
  auto ledger = factory.Open();
  constexpr int kThreads = 8;
  constexpr int kKeys = 4000;
  constexpr int kBatch = 100;
  // Key k costs k attodollars + 1 micro-dollar, so the exact total is known.
  auto cost_of = [](int k) { return Money::FromAtto(k) + Dollars("0.000001"); };
  std::vector<std::string> keys;
  for (int k = 0; k < kKeys; ++k) keys.push_back("evt_" + std::to_string(k));
  std::vector<std::vector<int>> accepted_by_thread(kThreads);
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Every thread walks all keys from a different offset, in batches.
      for (int first = 0; first < kKeys; first += kBatch) {
        std::vector<LedgerEntry> batch;
        std::vector<int> ids;
        for (int i = first; i < first + kBatch; ++i) {
          const int k = (i + t * kKeys / kThreads) % kKeys;
          batch.push_back(Entry(keys[static_cast<std::size_t>(k)], kT0, cost_of(k), t % 2 ? "cmp_odd" : "cmp_even"));
          ids.push_back(k);
        }
        Result<std::vector<EntryOutcome>> result = ledger->Append(batch, kT0);
        if (!result.ok()) {
          failed = true;
          return;
        }
        for (std::size_t i = 0; i < ids.size(); ++i) {
          if ((*result)[i] == EntryOutcome::kNew) accepted_by_thread[static_cast<std::size_t>(t)].push_back(ids[i]);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  REQUIRE_FALSE(failed);
  std::vector<int> times_accepted(kKeys, 0);
  for (const auto& ids : accepted_by_thread) {
    for (int k : ids) ++times_accepted[static_cast<std::size_t>(k)];
  }
  CHECK(std::count(times_accepted.begin(), times_accepted.end(), 1) == kKeys);
  Money expected;
  for (int k = 0; k < kKeys; ++k) expected += cost_of(k);
  const auto buckets = SpendOk(*ledger, kT0, kT0 + 1);
  CHECK(TotalCost(buckets) == expected);
  std::uint64_t records = 0;
  for (const SpendBucket& bucket : buckets) records += bucket.records;
  CHECK(records == kKeys);
  CHECK(ledger->Stats().idempotency_keys == kKeys);
}

LEDGER_TEST("Ledger Prune forgets old keys only, a generation at a time") {
  TestType factory;
  constexpr std::int64_t kRetention = 3600 * kSecond;
  auto ledger = factory.Open(std::chrono::hours(1));
  const Money cost = Dollars("1");
  AppendOk(*ledger, {Entry("k1", kT0, cost)}, kT0);
  REQUIRE(ledger->Prune(kT0).ok());  // starts the first generation
  REQUIRE(ledger->Prune(kT0 + kRetention / 2).ok());
  CHECK(AppendOk(*ledger, {Entry("k1", kT0, cost), Entry("k2", kT0, cost)}, kT0 + kRetention / 2) ==
        std::vector<bool>{false, true});
  REQUIRE(ledger->Prune(kT0 + kRetention).ok());  // rotates: k1, k2 now in the older generation
  CHECK(ledger->Stats().idempotency_keys == 2);
  CHECK(AppendOk(*ledger, {Entry("k1", kT0, cost), Entry("k3", kT0, cost)}, kT0 + kRetention * 3 / 2) ==
        std::vector<bool>{false, true});
  REQUIRE(ledger->Prune(kT0 + kRetention * 3 / 2).ok());  // too early for the next rotation
  CHECK(ledger->Stats().idempotency_keys == 3);
  REQUIRE(ledger->Prune(kT0 + 2 * kRetention).ok());  // drops k1, k2 (received >= retention ago)
  CHECK(ledger->Stats().idempotency_keys == 1);
  CHECK(AppendOk(*ledger, {Entry("k1", kT0, cost), Entry("k2", kT0, cost), Entry("k3", kT0, cost)},
                 kT0 + 2 * kRetention) == std::vector<bool>{true, true, false});
  // Spend is never pruned: k1 twice, k2 twice, k3 once.
  CHECK(TotalCost(SpendOk(*ledger, kT0, kT0 + 1)) == Dollars("5"));
}

}  // namespace
}  // namespace lce::ledger_test

// Reservations: holds, expiry, release, settlement and atomicity under
// concurrent Reserve calls.
#include <atomic>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "budgets_test_util.h"

namespace lce::budgets_test {
namespace {

const std::int64_t kNoon = Utc(2025, 11, 20, 12);

BudgetsConfig WithTtl(BudgetRule rule, std::chrono::seconds ttl) {
  BudgetsConfig config = OneRule(std::move(rule));
  config.reservation_ttl = ttl;
  return config;
}

TEST_CASE("Reserve holds the estimate and answers a fresh id", "[budgets][reserve]") {
  Budgets budgets(WithTtl(Rule("cmp", "10"), std::chrono::seconds(60)));
  const BudgetAnswer first = budgets.Reserve("cmp", Dollars("3"), kNoon);
  CHECK(first.decision == BudgetDecision::kAllow);
  CHECK(std::regex_match(first.reservation_id, std::regex("rsv_[0-9a-f]{32}")));
  CHECK(first.reservation_expires_unix_ns == kNoon + 60 * kSecond);
  CHECK(first.reserved == Dollars("3"));
  CHECK(first.remaining == Dollars("7"));
  const BudgetAnswer second = budgets.Reserve("cmp", Dollars("5"), kNoon);
  CHECK(second.decision == BudgetDecision::kWarn);  // 8 >= soft limit 8
  CHECK(second.reservation_id != first.reservation_id);
  const BudgetAnswer denied = budgets.Reserve("cmp", Dollars("2") + Atto(1), kNoon);
  CHECK(denied.decision == BudgetDecision::kDeny);
  CHECK(denied.reservation_id.empty());
  CHECK(denied.reserved == Dollars("8"));
  CHECK(budgets.Check("cmp", Money(), kNoon).reserved == Dollars("8"));
}

TEST_CASE("Holds expire after the TTL", "[budgets][reserve]") {
  Budgets budgets(WithTtl(Rule("cmp", "10"), std::chrono::seconds(60)));
  const BudgetAnswer held = budgets.Reserve("cmp", Dollars("10"), kNoon);
  REQUIRE_FALSE(held.reservation_id.empty());
  CHECK(budgets.Check("cmp", Atto(1), kNoon + 60 * kSecond - 1).decision == BudgetDecision::kDeny);
  const BudgetAnswer after = budgets.Check("cmp", Atto(1), kNoon + 60 * kSecond);
  CHECK(after.decision == BudgetDecision::kAllow);
  CHECK(after.reserved == Money());
  CHECK_FALSE(budgets.Release(held.reservation_id, kNoon + 61 * kSecond));
}

TEST_CASE("Release frees a hold once; unknown ids are refused", "[budgets][reserve]") {
  Budgets budgets(OneRule(Rule("cmp", "10")));
  const BudgetAnswer held = budgets.Reserve("cmp", Dollars("6"), kNoon);
  CHECK(budgets.Release(held.reservation_id, kNoon + kSecond));
  CHECK(budgets.Check("cmp", Money(), kNoon + kSecond).reserved == Money());
  CHECK_FALSE(budgets.Release(held.reservation_id, kNoon + kSecond));
  CHECK_FALSE(budgets.Release("rsv_00000000000000000000000000000000", kNoon));
  CHECK_FALSE(budgets.Release("rsv_not-hex", kNoon));
  CHECK_FALSE(budgets.Release("", kNoon));
}

TEST_CASE("ReservationCampaign names the campaign of a live hold only", "[budgets][reserve]") {
  Budgets budgets(OneRule(Rule("cmp_*", "10")));
  const BudgetAnswer held = budgets.Reserve("cmp_a", Dollars("1"), kNoon);
  CHECK(budgets.ReservationCampaign(held.reservation_id) == std::optional<std::string>("cmp_a"));
  CHECK_FALSE(budgets.ReservationCampaign("rsv_00000000000000000000000000000000").has_value());
  CHECK_FALSE(budgets.ReservationCampaign("nope").has_value());
  CHECK(budgets.Release(held.reservation_id, kNoon + kSecond));
  CHECK_FALSE(budgets.ReservationCampaign(held.reservation_id).has_value());
}

TEST_CASE("An expired hold is refused by Release even before anything dropped it", "[budgets][reserve]") {
  Budgets budgets(WithTtl(Rule("cmp", "10"), std::chrono::seconds(5)));
  const BudgetAnswer held = budgets.Reserve("cmp", Dollars("1"), kNoon);
  CHECK_FALSE(budgets.Release(held.reservation_id, kNoon + 5 * kSecond));
}

TEST_CASE("Settling with a larger actual cost goes over and denies further holds", "[budgets][settle]") {
  Budgets budgets(OneRule(Rule("cmp", "10")));
  const BudgetAnswer held = budgets.Reserve("cmp", Dollars("4"), kNoon);
  budgets.Record("cmp", kNoon + kSecond, Dollars("11"), false, held.reservation_id);
  const BudgetAnswer after = budgets.Check("cmp", Money(), kNoon + kSecond);
  CHECK(after.spent == Dollars("11"));
  CHECK(after.reserved == Money());
  CHECK(after.remaining == Dollars("-1"));
  CHECK(budgets.Reserve("cmp", Atto(1), kNoon + kSecond).decision == BudgetDecision::kDeny);
  CHECK_FALSE(budgets.Release(held.reservation_id, kNoon + kSecond));  // settled
}

TEST_CASE("Settling with a smaller actual cost frees the rest", "[budgets][settle]") {
  Budgets budgets(OneRule(Rule("cmp", "10")));
  const BudgetAnswer held = budgets.Reserve("cmp", Dollars("9"), kNoon);
  CHECK(budgets.Reserve("cmp", Dollars("2"), kNoon).decision == BudgetDecision::kDeny);
  budgets.Record("cmp", kNoon, Dollars("1.5"), false, held.reservation_id);
  const BudgetAnswer after = budgets.Reserve("cmp", Dollars("2"), kNoon);
  CHECK(after.decision == BudgetDecision::kAllow);
  CHECK(after.spent == Dollars("1.5"));
  CHECK(after.reserved == Dollars("2"));
  // An unknown or malformed reservation id still counts the cost.
  budgets.Record("cmp", kNoon, Dollars("1"), false, "rsv_ffffffffffffffffffffffffffffffff");
  budgets.Record("cmp", kNoon, Dollars("1"), false, "garbage");
  CHECK(budgets.Check("cmp", Money(), kNoon).spent == Dollars("3.5"));
}

TEST_CASE("A hold settled under another campaign leaves its own campaign", "[budgets][settle]") {
  Budgets budgets(OneRule(Rule("*", "10")));
  const BudgetAnswer held = budgets.Reserve("a", Dollars("4"), kNoon);
  budgets.Record("b", kNoon, Dollars("1"), false, held.reservation_id);
  CHECK(budgets.Check("a", Money(), kNoon).reserved == Money());
  CHECK(budgets.Check("b", Money(), kNoon).spent == Dollars("1"));
}

TEST_CASE("Concurrent reservations never exceed the limit together", "[budgets][concurrency]") {
  constexpr int kThreads = 8;
  constexpr int kAttemptsPerThread = 200;
  const Money limit = Dollars("100");
  const Money estimate = Dollars("3");
  Budgets budgets(OneRule(Rule("cmp", "100")));
  std::atomic<int> granted{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      while (!go.load()) std::this_thread::yield();
      for (int i = 0; i < kAttemptsPerThread; ++i) {
        if (!budgets.Reserve("cmp", estimate, kNoon).reservation_id.empty()) granted.fetch_add(1);
      }
    });
  }
  go = true;
  for (std::thread& thread : threads) thread.join();
  const int expected = static_cast<int>(limit.atto() / estimate.atto());  // floor(100 / 3) == 33
  CHECK(expected == 33);
  CHECK(granted.load() == expected);
  const BudgetAnswer after = budgets.Check("cmp", Money(), kNoon);
  CHECK(after.reserved == estimate * static_cast<std::uint64_t>(expected));
}

TEST_CASE("Concurrent reserve, release and record keep the books exact", "[budgets][concurrency]") {
  constexpr int kThreads = 4;
  constexpr int kRounds = 2000;
  Budgets budgets(OneRule(Rule("*", "1000000")));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&budgets, t] {
      const std::string campaign = "cmp_" + std::to_string(t % 2);
      for (int i = 0; i < kRounds; ++i) {
        const BudgetAnswer held = budgets.Reserve(campaign, Dollars("2"), kNoon);
        if (i % 2 == 0) {
          budgets.Release(held.reservation_id, kNoon);
        } else {
          budgets.Record(campaign, kNoon, Dollars("1"), false, held.reservation_id);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const char* campaign : {"cmp_0", "cmp_1"}) {
    const BudgetAnswer answer = budgets.Check(campaign, Money(), kNoon);
    CHECK(answer.reserved == Money());
    CHECK(answer.spent == Dollars("2000"));  // 2 threads x 1000 settlements x $1
  }
}

}  // namespace
}  // namespace lce::budgets_test

namespace lce::budgets_test {
namespace {

// RecordAll groups a batch by campaign (one lookup and one lock each); what
// it counts must be what Record counts for each record in turn: spend of
// several campaigns and periods, retries, and a record that settles a hold.
TEST_CASE("RecordAll counts a batch as Record counts each of its records", "[budgets][record]") {
  BudgetsConfig config = WithTtl(Rule("cmp_a", "1000"), std::chrono::seconds(600));
  config.default_rule = Rule("", "500");
  Budgets one_by_one(config);
  Budgets batched(config);
  const std::string held_one = one_by_one.Reserve("cmp_b", Dollars("40"), kNoon).reservation_id;
  const std::string held_batched = batched.Reserve("cmp_b", Dollars("40"), kNoon).reservation_id;
  REQUIRE_FALSE(held_one.empty());
  REQUIRE_FALSE(held_batched.empty());

  const std::string campaigns[] = {"cmp_a", "cmp_b", "cmp_c"};
  std::vector<Budgets::Spend> spends;
  for (int i = 0; i < 90; ++i) {
    const std::int64_t at = kNoon - (i % 4 == 0 ? kDay : 0) + i * kMinute;  // some in yesterday's period
    spends.push_back({campaigns[i % 3], at, Dollars(std::to_string(i % 7) + ".25"), i % 5 == 0, ""});
  }
  for (const Budgets::Spend& spend : spends) {
    one_by_one.Record(spend.campaign_id, spend.timestamp_unix_ns, spend.cost, spend.retry, spend.reservation_id);
  }
  one_by_one.Record("cmp_b", kNoon, Dollars("12"), false, held_one);
  spends.push_back({"cmp_b", kNoon, Dollars("12"), false, held_batched});
  batched.RecordAll(spends);

  const std::vector<CampaignBudgetState> expected = one_by_one.Snapshot(kNoon + kHour);
  CHECK(batched.Snapshot(kNoon + kHour) == expected);
  REQUIRE(expected.size() == 3);
  for (const CampaignBudgetState& state : expected) {
    INFO(state.campaign_id);
    CHECK(state.spent > Money());
    CHECK(state.reserved == Money());  // the hold was settled by its record
  }
  for (const std::string& campaign : campaigns) {
    CHECK(batched.Check(campaign, Money(), kNoon - kDay + kHour).spent ==
          one_by_one.Check(campaign, Money(), kNoon - kDay + kHour).spent);
  }
}

}  // namespace
}  // namespace lce::budgets_test

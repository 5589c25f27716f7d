// Budgets decisions: rule matching, limits, rollover, retries, Reconfigure,
// Snapshot, Restore and Validate.
#include <optional>
#include <string>
#include <vector>

#include "budgets_test_util.h"

namespace lce::budgets_test {
namespace {

const std::int64_t kNoon = Utc(2025, 11, 20, 12);

TEST_CASE("Campaigns match the first rule, then the default, else have no budget", "[budgets][rules]") {
  BudgetsConfig config;
  config.rules.push_back(Rule("cmp_2026_*", "10"));
  config.rules.push_back(Rule("cmp_??", "20"));
  config.rules.push_back(Rule("cmp_2026_special", "30"));  // shadowed by the first rule
  Budgets without_default(config);
  CHECK(without_default.Check("cmp_2026_springpromo", Money(), kNoon).limit == Dollars("10"));
  CHECK(without_default.Check("cmp_2026_special", Money(), kNoon).limit == Dollars("10"));
  CHECK(without_default.Check("cmp_ab", Money(), kNoon).limit == Dollars("20"));
  const BudgetAnswer none = without_default.Check("cmp_abc", Dollars("1000000"), kNoon);
  CHECK_FALSE(none.has_budget);
  CHECK(none.decision == BudgetDecision::kAllow);
  CHECK(none.estimate == Dollars("1000000"));
  CHECK(without_default.Reserve("cmp_abc", Dollars("5"), kNoon).reservation_id.empty());

  config.default_rule = Rule("", "5");
  Budgets with_default(config);
  const BudgetAnswer fallback = with_default.Check("cmp_abc", Money(), kNoon);
  CHECK(fallback.has_budget);
  CHECK(fallback.limit == Dollars("5"));
  CHECK(with_default.Check("cmp_ab", Money(), kNoon).limit == Dollars("20"));
}

TEST_CASE("Soft and hard limits decide exactly at their boundaries", "[budgets][limits]") {
  Budgets budgets(OneRule(Rule("cmp", "10")));  // soft limit 0.8 -> $8
  budgets.Record("cmp", kNoon - kHour, Dollars("2"), false, "");
  const Money to_soft = Dollars("6");  // 2 + 6 == 8
  CHECK(budgets.Check("cmp", to_soft - Atto(1), kNoon).decision == BudgetDecision::kAllow);
  CHECK(budgets.Check("cmp", to_soft, kNoon).decision == BudgetDecision::kWarn);
  const BudgetAnswer at_limit = budgets.Check("cmp", Dollars("8"), kNoon);
  CHECK(at_limit.decision == BudgetDecision::kWarn);  // projected == limit is not denied
  CHECK(at_limit.remaining == Dollars("8"));
  const BudgetAnswer over = budgets.Check("cmp", Dollars("8") + Atto(1), kNoon);
  CHECK(over.decision == BudgetDecision::kDeny);
  CHECK(over.spent == Dollars("2"));
  CHECK(over.reserved == Money());
  CHECK(over.period_start_unix_ns == Utc(2025, 11, 20));
  CHECK(over.period_end_unix_ns == Utc(2025, 11, 21));
  CHECK(over.period == BudgetPeriod::kDaily);
}

TEST_CASE("A soft limit of 1 warns only at the limit itself", "[budgets][limits]") {
  BudgetRule rule = Rule("cmp", "1");
  rule.soft_limit_ppm = 1'000'000;
  Budgets budgets(OneRule(rule));
  CHECK(budgets.Check("cmp", Dollars("1") - Atto(1), kNoon).decision == BudgetDecision::kAllow);
  CHECK(budgets.Check("cmp", Dollars("1"), kNoon).decision == BudgetDecision::kWarn);
  CHECK(budgets.Check("cmp", Dollars("1") + Atto(1), kNoon).decision == BudgetDecision::kDeny);
}

TEST_CASE("alert_only budgets warn but never deny, and still hold", "[budgets][limits]") {
  BudgetRule rule = Rule("cmp", "1");
  rule.action = BudgetAction::kAlertOnly;
  Budgets budgets(OneRule(rule));
  budgets.Record("cmp", kNoon, Dollars("5"), false, "");
  const BudgetAnswer answer = budgets.Reserve("cmp", Dollars("1"), kNoon);
  CHECK(answer.decision == BudgetDecision::kWarn);
  CHECK_FALSE(answer.reservation_id.empty());
  CHECK(answer.reserved == Dollars("1"));
  CHECK(answer.remaining == Dollars("-5"));
}

TEST_CASE("An estimate the tables cannot price is denied by deny budgets unless configured otherwise",
          "[budgets][limits]") {
  BudgetsConfig config = OneRule(Rule("cmp", "1"));
  {
    Budgets budgets(config);
    const BudgetAnswer check = budgets.CheckUnpriced("cmp", kNoon);
    CHECK(check.decision == BudgetDecision::kDeny);  // even with the whole budget left
    CHECK(check.unpriced_estimate);
    CHECK(check.remaining == Dollars("1"));
    const BudgetAnswer reserve = budgets.ReserveUnpriced("cmp", kNoon);
    CHECK(reserve.decision == BudgetDecision::kDeny);
    CHECK(reserve.reservation_id.empty());
    CHECK(budgets.CheckUnpriced("no-budget", kNoon).decision == BudgetDecision::kAllow);
  }
  {
    config.on_unpriced_estimate = UnpricedEstimate::kAllow;
    Budgets budgets(config);
    const BudgetAnswer reserve = budgets.ReserveUnpriced("cmp", kNoon);
    CHECK(reserve.decision == BudgetDecision::kAllow);  // decided as $0
    CHECK(reserve.unpriced_estimate);
    CHECK_FALSE(reserve.reservation_id.empty());
    budgets.Record("cmp", kNoon, Dollars("2"), false, "");
    CHECK(budgets.CheckUnpriced("cmp", kNoon).decision == BudgetDecision::kDeny);  // over the limit already
  }
  {
    BudgetRule alert = Rule("cmp", "1");
    alert.action = BudgetAction::kAlertOnly;
    Budgets budgets(OneRule(alert));
    CHECK(budgets.CheckUnpriced("cmp", kNoon).decision == BudgetDecision::kAllow);
  }
}

TEST_CASE("A record at 23:59:59.999 local counts in the old day, one at 00:00 in the new", "[budgets][rollover]") {
  Budgets budgets(OneRule(Rule("cmp", "100", BudgetPeriod::kDaily, "America/New_York")));
  const std::int64_t midnight = Utc(2025, 11, 21, 5);                    // 2025-11-21 00:00 EST
  budgets.Record("cmp", midnight - 1'000'000, Dollars("1"), false, "");  // 23:59:59.999
  budgets.Record("cmp", midnight, Dollars("2"), false, "");              // in a future window for now
  const BudgetAnswer old_day = budgets.Check("cmp", Money(), midnight - 1);
  CHECK(old_day.spent == Dollars("1"));
  CHECK(old_day.period_end_unix_ns == midnight);
  const BudgetAnswer new_day = budgets.Check("cmp", Money(), midnight);
  CHECK(new_day.spent == Dollars("2"));
  CHECK(new_day.period_start_unix_ns == midnight);
  CHECK(new_day.period_end_unix_ns == Utc(2025, 11, 22, 5));
}

TEST_CASE("Retries count by default and not when count_retries is false", "[budgets][retries]") {
  BudgetRule counting = Rule("counting", "100");
  BudgetRule excluding = Rule("excluding", "100");
  excluding.count_retries = false;
  BudgetsConfig config;
  config.rules = {counting, excluding};
  Budgets budgets(config);
  for (const char* campaign : {"counting", "excluding"}) {
    budgets.Record(campaign, kNoon, Dollars("1"), false, "");
    budgets.Record(campaign, kNoon, Dollars("4"), true, "");
  }
  CHECK(budgets.Check("counting", Money(), kNoon).spent == Dollars("5"));
  CHECK(budgets.Check("excluding", Money(), kNoon).spent == Dollars("1"));
}

TEST_CASE("Reconfigure re-attributes counted spend to the new periods and zones", "[budgets][reconfigure]") {
  Budgets budgets(OneRule(Rule("cmp", "100", BudgetPeriod::kDaily)));
  budgets.Record("cmp", Utc(2025, 11, 3, 10), Dollars("1"), false, "");
  budgets.Record("cmp", Utc(2025, 11, 19, 23, 30), Dollars("2"), true, "");
  budgets.Record("cmp", Utc(2025, 11, 20, 9), Dollars("4"), false, "");
  CHECK(budgets.Check("cmp", Money(), kNoon).spent == Dollars("4"));

  budgets.Reconfigure(OneRule(Rule("cmp", "100", BudgetPeriod::kMonthly)));
  CHECK(budgets.Check("cmp", Money(), kNoon).spent == Dollars("7"));

  BudgetRule tokyo = Rule("cmp", "100", BudgetPeriod::kDaily, "Asia/Tokyo");  // 2025-11-20 JST = 11-19 15:00Z..
  tokyo.count_retries = false;
  budgets.Reconfigure(OneRule(tokyo));
  const BudgetAnswer answer = budgets.Check("cmp", Money(), Utc(2025, 11, 20, 1));
  CHECK(answer.period_start_unix_ns == Utc(2025, 11, 19, 15));
  CHECK(answer.spent == Dollars("4"));  // the retry at 23:30Z is excluded now

  budgets.Reconfigure(BudgetsConfig{});
  CHECK_FALSE(budgets.Check("cmp", Money(), kNoon).has_budget);
}

TEST_CASE("A campaign recorded without a budget keeps its spend when a rule arrives", "[budgets][reconfigure]") {
  Budgets budgets(BudgetsConfig{});
  budgets.Record("late", kNoon - kHour, Dollars("3"), false, "");
  CHECK_FALSE(budgets.Check("late", Money(), kNoon).has_budget);
  CHECK_FALSE(budgets.Check("never_recorded", Money(), kNoon).has_budget);
  budgets.Reconfigure(OneRule(Rule("*", "10")));
  CHECK(budgets.Check("late", Money(), kNoon).spent == Dollars("3"));
  CHECK(budgets.Check("never_recorded", Money(), kNoon).spent == Money());
}

TEST_CASE("Total budgets count every record ever", "[budgets][total]") {
  Budgets budgets(OneRule(Rule("cmp", "100", BudgetPeriod::kTotal)));
  budgets.Record("cmp", Utc(2020, 1, 1), Dollars("3"), false, "");
  budgets.Record("cmp", Utc(2025, 11, 20), Dollars("4"), false, "");
  const BudgetAnswer answer = budgets.Check("cmp", Money(), kNoon);
  CHECK(answer.spent == Dollars("7"));
  CHECK(answer.period_start_unix_ns == std::numeric_limits<std::int64_t>::min());
  CHECK(answer.period_end_unix_ns == std::numeric_limits<std::int64_t>::max());
}

TEST_CASE("Snapshot lists budgeted campaigns with spend or holds, sorted", "[budgets][snapshot]") {
  BudgetsConfig config;
  config.rules.push_back(Rule("b*", "10"));
  config.rules.push_back(Rule("a*", "20", BudgetPeriod::kWeekly));
  Budgets budgets(config);
  budgets.Record("b1", kNoon, Dollars("1"), false, "");
  budgets.Record("b2", kNoon - 2 * kDay, Dollars("1"), false, "");  // an earlier day: nothing now
  budgets.Record("zz", kNoon, Dollars("1"), false, "");             // no budget
  REQUIRE_FALSE(budgets.Reserve("a1", Dollars("2"), kNoon).reservation_id.empty());
  const auto snapshot = budgets.Snapshot(kNoon);
  REQUIRE(snapshot.size() == 2);
  CHECK(snapshot[0].campaign_id == "a1");
  CHECK(snapshot[0].reserved == Dollars("2"));
  CHECK(snapshot[0].period == BudgetPeriod::kWeekly);
  CHECK(snapshot[0].period_start_unix_ns == Utc(2025, 11, 17));
  CHECK(snapshot[1].campaign_id == "b1");
  CHECK(snapshot[1].spent == Dollars("1"));
  CHECK(snapshot[1].limit == Dollars("10"));
  CHECK(snapshot[1].soft_limit_ppm == 800'000);
  CHECK(snapshot[1].action == BudgetAction::kDeny);
  // After the hold's TTL (300 s) only b1 remains; the next day nothing.
  CHECK(budgets.Snapshot(kNoon + 300 * kSecond).size() == 1);
  CHECK(budgets.Snapshot(kNoon + kDay).empty());
}

TEST_CASE("Snapshot reads only: expired holds and rollover are left to the next decision", "[budgets][snapshot]") {
  Budgets budgets(OneRule(Rule("cmp", "10")));  // daily, holds expire after 300 s
  const BudgetAnswer held = budgets.Reserve("cmp", Dollars("4"), kNoon);
  REQUIRE_FALSE(held.reservation_id.empty());
  budgets.Record("cmp", kNoon, Dollars("1"), false, "");
  budgets.Record("cmp", kNoon + kDay, Dollars("2"), false, "");  // counts tomorrow
  const std::int64_t expired = kNoon + 300 * kSecond;

  const auto first = budgets.Snapshot(expired);
  REQUIRE(first.size() == 1);
  CHECK(first[0].reserved == Money());
  CHECK(first[0].spent == Dollars("1"));
  CHECK(budgets.Snapshot(expired) == first);
  // Not dropped: a hold is forgotten by the decision that drops it, not by a scrape.
  CHECK(budgets.ReservationCampaign(held.reservation_id) == std::optional<std::string>("cmp"));

  // Tomorrow is reported as the current period, and nothing rolled over:
  // 40 days on (past the 33-day retention) nothing is pruned either.
  const auto tomorrow = budgets.Snapshot(kNoon + kDay);
  REQUIRE(tomorrow.size() == 1);
  CHECK(tomorrow[0].spent == Dollars("2"));
  CHECK(tomorrow[0].period_start_unix_ns == Utc(2025, 11, 21));
  CHECK(budgets.Snapshot(kNoon + 40 * kDay).empty());
  CHECK(budgets.Check("cmp", Money(), kNoon).spent == Dollars("1"));

  // The decision at `expired` drops the hold.
  CHECK(budgets.Check("cmp", Money(), expired).reserved == Money());
  CHECK_FALSE(budgets.ReservationCampaign(held.reservation_id).has_value());
}

TEST_CASE("Snapshot applies the rules of the last Reconfigure before any decision rebinds", "[budgets][snapshot]") {
  Budgets budgets(OneRule(Rule("cmp", "10")));
  budgets.Record("cmp", kNoon - kDay, Dollars("1"), false, "");
  budgets.Record("cmp", kNoon, Dollars("2"), false, "");
  REQUIRE(budgets.Check("cmp", Money(), kNoon).spent == Dollars("2"));
  budgets.Reconfigure(OneRule(Rule("cmp", "20", BudgetPeriod::kWeekly)));
  const auto snapshot = budgets.Snapshot(kNoon);
  REQUIRE(snapshot.size() == 1);
  CHECK(snapshot[0].limit == Dollars("20"));
  CHECK(snapshot[0].period == BudgetPeriod::kWeekly);
  CHECK(snapshot[0].spent == Dollars("3"));
  budgets.Reconfigure(OneRule(Rule("other", "20")));
  CHECK(budgets.Snapshot(kNoon).empty());
}

TEST_CASE("Sweep drops expired holds and old buckets of every campaign", "[budgets][snapshot]") {
  Budgets budgets(OneRule(Rule("cmp", "10")));
  const BudgetAnswer held = budgets.Reserve("cmp", Dollars("4"), kNoon);
  budgets.Record("cmp", kNoon, Dollars("1"), false, "");
  budgets.Sweep(kNoon + 300 * kSecond - 1);
  CHECK(budgets.ReservationCampaign(held.reservation_id) == std::optional<std::string>("cmp"));
  budgets.Sweep(kNoon + 300 * kSecond);
  CHECK_FALSE(budgets.ReservationCampaign(held.reservation_id).has_value());
  budgets.Sweep(kNoon + 40 * kDay);  // past the retention: today's bucket is gone
  CHECK(budgets.Check("cmp", Money(), kNoon).spent == Money());
}

LedgerEntry Entry(std::string_view campaign, std::int64_t timestamp, Money cost, bool retry) {
  LedgerEntry entry;
  entry.timestamp_unix_ns = timestamp;
  entry.service = "svc";
  entry.campaign_id = campaign;
  entry.vendor = "anthropic";
  entry.model = "claude";
  entry.cost = cost;
  entry.retry = retry;
  return entry;
}

TEST_CASE("Restore from the ledger reproduces the spend of every period", "[budgets][restore]") {
  auto ledger = NewMemoryLedger(std::chrono::hours(48));
  const std::vector<LedgerEntry> entries = {
      Entry("daily", kNoon - kHour, Dollars("1"), false),     Entry("daily", kNoon - kHour, Dollars("2"), true),
      Entry("daily", kNoon - kDay, Dollars("100"), false),  // yesterday
      Entry("noretry", kNoon, Dollars("1"), false),           Entry("noretry", kNoon, Dollars("2"), true),
      Entry("forever", Utc(2019, 5, 1), Dollars("5"), false), Entry("forever", kNoon, Dollars("6"), false),
  };
  REQUIRE(ledger->Append(entries, kNoon).ok());

  BudgetsConfig config;
  config.rules.push_back(Rule("daily", "1000"));
  config.rules.push_back(Rule("noretry", "1000", BudgetPeriod::kMonthly));
  config.rules.back().count_retries = false;
  config.rules.push_back(Rule("forever", "1000", BudgetPeriod::kTotal));
  Budgets restored(config);
  Budgets live(config);
  for (const LedgerEntry& entry : entries)
    live.Record(entry.campaign_id, entry.timestamp_unix_ns, entry.cost, entry.retry, "");
  REQUIRE(restored.Restore(*ledger, kNoon).ok());

  CHECK(restored.Check("daily", Money(), kNoon).spent == Dollars("3"));
  CHECK(restored.Check("daily", Money(), kNoon - kDay).spent == Dollars("100"));
  CHECK(restored.Check("noretry", Money(), kNoon).spent == Dollars("1"));
  CHECK(restored.Check("forever", Money(), kNoon).spent == Dollars("11"));
  for (const char* campaign : {"daily", "noretry", "forever"}) {
    CHECK(restored.Check(campaign, Money(), kNoon).spent == live.Check(campaign, Money(), kNoon).spent);
  }
  // Restore replaces spend rather than adding to it.
  REQUIRE(restored.Restore(*ledger, kNoon).ok());
  CHECK(restored.Check("daily", Money(), kNoon).spent == Dollars("3"));
}

TEST_CASE("Validate names the rule index and pattern of each error", "[budgets][validate]") {
  const auto message = [](const BudgetsConfig& config) {
    const Status status = Budgets::Validate(config);
    CHECK_FALSE(status.ok());
    return status.message();
  };
  BudgetsConfig config;
  config.rules.push_back(Rule("ok", "1"));
  config.rules.push_back(Rule("cmp_*", "1"));
  REQUIRE(Budgets::Validate(config).ok());

  config.rules[1].limit = Money();
  CHECK_THAT(message(config), Catch::Contains("budget rule 1 (pattern \"cmp_*\")") && Catch::Contains("limit"));
  config.rules[1].limit = Dollars("1000000000001");
  CHECK_THAT(message(config), Catch::Contains("exceeds"));
  config.rules[1].limit = Dollars("1");
  config.rules[1].time_zone = "Mars/Olympus";
  CHECK_THAT(message(config), Catch::Contains("rule 1") && Catch::Contains("Mars/Olympus"));
  config.rules[1].time_zone = "Europe/Berlin";
  config.rules[1].soft_limit_ppm = 0;
  CHECK_THAT(message(config), Catch::Contains("soft limit"));
  config.rules[1].soft_limit_ppm = 1'000'001;
  CHECK_THAT(message(config), Catch::Contains("1.000001"));
  config.rules[1].soft_limit_ppm = 500'000;
  config.rules[0].campaign_pattern.clear();
  CHECK_THAT(message(config), Catch::Contains("budget rule 0") && Catch::Contains("empty"));
  config.rules[0].campaign_pattern = "ok";
  config.default_rule = Rule("", "-1");
  CHECK_THAT(message(config), Catch::Contains("default budget rule"));
  config.default_rule = Rule("", "1");
  config.reservation_ttl = std::chrono::seconds(0);
  CHECK_THAT(message(config), Catch::Contains("ttl"));
  config.reservation_ttl = std::chrono::seconds(60);
  CHECK(Budgets::Validate(config).ok());
}

TEST_CASE("Period and decision names", "[budgets]") {
  CHECK(BudgetPeriodName(BudgetPeriod::kDaily) == "daily");
  CHECK(BudgetPeriodName(BudgetPeriod::kWeekly) == "weekly");
  CHECK(BudgetPeriodName(BudgetPeriod::kMonthly) == "monthly");
  CHECK(BudgetPeriodName(BudgetPeriod::kTotal) == "total");
  CHECK(BudgetDecisionName(BudgetDecision::kAllow) == "allow");
  CHECK(BudgetDecisionName(BudgetDecision::kWarn) == "warn");
  CHECK(BudgetDecisionName(BudgetDecision::kDeny) == "deny");
}

}  // namespace
}  // namespace lce::budgets_test

// Helpers shared by the budgets tests: UTC instants from calendar fields
// (std::chrono calendar arithmetic, independent of CCTZ), dollar amounts and
// rule builders.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <string>

#include "llm_cost_exporter/budgets.h"

namespace lce::budgets_test {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kMinute = 60 * kSecond;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kDay = 24 * kHour;

// Unix ns of the UTC wall time y-m-d h:mi:s.
inline std::int64_t Utc(int y, unsigned m, unsigned d, int h = 0, int mi = 0, int s = 0) {
  using namespace std::chrono;
  const sys_days date{year{y} / month{m} / day{d}};
  const auto instant = date + hours{h} + minutes{mi} + seconds{s};
  return duration_cast<nanoseconds>(instant.time_since_epoch()).count();
}

inline Money Dollars(const std::string& text) {
  const Result<Money> parsed = Money::ParseDollars(text);
  REQUIRE(parsed.ok());
  return *parsed;
}

inline Money Atto(long long atto) { return Money::FromAtto(atto); }

inline BudgetRule Rule(std::string pattern, const std::string& limit, BudgetPeriod period = BudgetPeriod::kDaily,
                       std::string zone = "UTC") {
  BudgetRule rule;
  rule.campaign_pattern = std::move(pattern);
  rule.limit = Dollars(limit);
  rule.period = period;
  rule.time_zone = std::move(zone);
  return rule;
}

inline BudgetsConfig OneRule(BudgetRule rule) {
  BudgetsConfig config;
  config.rules.push_back(std::move(rule));
  return config;
}

}  // namespace lce::budgets_test

namespace Catch {
template <>
struct StringMaker<lce::Money> {
  static std::string convert(const lce::Money& money) { return money.ToDecimalString() + " USD"; }
};
}  // namespace Catch

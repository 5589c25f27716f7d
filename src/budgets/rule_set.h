// RuleSet: one immutable generation of budget rules, compiled (time zones
// loaded once, here, never per request) and matched against campaign ids.
// Thread safety: immutable after Compile; shared between threads through
// std::shared_ptr<const RuleSet>.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "llm_cost_exporter/budgets.h"
#include "period_clock.h"

namespace lce::budgets_detail {

struct CompiledRule {
  BudgetRule rule;
  PeriodClock clock;
};

struct RuleSet {
  std::vector<CompiledRule> rules;
  std::optional<CompiledRule> default_rule;
  std::int64_t reservation_ttl_ns = 0;
  bool deny_unpriced_estimates = true;  // BudgetsConfig::on_unpriced_estimate == kDeny
  bool deny_on_store_error = true;      // BudgetsConfig::on_store_error == kDeny
  std::uint64_t generation = 0;

  // The first rule whose pattern matches, else the default rule, else null.
  // The pointer lives as long as this RuleSet.
  const CompiledRule* Match(std::string_view campaign_id) const;
  bool HasTotalPeriod() const;
};

// Compiles a configuration that passed Budgets::Validate (an unknown zone,
// should one slip through, falls back to UTC).
std::shared_ptr<const RuleSet> CompileRules(const BudgetsConfig& config, std::uint64_t generation);

// The largest accepted limit: keeps limit * 1e6 (the soft-limit comparison)
// far inside int128.
inline constexpr int128 kMaxLimitAtto = static_cast<int128>(1'000'000'000'000LL) * Money::kOneDollar;  // 1e12 USD

// The longest accepted reservation TTL (keeps expiry times far inside int64 ns).
inline constexpr std::chrono::seconds kMaxReservationTtl{365LL * 24 * 3600};

Status ValidateRules(const BudgetsConfig& config);

}  // namespace lce::budgets_detail

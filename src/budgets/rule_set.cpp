#include "rule_set.h"

#include <string>

#include "llm_cost_exporter/glob.h"

namespace lce::budgets_detail {
namespace {

CompiledRule Compile(const BudgetRule& rule) {
  cctz::time_zone zone;
  if (!cctz::load_time_zone(rule.time_zone, &zone)) zone = cctz::utc_time_zone();
  return CompiledRule{rule, PeriodClock(rule.period, zone)};
}

std::string RuleName(std::size_t index, const BudgetRule& rule) {
  return "budget rule " + std::to_string(index) + " (pattern \"" + rule.campaign_pattern + "\")";
}

// Checks everything but the pattern (the default rule has none).
Status ValidateRuleBody(const BudgetRule& rule) {
  if (rule.limit.atto() <= 0)
    return Status::InvalidArgument("limit must be positive, got " + rule.limit.ToDecimalString());
  if (rule.limit.atto() > kMaxLimitAtto) {
    return Status::InvalidArgument("limit " + rule.limit.ToDecimalString() + " exceeds 1e12 USD");
  }
  if (rule.soft_limit_ppm == 0 || rule.soft_limit_ppm > 1'000'000) {
    return Status::InvalidArgument("soft limit ratio must be in (0, 1], got " +
                                   FormatFixedPoint(rule.soft_limit_ppm, 6));
  }
  cctz::time_zone zone;
  if (rule.time_zone.empty() || !cctz::load_time_zone(rule.time_zone, &zone)) {
    return Status::InvalidArgument("unknown time zone \"" + rule.time_zone + "\"");
  }
  return Status::Ok();
}

}  // namespace

const CompiledRule* RuleSet::Match(std::string_view campaign_id) const {
  for (const CompiledRule& compiled : rules) {
    if (GlobMatch(compiled.rule.campaign_pattern, campaign_id)) return &compiled;
  }
  return default_rule ? &*default_rule : nullptr;
}

bool RuleSet::HasTotalPeriod() const {
  for (const CompiledRule& compiled : rules) {
    if (compiled.rule.period == BudgetPeriod::kTotal) return true;
  }
  return default_rule && default_rule->rule.period == BudgetPeriod::kTotal;
}

std::shared_ptr<const RuleSet> CompileRules(const BudgetsConfig& config, std::uint64_t generation) {
  auto set = std::make_shared<RuleSet>();
  set->rules.reserve(config.rules.size());
  for (const BudgetRule& rule : config.rules) set->rules.push_back(Compile(rule));
  if (config.default_rule) set->default_rule = Compile(*config.default_rule);
  set->reservation_ttl_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(config.reservation_ttl).count();
  set->deny_unpriced_estimates = config.on_unpriced_estimate == UnpricedEstimate::kDeny;
  set->deny_on_store_error = config.on_store_error == StoreErrorPolicy::kDeny;
  set->generation = generation;
  return set;
}

Status ValidateRules(const BudgetsConfig& config) {
  for (std::size_t i = 0; i < config.rules.size(); ++i) {
    const BudgetRule& rule = config.rules[i];
    if (rule.campaign_pattern.empty()) return Status::InvalidArgument(RuleName(i, rule) + ": empty campaign pattern");
    const Status status = ValidateRuleBody(rule);
    if (!status.ok()) return status.WithContext(RuleName(i, rule));
  }
  if (config.default_rule) {
    const Status status = ValidateRuleBody(*config.default_rule);
    if (!status.ok()) return status.WithContext("default budget rule");
  }
  if (config.reservation_ttl.count() <= 0 || config.reservation_ttl > kMaxReservationTtl) {
    return Status::InvalidArgument("reservation ttl must be in (0s, 1 year], got " +
                                   std::to_string(config.reservation_ttl.count()) + "s");
  }
  return Status::Ok();
}

}  // namespace lce::budgets_detail

// campaign_budget_* gauges (from Budgets::Snapshot at scrape time) and
// budget_decisions_total (counted by the budget endpoints).
#include <array>
#include <map>
#include <mutex>
#include <string>

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>

#include "exporter_impl.h"
#include "llm_cost_exporter/timestamp.h"

namespace lce {
namespace {

constexpr std::size_t kDecisionCount = 3;
constexpr std::string_view kOverflow = "__overflow__";

prometheus::MetricFamily Gauge(const char* name, const char* help) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = prometheus::MetricType::Gauge;
  return family;
}

void AddSample(prometheus::MetricFamily& family, const CampaignBudgetState& state, double value) {
  prometheus::ClientMetric metric;
  metric.label = {{"campaign_id", state.campaign_id}, {"period", std::string(BudgetPeriodName(state.period))}};
  metric.gauge.value = value;
  family.metric.push_back(std::move(metric));
}

class BudgetCollectorImpl final : public BudgetCollector {
 public:
  BudgetCollectorImpl(Budgets& budgets, std::size_t campaign_limit)
      : budgets_(budgets), campaign_limit_(campaign_limit) {}

  void CountDecision(std::string_view campaign_id, BudgetDecision decision) override {
    std::lock_guard lock(mutex_);
    auto it = decisions_.find(campaign_id);
    if (it == decisions_.end()) {
      const std::string_view key = decisions_.size() < campaign_limit_ ? campaign_id : kOverflow;
      it = decisions_.try_emplace(std::string(key)).first;
    }
    ++it->second[static_cast<std::size_t>(decision)];
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    auto limit = Gauge("campaign_budget_limit_usd", "Budget limit of the campaign's current period, in USD.");
    auto spent = Gauge("campaign_budget_spent_usd",
                       "Settled spend of the campaign in its current period, in USD (retries included unless the rule excludes them).");
    auto reserved = Gauge("campaign_budget_reserved_usd", "Live reservations (holds) of the campaign, in USD.");
    auto soft_limit = Gauge("campaign_budget_soft_limit_ratio",
                            "Soft limit of the campaign's budget rule, as a fraction of the limit (warn from here).");
    auto period_end = Gauge("campaign_budget_period_end_timestamp_seconds",
                            "Unix time the campaign's current budget period ends (exclusive); no sample for total budgets.");
    for (const CampaignBudgetState& state : budgets_.Snapshot(NowUnixNs())) {
      AddSample(limit, state, state.limit.ToDouble());
      AddSample(spent, state, state.spent.ToDouble());
      AddSample(reserved, state, state.reserved.ToDouble());
      AddSample(soft_limit, state, static_cast<double>(state.soft_limit_ppm) / 1e6);
      if (state.period != BudgetPeriod::kTotal) AddSample(period_end, state, UnixNsToSeconds(state.period_end_unix_ns));
    }
    std::vector<prometheus::MetricFamily> families;
    for (prometheus::MetricFamily* family : {&limit, &spent, &reserved, &soft_limit, &period_end}) {
      if (!family->metric.empty()) families.push_back(std::move(*family));
    }
    prometheus::MetricFamily decisions = DecisionFamily();
    if (!decisions.metric.empty()) families.push_back(std::move(decisions));
    return families;
  }

 private:
  prometheus::MetricFamily DecisionFamily() const {
    prometheus::MetricFamily family;
    family.name = "budget_decisions_total";
    family.help = "Budget checks and reservations answered, by campaign and decision (allow, warn, deny).";
    family.type = prometheus::MetricType::Counter;
    std::lock_guard lock(mutex_);
    for (const auto& [campaign, counts] : decisions_) {
      for (std::size_t d = 0; d < kDecisionCount; ++d) {
        prometheus::ClientMetric metric;
        metric.label = {{"campaign_id", campaign},
                        {"decision", std::string(BudgetDecisionName(static_cast<BudgetDecision>(d)))}};
        metric.counter.value = static_cast<double>(counts[d]);
        family.metric.push_back(std::move(metric));
      }
    }
    return family;
  }

  Budgets& budgets_;
  const std::size_t campaign_limit_;
  mutable std::mutex mutex_;
  std::map<std::string, std::array<std::uint64_t, kDecisionCount>, std::less<>> decisions_;
};

}  // namespace

std::unique_ptr<BudgetCollector> NewBudgetCollector(Budgets& budgets, std::size_t campaign_limit) {
  return std::make_unique<BudgetCollectorImpl>(budgets, campaign_limit);
}

}  // namespace lce

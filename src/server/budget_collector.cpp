// campaign_budget_* gauges (from Budgets::Snapshot at scrape time) and
// budget_decisions_total (counted by the budget endpoints).
#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <string>

#include "collectors.h"
#include "llm_cost_exporter/timestamp.h"

namespace lce {
namespace {

constexpr std::size_t kDecisionCount = 3;

constexpr MetricDesc kLimit{"campaign_budget_limit_usd",
                            "Budget limit of the campaign's current period, in USD.",
                            MetricType::kGauge,
                            {"campaign_id", "period"}};
constexpr MetricDesc kSpent{"campaign_budget_spent_usd",
                            "Settled spend of the campaign in its current period, in USD (retries included unless "
                            "the rule excludes them).",
                            MetricType::kGauge,
                            {"campaign_id", "period"}};
constexpr MetricDesc kReserved{"campaign_budget_reserved_usd",
                               "Live reservations (holds) of the campaign, in USD.",
                               MetricType::kGauge,
                               {"campaign_id", "period"}};
constexpr MetricDesc kSoftLimit{
    "campaign_budget_soft_limit_ratio",
    "Soft limit of the campaign's budget rule, as a fraction of the limit (warn from here).",
    MetricType::kGauge,
    {"campaign_id", "period"}};
constexpr MetricDesc kPeriodEnd{"campaign_budget_period_end_timestamp_seconds",
                                "Unix time the campaign's current budget period ends (exclusive); no sample for "
                                "total budgets.",
                                MetricType::kGauge,
                                {"campaign_id", "period"}};
constexpr MetricDesc kDecisions{
    "budget_decisions_total",
    "Budget checks and reservations answered, by campaign and decision (allow, warn, deny).",
    MetricType::kCounter,
    {"campaign_id", "decision"}};

constexpr MetricDesc kStoreErrors{
    "llm_cost_exporter_budget_store_errors_total",
    "Budget checks and reservations the shared budget store (PostgreSQL) could not serve, by the decision "
    "budgets.on_store_error gave them (allow, deny).",
    MetricType::kCounter,
    {"decision"}};

// One gauge family of every campaign's state; `value` returns nullopt for a
// campaign without a sample.
template <typename Value>
void BudgetGauge(MetricSink& sink, const MetricDesc& desc, const std::vector<CampaignBudgetState>& states,
                 Value value) {
  sink.Family(desc);
  for (const CampaignBudgetState& state : states) {
    if (const std::optional<double> v = value(state))
      sink.Sample({state.campaign_id, BudgetPeriodName(state.period)}, *v);
  }
}

class BudgetCollectorImpl final : public BudgetCollector {
 public:
  BudgetCollectorImpl(const Budgets& budgets, CardinalityGuard& guard) : budgets_(budgets), guard_(guard) {}

  void CountDecision(std::string_view campaign_id, BudgetDecision decision) override {
    const std::string_view admitted = guard_.Admit("campaign_id", campaign_id);
    std::lock_guard lock(mutex_);
    auto it = decisions_.find(admitted);
    if (it == decisions_.end()) it = decisions_.try_emplace(std::string(admitted)).first;
    ++it->second[static_cast<std::size_t>(decision)];
  }

  void CountStoreError(BudgetDecision decision) override {
    store_errors_[static_cast<std::size_t>(decision)].fetch_add(1, std::memory_order_relaxed);
  }

  void Collect(MetricSink& sink) const override {
    const std::vector<CampaignBudgetState> states = budgets_.Snapshot(NowUnixNs());
    using State = CampaignBudgetState;
    BudgetGauge(sink, kLimit, states, [](const State& s) -> std::optional<double> { return s.limit.ToDouble(); });
    BudgetGauge(sink, kSpent, states, [](const State& s) -> std::optional<double> { return s.spent.ToDouble(); });
    BudgetGauge(sink, kReserved, states, [](const State& s) -> std::optional<double> { return s.reserved.ToDouble(); });
    BudgetGauge(sink, kSoftLimit, states,
                [](const State& s) -> std::optional<double> { return static_cast<double>(s.soft_limit_ppm) / 1e6; });
    BudgetGauge(sink, kPeriodEnd, states, [](const State& s) -> std::optional<double> {
      if (s.period == BudgetPeriod::kTotal) return std::nullopt;
      return UnixNsToSeconds(s.period_end_unix_ns);
    });
    CollectDecisions(sink);
    if (budgets_.shared()) {
      sink.Family(kStoreErrors);
      for (const BudgetDecision d : {BudgetDecision::kAllow, BudgetDecision::kDeny}) {
        sink.Sample({BudgetDecisionName(d)},
                    static_cast<double>(store_errors_[static_cast<std::size_t>(d)].load(std::memory_order_relaxed)));
      }
    }
  }

 private:
  void CollectDecisions(MetricSink& sink) const {
    sink.Family(kDecisions);
    std::lock_guard lock(mutex_);
    for (const auto& [campaign, counts] : decisions_) {
      for (std::size_t d = 0; d < kDecisionCount; ++d) {
        sink.Sample({campaign, BudgetDecisionName(static_cast<BudgetDecision>(d))}, static_cast<double>(counts[d]));
      }
    }
  }

  const Budgets& budgets_;
  CardinalityGuard& guard_;
  mutable std::mutex mutex_;
  std::map<std::string, std::array<std::uint64_t, kDecisionCount>, std::less<>> decisions_;
  std::array<std::atomic<std::uint64_t>, kDecisionCount> store_errors_{};
};

}  // namespace

std::unique_ptr<BudgetCollector> NewBudgetCollector(const Budgets& budgets, CardinalityGuard& guard) {
  return std::make_unique<BudgetCollectorImpl>(budgets, guard);
}

}  // namespace lce

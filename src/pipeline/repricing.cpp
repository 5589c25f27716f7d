#include "llm_cost_exporter/repricing.h"

#include <vector>

namespace lce {
namespace {

constexpr MetricDesc kRepricedCost{
    "llm_cost_exporter_repriced_cost_usd_total",
    "USD added to (direction=increase) or removed from (decrease) the ledger's history by re-pricing; cost as "
    "corrected = llm_cost_usd_total + increase - decrease",
    MetricType::kCounter,
    {"service", "campaign_id", "vendor", "model", "direction"}};
constexpr MetricDesc kRepricings{"llm_cost_exporter_repricings_total",
                                 "Re-pricings written to the ledger (dry runs excluded)",
                                 MetricType::kCounter,
                                 {}};
constexpr MetricDesc kRefused{"llm_cost_exporter_repriced_buckets_refused_total",
                              "Spend buckets re-pricing left unchanged because they could not be priced exactly",
                              MetricType::kCounter,
                              {}};

}  // namespace

void RepricingMetrics::Count(const RepriceReport& report) {
  std::lock_guard lock(mutex_);
  ++repricings_;
  refused_ += report.refused.size();
  for (const RepricedBucket& change : report.changed) {
    if (change.cost == change.before.cost) continue;
    const bool increase = change.cost > change.before.cost;
    const Money amount = increase ? change.cost - change.before.cost : change.before.cost - change.cost;
    const SpendBucket& bucket = change.before;
    corrections_[{std::string(guard_.Admit("service", bucket.service)),
                  std::string(guard_.Admit("campaign_id", bucket.campaign_id)),
                  std::string(guard_.Admit("vendor", bucket.vendor)), std::string(guard_.Admit("model", bucket.model)),
                  increase ? "increase" : "decrease"}] += amount;
  }
}

void RepricingMetrics::Collect(MetricSink& sink) const {
  std::lock_guard lock(mutex_);
  sink.Unlabelled(kRepricings, static_cast<double>(repricings_));
  sink.Unlabelled(kRefused, static_cast<double>(refused_));
  sink.Family(kRepricedCost);
  for (const auto& [labels, amount] : corrections_) {
    sink.Sample(
        {std::get<0>(labels), std::get<1>(labels), std::get<2>(labels), std::get<3>(labels), std::get<4>(labels)},
        amount.ToDouble());
  }
}

BucketPricer PricerFor(const PriceBook& prices) {
  return [&prices](const SpendBucket& bucket) {
    std::vector<UnitCount> units;
    units.reserve(bucket.units.size());
    for (const BucketUnit& unit : bucket.units) units.push_back(UnitCount{unit.unit, unit.count});
    PriceBook::Aggregate usage;
    usage.vendor = bucket.vendor;
    usage.model = bucket.model;
    usage.service_tier = bucket.service_tier;
    usage.context_tier = bucket.context_tier;
    usage.tokens = bucket.tokens;
    usage.units = units;
    usage.from_unix_ns = bucket.start_unix_ns;
    usage.to_unix_ns = bucket.start_unix_ns + SpendBucket::kWidthNs;
    BucketPrice price;
    Result<Money> cost = prices.PriceAggregate(usage, &price.table);
    if (!cost.ok()) {
      price.refused = true;
      price.reason = cost.status().message();
    } else {
      price.cost = *cost;
    }
    return price;
  };
}

Result<RepriceReport> RepriceHistory(Ledger& ledger, const PriceBook& prices, Budgets& budgets,
                                     RepricingMetrics* metrics, RepriceRequest request) {
  request.pricer = PricerFor(prices);
  Result<RepriceReport> report = ledger.Reprice(request);
  if (!report.ok() || request.dry_run) return report;
  for (const RepricedBucket& change : report->changed) {
    // A bucket without a campaign belongs to no budget.
    if (change.before.campaign_id.empty()) continue;
    budgets.Correct(change.before.campaign_id, change.before.start_unix_ns, change.cost - change.before.cost,
                    change.retry_cost - change.before.retry_cost);
  }
  if (metrics != nullptr) metrics->Count(*report);
  return report;
}

}  // namespace lce

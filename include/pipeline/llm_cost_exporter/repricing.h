// Re-pricing history (docs/ledger.md "Re-pricing"): after a price table was
// fixed, the ledger's buckets of a range are priced again with the tables in
// force, the budgets follow by each bucket's delta, and the corrections are
// counted in monotonic counters (docs/metrics.md "Re-pricing"), so no
// Prometheus counter ever goes backwards.
//
// Thread safety: RepriceHistory may run concurrently with ingest (the ledger
// serializes it with Append); RepricingMetrics is safe to update and collect
// from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "llm_cost_exporter/budgets.h"
#include "llm_cost_exporter/cardinality.h"
#include "llm_cost_exporter/ledger.h"
#include "llm_cost_exporter/metric_registry.h"
#include "llm_cost_exporter/pricing.h"

namespace lce {

// llm_cost_exporter_repriced_cost_usd_total{service, campaign_id, vendor,
// model, direction="increase|decrease"} (the labels of llm_cost_usd_total,
// through the registry's guard, plus direction) and
// llm_cost_exporter_repricings_total / _repriced_buckets_refused_total.
class RepricingMetrics final : public Collector {
 public:
  explicit RepricingMetrics(CardinalityGuard& guard) : guard_(guard) {}
  // Counts one written re-pricing and its corrections.
  void Count(const RepriceReport& report);
  void Collect(MetricSink& sink) const override;

 private:
  CardinalityGuard& guard_;
  mutable std::mutex mutex_;
  // (service, campaign_id, vendor, model, direction) -> USD
  std::map<std::tuple<std::string, std::string, std::string, std::string, std::string>, Money> corrections_;
  std::uint64_t repricings_ = 0;
  std::uint64_t refused_ = 0;
};

// Prices a bucket with `prices` (PriceBook::PriceAggregate over the bucket's
// 15 minutes). The PriceBook must outlive the pricer.
BucketPricer PricerFor(const PriceBook& prices);

// Re-prices [from, to) of `ledger` with `prices` (request.pricer is set
// here). Unless a dry run: corrects `budgets` by each changed bucket's delta
// and counts it in `metrics` (may be null).
Result<RepriceReport> RepriceHistory(Ledger& ledger, const PriceBook& prices, Budgets& budgets,
                                     RepricingMetrics* metrics, RepriceRequest request);

}  // namespace lce

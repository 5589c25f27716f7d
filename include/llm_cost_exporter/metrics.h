// Metrics: the usage families of PRODUCT.md's Metrics table, kept exact
// (integer token counts, Money for cost) and converted to doubles only when
// Prometheus scrapes them, plus the exporter's self-metrics.
//
// UsageMetrics::Observe is the hot path: it finds each series handle once per
// distinct label set (a hash lookup keyed by the label values, no per-record
// label maps) and updates it in place. Label values pass through a
// CardinalityGuard that folds values beyond a per-label limit into
// "__overflow__" and counts the folds.
//
// Thread safety: every public method may be called concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "llm_cost_exporter/pricing.h"
#include "llm_cost_exporter/status.h"
#include "llm_cost_exporter/usage_record.h"

namespace lce {

inline constexpr std::string_view kOverflowLabelValue = "__overflow__";

struct CardinalityLimits {
  std::size_t default_limit = 1000;             // distinct values per label name
  std::map<std::string, std::size_t> per_label;  // overrides, e.g. {"campaign_id": 5000}

  std::size_t LimitFor(std::string_view label) const;
};

struct MetricsOptions {
  CardinalityLimits cardinality;
  std::vector<double> latency_buckets_seconds = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  std::vector<double> tokens_per_request_buckets = {16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576};
  // Business events with a family of their own, e.g. {"email.sent": "messages_sent_total"};
  // others go to business_events_total{event=...}.
  std::map<std::string, std::string> business_event_families;
};

// Remembers the distinct values seen per label name and folds new values once
// a label's limit is reached. Values already admitted stay admitted.
class CardinalityGuard {
 public:
  explicit CardinalityGuard(CardinalityLimits limits);
  ~CardinalityGuard();
  // Returns `value` if admitted, else kOverflowLabelValue (and counts a fold).
  std::string_view Admit(std::string_view label, std::string_view value);
  void SetLimits(CardinalityLimits limits);  // applies to values not yet admitted
  // Folds so far, per label name.
  std::map<std::string, std::uint64_t> FoldCounts() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The usage families: llm_tokens_total, llm_cost_usd_total,
// llm_retry_cost_usd_total, llm_requests_total, vendor_cost_usd_total,
// vendor_units_total, vendor_errors_total, span_latency_seconds,
// llm_tokens_per_request, business_events_total (and mapped families),
// llm_unpriced_records_total, llm_cost_exporter_series_folded_total.
class UsageMetrics : public prometheus::Collectable {
 public:
  explicit UsageMetrics(MetricsOptions options);
  ~UsageMetrics() override;

  // Checks options before they are used (the config loader calls this):
  // buckets finite and strictly ascending, per-label limits naming a guarded
  // label, mapped business-event families valid snake_case names ending in
  // _total that collide with no exporter family. The constructor requires
  // valid options (it throws std::invalid_argument otherwise).
  static Status ValidateOptions(const MetricsOptions& options);

  // Counts one accepted record with its price. Hot path.
  void Observe(const UsageRecord& record, const PriceResult& price);

  // Applies reloaded options: new cardinality limits and business-event
  // families; buckets are fixed at construction (changing them would break
  // existing series). Invalid options (see ValidateOptions) are rejected as a
  // whole and the previous ones stay in force.
  Status Reconfigure(const MetricsOptions& options);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lce

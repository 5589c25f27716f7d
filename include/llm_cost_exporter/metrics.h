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
#include <unordered_map>
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

// An OpenMetrics exemplar: the trace context of the last record counted in a
// sample (trace and span id are never labels, PRODUCT.md).
struct Exemplar {
  std::string trace_id;
  std::string span_id;          // empty: the exemplar names the trace only
  double value = 0;             // the record's own contribution (its cost, 1, its latency)
  std::int64_t timestamp_ms = 0;  // when the exporter counted the record (Unix ms)
};

// The exemplars of one scrape, found by the sample they belong to: family
// name, the sample's labels and, for a histogram, the index of the bucket
// (in ClientMetric::Histogram::bucket) the observation fell in.
class ExemplarIndex {
 public:
  static constexpr std::size_t kNoBucket = static_cast<std::size_t>(-1);  // a counter's sample

  void Add(std::string_view family, const std::vector<prometheus::ClientMetric::Label>& labels,
           std::size_t bucket, Exemplar exemplar);
  const Exemplar* Find(std::string_view family, const std::vector<prometheus::ClientMetric::Label>& labels,
                       std::size_t bucket) const;
  bool empty() const { return by_sample_.empty(); }
  std::size_t size() const { return by_sample_.size(); }

 private:
  std::unordered_map<std::string, Exemplar> by_sample_;
};

// The OpenMetrics 1.0 text exposition of `families` (prometheus-cpp's model,
// counters named with their _total suffix), with the exemplars of
// `exemplars`, ending in "# EOF". The values and `le` bounds are formatted as
// in the 0.0.4 text format, so a series is the same in both formats.
std::string SerializeOpenMetrics(const std::vector<prometheus::MetricFamily>& families,
                                 const ExemplarIndex& exemplars);

// Content negotiation of GET /metrics: whether an Accept header prefers
// OpenMetrics (application/openmetrics-text, version 1.0.0, 0.0.1 or none)
// to the 0.0.4 text format; ties go to OpenMetrics, an absent header to text.
bool PrefersOpenMetrics(std::string_view accept_header);
inline constexpr const char* kOpenMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8";
inline constexpr const char* kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

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
  // Collect(), plus the exemplars of the samples that have one (the last
  // record with a trace id counted in llm_cost_usd_total, llm_requests_total
  // and each span_latency_seconds bucket) added to `exemplars`.
  std::vector<prometheus::MetricFamily> Collect(ExemplarIndex& exemplars) const;

 private:
  std::vector<prometheus::MetricFamily> CollectInto(ExemplarIndex* exemplars) const;

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lce

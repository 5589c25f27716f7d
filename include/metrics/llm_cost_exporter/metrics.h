// Metrics: the usage families of PRODUCT.md's Metrics table, kept exact
// (integer token counts, Money for cost) and converted to doubles only when
// Prometheus scrapes them.
//
// UsageMetrics::ObserveAll is the hot path: it finds each series handle once
// per distinct label set (a hash lookup keyed by the label values, no
// per-record label maps), sums a batch's records per series and updates each
// series once. Label values pass through the
// registry's CardinalityGuard, which folds values beyond a per-label limit
// into "__overflow__" and counts the folds.
//
// Thread safety: every public method may be called concurrently.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "llm_cost_exporter/cardinality.h"
#include "llm_cost_exporter/metric_registry.h"
#include "llm_cost_exporter/pricing.h"
#include "llm_cost_exporter/status.h"
#include "llm_cost_exporter/usage_record.h"

namespace lce {
namespace metrics {
struct RecordRoute;  // private: the series a record's labels lead to
}  // namespace metrics

struct MetricsOptions {
  CardinalityLimits cardinality;
  std::vector<double> latency_buckets_seconds = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  std::vector<double> tokens_per_request_buckets = {16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576};
  // Business events with a family of their own, e.g. {"email.sent": "messages_sent_total"};
  // others go to business_events_total{event=...}.
  std::map<std::string, std::string> business_event_families;
};

// Content negotiation of GET /metrics: whether an Accept header prefers
// OpenMetrics (application/openmetrics-text, version 1.0.0, 0.0.1 or none)
// to the 0.0.4 text format; ties go to OpenMetrics, an absent header to text.
bool PrefersOpenMetrics(std::string_view accept_header);
inline constexpr const char* kOpenMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8";
inline constexpr const char* kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

// The usage families: llm_tokens_total, llm_cost_usd_total,
// llm_retry_cost_usd_total, llm_requests_total, vendor_cost_usd_total,
// vendor_units_total, vendor_errors_total, span_latency_seconds,
// llm_tokens_per_request, business_events_total (and mapped families),
// llm_unpriced_records_total, and llm_cost_exporter_series_folded_total (the
// folds of the registry's guard, from every user of it).
class UsageMetrics : public Collector {
 public:
  // Checks options before they are used (the config loader calls this):
  // buckets finite and strictly ascending, per-label limits naming a guarded
  // label, mapped business-event families valid snake_case names ending in
  // _total that collide with no exporter family.
  static Status ValidateOptions(const MetricsOptions& options);

  // The usage families over `registry`'s cardinality guard (whose limits
  // become options.cardinality). Invalid options (see ValidateOptions) are an
  // error. The caller registers the result with the registry; it must outlive
  // the registry's scrapes.
  static Result<std::unique_ptr<UsageMetrics>> Create(const MetricsOptions& options, MetricRegistry& registry);
  // Create with the default MetricsOptions, which are always valid.
  static std::unique_ptr<UsageMetrics> WithDefaults(MetricRegistry& registry);
  ~UsageMetrics() override;

  // An accepted record and its price; `route` and `business` are DraftAll's.
  struct Observation {
    const UsageRecord* record = nullptr;
    const PriceResult* price = nullptr;
    const metrics::RecordRoute* route = nullptr;  // the record's series, when DraftAll found them
    bool business = false;                        // with `route`: whether it feeds the business families
  };
  // Counts accepted records with their prices. Hot path. The LLM-call and
  // span families are summed per series over the call and each series is
  // updated once at its end, with the last exemplar of the call's records
  // (a scrape sees those families gain the call's records together); the
  // other families are updated record by record.
  void ObserveAll(std::span<const Observation> observations);

  // Counting in two steps, for records whose commit is under way (the
  // pipeline drafts while the ledger commits, and counts once it has).
  // DraftAll notes in each observation the record's series when they exist
  // already, and sums the LLM-call and span families of the records; it
  // counts, creates and folds nothing, so a draft dropped leaves no trace.
  // ObserveAll(observations, draft) then counts exactly what
  // ObserveAll(observations) would, with less left to do.
  class Draft {
   public:
    Draft(Draft&&) noexcept;
    Draft& operator=(Draft&&) noexcept;
    ~Draft();
    // Whether every record's series were found (only then are the sums used).
    bool complete() const;

   private:
    friend class UsageMetrics;
    struct Sums;
    explicit Draft(std::unique_ptr<Sums> sums);
    std::unique_ptr<Sums> sums_;
  };
  Draft DraftAll(std::span<Observation> observations);
  // Counts the observations `draft` was drafted from (the same ones, in the
  // same order, each of them committed).
  void ObserveAll(std::span<const Observation> observations, Draft draft);
  // ObserveAll of one record.
  void Observe(const UsageRecord& record, const PriceResult& price);

  // Applies reloaded options: new cardinality limits and business-event
  // families; buckets are fixed at construction (changing them would break
  // existing series). Invalid options (see ValidateOptions) are rejected as a
  // whole and the previous ones stay in force.
  Status Reconfigure(const MetricsOptions& options);

  // Writes the usage families (and their exemplars when the scrape collects them).
  void Collect(MetricSink& sink) const override;

 private:
  struct Impl;
  // Requires valid options.
  UsageMetrics(const MetricsOptions& options, MetricRegistry& registry);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lce

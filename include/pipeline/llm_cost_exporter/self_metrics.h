// SelfMetrics: the exporter's metrics about itself (llm_cost_exporter_*):
// records accepted / duplicate / rejected by reason, ingest latency, HTTP
// requests, build info, config reload state, price tables loaded.
//
// A Collector of the one MetricRegistry; the per-record counters are handles
// made once at construction. Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "llm_cost_exporter/ingest.h"
#include "llm_cost_exporter/metric_registry.h"
#include "llm_cost_exporter/pricing.h"

namespace lce {

struct BuildInfo {
  std::string version;
  std::string revision;
  std::string compiler;
};

class SelfMetrics final : public Collector {
 public:
  explicit SelfMetrics(BuildInfo build);
  ~SelfMetrics() override;

  // Record outcomes; `source` is where records came from ("usage").
  void CountAccepted(std::uint64_t n) { accepted_.Increment(n); }
  void CountDuplicate(std::uint64_t n) { duplicate_.Increment(n); }
  void CountRejected(RejectReason reason) { rejected_[static_cast<std::size_t>(reason)].Increment(); }
  void ObserveIngestSeconds(double seconds);
  void CountHttpRequest(std::string_view handler, int code);
  // A request refused by authentication or authorization: `reason` is
  // missing, malformed, unknown_key, forbidden_campaign or basic_auth.
  void CountAuthFailure(std::string_view endpoint, std::string_view reason);

  // A request refused by a limit: `limit` is body_size, records_per_batch
  // or rate (connection limits are counted by the server's gate).
  void CountLimited(std::string_view handler, std::string_view limit);

  // Reload bookkeeping: success sets the timestamp of the last success.
  void SetReloadResult(bool success, double unix_seconds);
  // Replaces the loaded price tables shown by llm_cost_exporter_price_table_info.
  void SetPriceTables(std::vector<PriceTableInfo> tables);

  // The families in a fixed order; llm_cost_exporter_price_table_info decides
  // `in_force` against the clock at scrape time (no reload needed).
  void Collect(MetricSink& sink) const override;

 private:
  void CollectPriceTables(MetricSink& sink) const;

  const BuildInfo build_;
  Counter accepted_;
  Counter duplicate_;
  std::array<Counter, kRejectReasonCount> rejected_{};
  DurationHistogram ingest_duration_;
  CounterFamily http_requests_;
  CounterFamily auth_failures_;
  CounterFamily limited_;
  Gauge reload_successful_;
  Gauge reload_success_time_;
  mutable std::mutex tables_mutex_;
  std::vector<PriceTableInfo> tables_;  // sorted by provider, then effective_from
};

}  // namespace lce

// SelfMetrics: the exporter's metrics about itself (llm_cost_exporter_*):
// records accepted / duplicate / rejected by reason, ingest latency, HTTP
// requests, build info, config reload state, price tables loaded.
//
// Built on a prometheus-cpp Registry; counter handles for the per-record paths
// are created once at construction. Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "llm_cost_exporter/ingest.h"
#include "llm_cost_exporter/pricing.h"

namespace lce {

struct BuildInfo {
  std::string version;
  std::string revision;
  std::string compiler;
};

class SelfMetrics {
 public:
  explicit SelfMetrics(const BuildInfo& build);
  ~SelfMetrics();

  // Record outcomes; `source` is where records came from ("usage").
  void CountAccepted(std::uint64_t n) { accepted_->Increment(static_cast<double>(n)); }
  void CountDuplicate(std::uint64_t n) { duplicate_->Increment(static_cast<double>(n)); }
  void CountRejected(RejectReason reason) { rejected_[static_cast<std::size_t>(reason)]->Increment(); }
  void ObserveIngestSeconds(double seconds) { ingest_duration_->Observe(seconds); }
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

  // What /metrics serializes for the self-metrics: the registry and the
  // price-table collector (rebuilt at scrape time, so `in_force` follows the
  // clock without a reload).
  std::vector<const prometheus::Collectable*> collectables() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Counter* accepted_;
  prometheus::Counter* duplicate_;
  std::array<prometheus::Counter*, kRejectReasonCount> rejected_{};
  prometheus::Histogram* ingest_duration_;
  prometheus::Family<prometheus::Counter>* http_requests_;
  prometheus::Family<prometheus::Counter>* auth_failures_;
  prometheus::Family<prometheus::Counter>* limited_;
  prometheus::Gauge* reload_successful_;
  prometheus::Gauge* reload_success_time_;
  class PriceTableCollector;
  std::unique_ptr<PriceTableCollector> price_tables_;
};

}  // namespace lce

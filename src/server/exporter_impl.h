// Exporter internals shared by the server module's handlers. Private.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include <CivetServer.h>

#include "llm_cost_exporter/config.h"
#include "llm_cost_exporter/exporter.h"
#include "llm_cost_exporter/idempotency.h"
#include "llm_cost_exporter/metrics.h"
#include "llm_cost_exporter/pipeline.h"
#include "llm_cost_exporter/pricing.h"
#include "llm_cost_exporter/self_metrics.h"

namespace lce {

// A configuration and the price tables loaded with it: always swapped together.
struct Snapshot {
  Config config;
  std::shared_ptr<const PriceBook> prices;
};

Result<std::shared_ptr<const Snapshot>> LoadSnapshot(const std::string& config_file,
                                                     const std::string& pricing_dir);

struct Exporter::Impl {
  Impl(ExporterSettings s, std::shared_ptr<const Snapshot> initial);

  // The snapshot in force; cheap (one shared_ptr copy under a mutex).
  std::shared_ptr<const Snapshot> Current() const;
  // See Exporter::Reload.
  Status Reload();
  // See Exporter::MetricsText.
  std::string RenderMetrics();

  ExporterSettings settings;
  SelfMetrics self;
  UsageMetrics usage;
  std::unique_ptr<IdempotencyStore> keys;
  IngestPipeline pipeline;

  mutable std::mutex snapshot_mutex;
  std::shared_ptr<const Snapshot> snapshot;
  std::mutex reload_mutex;  // one reload at a time

  std::atomic<bool> ready{false};
  std::vector<std::unique_ptr<CivetHandler>> handlers;
  std::unique_ptr<CivetServer> http;
};

// Registers every endpoint's handler on impl.http.
void RegisterHandlers(Exporter::Impl& impl);

}  // namespace lce

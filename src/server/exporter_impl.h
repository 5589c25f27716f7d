// Exporter internals shared by the server module's handlers. Private.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <CivetServer.h>

#include "llm_cost_exporter/auth.h"
#include "llm_cost_exporter/budgets.h"
#include "llm_cost_exporter/config.h"
#include "llm_cost_exporter/exporter.h"
#include "llm_cost_exporter/ledger.h"
#include "llm_cost_exporter/metric_registry.h"
#include "llm_cost_exporter/metrics.h"
#include "llm_cost_exporter/pipeline.h"
#include "llm_cost_exporter/pricing.h"
#include "llm_cost_exporter/repricing.h"
#include "llm_cost_exporter/self_metrics.h"
#include "llm_cost_exporter/web_config.h"
#include "collectors.h"
#include "connection_gate.h"
#include "dispatcher.h"
#include "handler.h"
#include "rate_limiter.h"

namespace lce {

Result<std::shared_ptr<const Snapshot>> LoadSnapshot(const std::string& config_file, const std::string& pricing_dir);

struct Exporter::Impl {
  // `usage` must be built over `metrics`' guard.
  Impl(ExporterSettings s, std::shared_ptr<const Snapshot> initial, std::unique_ptr<Ledger> opened,
       std::unique_ptr<MetricRegistry> metrics, std::unique_ptr<UsageMetrics> usage_families,
       std::shared_ptr<BudgetStore> budget_store);
  ~Impl();

  // The snapshot in force; cheap (one shared_ptr copy under a mutex).
  std::shared_ptr<const Snapshot> Current() const;
  // See Exporter::Reload; `actor` names who asked, for the audit event
  // ("signal", a basic auth user, or "anonymous").
  Status Reload(std::string_view actor);

  ExporterSettings settings;
  // The one registry; collectors are registered in exposition order (usage
  // families, self-metrics, ledger, budgets, connections) and outlive it in
  // use: /metrics is served only while the server runs.
  std::unique_ptr<MetricRegistry> registry;
  std::unique_ptr<UsageMetrics> usage;
  SelfMetrics self;
  std::unique_ptr<Ledger> ledger;
  std::unique_ptr<Collector> ledger_metrics;
  Budgets budgets;
  std::unique_ptr<BudgetCollector> budget_metrics;
  std::unique_ptr<RepricingMetrics> repricing_metrics;  // corrections by /v1/admin/reprice
  IngestPipeline pipeline;

  mutable std::mutex snapshot_mutex;
  std::shared_ptr<const Snapshot> snapshot;
  std::mutex reload_mutex;  // one reload at a time

  // Prunes expired idempotency keys and sweeps the budgets once an hour until
  // stopped.
  void PruneLoop();
  std::mutex prune_mutex;
  std::condition_variable prune_wake;
  bool stopping = false;
  std::thread pruner;

  // --web.config.file, read once at start: TLS and basic auth users.
  WebConfig web;
  std::unique_ptr<BasicAuth> basic_auth;  // null without basic_auth_users

  RateLimiter rate_limiter;  // server.rate_limit, per API key or client address

  std::atomic<bool> ready{false};
  std::vector<std::unique_ptr<Dispatcher>> handlers;  // one per route (routes.cpp)
  // Connection limits on the listening port; declared before `http` so it
  // outlives the server (CivetWeb calls it until closed).
  std::unique_ptr<ConnectionGate> gate;
  std::unique_ptr<Collector> connection_metrics;  // null before Start
  std::unique_ptr<CivetServer> http;
};

// Opens the ledger named by settings: PostgreSQL when storage.postgres is
// set, else SQLite under storage_path, or memory when that is empty.
Result<std::unique_ptr<Ledger>> OpenLedger(const std::string& storage_path, const StorageConfig& storage);
// The shared budget store when storage.postgres is set (replicas share one
// budget), else null (budgets in this process only).
Result<std::shared_ptr<BudgetStore>> OpenBudgetStore(const StorageConfig& storage);

// Registers every endpoint's handler on impl.http (routes.cpp).
void RegisterHandlers(Exporter::Impl& impl);

}  // namespace lce

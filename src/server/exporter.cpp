#include <algorithm>
#include <chrono>
#include <ostream>
#include <sstream>

#include <prometheus/text_serializer.h>

#include "exporter_impl.h"
#include "llm_cost_exporter/log.h"
#include "llm_cost_exporter/timestamp.h"

namespace lce {
namespace {

double NowUnixSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// CivetWeb wants "port" or "host:port"; Prometheus-style ":port" means every interface.
std::string CivetListeningPorts(const std::string& address) {
  if (!address.empty() && address.front() == ':') return address.substr(1);
  return address;
}

}  // namespace

Result<std::shared_ptr<const Snapshot>> LoadSnapshot(const std::string& config_file,
                                                     const std::string& pricing_dir) {
  Result<Config> config = LoadConfigFile(config_file);
  if (!config.ok()) return config.status();
  Result<std::shared_ptr<const PriceBook>> prices = PriceBook::LoadDirectory(pricing_dir);
  if (!prices.ok()) return prices.status();
  return std::shared_ptr<const Snapshot>(
      std::make_shared<Snapshot>(Snapshot{std::move(config).value(), std::move(prices).value()}));
}

Result<std::unique_ptr<Ledger>> OpenLedger(const std::string& storage_path, const StorageConfig& storage) {
  if (storage_path.empty()) return NewMemoryLedger(storage.idempotency_retention);
  LedgerOptions options;
  options.directory = storage_path;
  options.idempotency_retention = storage.idempotency_retention;
  options.fsync_every_commit = storage.fsync_every_commit;
  return OpenSqliteLedger(options);
}

Exporter::Impl::Impl(ExporterSettings s, std::shared_ptr<const Snapshot> initial, std::unique_ptr<Ledger> opened)
    : settings(std::move(s)),
      self(settings.build),
      usage(initial->config.metrics),
      ledger(std::move(opened)),
      ledger_metrics(NewLedgerCollector(*ledger)),
      budgets(initial->config.budgets),
      budget_metrics(NewBudgetCollector(budgets, initial->config.metrics.cardinality.LimitFor("campaign_id"))),
      pipeline(usage, *ledger, budgets, self),
      snapshot(std::move(initial)) {
  self.SetPriceTables(snapshot->prices->tables());
  self.SetReloadResult(true, NowUnixSeconds());
  pruner = std::thread([this] { PruneLoop(); });
}

Exporter::Impl::~Impl() {
  {
    std::lock_guard lock(prune_mutex);
    stopping = true;
  }
  prune_wake.notify_all();
  pruner.join();
}

void Exporter::Impl::PruneLoop() {
  std::unique_lock lock(prune_mutex);
  while (!stopping) {
    lock.unlock();
    const Status pruned = ledger->Prune(NowUnixNs());
    if (!pruned.ok()) log::Warn("pruning idempotency keys failed", {{"err", pruned.message()}});
    lock.lock();
    prune_wake.wait_for(lock, std::chrono::hours(1), [this] { return stopping; });
  }
}

std::shared_ptr<const Snapshot> Exporter::Impl::Current() const {
  std::lock_guard lock(snapshot_mutex);
  return snapshot;
}

Result<std::unique_ptr<Exporter>> Exporter::Create(const ExporterSettings& settings) {
  auto snapshot = LoadSnapshot(settings.config_file, settings.pricing_dir);
  if (!snapshot.ok()) return snapshot.status();
  auto ledger = OpenLedger(settings.storage_path, (*snapshot)->config.storage);
  if (!ledger.ok()) return ledger.status().WithContext("ledger");
  auto impl = std::make_unique<Impl>(settings, std::move(snapshot).value(), std::move(ledger).value());
  if (Status restored = impl->budgets.Restore(*impl->ledger, NowUnixNs()); !restored.ok()) {
    return restored.WithContext("restoring budgets from the ledger");
  }
  return std::unique_ptr<Exporter>(new Exporter(std::move(impl)));
}

Exporter::Exporter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Exporter::~Exporter() { Shutdown(); }

Status Exporter::Start() {
  const ServerConfig& server = impl_->Current()->config.server;
  const std::vector<std::string> options = {
      "listening_ports", CivetListeningPorts(impl_->settings.listen_address),
      "num_threads", std::to_string(server.worker_threads),
      "request_timeout_ms", std::to_string(server.request_timeout_ms),
      "enable_keep_alive", "yes",
      "keep_alive_timeout_ms", "60000",
      // Headers and body go out in two writes; without TCP_NODELAY the second
      // waits for the client's delayed ACK (about 40 ms per request).
      "tcp_nodelay", "1",
  };
  try {
    impl_->http = std::make_unique<CivetServer>(options);
  } catch (const CivetException& e) {
    return Status::IoError("cannot listen on " + impl_->settings.listen_address + ": " + e.what());
  }
  RegisterHandlers(*impl_);
  impl_->ready = true;
  log::Info("listening", {{"address", impl_->settings.listen_address}});
  return Status::Ok();
}

Status Exporter::Reload() { return impl_->Reload(); }

Status Exporter::Impl::Reload() {
  std::lock_guard reload_lock(reload_mutex);
  auto loaded = LoadSnapshot(settings.config_file, settings.pricing_dir);
  if (!loaded.ok()) {
    self.SetReloadResult(false, NowUnixSeconds());
    log::Error("reload failed; previous configuration and pricing stay in force",
               {{"err", loaded.status().message()}});
    return loaded.status();
  }
  std::shared_ptr<const Snapshot> next = std::move(loaded).value();
  // Validated with the config already; a failure here would keep the old options.
  if (const Status metrics = usage.Reconfigure(next->config.metrics); !metrics.ok()) {
    log::Warn("metrics options not applied", {{"err", metrics.message()}});
  }
  budgets.Reconfigure(next->config.budgets);
  self.SetPriceTables(next->prices->tables());
  {
    std::lock_guard lock(snapshot_mutex);
    snapshot = next;
  }
  self.SetReloadResult(true, NowUnixSeconds());
  log::Info("reloaded configuration and pricing",
            {{"config", settings.config_file},
             {"price_table_versions", std::to_string(next->prices->tables().size())}});
  return Status::Ok();
}

std::string Exporter::MetricsText() const { return impl_->RenderMetrics(); }

std::string Exporter::Impl::RenderMetrics() {
  std::vector<prometheus::MetricFamily> families = usage.Collect();
  std::vector<const prometheus::Collectable*> collectables = self.collectables();
  collectables.push_back(ledger_metrics.get());
  collectables.push_back(budget_metrics.get());
  for (const prometheus::Collectable* collectable : collectables) {
    std::vector<prometheus::MetricFamily> more = collectable->Collect();
    families.insert(families.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  }
  // prometheus-cpp keeps a family's series in a hash map; sorting makes the
  // exposition stable from scrape to scrape (and diffable).
  for (prometheus::MetricFamily& family : families) {
    std::stable_sort(family.metric.begin(), family.metric.end(),
                     [](const prometheus::ClientMetric& a, const prometheus::ClientMetric& b) { return a.label < b.label; });
  }
  std::ostringstream text;
  prometheus::TextSerializer().Serialize(text, families);
  return text.str();
}

void Exporter::Shutdown() {
  if (!impl_) return;
  if (impl_->http) {
    impl_->ready = false;
    log::Info("shutting down: draining in-flight requests");
    impl_->http->close();  // returns once every worker has finished its request
    impl_->http.reset();
  }
  impl_.reset();  // stops the pruner and closes the ledger
  log::Info("shutdown complete");
}

Status CheckConfig(const std::string& config_file, const std::string& pricing_dir, std::ostream& out) {
  out << "Checking " << config_file << "\n";
  Result<Config> config = LoadConfigFile(config_file);
  if (config.ok()) {
    out << "  SUCCESS: " << config_file << " is valid\n";
  } else {
    out << "  FAILED: " << config.status().message() << "\n";
  }
  out << "Checking " << pricing_dir << "\n";
  Result<std::shared_ptr<const PriceBook>> prices = PriceBook::LoadDirectory(pricing_dir);
  if (prices.ok()) {
    out << "  SUCCESS: " << prices.value()->tables().size() << " price table versions found\n";
  } else {
    out << "  FAILED: " << prices.status().message() << "\n";
  }
  if (!config.ok()) return config.status();
  if (!prices.ok()) return prices.status();
  return Status::Ok();
}

}  // namespace lce

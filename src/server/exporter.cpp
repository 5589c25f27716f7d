#include <algorithm>
#include <chrono>
#include <ostream>
#include <sstream>

#include "exporter_impl.h"
#include "llm_cost_exporter/postgres_ledger.h"
#include "tls.h"
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

// The budget rules as one comparable line per rule (for the audit event of
// a reload that changes them).
std::string DescribeBudgets(const BudgetsConfig& budgets) {
  std::string text;
  auto describe = [&text](std::string_view pattern, const BudgetRule& rule) {
    text += std::string(pattern) + " " + rule.limit.ToDecimalString() + " " +
            std::string(BudgetPeriodName(rule.period)) + " " + rule.time_zone + " " +
            std::to_string(rule.soft_limit_ppm) + " " + (rule.action == BudgetAction::kDeny ? "deny" : "alert_only") +
            (rule.count_retries ? " retries" : "") + "\n";
  };
  for (const BudgetRule& rule : budgets.rules) describe(rule.campaign_pattern, rule);
  if (budgets.default_rule) describe("(default)", *budgets.default_rule);
  return text + "ttl " + std::to_string(budgets.reservation_ttl.count());
}

ConnectionGate::Limits GateLimits(const ServerConfig& server) {
  return {server.max_connections, server.max_connections_per_client};
}

// CivetWeb's connection_close callback: the connection leaves the gate.
void ConnectionClosed(const mg_connection* conn) {
  const auto* server = static_cast<const CivetServer*>(mg_get_user_data(mg_get_context(conn)));
  if (server == nullptr) return;
  const auto* impl = static_cast<const Exporter::Impl*>(server->getUserContext());
  // No request info after a failed TLS handshake: the gate then finds the
  // socket gone when it next needs the slot (ConnectionGate::ForgetClosed).
  const mg_request_info* info = mg_get_request_info(conn);
  if (impl != nullptr && impl->gate && info != nullptr) impl->gate->OnClosed(info->remote_addr, info->remote_port);
}

}  // namespace

Exporter::Impl::Impl(ExporterSettings s, std::shared_ptr<const Snapshot> initial, std::unique_ptr<Ledger> opened,
                     std::unique_ptr<MetricRegistry> metrics, std::unique_ptr<UsageMetrics> usage_families,
                     std::shared_ptr<BudgetStore> budget_store)
    : settings(std::move(s)),
      registry(std::move(metrics)),
      usage(std::move(usage_families)),
      self(settings.build),
      ledger(std::move(opened)),
      ledger_metrics(NewLedgerCollector(*ledger)),
      budgets(initial->config.budgets, std::move(budget_store)),
      budget_metrics(NewBudgetCollector(budgets, registry->guard())),
      repricing_metrics(std::make_unique<RepricingMetrics>(registry->guard())),
      pipeline(*usage, *ledger, budgets, self),
      snapshot(std::move(initial)) {
  registry->Register(*usage);
  registry->Register(self);
  registry->Register(*ledger_metrics);
  registry->Register(*budget_metrics);
  registry->Register(*repricing_metrics);
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
    budgets.Sweep(NowUnixNs());  // expired holds and old spend buckets (Snapshot leaves them)
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
  WebConfig web;
  if (!settings.web_config_file.empty()) {
    Result<WebConfig> loaded = LoadWebConfigFile(settings.web_config_file);
    if (!loaded.ok()) return loaded.status();
    if (loaded->tls.enabled) {
      if (Status tls = CheckServerTls(loaded->tls); !tls.ok()) return tls.WithContext(settings.web_config_file);
    }
    if (loaded->tls.enabled && !CivetWebTlsUsable()) {
      return Status::Internal(
          "TLS needs the OpenSSL 3 compat library next to the build (src/server/openssl_compat, "
          "libssl.so on the binary's RUNPATH); it is not loaded");
    }
    web = std::move(loaded).value();
  }
  auto registry = std::make_unique<MetricRegistry>();
  auto usage = UsageMetrics::Create((*snapshot)->config.metrics, *registry);
  if (!usage.ok()) return usage.status();
  auto budget_store = OpenBudgetStore((*snapshot)->config.storage);
  if (!budget_store.ok()) return budget_store.status().WithContext("budgets");
  auto impl = std::make_unique<Impl>(settings, std::move(snapshot).value(), std::move(ledger).value(),
                                     std::move(registry), std::move(usage).value(), std::move(budget_store).value());
  impl->web = web;
  if (!web.basic_auth_users.empty()) impl->basic_auth = std::make_unique<BasicAuth>(web.basic_auth_users);
  if (Status restored = impl->budgets.Restore(*impl->ledger, NowUnixNs()); !restored.ok()) {
    return restored.WithContext("restoring budgets from the ledger");
  }
  return std::unique_ptr<Exporter>(new Exporter(std::move(impl)));
}

Exporter::Exporter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::string Exporter::StorageDescription() const {
  const StorageConfig& storage = impl_->Current()->config.storage;
  if (storage.postgres.enabled()) return "postgres " + DescribePostgresDsn(storage.postgres.dsn);
  return impl_->settings.storage_path.empty() ? "(memory)" : impl_->settings.storage_path;
}
Exporter::~Exporter() { Shutdown(); }

// CivetWeb's init_ssl callback: configures its SSL_CTX from the web config.
// Returns 1 (done, load nothing else) or -1 (fail the start). CivetServer
// passes itself as user data; our Impl is its user context.
int InitServerTls(void* ssl_ctx, void* user_data) {
  const auto* impl = static_cast<const Exporter::Impl*>(static_cast<CivetServer*>(user_data)->getUserContext());
  const Status configured = ConfigureServerTls(ssl_ctx, impl->web.tls);
  if (configured.ok()) return 1;
  log::Error("cannot configure TLS", {{"err", configured.message()}});
  return -1;
}

Status Exporter::Start() {
  const ServerConfig& server = impl_->Current()->config.server;
  const bool tls = impl_->web.tls.enabled;
  const std::vector<std::string> options = {
      "listening_ports",
      CivetListeningPorts(impl_->settings.listen_address) + (tls ? "s" : ""),
      "num_threads",
      std::to_string(server.worker_threads),
      "request_timeout_ms",
      std::to_string(server.request_timeout_ms),
      "enable_keep_alive",
      "yes",
      "keep_alive_timeout_ms",
      std::to_string(server.keep_alive_timeout_ms),
      // CivetWeb's default (200) overflows in a connection flood even though
      // the gate refuses at once; a full queue drops SYNs, and a scrape then
      // waits a second for its retransmit. The kernel caps it at somaxconn.
      "listen_backlog",
      "4096",
      // Headers and body go out in two writes; without TCP_NODELAY the second
      // waits for the client's delayed ACK (about 40 ms per request).
      "tcp_nodelay",
      "1",
  };
  CivetCallbacks callbacks{};
  if (tls) callbacks.init_ssl = InitServerTls;
  callbacks.connection_close = ConnectionClosed;
  try {
    impl_->http = std::make_unique<CivetServer>(options, &callbacks, impl_.get());
  } catch (const CivetException& e) {
    return Status::IoError("cannot listen on " + impl_->settings.listen_address + ": " + e.what());
  }
  if (const std::vector<int> ports = impl_->http->getListeningPorts(); !ports.empty()) {
    impl_->gate = std::make_unique<ConnectionGate>(ports.front(), tls, GateLimits(server));
    impl_->connection_metrics = NewConnectionCollector(*impl_->gate);
    impl_->registry->Register(*impl_->connection_metrics);
  }
  RegisterHandlers(*impl_);
  impl_->ready = true;
  log::Info("listening", {{"address", impl_->settings.listen_address},
                          {"tls", tls ? "true" : "false"},
                          {"basic_auth", impl_->basic_auth ? "true" : "false"}});
  if (!impl_->Current()->api_keys) {
    log::Warn(
        "API KEY AUTHENTICATION IS OFF: anyone who can reach this address may write usage, reserve "
        "budgets and read spend; set auth.api_keys_file (docs/security.md)",
        {{"address", impl_->settings.listen_address}});
  }
  return Status::Ok();
}

Status Exporter::Reload() { return impl_->Reload("signal"); }

Status Exporter::Impl::Reload(std::string_view actor) {
  std::lock_guard reload_lock(reload_mutex);
  auto loaded = LoadSnapshot(settings.config_file, settings.pricing_dir);
  if (!loaded.ok()) {
    self.SetReloadResult(false, NowUnixSeconds());
    log::Error("reload failed; previous configuration and pricing stay in force", {{"err", loaded.status().message()}});
    log::Audit(actor, "reload", settings.config_file, "failed");
    return loaded.status();
  }
  std::shared_ptr<const Snapshot> next = std::move(loaded).value();
  if (DescribeBudgets(next->config.budgets) != DescribeBudgets(Current()->config.budgets)) {
    log::Audit(actor, "budget_rules_changed", "budgets", "ok");
  }
  // Validated with the config already; a failure here would keep the old options.
  if (const Status metrics = usage->Reconfigure(next->config.metrics); !metrics.ok()) {
    log::Warn("metrics options not applied", {{"err", metrics.message()}});
  }
  budgets.Reconfigure(next->config.budgets);
  if (gate) gate->SetLimits(GateLimits(next->config.server));
  self.SetPriceTables(next->prices->tables());
  {
    std::lock_guard lock(snapshot_mutex);
    snapshot = next;
  }
  self.SetReloadResult(true, NowUnixSeconds());
  log::Audit(actor, "reload", settings.config_file, "ok");
  log::Info(
      "reloaded configuration and pricing",
      {{"config", settings.config_file}, {"price_table_versions", std::to_string(next->prices->tables().size())}});
  return Status::Ok();
}

std::string Exporter::MetricsText() const { return impl_->registry->Render(ExpositionFormat::kText004); }

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

}  // namespace lce

// Exporter: the running service. Owns the loaded configuration and price
// tables (swapped atomically on reload), the usage metrics, the self-metrics,
// the durable ledger and the HTTP server that wires them together.
//
// Thread safety: Reload may be called from any thread (a signal thread or an
// HTTP worker); reloads are serialized and readers always see a complete
// (config, pricing) pair. Start/Shutdown are called by the owning thread.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>

#include "llm_cost_exporter/self_metrics.h"
#include "llm_cost_exporter/status.h"

namespace lce {

struct ExporterSettings {
  std::string config_file = "config/llm_cost_exporter.yml";
  std::string pricing_dir = "pricing";
  std::string storage_path = "data";  // "" keeps the ledger in memory
  std::string listen_address = "127.0.0.1:9477";
  std::string web_config_file;  // --web.config.file: TLS and basic auth; "" for neither
  BuildInfo build;
};

class Exporter {
 public:
  // Loads configuration and pricing and opens the ledger; fails (naming the
  // file) if any of them cannot be used.
  static Result<std::unique_ptr<Exporter>> Create(const ExporterSettings& settings);
  ~Exporter();

  // Starts serving HTTP on settings.listen_address.
  Status Start();
  // Re-reads config and pricing. On error the old pair stays in force, the
  // reload gauge goes to 0 and the error is logged and returned.
  Status Reload();
  // Stops accepting requests, waits for in-flight ones, closes the ledger
  // (every answered record was already committed). Nothing else may be
  // called afterwards; the destructor calls it.
  void Shutdown();

  // The /metrics exposition (Prometheus text format 0.0.4), as served.
  std::string MetricsText() const;

  // Where the ledger lives, for the start log: "postgres host=... dbname=..."
  // (never a password), the SQLite directory, or "(memory)".
  std::string StorageDescription() const;

  struct Impl;

 private:
  explicit Exporter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// --check-config: validates the config file (with its API keys file), every
// price table and, when given, the web config, writing a promtool-style
// report to `out`. Returns ok when everything is valid.
Status CheckConfig(const std::string& config_file, const std::string& pricing_dir, const std::string& web_config_file,
                   std::ostream& out);

// --storage.migrate-only: brings the configured ledger's schema to this
// build's version (PostgreSQL when storage.postgres is set, else the SQLite
// ledger of `storage_path`), reports it to `out`, and starts nothing.
Status MigrateStorage(const std::string& config_file, const std::string& storage_path, std::ostream& out);

}  // namespace lce

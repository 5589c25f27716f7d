// Config: the exporter's YAML configuration (config/llm_cost_exporter.yml).
//
// Every key has a default, so an empty document is a valid configuration;
// unknown keys are errors (a typo must not silently fall back to a default).
// Loading never throws. A Config is a plain value.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "llm_cost_exporter/auth.h"
#include "llm_cost_exporter/budgets.h"
#include "llm_cost_exporter/ingest.h"
#include "llm_cost_exporter/metrics.h"
#include "llm_cost_exporter/otlp.h"
#include "llm_cost_exporter/status.h"
#include "llm_cost_exporter/web_config.h"

namespace lce {

struct ServerConfig {
  std::size_t max_body_bytes = 8 * 1024 * 1024;  // larger bodies get 413
  int worker_threads = 16;                       // HTTP worker threads
  int request_timeout_ms = 30000;                // slow clients are cut off
};

// The ledger's settings; its location is the --storage.path flag.
struct StorageConfig {
  // How long idempotency keys are remembered (by receive time): a record
  // re-sent within this window is a duplicate, later it counts again.
  std::chrono::seconds idempotency_retention{std::chrono::hours(48)};
  // fsync every commit: survives power loss, not only process crashes.
  bool fsync_every_commit = false;
};

// API keys for the ingest, OTLP, budget and spend endpoints.
struct AuthConfig {
  // The keys document (see auth.h); relative to the configuration file's
  // directory once loaded by LoadConfigFile. Empty: no API keys are required.
  std::string api_keys_file;
};

struct Config {
  ServerConfig server;
  StorageConfig storage;
  BudgetsConfig budgets;
  IngestOptions ingest;
  MetricsOptions metrics;
  OtlpOptions otlp;
  AuthConfig auth;
};

// Parses YAML text; `source` names the document in error messages.
Result<Config> ParseConfig(const std::string& yaml_text, const std::string& source);
// Parses a Prometheus-style duration: "90s", "15m", "24h", "7d", "1w", "1h30m".
Result<std::chrono::seconds> ParseDuration(std::string_view text);
// Reads and parses a file; resolves auth.api_keys_file against its directory.
Result<Config> LoadConfigFile(const std::string& path);

// The API keys document (auth.h describes it); `source` names it in errors.
Result<ApiKeys> ParseApiKeys(const std::string& yaml_text, const std::string& source);
Result<ApiKeys> LoadApiKeysFile(const std::string& path);

// The web config (web_config.h describes it); relative paths resolve against
// `base_dir`, the file's directory for LoadWebConfigFile.
Result<WebConfig> ParseWebConfig(const std::string& yaml_text, const std::string& source, const std::string& base_dir);
Result<WebConfig> LoadWebConfigFile(const std::string& path);

}  // namespace lce

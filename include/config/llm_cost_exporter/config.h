// Config: the exporter's YAML configuration (config/llm_cost_exporter.yml).
//
// Every key has a default, so an empty document is a valid configuration;
// unknown keys are errors (a typo must not silently fall back to a default).
// Loading never throws. A Config is a plain value.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "llm_cost_exporter/auth.h"
#include "llm_cost_exporter/budgets.h"
#include "llm_cost_exporter/ingest.h"
#include "llm_cost_exporter/metrics.h"
#include "llm_cost_exporter/otlp.h"
#include "llm_cost_exporter/pricing.h"
#include "llm_cost_exporter/status.h"
#include "llm_cost_exporter/web_config.h"

namespace lce {

// Per-client request rate limit (a token bucket per API key, or per client
// address on endpoints without a key). Over it: 429 with Retry-After.
struct RateLimitConfig {
  std::size_t requests_per_second = 1000;  // 0: no rate limit
  std::size_t burst = 2000;                // requests allowed at once after a quiet spell
};

// The HTTP server's limits (docs/security.md, "Limits"). worker_threads,
// request_timeout_ms and keep_alive_timeout_ms apply at start; the others
// also on reload.
struct ServerConfig {
  std::size_t max_body_bytes = 8 * 1024 * 1024;  // larger bodies get 413
  int worker_threads = 128;                      // HTTP worker threads: each serves one open connection
  int request_timeout_ms = 15000;                // a request must arrive whole within this: slow clients are cut off
  int keep_alive_timeout_ms = 10000;             // idle keep-alive connections are closed after this
  // Open connections in all (at most worker_threads: a connection beyond
  // the workers would wait unseen), and from one client address; connections
  // over either are answered 503 / 429 and closed at once (connection_gate.h).
  std::size_t max_connections = 128;
  std::size_t max_connections_per_client = 32;
  RateLimitConfig rate_limit;
};

// The ledger's settings; its location is the --storage.path flag.
// storage.postgres: the ledger in a PostgreSQL database shared by every
// replica (docs/ledger.md "PostgreSQL"). Set (a DSN given), it replaces the
// SQLite ledger of --storage.path.
struct PostgresConfig {
  // A libpq connection string or URI; empty: PostgreSQL is not used.
  std::string dsn;
  // A file holding the password (its first line); relative to the
  // configuration file's directory once loaded. Empty: the DSN's, or
  // libpq's own PGPASSWORD / PGPASSFILE environment.
  std::string password_file;
  // Connections per replica: at most this many ledger calls run at once.
  std::size_t pool_size = 8;
  // Each statement is cancelled by the server past this (PostgreSQL's statement_timeout).
  std::chrono::seconds statement_timeout{5};

  bool enabled() const { return !dsn.empty(); }
};

struct StorageConfig {
  // How long idempotency keys are remembered (by receive time): a record
  // re-sent within this window is a duplicate, later it counts again.
  std::chrono::seconds idempotency_retention{std::chrono::hours(48)};
  // fsync every commit (the default): a 2xx survives power loss; false
  // survives process crashes only.
  bool fsync_every_commit = true;
  // A key snapshot is written in the background after this many new keys
  // (bounding what a crash's restart replays); 0: only at shutdown.
  std::uint64_t key_snapshot_every_keys = 1'000'000;
  PostgresConfig postgres;
};

// API keys for the ingest, OTLP, budget and spend endpoints.
struct AuthConfig {
  // The keys document (see auth.h); relative to the configuration file's
  // directory once loaded by LoadConfigFile. Empty: no API keys are required.
  std::string api_keys_file;
};

// What the price tables need from the configuration (the tables themselves
// are the --pricing.dir files).
struct PricingConfig {
  // pricing.model_aliases: {<vendor>: {<name records send>: <table model>}},
  // e.g. Azure OpenAI deployment names; checked when the tables load.
  std::vector<ModelAlias> model_aliases;
};

struct Config {
  ServerConfig server;
  StorageConfig storage;
  BudgetsConfig budgets;
  IngestOptions ingest;
  MetricsOptions metrics;
  OtlpOptions otlp;
  AuthConfig auth;
  PricingConfig pricing;
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

// Config: the exporter's YAML configuration (config/llm_cost_exporter.yml).
//
// Every key has a default, so an empty document is a valid configuration;
// unknown keys are errors (a typo must not silently fall back to a default).
// Loading never throws. A Config is a plain value.
#pragma once

#include <cstddef>
#include <string>

#include "llm_cost_exporter/ingest.h"
#include "llm_cost_exporter/metrics.h"
#include "llm_cost_exporter/status.h"

namespace lce {

struct ServerConfig {
  std::size_t max_body_bytes = 8 * 1024 * 1024;  // larger bodies get 413
  int worker_threads = 16;                       // HTTP worker threads
  int request_timeout_ms = 30000;                // slow clients are cut off
};

struct Config {
  ServerConfig server;
  IngestOptions ingest;
  MetricsOptions metrics;
};

// Parses YAML text; `source` names the document in error messages.
Result<Config> ParseConfig(const std::string& yaml_text, const std::string& source);
// Reads and parses a file.
Result<Config> LoadConfigFile(const std::string& path);

}  // namespace lce

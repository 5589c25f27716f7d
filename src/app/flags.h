// Command-line flags in Prometheus style: --area.name=value or --area.name value.
#pragma once

#include <string>
#include <vector>

#include "llm_cost_exporter/status.h"

namespace lce {

struct Flags {
  std::string config_file = "config/llm_cost_exporter.yml";
  std::string pricing_dir = "pricing";
  std::string storage_path = "data";
  std::string listen_address = "127.0.0.1:9477";
  std::string web_config_file;
  std::string log_level = "info";
  std::string log_format = "logfmt";
  bool check_config = false;
  bool migrate_only = false;
  bool version = false;
  bool help = false;
};

Result<Flags> ParseFlags(const std::vector<std::string>& args);
std::string FlagsUsage();

}  // namespace lce

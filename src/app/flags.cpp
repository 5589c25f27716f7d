#include "flags.h"

#include <array>
#include <string_view>

namespace lce {
namespace {

struct ValueFlag {
  std::string_view name;
  std::string Flags::*field;
  std::string_view help;
};

constexpr std::array<ValueFlag, 7> kValueFlags = {{
    {"--config.file", &Flags::config_file, "Configuration file (YAML)."},
    {"--pricing.dir", &Flags::pricing_dir, "Directory of price tables, one YAML file per provider."},
    {"--storage.path", &Flags::storage_path,
     "Directory of the durable ledger (SQLite); empty keeps it in memory only. Unused when the config sets "
     "storage.postgres."},
    {"--web.listen-address", &Flags::listen_address, "Address to listen on (host:port, or :port for every interface)."},
    {"--web.config.file", &Flags::web_config_file,
     "Web config (YAML, exporter-toolkit style): TLS and basic auth. Empty: plain HTTP, no basic auth."},
    {"--log.level", &Flags::log_level, "Only log messages with the given severity or above: debug, info, warn, error."},
    {"--log.format", &Flags::log_format, "Output format of log messages: logfmt or json."},
}};

struct BoolFlag {
  std::string_view name;
  bool Flags::*field;
  std::string_view help;
};

constexpr std::array<BoolFlag, 4> kBoolFlags = {{
    {"--check-config", &Flags::check_config, "Validate the configuration and every price table, then exit."},
    {"--storage.migrate-only", &Flags::migrate_only,
     "Create or migrate the ledger's schema (storage.postgres, else --storage.path), then exit."},
    {"--version", &Flags::version, "Show version information and exit."},
    {"--help", &Flags::help, "Show this help and exit."},
}};

}  // namespace

Result<Flags> ParseFlags(const std::vector<std::string>& args) {
  Flags flags;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const std::size_t eq = arg.find('=');
    const std::string_view name = std::string_view(arg).substr(0, eq);
    bool matched = false;
    for (const BoolFlag& flag : kBoolFlags) {
      if (name != flag.name) continue;
      if (eq != std::string::npos) return Status::InvalidArgument("flag " + arg + " takes no value");
      flags.*flag.field = matched = true;
    }
    for (const ValueFlag& flag : kValueFlags) {
      if (name != flag.name) continue;
      matched = true;
      if (eq != std::string::npos) {
        flags.*flag.field = arg.substr(eq + 1);
      } else if (i + 1 < args.size()) {
        flags.*flag.field = args[++i];
      } else {
        return Status::InvalidArgument("flag " + arg + " needs a value");
      }
    }
    if (!matched) return Status::InvalidArgument("unknown flag " + arg + " (see --help)");
  }
  return flags;
}

std::string FlagsUsage() {
  const Flags defaults;
  std::string text = "usage: llm_cost_exporter [<flags>]\n\nFlags:\n";
  for (const ValueFlag& flag : kValueFlags) {
    text += "  " + std::string(flag.name) + "=\"" + defaults.*flag.field + "\"\n      " + std::string(flag.help) + "\n";
  }
  for (const BoolFlag& flag : kBoolFlags) {
    text += "  " + std::string(flag.name) + "\n      " + std::string(flag.help) + "\n";
  }
  return text;
}

}  // namespace lce

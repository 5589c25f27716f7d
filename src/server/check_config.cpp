// --check-config: every file the exporter would read, checked and reported
// promtool-style, without starting anything.
#include <ostream>

#include "exporter_impl.h"
#include "tls.h"

namespace lce {

Status CheckConfig(const std::string& config_file, const std::string& pricing_dir, const std::string& web_config_file,
                   std::ostream& out) {
  out << "Checking " << config_file << "\n";
  Result<Config> config = LoadConfigFile(config_file);
  if (config.ok() && !config->auth.api_keys_file.empty()) {
    if (Result<ApiKeys> keys = LoadApiKeysFile(config->auth.api_keys_file); !keys.ok()) {
      config = keys.status();
    } else {
      out << "  SUCCESS: " << keys->key_count() << " API keys in " << config->auth.api_keys_file << "\n";
    }
  }
  if (config.ok()) {
    out << "  SUCCESS: " << config_file << " is valid\n";
  } else {
    out << "  FAILED: " << config.status().message() << "\n";
  }
  Status web = Status::Ok();
  if (!web_config_file.empty()) {
    out << "Checking " << web_config_file << "\n";
    Result<WebConfig> loaded = LoadWebConfigFile(web_config_file);
    if (!loaded.ok()) {
      web = loaded.status();
    } else if (loaded->tls.enabled) {
      web = CheckServerTls(loaded->tls).WithContext(web_config_file);
    }
    out << (web.ok() ? "  SUCCESS: " + web_config_file + " is valid\n" : "  FAILED: " + web.message() + "\n");
  }
  out << "Checking " << pricing_dir << "\n";
  // The configuration's model aliases are checked against the tables they name.
  const std::vector<ModelAlias> no_aliases;
  Result<std::shared_ptr<const PriceBook>> prices =
      PriceBook::LoadDirectory(pricing_dir, config.ok() ? config->pricing.model_aliases : no_aliases);
  if (prices.ok()) {
    out << "  SUCCESS: " << prices.value()->tables().size() << " price table versions found\n";
  } else {
    out << "  FAILED: " << prices.status().message() << "\n";
  }
  if (!config.ok()) return config.status();
  if (!prices.ok()) return prices.status();
  return web;
}

}  // namespace lce

// Loading what a request reads (config, price tables, API keys: one
// Snapshot) and opening the ledger the settings name.
#include "exporter_impl.h"

namespace lce {

Result<std::shared_ptr<const Snapshot>> LoadSnapshot(const std::string& config_file, const std::string& pricing_dir) {
  Result<Config> config = LoadConfigFile(config_file);
  if (!config.ok()) return config.status();
  Result<std::shared_ptr<const PriceBook>> prices =
      PriceBook::LoadDirectory(pricing_dir, config->pricing.model_aliases);
  if (!prices.ok()) return prices.status();
  std::shared_ptr<const ApiKeys> api_keys;
  if (!config->auth.api_keys_file.empty()) {
    Result<ApiKeys> keys = LoadApiKeysFile(config->auth.api_keys_file);
    if (!keys.ok()) return keys.status();
    api_keys = std::make_shared<const ApiKeys>(std::move(keys).value());
  }
  return std::shared_ptr<const Snapshot>(
      std::make_shared<Snapshot>(Snapshot{std::move(config).value(), std::move(prices).value(), std::move(api_keys)}));
}

Result<std::unique_ptr<Ledger>> OpenLedger(const std::string& storage_path, const StorageConfig& storage) {
  if (storage_path.empty()) return NewMemoryLedger(storage.idempotency_retention);
  LedgerOptions options;
  options.directory = storage_path;
  options.idempotency_retention = storage.idempotency_retention;
  options.fsync_every_commit = storage.fsync_every_commit;
  options.key_snapshot_every_keys = storage.key_snapshot_every_keys;
  return OpenSqliteLedger(options);
}

}  // namespace lce

// Loading what a request reads (config, price tables, API keys: one
// Snapshot) and opening the ledger the settings name.
#include <fstream>
#include <ostream>

#include "exporter_impl.h"
#include "llm_cost_exporter/budget_store.h"
#include "llm_cost_exporter/postgres_ledger.h"

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

Result<PostgresOptions> PostgresOptionsOf(const StorageConfig& storage) {
  const PostgresConfig& pg = storage.postgres;
  PostgresOptions options;
  options.dsn = pg.dsn;
  options.pool_size = pg.pool_size;
  options.statement_timeout = pg.statement_timeout;
  options.idempotency_retention = storage.idempotency_retention;
  if (!pg.password_file.empty()) {
    std::ifstream file(pg.password_file);
    std::getline(file, options.password);
    if (!file && options.password.empty()) {
      return Status::IoError("storage.postgres.password_file: cannot read " + pg.password_file);
    }
    if (!options.password.empty() && options.password.back() == '\r') options.password.pop_back();
  }
  return options;
}

Result<std::unique_ptr<Ledger>> OpenLedger(const std::string& storage_path, const StorageConfig& storage) {
  if (storage.postgres.enabled()) {
    Result<PostgresOptions> options = PostgresOptionsOf(storage);
    if (!options.ok()) return options.status();
    Result<std::unique_ptr<Ledger>> ledger = OpenPostgresLedger(*options);
    if (!ledger.ok()) return ledger.status().WithContext("postgres " + DescribePostgresDsn(storage.postgres.dsn));
    return ledger;
  }
  if (storage_path.empty()) return NewMemoryLedger(storage.idempotency_retention);
  LedgerOptions options;
  options.directory = storage_path;
  options.idempotency_retention = storage.idempotency_retention;
  options.fsync_every_commit = storage.fsync_every_commit;
  options.key_snapshot_every_keys = storage.key_snapshot_every_keys;
  return OpenSqliteLedger(options);
}

Result<std::shared_ptr<BudgetStore>> OpenBudgetStore(const StorageConfig& storage) {
  if (!storage.postgres.enabled()) return std::shared_ptr<BudgetStore>();
  Result<PostgresOptions> options = PostgresOptionsOf(storage);
  if (!options.ok()) return options.status();
  Result<std::unique_ptr<BudgetStore>> store = OpenPostgresBudgetStore(*options);
  if (!store.ok()) return store.status().WithContext("postgres " + DescribePostgresDsn(storage.postgres.dsn));
  return std::shared_ptr<BudgetStore>(std::move(store).value());
}

Status MigrateStorage(const std::string& config_file, const std::string& storage_path, std::ostream& out) {
  Result<Config> config = LoadConfigFile(config_file);
  if (!config.ok()) return config.status();
  const StorageConfig& storage = config->storage;
  if (storage.postgres.enabled()) {
    Result<PostgresOptions> options = PostgresOptionsOf(storage);
    if (!options.ok()) return options.status();
    const std::string where = "postgres " + DescribePostgresDsn(storage.postgres.dsn);
    Result<int> before = MigratePostgresSchema(*options);
    if (!before.ok()) return before.status().WithContext(where);
    out << where << ": schema version " << kPostgresSchemaVersion << " (was " << *before << ")\n";
    return Status::Ok();
  }
  if (storage_path.empty()) return Status::InvalidArgument("no durable storage to migrate: --storage.path is empty");
  // Opening the SQLite ledger migrates it.
  Result<std::unique_ptr<Ledger>> ledger = OpenLedger(storage_path, storage);
  if (!ledger.ok()) return ledger.status().WithContext("ledger");
  out << "sqlite " << storage_path << ": schema up to date\n";
  return Status::Ok();
}

}  // namespace lce

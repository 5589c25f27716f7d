// The Ledger on PostgreSQL: one database shared by every replica of the
// exporter (docs/ledger.md "PostgreSQL").
//
// The database is the authority: an idempotency key is claimed by inserting
// it under a unique constraint, and spend is added to its bucket with an
// upsert, both in the transaction that answers the Append, so replicas that
// receive the same record count it once, and what a replica acknowledged
// survives it. Nothing is cached in the process, so a replica can be killed
// and restarted at any time.
//
// Thread safety: the ledger is thread-safe; its calls run on up to
// `pool_size` connections at once.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "llm_cost_exporter/ledger.h"
#include "llm_cost_exporter/status.h"

namespace lce {

struct PostgresOptions {
  // A libpq connection string or URI ("host=db port=5432 dbname=lce user=lce").
  std::string dsn;
  // Overrides any password in the DSN; never logged.
  std::string password;
  std::size_t pool_size = 8;
  std::chrono::milliseconds statement_timeout{5000};
  std::chrono::seconds connect_timeout{5};
  // How long a call waits for a free pool connection.
  std::chrono::milliseconds pool_wait{5000};
  std::chrono::seconds idempotency_retention{std::chrono::hours(48)};
};

// The schema version this build writes. Its tables are prefixed lce_.
inline constexpr int kPostgresSchemaVersion = 2;

// Creates or migrates the schema to kPostgresSchemaVersion (under an
// advisory lock, so replicas starting together migrate once) and answers
// the version found before. Fails on a newer schema than this build knows.
Result<int> MigratePostgresSchema(const PostgresOptions& options);

// The DSN for logs and errors: host, port, database and user only (never a
// password); "(invalid DSN)" when libpq cannot parse it.
std::string DescribePostgresDsn(const std::string& dsn);

// Migrates (as above), then opens the ledger.
Result<std::unique_ptr<Ledger>> OpenPostgresLedger(const PostgresOptions& options);

}  // namespace lce

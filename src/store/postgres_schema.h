// The PostgreSQL ledger's schema: its tables, and the migrations that bring
// a database to kPostgresSchemaVersion. Internal to the store module.
#pragma once

#include "llm_cost_exporter/money.h"
#include "llm_cost_exporter/postgres_ledger.h"
#include "llm_cost_exporter/status.h"
#include "pg_client.h"

namespace lce::store_detail {

// The columns every spend row is keyed by, in primary key order.
inline constexpr const char* kPgBucketKeyColumns =
    "bucket_start_unix_ns, service, campaign_id, vendor, model, service_tier, context_tier, retry";
inline constexpr int kPgBucketKeyCount = 8;

// A money column (numeric) as Money; fails naming the column when its text
// is not a decimal amount.
Result<Money> MoneyAt(const PgResult& rows, int row, int column);

// The connection settings of the options (DSN, password, timeouts).
PgConnectOptions ConnectOptionsOf(const PostgresOptions& options);

// Brings the connected database to kPostgresSchemaVersion in one
// transaction under an advisory lock; answers the version found before
// (0 for an empty database). Fails, changing nothing, on a newer version.
Result<int> MigratePostgres(PgConnection& conn);

}  // namespace lce::store_detail

// Version 1: keys with their content fingerprint and receive time, the key
// generations' start, spend buckets (money as numeric(38,18): exact, summed
// by the server), their units, and the re-pricing audit. Bucket rows are
// updated by every batch that touches them: half-full pages (fillfactor 50)
// leave room for HOT updates, which write no new index entries. Text columns that
// key a row use the "C" collation: byte order, as the other ledgers sort,
// whatever the database's locale.
#include "postgres_schema.h"

#include <string>

#include "llm_cost_exporter/postgres_ledger.h"
#include "llm_cost_exporter/usage_record.h"

namespace lce::store_detail {
namespace {

// Any fixed number: the lock every migrating replica takes ("lce" + 1).
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(7103587001)";

std::string SchemaV1() {
  std::string tokens;
  for (const std::string_view kind : kTokenTypeNames) {
    tokens += "  tokens_" + std::string(kind) + " bigint NOT NULL DEFAULT 0,\n";
  }
  return R"sql(
CREATE TABLE lce_idempotency_keys(
  key text COLLATE "C" PRIMARY KEY,
  fingerprint bigint NOT NULL,
  received_unix_ns bigint NOT NULL);
CREATE INDEX lce_idempotency_keys_received ON lce_idempotency_keys(received_unix_ns);
CREATE TABLE lce_key_generations(
  id integer PRIMARY KEY CHECK (id = 1),
  start_unix_ns bigint);
INSERT INTO lce_key_generations VALUES (1, NULL);
CREATE TABLE lce_spend_buckets(
  bucket_start_unix_ns bigint NOT NULL,
  service text COLLATE "C" NOT NULL,
  campaign_id text COLLATE "C" NOT NULL,
  vendor text COLLATE "C" NOT NULL,
  model text COLLATE "C" NOT NULL,
  service_tier text COLLATE "C" NOT NULL,
  context_tier bigint NOT NULL,
  retry boolean NOT NULL,
  cost numeric(38, 18) NOT NULL CHECK (cost >= 0 AND cost <= 1000000000000000000),
  retry_cost numeric(38, 18) NOT NULL,
  records bigint NOT NULL,
  unpriced_records bigint NOT NULL,
)sql" + tokens +
         R"sql(  PRIMARY KEY (bucket_start_unix_ns, service, campaign_id, vendor, model, service_tier, context_tier, retry))
  WITH (fillfactor = 50);
CREATE TABLE lce_spend_bucket_units(
  bucket_start_unix_ns bigint NOT NULL,
  service text COLLATE "C" NOT NULL,
  campaign_id text COLLATE "C" NOT NULL,
  vendor text COLLATE "C" NOT NULL,
  model text COLLATE "C" NOT NULL,
  service_tier text COLLATE "C" NOT NULL,
  context_tier bigint NOT NULL,
  retry boolean NOT NULL,
  unit text COLLATE "C" NOT NULL,
  count bigint NOT NULL,
  PRIMARY KEY (bucket_start_unix_ns, service, campaign_id, vendor, model, service_tier, context_tier, retry, unit))
  WITH (fillfactor = 50);
CREATE TABLE lce_repricings(
  id bigserial PRIMARY KEY,
  who text NOT NULL,
  at_unix_ns bigint NOT NULL,
  from_unix_ns bigint NOT NULL,
  to_unix_ns bigint NOT NULL,
  tables text NOT NULL,
  old_total numeric NOT NULL,
  new_total numeric NOT NULL,
  buckets bigint NOT NULL,
  buckets_changed bigint NOT NULL,
  buckets_refused bigint NOT NULL,
  refused text NOT NULL);
)sql";
}

// Version 2: the shared budget state (docs/design/shared-budgets.md). Spend
// per campaign and 15-minute bucket, kept by the ledger's Append in its
// transaction (filled here from the buckets of version 1; unbounded numeric,
// since a campaign's bucket sums many spend buckets); updated_at (the
// server's clock) lets the replicas' read models fetch what changed. Budget
// holds, settled by the ledger's Append, released or expired whichever
// replica granted them.
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE lce_campaign_spend(
  campaign_id text COLLATE "C" NOT NULL,
  bucket_start_unix_ns bigint NOT NULL,
  cost numeric NOT NULL,
  retry_cost numeric NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (campaign_id, bucket_start_unix_ns))
  WITH (fillfactor = 50);
CREATE INDEX lce_campaign_spend_by_update ON lce_campaign_spend(updated_at);
INSERT INTO lce_campaign_spend(campaign_id, bucket_start_unix_ns, cost, retry_cost)
  SELECT campaign_id, bucket_start_unix_ns, sum(cost), sum(retry_cost) FROM lce_spend_buckets
  GROUP BY campaign_id, bucket_start_unix_ns;
CREATE TABLE lce_budget_holds(
  reservation_id text COLLATE "C" PRIMARY KEY,
  campaign_id text COLLATE "C" NOT NULL,
  amount numeric(38, 18) NOT NULL,
  expires_unix_ns bigint NOT NULL);
CREATE INDEX lce_budget_holds_by_campaign ON lce_budget_holds(campaign_id, expires_unix_ns);
)sql";

Result<int> ReadVersion(PgConnection& conn) {
  Result<PgResult> found = conn.Exec("SELECT version FROM lce_schema_version");
  if (!found.ok()) return found.status();
  if (found->rows() != 1) return Status::Internal("postgres: lce_schema_version must hold one row");
  Result<std::int64_t> version = found->Int(0, 0);
  if (!version.ok()) return version.status();
  return static_cast<int>(*version);
}

Result<int> MigrateLocked(PgConnection& conn) {
  if (Status s = conn.Run(kMigrationLock); !s.ok()) return s;
  if (Status s = conn.Run("CREATE TABLE IF NOT EXISTS lce_schema_version(version integer NOT NULL)"); !s.ok()) return s;
  if (Status s = conn.Run("INSERT INTO lce_schema_version SELECT 0 WHERE NOT EXISTS (SELECT FROM lce_schema_version)");
      !s.ok()) {
    return s;
  }
  Result<int> before = ReadVersion(conn);
  if (!before.ok()) return before;
  if (*before > kPostgresSchemaVersion) {
    return Status::Internal("postgres: the database's schema version " + std::to_string(*before) +
                            " is newer than this exporter supports (" + std::to_string(kPostgresSchemaVersion) +
                            "); run a newer llm_cost_exporter");
  }
  if (*before < 1) {
    if (Status s = conn.Run(SchemaV1()); !s.ok()) return s;
  }
  if (*before < 2) {
    if (Status s = conn.Run(kSchemaV2); !s.ok()) return s;
  }
  if (Status s = conn.Run("UPDATE lce_schema_version SET version = " + std::to_string(kPostgresSchemaVersion));
      !s.ok()) {
    return s;
  }
  return before;
}

}  // namespace

Result<Money> MoneyAt(const PgResult& rows, int row, int column) {
  Result<Money> money = Money::ParseDollars(rows.Text(row, column));
  if (!money.ok()) {
    return Status::Internal("postgres: " + std::string(rows.ColumnName(column)) + " is not a decimal amount: \"" +
                            std::string(rows.Text(row, column)) + "\"");
  }
  return money;
}

PgConnectOptions ConnectOptionsOf(const PostgresOptions& options) {
  PgConnectOptions connect;
  connect.dsn = options.dsn;
  connect.password = options.password;
  connect.statement_timeout = options.statement_timeout;
  connect.connect_timeout = options.connect_timeout;
  return connect;
}

Result<int> MigratePostgres(PgConnection& conn) {
  if (Status s = conn.Run("BEGIN"); !s.ok()) return s;
  Result<int> before = MigrateLocked(conn);
  if (!before.ok()) {
    conn.Rollback();
    return before;
  }
  if (Status s = conn.Run("COMMIT"); !s.ok()) return s;
  return before;
}

}  // namespace lce::store_detail

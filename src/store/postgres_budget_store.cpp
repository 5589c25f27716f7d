// BudgetStore on PostgreSQL (docs/design/shared-budgets.md).
//
// Decide: BEGIN; a transaction-scoped advisory lock keyed by the campaign
// (every replica's decisions for one campaign queue on it); one statement
// sums the window's spend and the live holds (one snapshot, taken after the
// lock, so it sees every hold granted before and any settlement whole);
// the caller decides; the granted hold is inserted; COMMIT. The ledger's
// Append adds spend and deletes the holds its records settle in one
// transaction, without the lock: a settlement is seen whole or not at all.
#include "llm_cost_exporter/budget_store.h"

#include <new>
#include <utility>

#include "pg_client.h"
#include "postgres_schema.h"

namespace lce {
namespace {

using store_detail::MoneyAt;
using store_detail::PgConnection;
using store_detail::PgResult;

// How far back a read-model refresh looks past its last start: a row is
// stamped when its statement runs and seen when its transaction commits,
// and no Append transaction lasts near this long (statement_timeout).
constexpr std::int64_t kRefreshMarginUs = 60'000'000;

constexpr std::string_view kLockCampaign = "SELECT pg_advisory_xact_lock(hashtextextended('lce_budget:' || $1, 0))";

constexpr std::string_view kSums = R"sql(
SELECT (SELECT coalesce(sum(cost), 0) FROM lce_campaign_spend
        WHERE campaign_id = $1 AND bucket_start_unix_ns >= $2 AND bucket_start_unix_ns < $3),
       (SELECT coalesce(sum(retry_cost), 0) FROM lce_campaign_spend
        WHERE campaign_id = $1 AND bucket_start_unix_ns >= $2 AND bucket_start_unix_ns < $3),
       (SELECT coalesce(sum(amount), 0) FROM lce_budget_holds WHERE campaign_id = $1 AND expires_unix_ns > $4)
)sql";

class PostgresBudgetStore final : public BudgetStore {
 public:
  explicit PostgresBudgetStore(const PostgresOptions& options)
      : wait_(options.pool_wait), pool_(store_detail::ConnectOptionsOf(options), options.pool_size) {}

  Result<BudgetSums> Decide(std::string_view campaign_id, std::int64_t window_start_unix_ns,
                            std::int64_t window_end_unix_ns, std::int64_t now_unix_ns, const Decider& decide) override {
    try {
      Result<store_detail::PgPool::Lease> conn = pool_.Acquire(wait_);
      if (!conn.ok()) return conn.status();
      Result<BudgetSums> sums =
          DecideLocked(**conn, campaign_id, window_start_unix_ns, window_end_unix_ns, now_unix_ns, decide);
      if (!sums.ok()) (*conn)->Rollback();
      return sums;
    } catch (const std::bad_alloc&) {
      return Status::Internal("budgets: out of memory while deciding");
    }
  }

  Result<BudgetSums> Read(std::string_view campaign_id, std::int64_t window_start_unix_ns,
                          std::int64_t window_end_unix_ns, std::int64_t now_unix_ns) override {
    try {
      Result<store_detail::PgPool::Lease> conn = pool_.Acquire(wait_);
      if (!conn.ok()) return conn.status();
      return ReadSums(**conn, std::string(campaign_id), window_start_unix_ns, window_end_unix_ns, now_unix_ns);
    } catch (const std::bad_alloc&) {
      return Status::Internal("budgets: out of memory while deciding");
    }
  }

  Result<std::optional<std::string>> Release(std::string_view reservation_id, std::int64_t now_unix_ns) override {
    return CampaignOf(
        "DELETE FROM lce_budget_holds WHERE reservation_id = $1 AND expires_unix_ns > $2 RETURNING campaign_id",
        reservation_id, now_unix_ns);
  }

  Result<std::optional<std::string>> HoldCampaign(std::string_view reservation_id, std::int64_t now_unix_ns) override {
    return CampaignOf("SELECT campaign_id FROM lce_budget_holds WHERE reservation_id = $1 AND expires_unix_ns > $2",
                      reservation_id, now_unix_ns);
  }

  Result<std::vector<CampaignBucketSpend>> SpendChangedSince(std::int64_t* cursor, std::int64_t from_unix_ns) override {
    try {
      Result<store_detail::PgPool::Lease> conn = pool_.Acquire(wait_);
      if (!conn.ok()) return conn.status();
      // The server's clock, read before the rows: the next call looks back
      // from here (less the margin).
      Result<PgResult> clock = (*conn)->Exec("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint");
      if (!clock.ok()) return clock.status();
      Result<std::int64_t> started_us = clock->Int(0, 0);
      if (!started_us.ok()) return started_us.status();
      const std::vector<std::string> params = {std::to_string(*cursor), std::to_string(from_unix_ns)};
      Result<PgResult> rows = (*conn)->Exec(
          "SELECT campaign_id, bucket_start_unix_ns, cost, retry_cost FROM lce_campaign_spend "
          "WHERE updated_at >= to_timestamp($1::bigint / 1000000.0) AND bucket_start_unix_ns >= $2",
          params);
      if (!rows.ok()) return rows.status();
      std::vector<CampaignBucketSpend> out;
      out.reserve(static_cast<std::size_t>(rows->rows()));
      for (int row = 0; row < rows->rows(); ++row) {
        Result<std::int64_t> start = rows->Int(row, 1);
        Result<Money> cost = MoneyAt(*rows, row, 2);
        Result<Money> retry_cost = MoneyAt(*rows, row, 3);
        if (!start.ok() || !cost.ok() || !retry_cost.ok())
          return Status::Internal("postgres: a bad campaign spend row");
        out.push_back(CampaignBucketSpend{std::string(rows->Text(row, 0)), *start, *cost, *retry_cost});
      }
      *cursor = *started_us - kRefreshMarginUs;
      return out;
    } catch (const std::bad_alloc&) {
      return Status::Internal("budgets: out of memory while reading spend");
    }
  }

  Result<std::vector<CampaignHeld>> LiveHolds(std::int64_t now_unix_ns) override {
    try {
      Result<store_detail::PgPool::Lease> conn = pool_.Acquire(wait_);
      if (!conn.ok()) return conn.status();
      const std::vector<std::string> params = {std::to_string(now_unix_ns)};
      Result<PgResult> rows = (*conn)->Exec(
          "SELECT campaign_id, sum(amount) FROM lce_budget_holds WHERE expires_unix_ns > $1 GROUP BY campaign_id",
          params);
      if (!rows.ok()) return rows.status();
      std::vector<CampaignHeld> out;
      for (int row = 0; row < rows->rows(); ++row) {
        Result<Money> held = MoneyAt(*rows, row, 1);
        if (!held.ok()) return held.status();
        out.push_back(CampaignHeld{std::string(rows->Text(row, 0)), *held});
      }
      return out;
    } catch (const std::bad_alloc&) {
      return Status::Internal("budgets: out of memory while reading holds");
    }
  }

  Status DeleteExpiredHolds(std::int64_t now_unix_ns) override {
    Result<store_detail::PgPool::Lease> conn = pool_.Acquire(wait_);
    if (!conn.ok()) return conn.status();
    const std::vector<std::string> params = {std::to_string(now_unix_ns)};
    Result<PgResult> deleted = (*conn)->Exec("DELETE FROM lce_budget_holds WHERE expires_unix_ns <= $1", params);
    return deleted.ok() ? Status::Ok() : deleted.status();
  }

 private:
  static Result<BudgetSums> DecideLocked(PgConnection& conn, std::string_view campaign_id,
                                         std::int64_t window_start_unix_ns, std::int64_t window_end_unix_ns,
                                         std::int64_t now_unix_ns, const Decider& decide) {
    if (Status s = conn.Run("BEGIN"); !s.ok()) return s;
    const std::string campaign(campaign_id);
    if (Result<PgResult> locked = conn.Exec(kLockCampaign, std::vector<std::string>{campaign}); !locked.ok()) {
      return locked.status();
    }
    Result<BudgetSums> sums = ReadSums(conn, campaign, window_start_unix_ns, window_end_unix_ns, now_unix_ns);
    if (!sums.ok()) return sums;
    if (const std::optional<BudgetHold> hold = decide(*sums)) {
      const std::vector<std::string> insert = {hold->reservation_id, campaign, hold->amount.ToDecimalString(),
                                               std::to_string(hold->expires_unix_ns)};
      if (Result<PgResult> inserted =
              conn.Exec("INSERT INTO lce_budget_holds VALUES ($1, $2, $3::numeric, $4::bigint)", insert);
          !inserted.ok()) {
        return inserted.status();
      }
    }
    if (Status s = conn.Run("COMMIT"); !s.ok()) return s;
    return sums;
  }

  // The window's spend and the live holds, by one statement (one snapshot).
  static Result<BudgetSums> ReadSums(PgConnection& conn, const std::string& campaign, std::int64_t window_start_unix_ns,
                                     std::int64_t window_end_unix_ns, std::int64_t now_unix_ns) {
    const std::vector<std::string> params = {campaign, std::to_string(window_start_unix_ns),
                                             std::to_string(window_end_unix_ns), std::to_string(now_unix_ns)};
    Result<PgResult> rows = conn.Exec(kSums, params);
    if (!rows.ok()) return rows.status();
    Result<Money> spent = MoneyAt(*rows, 0, 0);
    Result<Money> retry_spent = MoneyAt(*rows, 0, 1);
    Result<Money> held = MoneyAt(*rows, 0, 2);
    if (!spent.ok() || !retry_spent.ok() || !held.ok()) return Status::Internal("postgres: bad budget sums");
    return BudgetSums{*spent, *retry_spent, *held};
  }

  Result<std::optional<std::string>> CampaignOf(std::string_view sql, std::string_view reservation_id,
                                                std::int64_t now_unix_ns) {
    try {
      Result<store_detail::PgPool::Lease> conn = pool_.Acquire(wait_);
      if (!conn.ok()) return conn.status();
      const std::vector<std::string> params = {std::string(reservation_id), std::to_string(now_unix_ns)};
      Result<PgResult> rows = (*conn)->Exec(sql, params);
      if (!rows.ok()) return rows.status();
      if (rows->rows() == 0) return std::optional<std::string>();
      return std::optional<std::string>(std::string(rows->Text(0, 0)));
    } catch (const std::bad_alloc&) {
      return Status::Internal("budgets: out of memory");
    }
  }

  const std::chrono::milliseconds wait_;
  store_detail::PgPool pool_;
};

}  // namespace

Result<std::unique_ptr<BudgetStore>> OpenPostgresBudgetStore(const PostgresOptions& options) {
  if (options.pool_size == 0) return Status::InvalidArgument("postgres: pool_size must be at least 1");
  if (Result<int> migrated = MigratePostgresSchema(options); !migrated.ok()) return migrated.status();
  return std::unique_ptr<BudgetStore>(std::make_unique<PostgresBudgetStore>(options));
}

}  // namespace lce

// BudgetStore: the budget state several replicas share (spend per campaign
// and 15-minute bucket, live holds), so that every replica decides on the
// same, current numbers (docs/design/shared-budgets.md). Rules, windows and
// the decision itself stay in lce::Budgets; the store answers the two sums a
// decision reads and keeps the holds it grants.
//
// Thread safety: implementations are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llm_cost_exporter/money.h"
#include "llm_cost_exporter/postgres_ledger.h"
#include "llm_cost_exporter/status.h"

namespace lce {

// What a decision reads: the campaign's spend in its window (retries
// included, and their part apart) and its holds live at `now`.
struct BudgetSums {
  Money spent;
  Money retry_spent;
  Money held;
};

struct BudgetHold {
  std::string reservation_id;
  Money amount;
  std::int64_t expires_unix_ns = 0;
};

// A campaign's spend in one 15-minute bucket, as stored now.
struct CampaignBucketSpend {
  std::string campaign_id;
  std::int64_t start_unix_ns = 0;
  Money cost;
  Money retry_cost;
};

struct CampaignHeld {
  std::string campaign_id;
  Money held;
};

class BudgetStore {
 public:
  virtual ~BudgetStore() = default;

  // Atomic per campaign across every process sharing the store: reads the
  // campaign's spend in buckets starting in [window_start, window_end) and
  // its holds live at `now` (one consistent view), calls `decide` with them,
  // and stores the hold it returns, if any, before answering. Calls for one
  // campaign run one at a time, so a hold granted is seen by the next.
  using Decider = std::function<std::optional<BudgetHold>(const BudgetSums&)>;
  virtual Result<BudgetSums> Decide(std::string_view campaign_id, std::int64_t window_start_unix_ns,
                                    std::int64_t window_end_unix_ns, std::int64_t now_unix_ns,
                                    const Decider& decide) = 0;

  // The same sums without the lock or a hold, for a check (which grants
  // nothing, so it need not wait for another replica's reservation).
  virtual Result<BudgetSums> Read(std::string_view campaign_id, std::int64_t window_start_unix_ns,
                                  std::int64_t window_end_unix_ns, std::int64_t now_unix_ns) = 0;

  // Deletes the hold if it is live at `now`; answers its campaign, or
  // nullopt when there was no such live hold.
  virtual Result<std::optional<std::string>> Release(std::string_view reservation_id, std::int64_t now_unix_ns) = 0;

  // The campaign of a hold live at `now`, or nullopt.
  virtual Result<std::optional<std::string>> HoldCampaign(std::string_view reservation_id,
                                                          std::int64_t now_unix_ns) = 0;

  // Spend rows of buckets starting at or after `from_unix_ns` changed since
  // `*cursor` (0: all), as stored now; advances `*cursor` (an opaque
  // position). Rows may come again in a later call (values are absolute:
  // applying one twice changes nothing); none changed since is missed.
  virtual Result<std::vector<CampaignBucketSpend>> SpendChangedSince(std::int64_t* cursor,
                                                                     std::int64_t from_unix_ns) = 0;

  // Live holds at `now`, summed per campaign.
  virtual Result<std::vector<CampaignHeld>> LiveHolds(std::int64_t now_unix_ns) = 0;

  // Deletes holds expired at `now` (they already count for nothing).
  virtual Status DeleteExpiredHolds(std::int64_t now_unix_ns) = 0;
};

// The store in the PostgreSQL database of the ledger (schema version 2 or
// later; migrates as OpenPostgresLedger does).
Result<std::unique_ptr<BudgetStore>> OpenPostgresBudgetStore(const PostgresOptions& options);

}  // namespace lce

// Budgets: per-campaign spending limits over calendar periods in a time
// zone, with atomic reservations so concurrent agents cannot overspend
// together.
//
// Spend of a campaign in its current period = the priced cost of every
// committed record whose timestamp falls in the period (retries included
// unless the rule says otherwise) + live reservations. Records are fed by the
// ingest pipeline after the ledger committed them; at start-up the state is
// rebuilt from the ledger's spend buckets (15-minute UTC buckets: every
// current time-zone offset is a multiple of 15 minutes, so period boundaries
// fall on bucket boundaries).
//
// Thread safety: every method may be called concurrently. Reserve is atomic:
// the sum of granted holds never exceeds what the limit allows. Snapshot is
// const and changes nothing: it takes each campaign's lock in turn, so each
// campaign's row is consistent (not a cut across campaigns).
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "llm_cost_exporter/budget_store.h"
#include "llm_cost_exporter/ledger.h"
#include "llm_cost_exporter/money.h"
#include "llm_cost_exporter/status.h"

namespace lce {

class PriceBook;

enum class BudgetPeriod { kDaily, kWeekly, kMonthly, kTotal };  // weeks start on Monday
enum class BudgetAction { kDeny, kAlertOnly };
enum class BudgetDecision { kAllow, kWarn, kDeny };

std::string_view BudgetPeriodName(BudgetPeriod period);        // "daily", "weekly", "monthly", "total"
std::string_view BudgetDecisionName(BudgetDecision decision);  // "allow", "warn", "deny"

struct BudgetRule {
  std::string campaign_pattern;  // exact id, or a glob with * and ?
  Money limit;                   // USD per period, > 0
  BudgetPeriod period = BudgetPeriod::kMonthly;
  std::string time_zone = "UTC";           // IANA name, e.g. "America/New_York"
  std::uint32_t soft_limit_ppm = 800'000;  // soft limit as millionths of the limit (0.8)
  BudgetAction action = BudgetAction::kDeny;
  bool count_retries = true;  // attempt > 1 counts toward the limit
};

// What a check or reservation does when the price tables cannot price its
// estimate (unknown model, vendor, service tier or unit).
enum class UnpricedEstimate {
  kDeny,   // a `deny` budget denies it (an unpriced call must not pass at $0); alert_only allows
  kAllow,  // decided as an estimate of $0
};

// What a decision answers when the shared budget store (PostgreSQL) cannot
// be reached: deny (the default) or allow; either way the answer says so.
enum class StoreErrorPolicy { kDeny, kAllow };

struct BudgetsConfig {
  std::vector<BudgetRule> rules;              // the first matching rule applies
  std::optional<BudgetRule> default_rule;     // for campaigns no rule matches (pattern ignored)
  std::chrono::seconds reservation_ttl{300};  // unsettled holds expire after this
  UnpricedEstimate on_unpriced_estimate = UnpricedEstimate::kDeny;
  StoreErrorPolicy on_store_error = StoreErrorPolicy::kDeny;
};

// The answer to a check or a reservation.
struct BudgetAnswer {
  BudgetDecision decision = BudgetDecision::kAllow;
  bool has_budget = false;  // false: no rule applies, always allow
  Money estimate;
  Money limit;
  Money spent;      // settled spend in the period
  Money reserved;   // live holds (including a hold just granted)
  Money remaining;  // limit - spent - reserved; may be negative
  BudgetPeriod period = BudgetPeriod::kMonthly;
  std::int64_t period_start_unix_ns = 0;
  std::int64_t period_end_unix_ns = 0;  // exclusive; INT64_MAX for kTotal
  std::string reservation_id;           // set when Reserve granted a hold
  std::int64_t reservation_expires_unix_ns = 0;
  bool unpriced_estimate = false;  // decided by CheckUnpriced / ReserveUnpriced
  // The shared store failed: decided by on_store_error, spent and reserved unknown (0).
  bool store_error = false;
};

// One campaign's state for metrics and the status page.
struct CampaignBudgetState {
  std::string campaign_id;
  BudgetPeriod period = BudgetPeriod::kMonthly;
  BudgetAction action = BudgetAction::kDeny;
  Money limit;
  Money spent;
  Money reserved;
  std::uint32_t soft_limit_ppm = 0;
  std::int64_t period_start_unix_ns = 0;
  std::int64_t period_end_unix_ns = 0;
  friend bool operator==(const CampaignBudgetState&, const CampaignBudgetState&) = default;
};

class Budgets {
 public:
  // Validates rules: positive limits of at most 1e12 USD, soft ratio in
  // (0, 1], known time zones, non-empty patterns, and reservation_ttl in
  // (0, 1 year]. Errors name the rule (index and pattern).
  static Status Validate(const BudgetsConfig& config);

  // `config` must be valid (see Validate). With a `store`, the budget is
  // shared with every process using the same store (replicas on one
  // PostgreSQL database; docs/design/shared-budgets.md): decisions read the
  // campaign's spend and live holds from it and hold through it, atomically
  // per campaign across processes; Release and ReservationCampaign ask it;
  // the ledger's Append adds spend and settles holds, so Record, RecordAll
  // and Correct change nothing here; Snapshot reads the in-process states,
  // refreshed from the store at each call; when the store fails, decisions
  // follow config.on_store_error.
  explicit Budgets(BudgetsConfig config, std::shared_ptr<BudgetStore> store = nullptr);
  ~Budgets();

  // Whether decisions go through a shared store.
  bool shared() const;

  // Replaces the rules; spend already counted is kept and re-attributed to
  // the new periods from the record times it was counted with (per
  // 15-minute bucket, kept 33 days; a total period sees the running total of
  // everything counted since Restore). Live holds keep their expiry.
  void Reconfigure(BudgetsConfig config);

  // Rebuilds spend from the ledger (start-up): replaces counted spend (holds
  // are kept) with the ledger's buckets from 33 days before now, or all of
  // them when a rule has a total period. Call it before records are fed: a
  // Record concurrent with Restore may be lost.
  Status Restore(const Ledger& ledger, std::int64_t now_unix_ns);

  // Counts one committed record. A non-empty reservation_id settles that
  // hold: the hold is dropped and the actual cost counts instead, even when
  // it is larger than the hold. An unknown, expired or malformed
  // reservation_id is ignored (the cost still counts). The record counts in
  // the period containing its 15-minute bucket (the same period as its
  // timestamp: period bounds fall on bucket bounds).
  void Record(std::string_view campaign_id, std::int64_t timestamp_unix_ns, Money cost, bool retry,
              std::string_view reservation_id);

  // One committed record's spend, for RecordAll.
  struct Spend {
    std::string_view campaign_id;  // not empty
    std::int64_t timestamp_unix_ns = 0;
    Money cost;
    bool retry = false;
    std::string_view reservation_id;
  };
  // Record of each, but a campaign's state is found and locked once per call
  // for all of its records (a batch's records share few campaigns). The
  // records that settle a reservation are recorded one by one, in order.
  void RecordAll(std::span<const Spend> spends);

  // Applies a re-pricing of the campaign's spend bucket starting at
  // `bucket_start_unix_ns`: adds `delta` (negative when the cost fell) to
  // its spend, `retry_delta` of it to its retry spend. The ledger holds the
  // corrected amounts already, so a restart restores the same state.
  void Correct(std::string_view campaign_id, std::int64_t bucket_start_unix_ns, Money delta, Money retry_delta);

  // May the campaign spend `estimate` now? Holds nothing. A negative
  // estimate counts as 0.
  BudgetAnswer Check(std::string_view campaign_id, Money estimate, std::int64_t now_unix_ns);
  // Like Check, and on allow / warn holds the estimate until it is settled,
  // released, or expires (reservation_ttl).
  BudgetAnswer Reserve(std::string_view campaign_id, Money estimate, std::int64_t now_unix_ns);
  // A check or reservation whose estimate the tables cannot price: denied
  // when the campaign's rule is `deny` and on_unpriced_estimate is kDeny
  // (nothing held); otherwise decided like an estimate of $0 (a reservation
  // then holds $0 until settled). The answer says unpriced_estimate.
  BudgetAnswer CheckUnpriced(std::string_view campaign_id, std::int64_t now_unix_ns);
  BudgetAnswer ReserveUnpriced(std::string_view campaign_id, std::int64_t now_unix_ns);
  // Frees a hold; false when it is unknown, settled or expired.
  bool Release(std::string_view reservation_id, std::int64_t now_unix_ns);
  // The campaign holding a live (or expired, not yet dropped) reservation;
  // nullopt for an unknown or malformed id. Lets callers check who may
  // release it before they do.
  // With a shared store, a hold counts when live at `now_unix_ns` (the
  // default: any hold still stored).
  std::optional<std::string> ReservationCampaign(std::string_view reservation_id,
                                                 std::int64_t now_unix_ns = std::numeric_limits<std::int64_t>::min());

  // Every campaign with a budget and any spend in its current period or a
  // live hold, sorted by id, as the state is at `now`: holds expired by then
  // are not counted, a period that ended is reported as the one containing
  // `now` with its spend, and the rules of the last Reconfigure apply.
  // Read-only (a scrape changes nothing): Check, Reserve and Restore (for the
  // campaigns they touch) and Sweep (for all) do the expiring, pruning and
  // rolling over.
  std::vector<CampaignBudgetState> Snapshot(std::int64_t now_unix_ns) const;

  // Brings every campaign to `now` as a Check would: drops expired holds and
  // buckets older than the retention, rolls periods over. Call it
  // periodically (the exporter does hourly) to keep memory bounded for
  // campaigns that only receive records.
  void Sweep(std::int64_t now_unix_ns);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// The call a check or reservation is about: an amount given directly, or what
// the call may use, to be priced.
struct BudgetEstimate {
  std::optional<Money> usd;  // given directly: used as it is, the rest ignored
  std::string vendor;
  std::string model;         // empty: no tokens, units only
  std::string service_tier;  // empty: the default tier
  std::uint64_t input_tokens = 0;
  std::uint64_t max_output_tokens = 0;
  std::vector<std::pair<std::string, std::uint64_t>> units;  // e.g. {"emails", 1000}
};

// What the estimate may cost at `now` under `prices`: `usd` when given, else
// the call priced with the tables in force at `now`, every input token
// uncached and every output token used (the most it can cost).
// kInvalidArgument when neither usd, a model nor units is given;
// kUnprocessable when the tables cannot price it (the message names the
// PriceOutcome). Thread-safe (PriceBook is).
Result<Money> PriceBudgetEstimate(const BudgetEstimate& estimate, const PriceBook& prices, std::int64_t now_unix_ns);

}  // namespace lce

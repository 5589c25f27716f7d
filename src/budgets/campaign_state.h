// CampaignState: everything one campaign's budget decisions read: its
// resolved rule, its recent spend in 15-minute buckets, the cached sum of the
// current window, and its live holds.
//
// Window storage: spend is kept per 15-minute UTC bucket (the ledger's
// grain) for kRetentionNs (33 days, longer than any day, week or month window
// including DST and zone changes) behind the latest `now` seen, plus a
// running all-time total (cost and retry cost) for kTotal periods. So a
// Reconfigure to another zone or period re-attributes retained spend exactly,
// and memory stays bounded: at most 3,168 buckets (40 bytes each) per
// campaign. The current window's sum is cached and updated incrementally;
// it is recomputed only when `now` leaves the window or the rule changes.
//
// Thread safety: none of its own. Every method requires mutex() held, except
// id() (immutable). ViewAt is const: it reads, so Snapshot changes nothing.
#pragma once

#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "llm_cost_exporter/money.h"
#include "period_clock.h"
#include "reservation_id.h"
#include "rule_set.h"

namespace lce::budgets_detail {

inline constexpr std::int64_t kRetentionNs = 33LL * 24 * 3600 * 1'000'000'000;

// The earliest bucket start kept when the latest `now` is `latest_now`
// (saturating at INT64_MIN).
std::int64_t RetentionHorizon(std::int64_t latest_now);

class CampaignState {
 public:
  explicit CampaignState(std::string id) : id_(std::move(id)) {}
  CampaignState(const CampaignState&) = delete;
  CampaignState& operator=(const CampaignState&) = delete;

  std::mutex& mutex() const { return mutex_; }
  const std::string& id() const { return id_; }

  // Rule resolution, cached per rule-set generation.
  std::uint64_t generation() const { return rules_ ? rules_->generation : 0; }
  void Bind(std::shared_ptr<const RuleSet> rules);
  const CompiledRule* rule() const { return rule_; }
  std::int64_t reservation_ttl_ns() const { return rules_ ? rules_->reservation_ttl_ns : 0; }
  bool deny_unpriced_estimates() const { return rules_ == nullptr || rules_->deny_unpriced_estimates; }

  // Moves the state to `now`: drops buckets older than the retention, drops
  // holds expired at `now` (appended to *expired so the caller can unindex
  // them), and recomputes the window when `now` left it.
  void Advance(std::int64_t now_unix_ns, std::vector<ReservationKey>* expired);

  // Valid after Advance when rule() is not null.
  const Window& window() const { return window_; }
  Money window_spent() const { return window_spent_; }
  Money reserved() const { return reserved_; }

  // The state as Advance(now) with `rules` bound would leave it, computed
  // without changing anything: holds expired at `now` are not counted, a
  // window `now` left is summed afresh from the buckets (those the retention
  // would drop lie outside every window containing `now`).
  struct View {
    const CompiledRule* rule = nullptr;  // null: no rule applies (the rest is unset)
    Window window;
    Money spent;
    Money reserved;
    bool has_holds = false;  // a hold live at `now`
  };
  View ViewAt(const RuleSet& rules, std::int64_t now_unix_ns) const;

  // Counts a record's cost in the bucket of its timestamp.
  void AddSpend(std::int64_t timestamp_unix_ns, Money cost, Money retry_cost);
  // Sets the bucket starting at `start_unix_ns` to the given sums (a shared
  // store's absolute values: setting the same twice changes nothing). A
  // bucket before the retention horizon only adds to the all-time total,
  // so it must be set once (the first load).
  void SetSpend(std::int64_t start_unix_ns, Money cost, Money retry_cost);
  // Forgets every bucket and the all-time total (holds are kept).
  void ClearSpend();

  void AddHold(const ReservationKey& key, Money amount, std::int64_t expires_unix_ns);
  // Removes the hold; true when it existed and had not expired at `now`
  // (pass INT64_MIN to accept any existing hold).
  bool TakeHold(const ReservationKey& key, std::int64_t now_unix_ns);

 private:
  struct Bucket {
    std::int64_t start_unix_ns;
    Money cost;        // retries included
    Money retry_cost;  // the part of cost from retries
  };
  struct Hold {
    Money amount;
    std::multimap<std::int64_t, ReservationKey>::iterator expiry;
  };

  static Money Counted(const CompiledRule* rule, Money cost, Money retry_cost);
  Money SumWindow(const CompiledRule& rule, const Window& window) const;
  void PruneBuckets();
  void ExpireHolds(std::int64_t now_unix_ns, std::vector<ReservationKey>* expired);
  Bucket& BucketAt(std::int64_t start_unix_ns);

  mutable std::mutex mutex_;
  const std::string id_;
  std::shared_ptr<const RuleSet> rules_;
  const CompiledRule* rule_ = nullptr;

  std::deque<Bucket> buckets_;  // sorted by start; start >= latest_now_ - kRetentionNs
  Money all_cost_;
  Money all_retry_cost_;
  std::int64_t latest_now_ = std::numeric_limits<std::int64_t>::min();

  bool window_valid_ = false;
  Window window_;
  Money window_spent_;

  std::unordered_map<ReservationKey, Hold, ReservationKeyHash> holds_;
  std::multimap<std::int64_t, ReservationKey> expiries_;
  Money reserved_;
};

}  // namespace lce::budgets_detail

// Budgets: campaign states in a sharded map, one mutex per campaign.
//
// Locking: a campaign's decisions, holds and spend are guarded by its own
// mutex (CampaignState::mutex), so Reserve is atomic per campaign and
// different campaigns never contend. Lookups go through 64 shards of
// campaign ids (shared_mutex: readers share) and 64 shards of reservation
// ids (reservation -> owning campaign, for Release and settlement). Lock
// order: a campaign mutex may be held while taking a reservation shard,
// never the reverse; campaign-id shards are never held while taking anything
// else. Campaign states are never destroyed while the Budgets lives, so raw
// pointers to them stay valid. Snapshot only reads: under each campaign's
// mutex it computes the state at `now` (CampaignState::ViewAt) and leaves
// expiry, pruning and rollover to the mutating calls and Sweep.
#include "llm_cost_exporter/budgets.h"
#include "llm_cost_exporter/open_slots.h"
#include "llm_cost_exporter/small_bytes.h"
#include "llm_cost_exporter/string_hash.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <limits>
#include <mutex>
#include <new>
#include <shared_mutex>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "campaign_state.h"
#include "reservation_id.h"
#include "rule_set.h"

namespace lce {

using budgets_detail::CampaignState;
using budgets_detail::ReservationKey;
using budgets_detail::RuleSet;

namespace {

constexpr std::size_t kShards = 64;
constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

struct alignas(64) CampaignShard {
  mutable std::shared_mutex mutex;
  std::unordered_map<std::string, std::unique_ptr<CampaignState>, TransparentStringHash, std::equal_to<>> states;
};

struct alignas(64) HoldShard {
  std::mutex mutex;
  std::unordered_map<ReservationKey, CampaignState*, budgets_detail::ReservationKeyHash> owners;
};

// The positions of a batch's spends grouped by campaign id: groups in
// first-seen order behind an OpenSlots index, each group's members chained
// in batch order.
class CampaignGroups {
 public:
  explicit CampaignGroups(std::size_t spends) : next_(spends, kEnd) {}

  void Add(std::string_view campaign_id, std::size_t position) {
    slots_.MakeRoomForOneMore(groups_.size(), [this](std::size_t g) { return groups_[g].hash; });
    const std::uint64_t hash = HashPiece(0, campaign_id);  // inline: this runs for every record
    std::uint32_t* slot = slots_.Find(hash, [&](std::size_t g) {
      return groups_[g].hash == hash && EqualStrings(groups_[g].campaign_id, campaign_id);
    });
    const auto at = static_cast<std::uint32_t>(position);
    if (*slot == 0) {
      groups_.push_back(Group{hash, campaign_id, at, at});
      *slot = static_cast<std::uint32_t>(groups_.size());
      return;
    }
    Group& group = groups_[*slot - 1];
    next_[group.last] = at;
    group.last = at;
  }

  // Calls f(campaign id, its members' positions in batch order) per group.
  template <typename F>
  void ForEach(F&& f) const {
    std::vector<std::size_t> members;
    for (const Group& group : groups_) {
      members.clear();
      for (std::uint32_t i = group.first; i != kEnd; i = next_[i]) members.push_back(i);
      f(group.campaign_id, std::span<const std::size_t>(members));
    }
  }

 private:
  static constexpr std::uint32_t kEnd = std::numeric_limits<std::uint32_t>::max();

  struct Group {
    std::uint64_t hash;
    std::string_view campaign_id;
    std::uint32_t first;
    std::uint32_t last;
  };

  std::vector<Group> groups_;
  OpenSlots slots_;
  std::vector<std::uint32_t> next_;  // next_[p]: the next member of p's group, or kEnd
};

std::int64_t SaturatingAdd(std::int64_t a, std::int64_t b) {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return b > 0 ? kInt64Max : kInt64Min;
  return sum;
}

// projected > limit: deny (or warn for alert_only); projected >= limit *
// soft_ppm / 1e6, compared exactly as projected * 1e6 >= limit * soft_ppm
// (limit <= 1e12 USD keeps both products inside int128): warn.
BudgetDecision DecideFor(const BudgetRule& rule, Money projected) {
  if (projected > rule.limit) return rule.action == BudgetAction::kDeny ? BudgetDecision::kDeny : BudgetDecision::kWarn;
  if (projected.atto() * 1'000'000 >= rule.limit.atto() * static_cast<int128>(rule.soft_limit_ppm)) {
    return BudgetDecision::kWarn;
  }
  return BudgetDecision::kAllow;
}

}  // namespace

std::string_view BudgetPeriodName(BudgetPeriod period) {
  switch (period) {
    case BudgetPeriod::kDaily: return "daily";
    case BudgetPeriod::kWeekly: return "weekly";
    case BudgetPeriod::kMonthly: return "monthly";
    case BudgetPeriod::kTotal: return "total";
  }
  return "unknown";
}

std::string_view BudgetDecisionName(BudgetDecision decision) {
  switch (decision) {
    case BudgetDecision::kAllow: return "allow";
    case BudgetDecision::kWarn: return "warn";
    case BudgetDecision::kDeny: return "deny";
  }
  return "unknown";
}

struct Budgets::Impl {
  Impl(const BudgetsConfig& config, std::shared_ptr<BudgetStore> shared)
      : rules(budgets_detail::CompileRules(config, 1)), store(std::move(shared)) {}

  mutable std::mutex rules_mutex;  // guards `rules` (swapped by Reconfigure)
  std::shared_ptr<const RuleSet> rules;
  std::atomic<std::uint64_t> generation{1};  // == rules->generation once published
  std::array<CampaignShard, kShards> campaigns;
  std::array<HoldShard, kShards> holds;

  // Shared mode (a store): the in-process states are a read model of the
  // store's spend, refreshed by Snapshot (and Restore); held_ is the store's
  // live holds per campaign as of the last refresh.
  const std::shared_ptr<BudgetStore> store;
  mutable std::mutex refresh_mutex;
  mutable std::int64_t refresh_cursor = 0;              // guarded by refresh_mutex
  mutable std::unordered_map<std::string, Money> held;  // guarded by refresh_mutex

  std::shared_ptr<const RuleSet> CurrentRules() const {
    std::lock_guard lock(rules_mutex);
    return rules;
  }

  void Reconfigure(const BudgetsConfig& config) {
    std::lock_guard lock(rules_mutex);
    const std::uint64_t next = rules->generation + 1;
    rules = budgets_detail::CompileRules(config, next);
    generation.store(next, std::memory_order_release);
  }

  CampaignShard& ShardFor(std::string_view campaign_id) { return campaigns[HashString(campaign_id) % kShards]; }

  CampaignState* FindState(std::string_view campaign_id) {
    CampaignShard& shard = ShardFor(campaign_id);
    std::shared_lock lock(shard.mutex);
    const auto it = shard.states.find(campaign_id);
    return it == shard.states.end() ? nullptr : it->second.get();
  }

  // The campaign's state, created on first use.
  CampaignState& StateFor(std::string_view campaign_id) {
    if (CampaignState* found = FindState(campaign_id)) return *found;
    CampaignShard& shard = ShardFor(campaign_id);
    std::unique_lock lock(shard.mutex);
    auto [it, inserted] = shard.states.try_emplace(std::string(campaign_id));
    if (inserted) it->second = std::make_unique<CampaignState>(std::string(campaign_id));
    return *it->second;
  }

  std::vector<CampaignState*> AllStates() const {
    std::vector<CampaignState*> out;
    for (const CampaignShard& shard : campaigns) {
      std::shared_lock lock(shard.mutex);
      for (const auto& [id, state] : shard.states) out.push_back(state.get());
    }
    return out;
  }

  HoldShard& HoldShardFor(const ReservationKey& key) { return holds[key.lo % kShards]; }

  // Registers key -> owner; false if the key is taken (a 2^-128 event).
  bool Index(const ReservationKey& key, CampaignState* owner) {
    HoldShard& shard = HoldShardFor(key);
    std::lock_guard lock(shard.mutex);
    return shard.owners.emplace(key, owner).second;
  }

  // Unregisters the key and returns its owner (null if unknown).
  CampaignState* TakeOwner(const ReservationKey& key) {
    HoldShard& shard = HoldShardFor(key);
    std::lock_guard lock(shard.mutex);
    const auto it = shard.owners.find(key);
    if (it == shard.owners.end()) return nullptr;
    CampaignState* owner = it->second;
    shard.owners.erase(it);
    return owner;
  }

  // Brings the state to `now` under the current rules. Requires state.mutex().
  void Prepare(CampaignState& state, std::int64_t now_unix_ns) {
    if (state.generation() != generation.load(std::memory_order_acquire)) state.Bind(CurrentRules());
    std::vector<ReservationKey> expired;
    state.Advance(now_unix_ns, &expired);
    for (const ReservationKey& key : expired) TakeOwner(key);
  }

  // Grants a hold of `amount` on `state`. Requires state.mutex().
  void Hold(CampaignState& state, Money amount, std::int64_t now_unix_ns, BudgetAnswer& answer) {
    ReservationKey key = budgets_detail::NewReservationKey();
    while (!Index(key, &state)) key = budgets_detail::NewReservationKey();
    const std::int64_t expires = SaturatingAdd(now_unix_ns, state.reservation_ttl_ns());
    state.AddHold(key, amount, expires);
    answer.reservation_id = budgets_detail::FormatReservationId(key);
    answer.reservation_expires_unix_ns = expires;
  }

  BudgetAnswer Decide(std::string_view campaign_id, Money estimate, std::int64_t now_unix_ns, bool reserve,
                      bool unpriced = false) {
    if (store) return DecideShared(campaign_id, estimate, now_unix_ns, reserve, unpriced);
    BudgetAnswer answer;
    answer.estimate = std::max(estimate, Money());
    answer.unpriced_estimate = unpriced;
    // Checks of campaigns without a budget create no state (a client cannot
    // grow memory by asking about made-up ids); records do (see Record).
    CampaignState* found = FindState(campaign_id);
    if (found == nullptr && CurrentRules()->Match(campaign_id) == nullptr) return answer;
    CampaignState& state = found != nullptr ? *found : StateFor(campaign_id);
    std::lock_guard lock(state.mutex());
    Prepare(state, now_unix_ns);
    const budgets_detail::CompiledRule* rule = state.rule();
    if (rule == nullptr) return answer;
    const Money spent = state.window_spent();
    answer.decision = DecideFor(rule->rule, spent + state.reserved() + answer.estimate);
    if (unpriced && rule->rule.action == BudgetAction::kDeny && state.deny_unpriced_estimates()) {
      answer.decision = BudgetDecision::kDeny;
    }
    if (reserve && answer.decision != BudgetDecision::kDeny) Hold(state, answer.estimate, now_unix_ns, answer);
    Describe(state, answer);
    return answer;
  }

  // The rule and window of a campaign at `now` (a copy: the store is asked
  // without holding the state's mutex), or null when no rule applies.
  struct RuleAt {
    BudgetRule rule;
    budgets_detail::Window window;
    std::int64_t reservation_ttl_ns = 0;
    bool deny_unpriced_estimates = true;
    bool deny_on_store_error = true;
  };
  std::optional<RuleAt> CurrentRuleAt(std::string_view campaign_id, std::int64_t now_unix_ns) {
    CampaignState* found = FindState(campaign_id);
    if (found == nullptr && CurrentRules()->Match(campaign_id) == nullptr) return std::nullopt;
    CampaignState& state = found != nullptr ? *found : StateFor(campaign_id);
    std::lock_guard lock(state.mutex());
    Prepare(state, now_unix_ns);
    if (state.rule() == nullptr) return std::nullopt;
    const std::shared_ptr<const RuleSet> current = CurrentRules();
    return RuleAt{state.rule()->rule, state.window(), state.reservation_ttl_ns(), state.deny_unpriced_estimates(),
                  current->deny_on_store_error};
  }

  // Decide against the shared store: the sums and the hold are the store's
  // (atomic per campaign across replicas); the arithmetic is DecideFor's.
  BudgetAnswer DecideShared(std::string_view campaign_id, Money estimate, std::int64_t now_unix_ns, bool reserve,
                            bool unpriced) {
    BudgetAnswer answer;
    answer.estimate = std::max(estimate, Money());
    answer.unpriced_estimate = unpriced;
    const std::optional<RuleAt> at = CurrentRuleAt(campaign_id, now_unix_ns);
    if (!at) return answer;
    const BudgetRule& rule = at->rule;
    std::optional<BudgetHold> granted;
    Money counted;
    const auto decide = [&](const BudgetSums& sums) -> std::optional<BudgetHold> {
      counted = rule.count_retries ? sums.spent : sums.spent - sums.retry_spent;
      answer.decision = DecideFor(rule, counted + sums.held + answer.estimate);
      if (unpriced && rule.action == BudgetAction::kDeny && at->deny_unpriced_estimates) {
        answer.decision = BudgetDecision::kDeny;
      }
      granted.reset();
      if (reserve && answer.decision != BudgetDecision::kDeny) {
        granted = BudgetHold{budgets_detail::FormatReservationId(budgets_detail::NewReservationKey()), answer.estimate,
                             SaturatingAdd(now_unix_ns, at->reservation_ttl_ns)};
      }
      return granted;
    };
    // A check grants nothing: it reads without queueing behind reservations.
    const Result<BudgetSums> sums =
        reserve ? store->Decide(campaign_id, at->window.start_unix_ns, at->window.end_unix_ns, now_unix_ns, decide)
                : store->Read(campaign_id, at->window.start_unix_ns, at->window.end_unix_ns, now_unix_ns);
    if (!reserve && sums.ok()) decide(*sums);
    answer.has_budget = true;
    answer.limit = rule.limit;
    answer.period = rule.period;
    answer.period_start_unix_ns = at->window.start_unix_ns;
    answer.period_end_unix_ns = at->window.end_unix_ns;
    if (!sums.ok()) {
      answer.store_error = true;
      answer.decision = at->deny_on_store_error ? BudgetDecision::kDeny : BudgetDecision::kAllow;
      answer.remaining = rule.limit;
      return answer;
    }
    answer.spent = counted;
    answer.reserved = sums->held + (granted ? granted->amount : Money());
    answer.remaining = rule.limit - answer.spent - answer.reserved;
    if (granted) {
      answer.reservation_id = granted->reservation_id;
      answer.reservation_expires_unix_ns = granted->expires_unix_ns;
    }
    return answer;
  }

  // Shared mode: brings the read model up to the store (spend rows changed
  // since the last refresh, live holds). Store errors leave it as it was.
  // Lock order: refresh_mutex, then a state's mutex (never the reverse).
  void Refresh(std::int64_t now_unix_ns) const {
    std::lock_guard refresh(refresh_mutex);
    const bool first = refresh_cursor == 0;
    const std::int64_t from =
        first && CurrentRules()->HasTotalPeriod() ? kInt64Min : budgets_detail::RetentionHorizon(now_unix_ns);
    std::int64_t cursor = refresh_cursor;
    Result<std::vector<CampaignBucketSpend>> changed = store->SpendChangedSince(&cursor, from);
    Result<std::vector<CampaignHeld>> live = store->LiveHolds(now_unix_ns);
    if (!changed.ok() || !live.ok()) return;
    auto& self = const_cast<Impl&>(*this);  // the read model is a cache of the store
    for (const CampaignBucketSpend& row : *changed) {
      CampaignState& state = self.StateFor(row.campaign_id);
      std::lock_guard lock(state.mutex());
      self.Prepare(state, now_unix_ns);
      state.SetSpend(row.start_unix_ns, row.cost, row.retry_cost);
    }
    held.clear();
    for (const CampaignHeld& campaign : *live) {
      held[campaign.campaign_id] = campaign.held;
      self.StateFor(campaign.campaign_id);  // a campaign with holds only is reported too
    }
    refresh_cursor = cursor;
  }

  // Fills the budget fields of an answer. Requires state.mutex(), a rule.
  static void Describe(const CampaignState& state, BudgetAnswer& answer) {
    const BudgetRule& rule = state.rule()->rule;
    answer.has_budget = true;
    answer.limit = rule.limit;
    answer.spent = state.window_spent();
    answer.reserved = state.reserved();
    answer.remaining = rule.limit - answer.spent - answer.reserved;
    answer.period = rule.period;
    answer.period_start_unix_ns = state.window().start_unix_ns;
    answer.period_end_unix_ns = state.window().end_unix_ns;
  }

  // Every campaign's spend is kept, budgeted or not, so a Reconfigure that
  // gives it a budget sees what it already spent.
  void Record(std::string_view campaign_id, std::int64_t timestamp_unix_ns, Money cost, bool retry,
              std::string_view reservation_id) {
    if (store) return;  // the ledger's transaction added the spend and settled the hold
    CampaignState& state = StateFor(campaign_id);
    std::optional<ReservationKey> key;
    CampaignState* owner = nullptr;
    if (!reservation_id.empty()) key = budgets_detail::ParseReservationId(reservation_id);
    if (key) owner = TakeOwner(*key);
    if (owner != nullptr && owner != &state) {
      std::lock_guard owner_lock(owner->mutex());
      owner->TakeHold(*key, kInt64Min);
    }
    std::lock_guard lock(state.mutex());
    if (owner == &state) state.TakeHold(*key, kInt64Min);  // same lock: the hold becomes the cost atomically
    state.AddSpend(timestamp_unix_ns, cost, retry ? cost : Money());
  }

  // The spends that settle no reservation, grouped by campaign: one state
  // lookup and one lock per campaign instead of per record.
  void RecordAll(std::span<const Budgets::Spend> spends) {
    if (store) return;  // as Record
    CampaignGroups groups(spends.size());
    for (std::size_t i = 0; i < spends.size(); ++i) {
      const Budgets::Spend& spend = spends[i];
      if (spend.reservation_id.empty()) {
        groups.Add(spend.campaign_id, i);
      } else {
        Record(spend.campaign_id, spend.timestamp_unix_ns, spend.cost, spend.retry, spend.reservation_id);
      }
    }
    groups.ForEach([&](std::string_view campaign_id, std::span<const std::size_t> members) {
      CampaignState& state = StateFor(campaign_id);
      std::lock_guard lock(state.mutex());
      for (const std::size_t i : members) {
        const Budgets::Spend& spend = spends[i];
        state.AddSpend(spend.timestamp_unix_ns, spend.cost, spend.retry ? spend.cost : Money());
      }
    });
  }

  void Correct(std::string_view campaign_id, std::int64_t bucket_start_unix_ns, Money delta, Money retry_delta) {
    if (store) return;  // the ledger's re-pricing corrected the store
    CampaignState& state = StateFor(campaign_id);
    std::lock_guard lock(state.mutex());
    state.AddSpend(bucket_start_unix_ns, delta, retry_delta);
  }

  bool Release(std::string_view reservation_id, std::int64_t now_unix_ns) {
    const std::optional<ReservationKey> key = budgets_detail::ParseReservationId(reservation_id);
    if (!key) return false;
    if (store) {
      const Result<std::optional<std::string>> released = store->Release(reservation_id, now_unix_ns);
      return released.ok() && released->has_value();
    }
    CampaignState* owner = TakeOwner(*key);
    if (owner == nullptr) return false;
    std::lock_guard lock(owner->mutex());
    return owner->TakeHold(*key, now_unix_ns);
  }

  std::optional<std::string> ReservationCampaign(std::string_view reservation_id, std::int64_t now_unix_ns) {
    const std::optional<ReservationKey> key = budgets_detail::ParseReservationId(reservation_id);
    if (!key) return std::nullopt;
    if (store) {
      Result<std::optional<std::string>> campaign = store->HoldCampaign(reservation_id, now_unix_ns);
      return campaign.ok() ? std::move(campaign).value() : std::nullopt;
    }
    HoldShard& shard = HoldShardFor(*key);
    std::lock_guard lock(shard.mutex);
    const auto it = shard.owners.find(*key);
    if (it == shard.owners.end()) return std::nullopt;
    return it->second->id();  // ids never change; states are never destroyed
  }

  // Reads only: the state every campaign would have after Prepare(now).
  std::vector<CampaignBudgetState> Snapshot(std::int64_t now_unix_ns) const {
    std::unordered_map<std::string, Money> held_now;  // copied: no refresh lock under a state's mutex
    if (store) {
      Refresh(now_unix_ns);
      std::lock_guard refresh(refresh_mutex);
      held_now = held;
    }
    const std::shared_ptr<const RuleSet> current = CurrentRules();
    std::vector<CampaignBudgetState> out;
    for (const CampaignState* state : AllStates()) {
      std::lock_guard lock(state->mutex());
      CampaignState::View view = state->ViewAt(*current, now_unix_ns);
      if (store) {  // the store's holds, not this process's
        const auto it = held_now.find(state->id());
        view.reserved = it == held_now.end() ? Money() : it->second;
        view.has_holds = it != held_now.end();
      }
      if (view.rule == nullptr || (view.spent.is_zero() && !view.has_holds)) continue;
      out.push_back(Summarize(state->id(), view));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.campaign_id < b.campaign_id; });
    return out;
  }

  static CampaignBudgetState Summarize(const std::string& campaign_id, const CampaignState::View& view) {
    const BudgetRule& rule = view.rule->rule;
    CampaignBudgetState out;
    out.campaign_id = campaign_id;
    out.period = rule.period;
    out.action = rule.action;
    out.limit = rule.limit;
    out.spent = view.spent;
    out.reserved = view.reserved;
    out.soft_limit_ppm = rule.soft_limit_ppm;
    out.period_start_unix_ns = view.window.start_unix_ns;
    out.period_end_unix_ns = view.window.end_unix_ns;
    return out;
  }

  void Sweep(std::int64_t now_unix_ns) {
    if (store) (void)store->DeleteExpiredHolds(now_unix_ns);  // expired holds count for nothing already
    for (CampaignState* state : AllStates()) {
      std::lock_guard lock(state->mutex());
      Prepare(*state, now_unix_ns);
    }
  }

  Status RestoreShared(std::int64_t now_unix_ns);

  Status Restore(const Ledger& ledger, std::int64_t now_unix_ns) {
    if (store) return RestoreShared(now_unix_ns);
    const std::int64_t from =
        CurrentRules()->HasTotalPeriod() ? kInt64Min : budgets_detail::RetentionHorizon(now_unix_ns);
    Result<std::vector<SpendBucket>> spend = ledger.Spend(from, kInt64Max);
    if (!spend.ok()) return spend.status().WithContext("budgets: restoring spend");
    for (CampaignState* state : AllStates()) {
      std::lock_guard lock(state->mutex());
      state->ClearSpend();
    }
    for (const SpendBucket& bucket : *spend) {
      CampaignState& state = StateFor(bucket.campaign_id);
      std::lock_guard lock(state.mutex());
      Prepare(state, now_unix_ns);
      state.AddSpend(bucket.start_unix_ns, bucket.cost, bucket.retry_cost);
    }
    return Status::Ok();
  }
};

Status Budgets::Impl::RestoreShared(std::int64_t now_unix_ns) {
  {
    std::lock_guard refresh(refresh_mutex);
    refresh_cursor = 0;
  }
  for (CampaignState* state : AllStates()) {
    std::lock_guard lock(state->mutex());
    state->ClearSpend();
  }
  // A first read that fails is an error: the read model would start empty.
  std::int64_t cursor = 0;
  const std::int64_t from =
      CurrentRules()->HasTotalPeriod() ? kInt64Min : budgets_detail::RetentionHorizon(now_unix_ns);
  Result<std::vector<CampaignBucketSpend>> rows = store->SpendChangedSince(&cursor, from);
  if (!rows.ok()) return rows.status().WithContext("budgets: restoring spend from the shared store");
  for (const CampaignBucketSpend& row : *rows) {
    CampaignState& state = StateFor(row.campaign_id);
    std::lock_guard lock(state.mutex());
    Prepare(state, now_unix_ns);
    state.SetSpend(row.start_unix_ns, row.cost, row.retry_cost);
  }
  std::lock_guard refresh(refresh_mutex);
  refresh_cursor = cursor;
  return Status::Ok();
}

Status Budgets::Validate(const BudgetsConfig& config) { return budgets_detail::ValidateRules(config); }

Budgets::Budgets(BudgetsConfig config, std::shared_ptr<BudgetStore> store)
    : impl_(std::make_unique<Impl>(config, std::move(store))) {}
Budgets::~Budgets() = default;

bool Budgets::shared() const { return impl_->store != nullptr; }

void Budgets::Reconfigure(BudgetsConfig config) { impl_->Reconfigure(config); }

Status Budgets::Restore(const Ledger& ledger, std::int64_t now_unix_ns) {
  try {
    return impl_->Restore(ledger, now_unix_ns);
  } catch (const std::bad_alloc&) {
    return Status::Internal("budgets: out of memory while restoring spend");
  }
}

void Budgets::Record(std::string_view campaign_id, std::int64_t timestamp_unix_ns, Money cost, bool retry,
                     std::string_view reservation_id) {
  impl_->Record(campaign_id, timestamp_unix_ns, cost, retry, reservation_id);
}

void Budgets::RecordAll(std::span<const Spend> spends) { impl_->RecordAll(spends); }

BudgetAnswer Budgets::Check(std::string_view campaign_id, Money estimate, std::int64_t now_unix_ns) {
  return impl_->Decide(campaign_id, estimate, now_unix_ns, false);
}

BudgetAnswer Budgets::Reserve(std::string_view campaign_id, Money estimate, std::int64_t now_unix_ns) {
  return impl_->Decide(campaign_id, estimate, now_unix_ns, true);
}

BudgetAnswer Budgets::CheckUnpriced(std::string_view campaign_id, std::int64_t now_unix_ns) {
  return impl_->Decide(campaign_id, Money(), now_unix_ns, false, true);
}

BudgetAnswer Budgets::ReserveUnpriced(std::string_view campaign_id, std::int64_t now_unix_ns) {
  return impl_->Decide(campaign_id, Money(), now_unix_ns, true, true);
}

bool Budgets::Release(std::string_view reservation_id, std::int64_t now_unix_ns) {
  return impl_->Release(reservation_id, now_unix_ns);
}

std::optional<std::string> Budgets::ReservationCampaign(std::string_view reservation_id, std::int64_t now_unix_ns) {
  return impl_->ReservationCampaign(reservation_id, now_unix_ns);
}

std::vector<CampaignBudgetState> Budgets::Snapshot(std::int64_t now_unix_ns) const {
  return std::as_const(*impl_).Snapshot(now_unix_ns);
}

void Budgets::Sweep(std::int64_t now_unix_ns) { impl_->Sweep(now_unix_ns); }

void Budgets::Correct(std::string_view campaign_id, std::int64_t bucket_start_unix_ns, Money delta, Money retry_delta) {
  impl_->Correct(campaign_id, bucket_start_unix_ns, delta, retry_delta);
}

}  // namespace lce

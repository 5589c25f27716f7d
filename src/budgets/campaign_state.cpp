#include "campaign_state.h"

#include <algorithm>
#include <limits>

#include "llm_cost_exporter/ledger.h"

namespace lce::budgets_detail {

std::int64_t RetentionHorizon(std::int64_t latest_now) {
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  return latest_now < kMin + kRetentionNs ? kMin : latest_now - kRetentionNs;
}

void CampaignState::Bind(std::shared_ptr<const RuleSet> rules) {
  rules_ = std::move(rules);
  rule_ = rules_ ? rules_->Match(id_) : nullptr;
  window_valid_ = false;
}

void CampaignState::Advance(std::int64_t now_unix_ns, std::vector<ReservationKey>* expired) {
  if (now_unix_ns > latest_now_) {
    latest_now_ = now_unix_ns;
    PruneBuckets();
  }
  ExpireHolds(now_unix_ns, expired);
  if (rule_ == nullptr) return;
  if (window_valid_ && window_.Contains(now_unix_ns)) return;
  window_ = rule_->clock.WindowAt(now_unix_ns);
  window_spent_ = SumWindow(*rule_, window_);
  window_valid_ = true;
}

CampaignState::View CampaignState::ViewAt(const RuleSet& rules, std::int64_t now_unix_ns) const {
  View view;
  view.reserved = reserved_;
  auto live = expiries_.begin();
  for (; live != expiries_.end() && live->first <= now_unix_ns; ++live) {
    view.reserved -= holds_.at(live->second).amount;  // every expiry entry has its hold
  }
  view.has_holds = live != expiries_.end();
  const bool bound = rules_ != nullptr && rules_->generation == rules.generation;
  view.rule = bound ? rule_ : rules.Match(id_);
  if (view.rule == nullptr) return view;
  if (bound && window_valid_ && window_.Contains(now_unix_ns)) {
    view.window = window_;
    view.spent = window_spent_;
  } else {
    view.window = view.rule->clock.WindowAt(now_unix_ns);
    view.spent = SumWindow(*view.rule, view.window);
  }
  return view;
}

void CampaignState::AddSpend(std::int64_t timestamp_unix_ns, Money cost, Money retry_cost) {
  all_cost_ += cost;
  all_retry_cost_ += retry_cost;
  const std::int64_t start = SpendBucket::StartOf(timestamp_unix_ns);
  if (window_valid_ && window_.Contains(start)) window_spent_ += Counted(rule_, cost, retry_cost);
  // Older than every non-total window that can be current: the all-time total suffices.
  if (start < RetentionHorizon(latest_now_)) return;
  Bucket& bucket = BucketAt(start);
  bucket.cost += cost;
  bucket.retry_cost += retry_cost;
}

void CampaignState::SetSpend(std::int64_t start_unix_ns, Money cost, Money retry_cost) {
  Money old_cost;
  Money old_retry_cost;
  if (start_unix_ns >= RetentionHorizon(latest_now_)) {
    const Bucket& bucket = BucketAt(start_unix_ns);
    old_cost = bucket.cost;
    old_retry_cost = bucket.retry_cost;
  }
  AddSpend(start_unix_ns, cost - old_cost, retry_cost - old_retry_cost);
}

void CampaignState::ClearSpend() {
  buckets_.clear();
  all_cost_ = Money();
  all_retry_cost_ = Money();
  window_valid_ = false;
}

void CampaignState::AddHold(const ReservationKey& key, Money amount, std::int64_t expires_unix_ns) {
  const auto expiry = expiries_.emplace(expires_unix_ns, key);
  holds_.emplace(key, Hold{amount, expiry});
  reserved_ += amount;
}

bool CampaignState::TakeHold(const ReservationKey& key, std::int64_t now_unix_ns) {
  const auto it = holds_.find(key);
  if (it == holds_.end()) return false;
  const bool live = it->second.expiry->first > now_unix_ns;
  reserved_ -= it->second.amount;
  expiries_.erase(it->second.expiry);
  holds_.erase(it);
  return live;
}

Money CampaignState::Counted(const CompiledRule* rule, Money cost, Money retry_cost) {
  if (rule == nullptr || rule->rule.count_retries) return cost;
  return cost - retry_cost;
}

Money CampaignState::SumWindow(const CompiledRule& rule, const Window& window) const {
  if (rule.rule.period == BudgetPeriod::kTotal) return Counted(&rule, all_cost_, all_retry_cost_);
  const auto first = std::lower_bound(buckets_.begin(), buckets_.end(), window.start_unix_ns,
                                      [](const Bucket& b, std::int64_t start) { return b.start_unix_ns < start; });
  Money sum;
  for (auto it = first; it != buckets_.end() && it->start_unix_ns < window.end_unix_ns; ++it) {
    sum += Counted(&rule, it->cost, it->retry_cost);
  }
  return sum;
}

void CampaignState::PruneBuckets() {
  const std::int64_t horizon = RetentionHorizon(latest_now_);
  while (!buckets_.empty() && buckets_.front().start_unix_ns < horizon) buckets_.pop_front();
}

void CampaignState::ExpireHolds(std::int64_t now_unix_ns, std::vector<ReservationKey>* expired) {
  while (!expiries_.empty() && expiries_.begin()->first <= now_unix_ns) {
    const ReservationKey key = expiries_.begin()->second;
    const auto hold = holds_.find(key);
    reserved_ -= hold->second.amount;
    holds_.erase(hold);
    expiries_.erase(expiries_.begin());
    expired->push_back(key);
  }
}

CampaignState::Bucket& CampaignState::BucketAt(std::int64_t start_unix_ns) {
  if (buckets_.empty() || buckets_.back().start_unix_ns < start_unix_ns) {
    return buckets_.emplace_back(Bucket{start_unix_ns, Money(), Money()});
  }
  const auto it = std::lower_bound(buckets_.begin(), buckets_.end(), start_unix_ns,
                                   [](const Bucket& b, std::int64_t start) { return b.start_unix_ns < start; });
  if (it != buckets_.end() && it->start_unix_ns == start_unix_ns) return *it;
  return *buckets_.insert(it, Bucket{start_unix_ns, Money(), Money()});
}

}  // namespace lce::budgets_detail

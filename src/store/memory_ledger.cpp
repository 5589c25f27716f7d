// The in-memory Ledger: the same semantics as the SQLite one, lost on exit.
//
// Keys live in a KeyIndex (two generations, see key_index.h). Spend
// buckets live in an ordered map. One mutex guards keys and spend together,
// taken once per Append, which makes every Append atomic (all or nothing)
// and serializes overlapping calls in the order they take the lock.
#include <map>
#include <mutex>
#include <new>
#include <string>
#include <tuple>

#include "key_index.h"
#include "ledger_common.h"
#include "llm_cost_exporter/ledger.h"

namespace lce {
namespace {

using store_detail::BucketSums;

// (start, service, campaign_id, vendor, model), ordered by start first so a
// time range is one contiguous run of the map.
using BucketKey = std::tuple<std::int64_t, std::string, std::string, std::string, std::string>;

class MemoryLedger final : public Ledger {
 public:
  explicit MemoryLedger(std::chrono::seconds retention) : retention_ns_(ToNanos(retention)) {}

  Result<std::vector<bool>> Append(std::span<const LedgerEntry> entries, std::int64_t receive_unix_ns) override {
    (void)receive_unix_ns;  // generations are cut by Prune's clock; keys need no timestamp in memory
    if (Status valid = store_detail::ValidateEntries(entries); !valid.ok()) return valid;
    std::lock_guard lock(mutex_);
    const Status out_of_memory =
        Status::Internal("ledger: out of memory while appending " + std::to_string(entries.size()) + " entries");
    std::vector<bool> accepted(entries.size(), false);
    std::size_t claimed = 0;  // entries [0, claimed) went through ClaimKey
    try {
      for (; claimed < entries.size(); ++claimed) accepted[claimed] = ClaimKey(entries[claimed].idempotency_key);
      MergeSpend(entries, accepted);
    } catch (const std::bad_alloc&) {
      UndoClaims(entries.first(claimed), accepted);
      return out_of_memory;
    }
    ++stats_.commits;
    stats_.committed_entries += entries.size();
    return accepted;
  }

  Result<std::vector<SpendBucket>> Spend(std::int64_t from_unix_ns, std::int64_t to_unix_ns) const override {
    const std::int64_t first = SpendBucket::StartOf(from_unix_ns);
    std::vector<SpendBucket> out;
    std::lock_guard lock(mutex_);
    try {
      for (auto it = spend_.lower_bound(BucketKey{first, {}, {}, {}, {}});
           it != spend_.end() && std::get<0>(it->first) < to_unix_ns; ++it) {
        out.push_back(ToBucket(it->first, it->second));
      }
    } catch (const std::bad_alloc&) {
      return Status::Internal("ledger: out of memory while reading spend");
    }
    return out;
  }

  Status Prune(std::int64_t now_unix_ns) override {
    std::lock_guard lock(mutex_);
    keys_.Prune(now_unix_ns, retention_ns_);
    return Status::Ok();
  }

  LedgerStats Stats() const override {
    std::lock_guard lock(mutex_);
    LedgerStats stats = stats_;
    stats.idempotency_keys = keys_.size();
    return stats;
  }

 private:
  static std::int64_t ToNanos(std::chrono::seconds s) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(s).count();
  }

  // True when `key` is new (and now remembered) or empty; false for a
  // duplicate. Throws std::bad_alloc with the sets unchanged.
  bool ClaimKey(std::string_view key) { return key.empty() || keys_.Claim(key); }

  // Forgets the keys that `entries` (a prefix of the call) claimed.
  void UndoClaims(std::span<const LedgerEntry> entries, const std::vector<bool>& accepted) noexcept {
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const std::string_view key = entries[i].idempotency_key;
      if (accepted[i] && !key.empty()) keys_.Unclaim(key);
    }
  }

  // Adds the accepted entries to the spend map. Aggregates first and adds
  // only once every target bucket exists, so a bad_alloc leaves every sum
  // unchanged (at worst a new bucket with zero sums and zero records).
  void MergeSpend(std::span<const LedgerEntry> entries, const std::vector<bool>& accepted) {
    store_detail::SpendAggregate aggregate;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (accepted[i]) aggregate.Add(entries[i]);
    }
    std::vector<BucketSums*> targets;
    targets.reserve(aggregate.buckets().size());
    for (const auto& [labels, sums] : aggregate.buckets()) {
      targets.push_back(&spend_[BucketKey{labels.start_unix_ns, std::string(labels.service),
                                          std::string(labels.campaign_id), std::string(labels.vendor),
                                          std::string(labels.model)}]);
    }
    std::size_t i = 0;
    for (const auto& [labels, sums] : aggregate.buckets()) store_detail::Accumulate(*targets[i++], sums);
  }

  static SpendBucket ToBucket(const BucketKey& key, const BucketSums& sums) {
    SpendBucket bucket;
    bucket.start_unix_ns = std::get<0>(key);
    bucket.service = std::get<1>(key);
    bucket.campaign_id = std::get<2>(key);
    bucket.vendor = std::get<3>(key);
    bucket.model = std::get<4>(key);
    bucket.cost = sums.cost;
    bucket.retry_cost = sums.retry_cost;
    bucket.records = sums.records;
    bucket.unpriced_records = sums.unpriced_records;
    return bucket;
  }

  const std::int64_t retention_ns_;
  mutable std::mutex mutex_;
  store_detail::KeyIndex keys_;
  std::map<BucketKey, BucketSums> spend_;
  LedgerStats stats_;
};

}  // namespace

std::unique_ptr<Ledger> NewMemoryLedger(std::chrono::seconds idempotency_retention) {
  return std::make_unique<MemoryLedger>(idempotency_retention);
}

}  // namespace lce

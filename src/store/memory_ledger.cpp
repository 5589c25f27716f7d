// The in-memory Ledger: the same semantics as the SQLite one, lost on exit.
//
// Keys live in a KeyIndex (two generations, see key_index.h). Spend
// buckets live in an ordered map; a bucket never passes kMaxBucketCost (the
// entries that would take it there are out of range, as in SQLite). One
// mutex guards keys and spend together,
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

  Result<std::vector<EntryOutcome>> Append(std::span<const LedgerEntry> entries,
                                           std::int64_t receive_unix_ns) override {
    (void)receive_unix_ns;  // generations are cut by Prune's clock; keys need no timestamp in memory
    if (Status valid = store_detail::ValidateEntries(entries); !valid.ok()) return valid;
    std::lock_guard lock(mutex_);
    std::vector<EntryOutcome> outcomes(entries.size(), EntryOutcome::kNew);
    try {
      // Each round leaves out the entries of at least one full bucket, so
      // this ends within (buckets of the call) + 1 rounds.
      for (;;) {
        ClaimKeys(entries, outcomes);
        const std::vector<store_detail::BucketLabels> full = MergeSpend(entries, outcomes);
        if (full.empty()) break;
        UndoClaims(entries, outcomes);
        store_detail::MarkFullBuckets(entries, full, outcomes);
      }
    } catch (const std::bad_alloc&) {
      UndoClaims(entries, outcomes);
      return Status::Internal("ledger: out of memory while appending " + std::to_string(entries.size()) + " entries");
    }
    ++stats_.commits;
    stats_.committed_entries += entries.size();
    return outcomes;
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

  // Decides every entry not already out of range: new (its key now
  // remembered, or it has none), duplicate or conflict. On std::bad_alloc
  // the entries decided so far are kNew or not claimed by this call.
  void ClaimKeys(std::span<const LedgerEntry> entries, std::vector<EntryOutcome>& outcomes) {
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (outcomes[i] == EntryOutcome::kOutOfRange) continue;
      outcomes[i] = EntryOutcome::kDuplicate;  // not claimed (yet): nothing to undo
      const LedgerEntry& entry = entries[i];
      if (entry.idempotency_key.empty()) {
        outcomes[i] = EntryOutcome::kNew;
        continue;
      }
      switch (keys_.Claim(entry.idempotency_key, entry.fingerprint)) {
        case store_detail::KeyIndex::Claimed::kNew: outcomes[i] = EntryOutcome::kNew; break;
        case store_detail::KeyIndex::Claimed::kDuplicate: outcomes[i] = EntryOutcome::kDuplicate; break;
        case store_detail::KeyIndex::Claimed::kConflict: outcomes[i] = EntryOutcome::kConflict; break;
      }
    }
  }

  // Forgets the keys the new entries claimed (an undone call).
  void UndoClaims(std::span<const LedgerEntry> entries, const std::vector<EntryOutcome>& outcomes) noexcept {
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const std::string_view key = entries[i].idempotency_key;
      if (outcomes[i] == EntryOutcome::kNew && !key.empty()) keys_.Unclaim(key);
    }
  }

  // Adds the new entries to the spend map, unless a bucket would pass
  // kMaxBucketCost: then nothing is added and the full buckets are
  // returned. Aggregates first and adds only once every target bucket
  // exists, so a bad_alloc leaves every sum unchanged (at worst a new bucket
  // with zero sums and zero records).
  std::vector<store_detail::BucketLabels> MergeSpend(std::span<const LedgerEntry> entries,
                                                     const std::vector<EntryOutcome>& outcomes) {
    store_detail::SpendAggregate aggregate;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (outcomes[i] == EntryOutcome::kNew) aggregate.Add(entries[i]);
    }
    // One lookup per bucket: the stored sums when the bucket exists, else
    // its key, inserted only once no bucket is full.
    struct Target {
      BucketSums* stored = nullptr;
      BucketKey key;
    };
    std::vector<Target> targets;
    std::vector<store_detail::BucketLabels> full;
    targets.reserve(aggregate.buckets().size());
    for (const auto& [labels, sums] : aggregate.buckets()) {
      Target& target = targets.emplace_back();
      target.key = KeyOf(labels);
      if (const auto stored = spend_.find(target.key); stored != spend_.end()) {
        target.stored = &stored->second;
        if (!store_detail::BucketHasRoom(stored->second.cost, sums.cost)) full.push_back(labels);
      }
    }
    if (!full.empty()) return full;
    for (Target& target : targets) {
      if (target.stored == nullptr) target.stored = &spend_[std::move(target.key)];
    }
    std::size_t i = 0;
    for (const auto& [labels, sums] : aggregate.buckets()) store_detail::Accumulate(*targets[i++].stored, sums);
    return full;
  }

  static BucketKey KeyOf(const store_detail::BucketLabels& labels) {
    return BucketKey{labels.start_unix_ns, std::string(labels.service), std::string(labels.campaign_id),
                     std::string(labels.vendor), std::string(labels.model)};
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

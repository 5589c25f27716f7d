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
#include <vector>

#include "key_index.h"
#include "ledger_common.h"
#include "llm_cost_exporter/ledger.h"

namespace lce {
namespace {

// (start, service, campaign_id, vendor, model, service_tier, context_tier,
// retry), ordered by start first so a time range is one contiguous run of
// the map.
using BucketKey =
    std::tuple<std::int64_t, std::string, std::string, std::string, std::string, std::string, std::uint64_t, bool>;

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
      for (auto it = spend_.lower_bound(BucketKey{first, {}, {}, {}, {}, {}, 0, false});
           it != spend_.end() && std::get<0>(it->first) < to_unix_ns; ++it) {
        out.push_back(it->second);
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
    stats.idempotency_index_bytes = keys_.bytes();
    return stats;
  }

  Result<RepriceReport> Reprice(const RepriceRequest& request) override {
    std::lock_guard lock(mutex_);
    try {
      std::vector<SpendBucket> buckets;
      std::vector<SpendBucket*> stored;
      const std::int64_t first = SpendBucket::StartOf(request.from_unix_ns);
      for (auto it = spend_.lower_bound(BucketKey{first, {}, {}, {}, {}, {}, 0, false});
           it != spend_.end() && std::get<0>(it->first) < request.to_unix_ns; ++it) {
        buckets.push_back(it->second);
        stored.push_back(&it->second);
      }
      Result<RepriceReport> report = store_detail::PlanRepricing(request, buckets);
      if (!report.ok() || request.dry_run) return report;
      report->audit.id = static_cast<std::int64_t>(audits_.size()) + 1;
      audits_.push_back(report->audit);  // before the changes: a bad_alloc here changes nothing
      std::size_t next = 0;
      for (const RepricedBucket& change : report->changed) {
        while (!(store_detail::LabelsOf(*stored[next]) == store_detail::LabelsOf(change.before))) ++next;
        store_detail::ApplyRepricing(*stored[next], change);
      }
      return report;
    } catch (const std::bad_alloc&) {
      return Status::Internal("ledger: out of memory while re-pricing");
    }
  }

  Result<std::vector<RepricingAudit>> Repricings() const override {
    std::lock_guard lock(mutex_);
    try {
      return audits_;
    } catch (const std::bad_alloc&) {
      return Status::Internal("ledger: out of memory while reading re-pricings");
    }
  }

 private:
  static std::int64_t ToNanos(std::chrono::seconds s) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(s).count();
  }

  // Decides every entry not already out of range: new (its key now
  // remembered, or it has none), duplicate or conflict. On std::bad_alloc
  // the entries decided so far are kNew or not claimed by this call.
  void ClaimKeys(std::span<const LedgerEntry> entries, std::vector<EntryOutcome>& outcomes) {
    keys_.PrepareClaims(entries, digests_);
    for (std::size_t i = 0; i < entries.size(); ++i) {
      keys_.PrefetchClaim(entries, digests_, i);
      if (outcomes[i] == EntryOutcome::kOutOfRange) continue;
      outcomes[i] = EntryOutcome::kDuplicate;  // not claimed (yet): nothing to undo
      const LedgerEntry& entry = entries[i];
      if (entry.idempotency_key.empty()) {
        outcomes[i] = EntryOutcome::kNew;
        continue;
      }
      switch (keys_.ClaimDigest(digests_[i], store_detail::KeyIndex::Fold(entry.fingerprint))) {
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
      SpendBucket* stored = nullptr;
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
      if (target.stored == nullptr) {
        SpendBucket empty = ToBucket(target.key);
        target.stored = &spend_.emplace(std::move(target.key), std::move(empty)).first->second;
      }
    }
    std::size_t i = 0;
    for (const auto& [labels, sums] : aggregate.buckets()) store_detail::Accumulate(*targets[i++].stored, sums);
    return full;
  }

  static BucketKey KeyOf(const store_detail::BucketLabels& labels) {
    return BucketKey{labels.start_unix_ns,
                     std::string(labels.service),
                     std::string(labels.campaign_id),
                     std::string(labels.vendor),
                     std::string(labels.model),
                     std::string(labels.service_tier),
                     labels.context_tier,
                     labels.retry};
  }

  // An empty bucket with the key's labels.
  static SpendBucket ToBucket(const BucketKey& key) {
    SpendBucket bucket;
    bucket.start_unix_ns = std::get<0>(key);
    bucket.service = std::get<1>(key);
    bucket.campaign_id = std::get<2>(key);
    bucket.vendor = std::get<3>(key);
    bucket.model = std::get<4>(key);
    bucket.service_tier = std::get<5>(key);
    bucket.context_tier = std::get<6>(key);
    bucket.retry = std::get<7>(key);
    return bucket;
  }

  const std::int64_t retention_ns_;
  mutable std::mutex mutex_;
  store_detail::KeyIndex keys_;
  std::vector<store_detail::KeyDigest> digests_;  // ClaimKeys' scratch, kept for its capacity
  std::map<BucketKey, SpendBucket> spend_;
  std::vector<RepricingAudit> audits_;
  LedgerStats stats_;
};

}  // namespace

std::unique_ptr<Ledger> NewMemoryLedger(std::chrono::seconds idempotency_retention) {
  return std::make_unique<MemoryLedger>(idempotency_retention);
}

}  // namespace lce

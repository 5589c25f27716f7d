// Pieces shared by both Ledger implementations: entry validation, bucket
// arithmetic, per-call aggregation of spend, and the two-generation rule for
// idempotency keys. Internal to the store module.
//
// Thread safety: free functions are pure; a SpendAggregate and a
// KeyGenerations are plain values guarded by their owner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <span>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "llm_cost_exporter/ledger.h"
#include "llm_cost_exporter/open_slots.h"

namespace lce::store_detail {

// Ok when every entry has a cost in [0, kMaxEntryCost], the costs sum to at
// most kMaxAppendCost, and every timestamp's bucket start is representable;
// otherwise names the first bad entry.
Status ValidateEntries(std::span<const LedgerEntry> entries);
// The same for the next part of a stream: `total` holds the costs of the
// parts before and, when Ok, this part's added. `first` numbers its entries.
Status ValidateEntries(std::span<const LedgerEntry> entries, Money& total, std::size_t first);

// The validation state of one AppendStream: each part is checked against the
// parts before it, and the first failure sticks (every later call returns it).
class StreamValidation {
 public:
  // Ok and counts the part in when it is valid; otherwise the sticky failure.
  Status Check(std::span<const LedgerEntry> entries) {
    if (!failed_.ok()) return failed_;
    failed_ = ValidateEntries(entries, total_, added_);
    if (failed_.ok()) added_ += entries.size();
    return failed_;
  }
  // Records a failure from outside validation (e.g. a refused enqueue).
  void Fail(Status failure) { failed_ = std::move(failure); }
  const Status& status() const { return failed_; }
  std::size_t added() const { return added_; }

 private:
  std::size_t added_ = 0;
  Money total_;
  Status failed_;
};

// Lines joined with '\n' (a line's own line breaks become spaces), and back:
// how both durable ledgers store an audit's list of tables and refusals.
std::string JoinLines(const std::vector<std::string>& lines);
std::vector<std::string> SplitLines(const std::string& text);

// A Money amount split for storage as two int64 columns:
// atto = whole * 1e18 + frac, frac in [0, 1e18). Requires atto >= 0 and
// atto / 1e18 <= INT64_MAX.
struct SplitMoney {
  std::int64_t whole = 0;
  std::int64_t frac = 0;
};
SplitMoney Split(Money amount);
Money Join(std::int64_t whole, std::int64_t frac);

// The labels of one bucket as views into the entries of a call.
struct BucketLabels {
  std::int64_t start_unix_ns = 0;
  std::string_view service;
  std::string_view campaign_id;
  std::string_view vendor;
  std::string_view model;
  std::string_view service_tier;
  std::uint64_t context_tier = 0;
  bool retry = false;
  // Compares the short strings inline, the label most likely to differ
  // first: SpendAggregate compares for every entry it adds.
  bool operator==(const BucketLabels& other) const;
};

struct BucketLabelsHash {
  std::size_t operator()(const BucketLabels& labels) const;
};

// The bucket an entry's cost goes to (views into the entry).
BucketLabels LabelsOf(const LedgerEntry& entry);

// Sets outcomes[i] = kOutOfRange for every entry whose bucket is in `full`
// (a bucket kMaxBucketCost would be exceeded in), so the next attempt at the
// call leaves them out.
void MarkFullBuckets(std::span<const LedgerEntry> entries, std::span<const BucketLabels> full,
                     std::span<EntryOutcome> outcomes);

// True when a bucket holding `stored` can take `added` more.
bool BucketHasRoom(Money stored, Money added);

// A unit count as a view into the entries of a call.
struct UnitSum {
  std::string_view unit;
  std::uint64_t count = 0;
};

struct BucketSums {
  Money cost;
  Money retry_cost;
  std::uint64_t records = 0;
  std::uint64_t unpriced_records = 0;
  TokenUsage tokens;
  std::vector<UnitSum> units;  // one per unit name, in first-seen order
};

// Sums accepted entries per bucket, exactly (int128 money, uint64 counts:
// kMaxTokensPerRecord bounds a bucket's token sum below 2^63 for the first
// 9.2e9 records of a 15-minute bucket). Views point into the entries added,
// so the aggregate must not outlive them. Buckets are kept in first-seen
// order behind an OpenSlots index: no node per bucket and no modulo per
// entry, which a std::unordered_map costs on this per-record path. Allocates
// only when it grows and per new unit name of a bucket.
class SpendAggregate {
 public:
  using Bucket = std::pair<BucketLabels, BucketSums>;

  void Add(const LedgerEntry& entry);
  const std::vector<Bucket>& buckets() const { return buckets_; }
  bool empty() const { return buckets_.empty(); }

 private:
  BucketSums& SumsFor(const BucketLabels& labels);

  std::vector<Bucket> buckets_;
  std::vector<std::uint64_t> hashes_;  // hashes_[i]: BucketLabelsHash of buckets_[i]
  OpenSlots slots_;                    // positions in buckets_
};

// Adds `sums` into `total` (the merge step of the memory ledger; units by name).
void Accumulate(SpendBucket& total, const BucketSums& sums);

// The bucket's labels as views into it.
BucketLabels LabelsOf(const SpendBucket& bucket);

// Adds `count` of `unit` to `units` (sorted by name), keeping it sorted.
void AddUnit(std::vector<BucketUnit>& units, std::string_view unit, std::uint64_t count);

// The shared part of Reprice: prices every bucket of `buckets` with
// `request.pricer` and fills the report (audit totals, changed and refused
// buckets, tables used). Legacy buckets (!detailed) are refused without
// calling the pricer. Fails when a new cost is outside [0, kMaxBucketCost].
// The caller writes `changed` and the audit (with audit.at/who/range set
// here from the request).
Result<RepriceReport> PlanRepricing(const RepriceRequest& request, const std::vector<SpendBucket>& buckets);

// The new values of a bucket once re-priced.
void ApplyRepricing(SpendBucket& bucket, const RepricedBucket& change);

// When to rotate the two key generations. A generation starts at the first
// Prune (or the last rotation); Prune(now) rotates once now - start >=
// retention: the older generation is dropped, the current one becomes the
// older, and an empty one starts at `now`. Every key dropped was received
// before the current generation began, i.e. at least `retention` before
// `now`; a key is forgotten at the latest by the first Prune after
// 2 * retention + 2 * (interval between Prune calls).
struct KeyGenerations {
  std::optional<std::int64_t> start_unix_ns;  // unset until the first Prune

  enum class Action { kNone, kStart, kRotate };
  Action Decide(std::int64_t now_unix_ns, std::int64_t retention_ns) const;
};

}  // namespace lce::store_detail

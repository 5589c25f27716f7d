#include "ledger_common.h"

#include "llm_cost_exporter/usage_record.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <string>

namespace lce::store_detail {
namespace {

constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();
// The earliest bucket start an int64 holds (C++ division truncates toward 0).
constexpr std::int64_t kMinBucketStart = (kInt64Min / SpendBucket::kWidthNs) * SpendBucket::kWidthNs;
static_assert(kMinBucketStart == kMinTimestampUnixNs, "records are validated against the ledger's first bucket");

void HashCombine(std::size_t& seed, std::size_t value) {
  seed ^= value + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
}

}  // namespace

Status ValidateEntries(std::span<const LedgerEntry> entries) {
  Money total;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const LedgerEntry& entry = entries[i];
    if (entry.cost < Money() || entry.cost > kMaxEntryCost) {
      return Status::InvalidArgument("ledger entry " + std::to_string(i) + ": cost " + entry.cost.ToDecimalString() +
                                     " USD is outside [0, " + kMaxEntryCost.ToDecimalString() + "]");
    }
    total += entry.cost;
    if (total > kMaxAppendCost) {
      return Status::InvalidArgument("ledger entry " + std::to_string(i) + ": the entries' costs sum past " +
                                     kMaxAppendCost.ToDecimalString() + " USD");
    }
    if (entry.timestamp_unix_ns < kMinBucketStart) {
      return Status::InvalidArgument("ledger entry " + std::to_string(i) + ": timestamp " +
                                     std::to_string(entry.timestamp_unix_ns) + " ns is out of range");
    }
  }
  return Status::Ok();
}

SplitMoney Split(Money amount) {
  const int128 atto = amount.atto();
  return {static_cast<std::int64_t>(atto / Money::kOneDollar), static_cast<std::int64_t>(atto % Money::kOneDollar)};
}

Money Join(std::int64_t whole, std::int64_t frac) {
  return Money::FromAtto(static_cast<int128>(whole) * Money::kOneDollar + frac);
}

std::size_t BucketLabelsHash::operator()(const BucketLabels& labels) const {
  const std::hash<std::string_view> hash;
  std::size_t seed = std::hash<std::int64_t>{}(labels.start_unix_ns);
  HashCombine(seed, hash(labels.service));
  HashCombine(seed, hash(labels.campaign_id));
  HashCombine(seed, hash(labels.vendor));
  HashCombine(seed, hash(labels.model));
  return seed;
}

BucketLabels LabelsOf(const LedgerEntry& entry) {
  return BucketLabels{SpendBucket::StartOf(entry.timestamp_unix_ns), entry.service, entry.campaign_id, entry.vendor,
                      entry.model};
}

void MarkFullBuckets(std::span<const LedgerEntry> entries, std::span<const BucketLabels> full,
                     std::vector<EntryOutcome>& outcomes) {
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const BucketLabels labels = LabelsOf(entries[i]);
    if (std::find(full.begin(), full.end(), labels) != full.end()) outcomes[i] = EntryOutcome::kOutOfRange;
  }
}

bool BucketHasRoom(Money stored, Money added) { return added <= kMaxBucketCost - stored; }

void SpendAggregate::Add(const LedgerEntry& entry) {
  BucketSums& sums = buckets_[LabelsOf(entry)];
  sums.cost += entry.cost;
  if (entry.retry) sums.retry_cost += entry.cost;
  ++sums.records;
  if (entry.unpriced) ++sums.unpriced_records;
}

void Accumulate(BucketSums& total, const BucketSums& sums) {
  total.cost += sums.cost;
  total.retry_cost += sums.retry_cost;
  total.records += sums.records;
  total.unpriced_records += sums.unpriced_records;
}

KeyGenerations::Action KeyGenerations::Decide(std::int64_t now_unix_ns, std::int64_t retention_ns) const {
  if (!start_unix_ns) return Action::kStart;
  const int128 age = static_cast<int128>(now_unix_ns) - *start_unix_ns;
  return age >= retention_ns ? Action::kRotate : Action::kNone;
}

}  // namespace lce::store_detail

namespace lce {

std::int64_t SpendBucket::StartOf(std::int64_t unix_ns) {
  constexpr std::int64_t kWidth = SpendBucket::kWidthNs;
  std::int64_t quotient = unix_ns / kWidth;
  if (unix_ns % kWidth != 0 && unix_ns < 0) --quotient;
  const int128 start = static_cast<int128>(quotient) * kWidth;
  if (start < store_detail::kInt64Min) return store_detail::kInt64Min;
  return static_cast<std::int64_t>(start);
}

}  // namespace lce

#include "ledger_common.h"

#include "llm_cost_exporter/open_slots.h"
#include "llm_cost_exporter/small_bytes.h"
#include "llm_cost_exporter/string_hash.h"
#include "llm_cost_exporter/timestamp.h"
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

}  // namespace

Status ValidateEntries(std::span<const LedgerEntry> entries) {
  Money total;
  return ValidateEntries(entries, total, 0);
}

Status ValidateEntries(std::span<const LedgerEntry> entries, Money& running_total, std::size_t first) {
  Money total = running_total;
  for (std::size_t at = 0; at < entries.size(); ++at) {
    const LedgerEntry& entry = entries[at];
    const std::size_t i = first + at;
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
  running_total = total;
  return Status::Ok();
}

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) {
    if (!out.empty()) out += '\n';
    for (char c : line) out += (c == '\n' || c == '\r') ? ' ' : c;
  }
  return out;
}
std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

SplitMoney Split(Money amount) {
  const int128 atto = amount.atto();
  return {static_cast<std::int64_t>(atto / Money::kOneDollar), static_cast<std::int64_t>(atto % Money::kOneDollar)};
}

Money Join(std::int64_t whole, std::int64_t frac) {
  return Money::FromAtto(static_cast<int128>(whole) * Money::kOneDollar + frac);
}

// The labels hashed where they lie (HashPieces: no buffer to lay them end
// to end in), seeded with the bucket's numbers; this runs for every record
// a call appends.
std::size_t BucketLabelsHash::operator()(const BucketLabels& labels) const {
  const std::string_view parts[] = {labels.service, labels.campaign_id, labels.vendor, labels.model,
                                    labels.service_tier};
  const std::uint64_t tiers = labels.context_tier * 2 + (labels.retry ? 1 : 0);
  const auto start = static_cast<std::uint64_t>(labels.start_unix_ns);
  return static_cast<std::size_t>(HashPieces(parts, start ^ (tiers * 0x9E3779B97F4A7C15ull)));
}

bool BucketLabels::operator==(const BucketLabels& b) const {
  const BucketLabels& a = *this;
  return a.start_unix_ns == b.start_unix_ns && a.context_tier == b.context_tier && a.retry == b.retry &&
         EqualStrings(a.model, b.model) && EqualStrings(a.campaign_id, b.campaign_id) &&
         EqualStrings(a.service, b.service) && EqualStrings(a.vendor, b.vendor) &&
         EqualStrings(a.service_tier, b.service_tier);
}

BucketLabels LabelsOf(const LedgerEntry& entry) {
  return BucketLabels{SpendBucket::StartOf(entry.timestamp_unix_ns),
                      entry.service,
                      entry.campaign_id,
                      entry.vendor,
                      entry.model,
                      entry.service_tier,
                      entry.context_tier,
                      entry.retry};
}

BucketLabels LabelsOf(const SpendBucket& bucket) {
  return BucketLabels{bucket.start_unix_ns, bucket.service,      bucket.campaign_id,  bucket.vendor,
                      bucket.model,         bucket.service_tier, bucket.context_tier, bucket.retry};
}

void MarkFullBuckets(std::span<const LedgerEntry> entries, std::span<const BucketLabels> full,
                     std::span<EntryOutcome> outcomes) {
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const BucketLabels labels = LabelsOf(entries[i]);
    if (std::find(full.begin(), full.end(), labels) != full.end()) outcomes[i] = EntryOutcome::kOutOfRange;
  }
}

bool BucketHasRoom(Money stored, Money added) { return added <= kMaxBucketCost - stored; }

BucketSums& SpendAggregate::SumsFor(const BucketLabels& labels) {
  slots_.MakeRoomForOneMore(buckets_.size(), [this](std::size_t b) { return hashes_[b]; });
  const std::uint64_t hash = BucketLabelsHash()(labels);
  std::uint32_t* slot =
      slots_.Find(hash, [&](std::size_t b) { return hashes_[b] == hash && buckets_[b].first == labels; });
  if (*slot == 0) {
    buckets_.emplace_back(labels, BucketSums{});
    hashes_.push_back(hash);
    *slot = static_cast<std::uint32_t>(buckets_.size());
  }
  return buckets_[*slot - 1].second;
}

void SpendAggregate::Add(const LedgerEntry& entry) {
  BucketSums& sums = SumsFor(LabelsOf(entry));
  sums.cost += entry.cost;
  if (entry.retry) sums.retry_cost += entry.cost;
  ++sums.records;
  if (entry.unpriced) ++sums.unpriced_records;
  for (std::size_t i = 0; i < kTokenTypeCount; ++i) sums.tokens.count[i] += entry.tokens.count[i];
  for (const UnitCount& unit : entry.units) {
    const auto it =
        std::find_if(sums.units.begin(), sums.units.end(), [&](const UnitSum& u) { return u.unit == unit.unit; });
    if (it == sums.units.end()) {
      sums.units.push_back(UnitSum{unit.unit, unit.count});
    } else {
      it->count += unit.count;
    }
  }
}

void AddUnit(std::vector<BucketUnit>& units, std::string_view unit, std::uint64_t count) {
  const auto it = std::lower_bound(units.begin(), units.end(), unit,
                                   [](const BucketUnit& u, std::string_view name) { return u.unit < name; });
  if (it != units.end() && it->unit == unit) {
    it->count += count;
  } else {
    units.insert(it, BucketUnit{std::string(unit), count});
  }
}

void Accumulate(SpendBucket& total, const BucketSums& sums) {
  total.cost += sums.cost;
  total.retry_cost += sums.retry_cost;
  total.records += sums.records;
  total.unpriced_records += sums.unpriced_records;
  for (std::size_t i = 0; i < kTokenTypeCount; ++i) total.tokens.count[i] += sums.tokens.count[i];
  for (const UnitSum& unit : sums.units) AddUnit(total.units, unit.unit, unit.count);
}

Result<RepriceReport> PlanRepricing(const RepriceRequest& request, const std::vector<SpendBucket>& buckets) {
  RepriceReport report;
  RepricingAudit& audit = report.audit;
  audit.who = request.who;
  audit.at_unix_ns = request.now_unix_ns;
  audit.from_unix_ns = request.from_unix_ns;
  audit.to_unix_ns = request.to_unix_ns;
  audit.buckets = buckets.size();
  const auto refuse = [&](const SpendBucket& bucket, std::string reason) {
    if (audit.refused.size() < kMaxAuditRefusals) {
      std::string line = FormatRfc3339(bucket.start_unix_ns) + ' ' + bucket.service + '/' + bucket.campaign_id + '/' +
                         bucket.vendor + '/' + bucket.model;
      if (!bucket.service_tier.empty()) (line += '/') += bucket.service_tier;
      audit.refused.push_back(line + ": " + reason);
    }
    report.refused.push_back(RefusedBucket{bucket, std::move(reason)});
  };
  for (const SpendBucket& bucket : buckets) {
    audit.old_total += bucket.cost;
    if (!bucket.detailed) {
      audit.new_total += bucket.cost;
      refuse(bucket, "written before the ledger kept token detail (schema < 3): not re-priceable");
      continue;
    }
    BucketPrice price = request.pricer(bucket);
    if (price.refused) {
      audit.new_total += bucket.cost;
      refuse(bucket, std::move(price.reason));
      continue;
    }
    if (price.cost < Money() || price.cost > kMaxBucketCost) {
      return Status::InvalidArgument("re-pricing: bucket " + FormatRfc3339(bucket.start_unix_ns) + ' ' +
                                     bucket.campaign_id + '/' + bucket.vendor + '/' + bucket.model + " would cost " +
                                     price.cost.ToDecimalString() + " USD, outside [0, " +
                                     kMaxBucketCost.ToDecimalString() + "]");
    }
    if (!price.table.empty() &&
        std::find(audit.tables.begin(), audit.tables.end(), price.table) == audit.tables.end()) {
      audit.tables.push_back(price.table);
    }
    audit.new_total += price.cost;
    const Money retry_cost = bucket.retry ? price.cost : Money();
    if (price.cost != bucket.cost || retry_cost != bucket.retry_cost || bucket.unpriced_records != 0) {
      report.changed.push_back(RepricedBucket{bucket, price.cost, retry_cost});
    }
  }
  if (report.refused.size() > kMaxAuditRefusals) {
    audit.refused.push_back("... and " + std::to_string(report.refused.size() - kMaxAuditRefusals) + " more");
  }
  audit.buckets_changed = report.changed.size();
  audit.buckets_refused = report.refused.size();
  std::sort(audit.tables.begin(), audit.tables.end());
  return report;
}

void ApplyRepricing(SpendBucket& bucket, const RepricedBucket& change) {
  bucket.cost = change.cost;
  bucket.retry_cost = change.retry_cost;
  bucket.unpriced_records = 0;
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

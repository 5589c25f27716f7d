// Fuzz target: the ingest pipeline after parsing (pricing, the ledger's
// range, idempotency fingerprints) on an NDJSON body, ingested twice into one
// in-memory ledger. Checks, against an independent model of the contract
// (docs/usage-record.md#bounds, #idempotency):
//   - Ingest never fails: with a store that cannot fail, no content turns
//     into an error of the request;
//   - every record is accepted, a duplicate or rejected exactly once:
//     accepted + duplicate + rejected == records, errors in body order with
//     distinct indices, each message printable and starting "record <i>: ";
//   - each record's outcome is the model's: a cost above kMaxEntryCost, or
//     one taking the request's running total past kMaxAppendCost, is
//     out_of_range; a key seen before (in this or the earlier request) is a
//     duplicate with the same fingerprint and a conflict with another one;
//     else accepted;
//   - the ledger holds exactly the model's spend (exact Money), so nothing
//     rejected, duplicated or conflicting was counted, and nothing accepted
//     was lost; the second pass adds only records without a key.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_check.h"
#include "llm_cost_exporter/pipeline.h"
#include "usage_checks.h"

namespace {
using namespace lce;

// Cheap and dear prices, up to the largest a table may hold, so that the
// cost bounds are reachable with counts inside the record bounds.
constexpr const char* kTables[][2] = {
    {"v.yaml", R"(
provider: v
currency: USD
versions:
  - effective_from: 2020-01-01
    models:
      m: {per_million_tokens: {input: 3, output: 15, cached_input: 0.3, cache_write: 3.75}}
      pricey: {per_million_tokens: {input: 1000000, output: 1000000, reasoning: 1000000}}
)"},
    {"d.yaml", R"(
provider: d
currency: USD
versions:
  - effective_from: 2020-01-01
    per_unit: {lookups: 1000000, emails: 0.0009}
)"},
};

const PriceBook& Prices() {
  static const std::shared_ptr<const PriceBook> book = [] {
    std::vector<std::pair<std::string, std::string>> documents;
    for (const auto& table : kTables) documents.emplace_back(table[0], table[1]);
    auto loaded = PriceBook::LoadDocuments(documents);
    LCE_FUZZ_CHECK(loaded.ok());
    return std::move(loaded).value();
  }();
  return *book;
}

struct Expected {
  std::vector<std::pair<std::size_t, RejectReason>> errors;  // body order
  std::size_t accepted = 0;
  std::size_t duplicate = 0;
  Money spend;  // of the accepted records
};

// The model: the contract applied to a parsed batch, with the keys (and
// their fingerprints) seen by earlier requests in `seen`.
Expected Model(const Batch& batch, std::map<std::string, std::uint64_t>& seen) {
  Expected out;
  std::map<std::size_t, RejectReason> errors;
  for (const RecordError& e : batch.errors) errors.emplace(e.index, e.reason);
  Money request_cost;
  for (std::size_t i = 0; i < batch.records.size(); ++i) {
    const UsageRecord& r = batch.records[i];
    const Money cost = Prices().Price(r).total;
    if (cost > kMaxEntryCost || cost > kMaxAppendCost - request_cost) {
      errors.emplace(batch.record_index[i], RejectReason::kOutOfRange);
      continue;
    }
    request_cost += cost;
    if (!r.idempotency_key.empty()) {
      const std::uint64_t fingerprint = RecordFingerprint(r);
      const auto [it, inserted] = seen.emplace(r.idempotency_key, fingerprint);
      if (!inserted) {
        if (it->second == fingerprint) {
          ++out.duplicate;
        } else {
          errors.emplace(batch.record_index[i], RejectReason::kConflict);
        }
        continue;
      }
    }
    ++out.accepted;
    out.spend += cost;
  }
  out.errors.assign(errors.begin(), errors.end());
  return out;
}

Money LedgerSpend(const Ledger& ledger) {
  auto buckets = ledger.Spend(std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max());
  LCE_FUZZ_CHECK(buckets.ok());
  Money total;
  for (const SpendBucket& bucket : *buckets) {
    LCE_FUZZ_CHECK(bucket.cost <= kMaxBucketCost);
    total += bucket.cost;
  }
  return total;
}

void CheckSummary(const IngestSummary& summary, const Expected& expected, std::size_t total) {
  LCE_FUZZ_CHECK(summary.accepted + summary.duplicate + summary.rejected == total);
  LCE_FUZZ_CHECK(summary.rejected == summary.errors.size());
  LCE_FUZZ_CHECK(summary.accepted == expected.accepted);
  LCE_FUZZ_CHECK(summary.duplicate == expected.duplicate);
  LCE_FUZZ_CHECK(summary.errors.size() == expected.errors.size());
  for (std::size_t k = 0; k < summary.errors.size(); ++k) {
    const RecordError& e = summary.errors[k];
    LCE_FUZZ_CHECK(e.index == expected.errors[k].first);
    LCE_FUZZ_CHECK(e.reason == expected.errors[k].second);
    LCE_FUZZ_CHECK(fuzz::IsPrintableAscii(e.message));
    LCE_FUZZ_CHECK(e.message.starts_with("record " + std::to_string(e.index) + ": "));
    if (e.reason == RejectReason::kConflict) LCE_FUZZ_CHECK(e.field == "event_id" || e.field == "trace_id");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const IngestOptions options;
  const std::int64_t received = fuzz::kReceiveTimeUnixNs;

  SelfMetrics self(BuildInfo{"fuzz", "fuzz", "fuzz"});
  MetricRegistry registry;
  const std::unique_ptr<UsageMetrics> usage_metrics = UsageMetrics::WithDefaults(registry);
  UsageMetrics& usage = *usage_metrics;
  Budgets budgets{BudgetsConfig{}};
  const std::unique_ptr<Ledger> ledger = NewMemoryLedger(std::chrono::hours(1));
  IngestPipeline pipeline(usage, *ledger, budgets, self);

  std::map<std::string, std::uint64_t> seen;
  Money spend;
  for (int pass = 0; pass < 2; ++pass) {
    Result<Batch> model_batch = ParseBatch(body, BodyFormat::kNdjson, options, received);
    Result<Batch> batch = ParseBatch(body, BodyFormat::kNdjson, options, received);
    LCE_FUZZ_CHECK(model_batch.ok() && batch.ok());
    const std::size_t total = batch->total;
    std::size_t keyless = 0;
    for (const UsageRecord& r : batch->records) keyless += r.idempotency_key.empty() ? 1 : 0;
    const Expected expected = Model(*model_batch, seen);
    Result<IngestSummary> summary = pipeline.Ingest(std::move(batch).value(), Prices(), received);
    LCE_FUZZ_CHECK(summary.ok());
    CheckSummary(*summary, expected, total);
    if (pass == 1) LCE_FUZZ_CHECK(summary->accepted <= keyless);
    spend += expected.spend;
    LCE_FUZZ_CHECK(LedgerSpend(*ledger) == spend);
  }
  return 0;
}

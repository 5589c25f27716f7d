#include "llm_cost_exporter/pipeline.h"

#include <algorithm>
#include <iterator>
#include <optional>
#include <string>

namespace lce {
namespace {

LedgerEntry EntryFor(const UsageRecord& record, const PriceResult& price) {
  LedgerEntry entry;
  entry.idempotency_key = record.idempotency_key;
  entry.timestamp_unix_ns = record.timestamp_unix_ns;
  entry.service = record.service;
  entry.campaign_id = record.campaign_id;
  entry.vendor = price.vendor;  // as priced: the table's names when they matched
  entry.model = price.model;
  entry.cost = price.total;
  entry.fingerprint = RecordFingerprint(record);
  entry.retry = record.is_retry();
  entry.unpriced = price.unpriced();
  entry.service_tier = record.service_tier;
  entry.context_tier = price.context_tier;
  entry.tokens = record.tokens;
  entry.units = record.units;
  entry.reservation_id = record.reservation_id;
  return entry;
}

RecordError ErrorAt(std::size_t index, RejectReason reason, std::string field, const std::string& message) {
  std::string text = "record " + std::to_string(index) + ": ";
  if (!field.empty()) text += "field \"" + field + "\": ";
  return RecordError{index, std::move(field), reason, text + message};
}

// A record with a model and no vendor that several tables price: rejected
// alone, since guessing would put its cost on the wrong vendor.
RecordError AmbiguousVendorError(const UsageRecord& record, const PriceBook& prices, std::size_t index) {
  const std::array<std::string_view, 2> candidates = prices.VendorsKnowing(record);
  return ErrorAt(index, RejectReason::kMissingField, "vendor",
                 "is required: model \"" + std::string(record.model) + "\" is priced by " + std::string(candidates[0]) +
                     " and " + std::string(candidates[1]) + " (and maybe others); give the vendor");
}

// The field that made a record's cost: its tokens, unless its units cost more.
std::string CostField(const UsageRecord& record, const PriceResult& price) {
  const bool units_cost_more = !record.units.empty() && price.total - price.token_cost > price.token_cost;
  return record.has_token_usage && !units_cost_more ? "token_usage" : "units";
}

// Checks a record's priced cost against the ledger's range, given the cost
// of the batch's records accepted before it; nullopt when it fits.
std::optional<RecordError> CostError(const UsageRecord& record, const PriceResult& price, Money batch_cost,
                                     std::size_t index) {
  if (price.total > kMaxEntryCost) {
    return ErrorAt(index, RejectReason::kOutOfRange, CostField(record, price),
                   "priced at " + price.total.ToDecimalString() + " USD, above the " + kMaxEntryCost.ToDecimalString() +
                       " USD one record may cost; nothing of it was counted");
  }
  if (price.total > kMaxAppendCost - batch_cost) {
    return ErrorAt(index, RejectReason::kOutOfRange, CostField(record, price),
                   "would take this request's priced cost past " + kMaxAppendCost.ToDecimalString() +
                       " USD; nothing of it was counted, send it in another request");
  }
  return std::nullopt;
}

RecordError LedgerError(const UsageRecord& record, EntryOutcome outcome, std::size_t index) {
  if (outcome == EntryOutcome::kConflict) {
    const std::string field = record.event_id.empty() ? "trace_id" : "event_id";
    return ErrorAt(index, RejectReason::kConflict, field,
                   "idempotency key \"" + std::string(record.idempotency_key) +
                       "\" was already used for a record with different content; nothing of this record was "
                       "counted (send it with a new " +
                       field + ")");
  }
  return ErrorAt(index, RejectReason::kOutOfRange, "",
                 "its spend bucket (15 minutes of one service, campaign_id, vendor and model) has reached " +
                     kMaxBucketCost.ToDecimalString() + " USD; nothing of it was counted");
}

// Merges `late` (errors found after parsing, any order) into the batch's
// errors, which stay in body order.
std::vector<RecordError> MergeErrors(std::vector<RecordError> parsed, std::vector<RecordError> late) {
  if (late.empty()) return parsed;
  const auto by_index = [](const RecordError& a, const RecordError& b) { return a.index < b.index; };
  std::sort(late.begin(), late.end(), by_index);
  std::vector<RecordError> merged;
  merged.reserve(parsed.size() + late.size());
  std::merge(std::make_move_iterator(parsed.begin()), std::make_move_iterator(parsed.end()),
             std::make_move_iterator(late.begin()), std::make_move_iterator(late.end()), std::back_inserter(merged),
             by_index);
  return merged;
}

}  // namespace

// A stream's state. Parts are kept whole (their records, prices and
// entries) until Finish: the ledger reads the entries, which view the
// records, until it has committed.
struct IngestPipeline::Stream::State {
  struct Part {
    Batch batch;
    std::vector<PriceResult> priced;
    std::vector<LedgerEntry> entries;
    std::vector<std::size_t> entry_record;  // entries[j] is batch.records[entry_record[j]]
  };

  State(IngestPipeline& owner, const PriceBook& price_book, std::int64_t receive_unix_ns)
      : pipeline(owner), prices(price_book), ledger(owner.ledger_.OpenAppend(receive_unix_ns)) {}

  // Every entry's record as it counts if the ledger finds it new (labels as
  // priced: the fingerprint, computed in Add, saw it as sent), in entry
  // order. The ledger reads the entries, not the records.
  std::vector<UsageMetrics::Observation> Candidates() {
    std::vector<UsageMetrics::Observation> candidates;
    std::size_t count = 0;
    for (const std::unique_ptr<Part>& part : parts) count += part->entries.size();
    candidates.reserve(count);
    for (const std::unique_ptr<Part>& part : parts) {
      for (const std::size_t i : part->entry_record) {
        UsageRecord& record = part->batch.records[i];
        const PriceResult& price = part->priced[i];
        record.vendor = price.vendor;
        record.model = price.model;
        candidates.push_back({&record, &price});
      }
    }
    return candidates;
  }

  IngestPipeline& pipeline;
  const PriceBook& prices;
  std::unique_ptr<AppendStream> ledger;
  std::vector<std::unique_ptr<Part>> parts;
  std::vector<RecordError> parsed_errors;  // the parts' own, in body order
  std::vector<RecordError> late_errors;    // cost beyond the ledger's range, conflicts, full buckets
  Money batch_cost;                        // of the entries handed to the ledger so far
  Status failed;
};

IngestPipeline::Stream::Stream(std::unique_ptr<State> state) : state_(std::move(state)) {}
IngestPipeline::Stream::Stream(Stream&&) noexcept = default;
IngestPipeline::Stream::~Stream() = default;

IngestPipeline::Stream IngestPipeline::Open(const PriceBook& prices, std::int64_t receive_unix_ns) {
  return Stream(std::make_unique<Stream::State>(*this, prices, receive_unix_ns));
}

Status IngestPipeline::Stream::Add(Batch&& batch) {
  State& s = *state_;
  if (!s.failed.ok()) return s.failed;
  State::Part& part = *s.parts.emplace_back(std::make_unique<State::Part>());
  part.batch = std::move(batch);
  const std::size_t count = part.batch.records.size();
  part.priced.reserve(count);
  part.entries.reserve(count);
  part.entry_record.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const UsageRecord& record = part.batch.records[i];
    const std::size_t index = part.batch.record_index[i];
    part.priced.push_back(s.prices.Price(record));
    if (part.priced.back().outcome == PriceOutcome::kAmbiguousVendor) {
      s.late_errors.push_back(AmbiguousVendorError(record, s.prices, index));
      continue;
    }
    if (std::optional<RecordError> error = CostError(record, part.priced.back(), s.batch_cost, index)) {
      s.late_errors.push_back(std::move(*error));
      continue;
    }
    s.batch_cost += part.priced.back().total;
    part.entries.push_back(EntryFor(record, part.priced.back()));
    part.entry_record.push_back(i);
  }
  std::move(part.batch.errors.begin(), part.batch.errors.end(), std::back_inserter(s.parsed_errors));
  part.batch.errors.clear();
  s.failed = s.ledger->Add(part.entries);
  return s.failed;
}

Result<IngestSummary> IngestPipeline::Stream::Finish() {
  State& s = *state_;
  if (!s.failed.ok()) return s.failed;
  IngestPipeline& pipeline = s.pipeline;
  // While the ledger commits (on its own thread, for SQLite): the metric
  // series of the records and their sums, as if every one is new.
  s.ledger->Seal();
  std::vector<UsageMetrics::Observation> candidates = s.Candidates();
  UsageMetrics::Draft draft = pipeline.usage_.DraftAll(candidates);
  Result<std::vector<EntryOutcome>> outcomes = s.ledger->Finish();
  if (!outcomes.ok()) return outcomes.status();

  IngestSummary summary;
  // The committed records, counted together once the loop is done.
  std::vector<Budgets::Spend> spent;
  std::vector<UsageMetrics::Observation> observed;
  spent.reserve(outcomes->size());
  observed.reserve(outcomes->size());
  std::size_t outcome = 0;  // outcomes are over every part's entries, in order
  for (const std::unique_ptr<State::Part>& part : s.parts) {
    for (std::size_t j = 0; j < part->entries.size(); ++j, ++outcome) {
      const std::size_t i = part->entry_record[j];
      const UsageRecord& record = part->batch.records[i];
      const PriceResult& price = part->priced[i];
      switch ((*outcomes)[outcome]) {
        case EntryOutcome::kNew: break;
        case EntryOutcome::kDuplicate: ++summary.duplicate; continue;
        case EntryOutcome::kConflict:
        case EntryOutcome::kOutOfRange:
          s.late_errors.push_back(LedgerError(record, (*outcomes)[outcome], part->batch.record_index[i]));
          continue;
      }
      // A record without campaign_id belongs to no budget.
      if (!record.campaign_id.empty()) {
        spent.push_back(
            {record.campaign_id, record.timestamp_unix_ns, price.total, record.is_retry(), record.reservation_id});
      }
      observed.push_back(candidates[outcome]);
      ++summary.accepted;
      if (price.unpriced()) ++summary.unpriced;
    }
  }
  pipeline.budgets_.RecordAll(spent);
  if (observed.size() == candidates.size()) {
    pipeline.usage_.ObserveAll(candidates, std::move(draft));  // every one new: the draft's sums hold
  } else {
    pipeline.usage_.ObserveAll(observed);
  }
  summary.errors = MergeErrors(std::move(s.parsed_errors), std::move(s.late_errors));
  for (const RecordError& error : summary.errors) pipeline.self_.CountRejected(error.reason);
  summary.rejected = summary.errors.size();
  pipeline.self_.CountAccepted(summary.accepted);
  pipeline.self_.CountDuplicate(summary.duplicate);
  return summary;
}

Result<IngestSummary> IngestPipeline::Ingest(Batch&& batch, const PriceBook& prices, std::int64_t receive_unix_ns) {
  Stream stream = Open(prices, receive_unix_ns);
  if (Status added = stream.Add(std::move(batch)); !added.ok()) return added;
  return stream.Finish();
}

}  // namespace lce

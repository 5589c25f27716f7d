#include "llm_cost_exporter/pipeline.h"

namespace lce {
namespace {

LedgerEntry EntryFor(const UsageRecord& record, const PriceResult& price) {
  LedgerEntry entry;
  entry.idempotency_key = record.idempotency_key;
  entry.timestamp_unix_ns = record.timestamp_unix_ns;
  entry.service = record.service;
  entry.campaign_id = record.campaign_id;
  entry.vendor = record.vendor;
  entry.model = record.model;
  entry.cost = price.total;
  entry.retry = record.is_retry();
  entry.unpriced = price.unpriced();
  return entry;
}

}  // namespace

Result<IngestSummary> IngestPipeline::Ingest(Batch&& batch, const PriceBook& prices, std::int64_t receive_unix_ns) {
  std::vector<PriceResult> priced;
  std::vector<LedgerEntry> entries;
  priced.reserve(batch.records.size());
  entries.reserve(batch.records.size());
  for (const UsageRecord& record : batch.records) {
    priced.push_back(prices.Price(record));
    entries.push_back(EntryFor(record, priced.back()));
  }
  Result<std::vector<bool>> is_new = ledger_.Append(entries, receive_unix_ns);
  if (!is_new.ok()) return is_new.status();

  IngestSummary summary;
  for (std::size_t i = 0; i < batch.records.size(); ++i) {
    if (!(*is_new)[i]) {
      ++summary.duplicate;
      continue;
    }
    const UsageRecord& record = batch.records[i];
    // A record without campaign_id belongs to no budget.
    if (!record.campaign_id.empty()) {
      budgets_.Record(record.campaign_id, record.timestamp_unix_ns, priced[i].total, record.is_retry(),
                      record.reservation_id);
    }
    usage_.Observe(record, priced[i]);
    ++summary.accepted;
    if (priced[i].unpriced()) ++summary.unpriced;
  }
  for (const RecordError& error : batch.errors) self_.CountRejected(error.reason);
  summary.rejected = batch.errors.size();
  summary.errors = std::move(batch.errors);
  self_.CountAccepted(summary.accepted);
  self_.CountDuplicate(summary.duplicate);
  return summary;
}

}  // namespace lce

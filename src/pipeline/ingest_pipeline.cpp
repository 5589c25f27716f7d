#include "llm_cost_exporter/pipeline.h"

namespace lce {

IngestSummary IngestPipeline::Ingest(Batch&& batch, const PriceBook& prices) {
  IngestSummary summary;
  for (const UsageRecord& record : batch.records) {
    // Records without any id cannot be deduplicated; they are always counted.
    if (!record.idempotency_key.empty() && !keys_.Claim(record.idempotency_key)) {
      ++summary.duplicate;
      continue;
    }
    const PriceResult price = prices.Price(record);
    usage_.Observe(record, price);
    ++summary.accepted;
    if (price.unpriced()) ++summary.unpriced;
  }
  for (const RecordError& error : batch.errors) self_.CountRejected(error.reason);
  summary.rejected = batch.errors.size();
  summary.errors = std::move(batch.errors);
  self_.CountAccepted(summary.accepted);
  self_.CountDuplicate(summary.duplicate);
  return summary;
}

}  // namespace lce

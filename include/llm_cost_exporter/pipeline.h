// IngestPipeline: the one-way data path for a parsed batch:
// record -> idempotency claim -> priced record -> metrics.
//
// Thread-safe: any number of request threads may call Ingest concurrently; a
// record's idempotency key is claimed atomically before it is counted, so the
// same key is counted once however requests interleave.
#pragma once

#include <cstddef>
#include <vector>

#include "llm_cost_exporter/idempotency.h"
#include "llm_cost_exporter/ingest.h"
#include "llm_cost_exporter/metrics.h"
#include "llm_cost_exporter/pricing.h"
#include "llm_cost_exporter/self_metrics.h"

namespace lce {

struct IngestSummary {
  std::size_t accepted = 0;
  std::size_t duplicate = 0;
  std::size_t rejected = 0;
  std::size_t unpriced = 0;            // accepted records with an unpriced part
  std::vector<RecordError> errors;     // the batch's rejections, in body order
};

class IngestPipeline {
 public:
  IngestPipeline(UsageMetrics& usage, IdempotencyStore& keys, SelfMetrics& self)
      : usage_(usage), keys_(keys), self_(self) {}

  // Counts every record of `batch` not seen before, priced with `prices`.
  IngestSummary Ingest(Batch&& batch, const PriceBook& prices);

 private:
  UsageMetrics& usage_;
  IdempotencyStore& keys_;
  SelfMetrics& self_;
};

}  // namespace lce

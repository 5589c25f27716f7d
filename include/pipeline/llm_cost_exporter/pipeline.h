// IngestPipeline: the one-way data path for a parsed batch:
// record -> priced record -> ledger (durable, deduplicated) -> budgets + metrics.
//
// Thread-safe: any number of request threads may call Ingest concurrently.
// The ledger decides which records are new (each idempotency key once, however
// requests interleave) and commits them before Ingest returns; only committed
// records reach the metrics, so /metrics never shows what a crash could lose.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "llm_cost_exporter/budgets.h"
#include "llm_cost_exporter/ingest.h"
#include "llm_cost_exporter/ledger.h"
#include "llm_cost_exporter/metrics.h"
#include "llm_cost_exporter/pricing.h"
#include "llm_cost_exporter/self_metrics.h"

namespace lce {

struct IngestSummary {
  std::size_t accepted = 0;
  std::size_t duplicate = 0;
  std::size_t rejected = 0;
  std::size_t unpriced = 0;         // accepted records with an unpriced part
  std::vector<RecordError> errors;  // the batch's rejections, in body order
};

class IngestPipeline {
 public:
  IngestPipeline(UsageMetrics& usage, Ledger& ledger, Budgets& budgets, SelfMetrics& self)
      : usage_(usage), ledger_(ledger), budgets_(budgets), self_(self) {}

  // Prices every valid record of `batch`, commits the new ones to the ledger
  // and counts them. A record is rejected alone (in the summary's errors,
  // body order) when its priced cost is beyond the ledger's range
  // (kMaxEntryCost, or the batch's running total past kMaxAppendCost:
  // out_of_range), when its idempotency key was used for other content
  // (conflict), or when its spend bucket is full (out_of_range). Fails only
  // when the ledger cannot commit (the store, never a record's content);
  // then nothing of the batch was counted and the client may safely send it
  // again.
  Result<IngestSummary> Ingest(Batch&& batch, const PriceBook& prices, std::int64_t receive_unix_ns);

  // One request's records in parts, in body order (each parsed with
  // ParseBatch's first_index = the records of the parts before): each part
  // is priced and handed to the ledger as it is added, so the store writes
  // it while the caller parses the next. Finish commits and counts every
  // part at once, with exactly the outcome Ingest would give one batch
  // holding them all. Destroyed without Finish, or after an Add that
  // failed: nothing is counted. One caller; between the first Add and
  // Finish it must not wait on the ledger.
  class Stream {
   public:
    Stream(Stream&&) noexcept;
    ~Stream();
    Status Add(Batch&& part);
    Result<IngestSummary> Finish();

   private:
    friend class IngestPipeline;
    struct State;
    explicit Stream(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
  };
  Stream Open(const PriceBook& prices, std::int64_t receive_unix_ns);

 private:
  UsageMetrics& usage_;
  Ledger& ledger_;
  Budgets& budgets_;
  SelfMetrics& self_;
};

}  // namespace lce

// The LLM call families: llm_tokens_total, llm_cost_usd_total,
// llm_retry_cost_usd_total, llm_requests_total, llm_tokens_per_request, and
// llm_unpriced_records_total (which counts any unpriced record), and
// llm_release_first_seen_timestamp_seconds (when each service / operation
// started using a model and prompt version: the release annotations).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <limits>
#include <vector>

#include "cells.h"
#include "histogram.h"
#include "label_values.h"
#include "line_writer.h"
#include "llm_cost_exporter/pricing.h"
#include "llm_cost_exporter/usage_record.h"
#include "record_labels.h"
#include "series_store.h"
#include "series_tally.h"

namespace lce::metrics {

class LlmFamilies {
  struct SpendSeries;
  struct RequestSeries;
  struct TokensPerRequestSeries;
  struct ReleaseSeries;

 public:
  explicit LlmFamilies(std::vector<double> tokens_per_request_buckets);

  // The series an LLM call with these labels updates. Resolved once per label
  // tuple (RecordRoutes caches them); stable for the families' lifetime.
  struct Handles {
    SpendSeries* spend = nullptr;
    RequestSeries* requests = nullptr;
    TokensPerRequestSeries* tokens_per_request = nullptr;  // null unless resolved with token usage
    ReleaseSeries* release = nullptr;
  };
  Handles Resolve(const AdmittedLabels& labels, bool has_token_usage);

  // The LLM calls of one batch, summed per series and added to each series
  // once (Apply): one atomic add per cell and series, and one store of each
  // series' last exemplar, instead of one of each per record. Observing the
  // records one by one and applying after each gives the same series.
  // The records' exemplar ids are views: the records must outlive Apply.
  class Tally {
   public:
    explicit Tally(LlmFamilies& families) : families_(families) {}
    // Requires record.is_llm_call() and `series` resolved with the record's
    // admitted labels and has_token_usage. A non-empty `exemplar` becomes the
    // last exemplar of the cost sample (when the record has a priced part)
    // and of the request sample.
    void Observe(const Handles& series, const UsageRecord& record, const PriceResult& price,
                 const ExemplarIds& exemplar = {});
    // Adds the sums to their series and stores the last exemplars; leaves the
    // tally empty.
    void Apply();

   private:
    struct SpendSum {
      std::array<std::uint64_t, kTokenTypeCount> tokens{};
      Money cost;
      Money retry_cost;
      bool priced = false;        // a record with a priced part was counted
      bool retry_priced = false;  // ... and one of them was a retry
      ExemplarIds exemplar;       // the last priced record's
      Money exemplar_cost;
    };
    struct RequestSum {
      std::array<std::uint64_t, kStatusClassCount> by_status{};
      std::array<ExemplarIds, kStatusClassCount> exemplars{};
    };
    struct TokensSum {
      std::vector<std::uint64_t> counts;  // [type * bucket_count + bucket]; sized at first use
      std::array<std::int64_t, kTokenTypeCount> sums{};
    };
    struct ReleaseSum {
      std::int64_t first_seen_unix_ns = std::numeric_limits<std::int64_t>::max();
    };

    void CountTokens(TokensSum& sum, const TokenUsage& tokens) const;

    LlmFamilies& families_;
    SeriesTally<SpendSeries, SpendSum> spend_;
    SeriesTally<RequestSeries, RequestSum> requests_;
    SeriesTally<TokensPerRequestSeries, TokensSum> tokens_per_request_;
    SeriesTally<ReleaseSeries, ReleaseSum> releases_;
  };

  // Requires price.unpriced().
  void ObserveUnpriced(const AdmittedLabels& labels, PriceOutcome outcome);

  // Writes the families' lines into `scrape` (with the exemplars of
  // llm_cost_usd_total and llm_requests_total in OpenMetrics).
  void Collect(Scrape& scrape) const;

 private:
  // {service, campaign_id, vendor, model}
  struct SpendSeries {
    std::array<CountCell, kTokenTypeCount> tokens;
    CostCell cost;
    CostCell retry_cost;
    CostExemplarCell cost_exemplar;  // value: the record's priced cost
  };
  // {service, operation, vendor, model}, one count per status class.
  struct RequestSeries {
    std::array<CountCell, kStatusClassCount> by_status;
    std::array<ExemplarCell, kStatusClassCount> exemplars;  // value: 1
  };
  // {vendor, model}, one histogram per token type.
  struct TokensPerRequestSeries {
    explicit TokensPerRequestSeries(std::size_t bucket_count) : histograms(kTokenTypeCount, bucket_count) {}
    HistogramSet histograms;
  };
  // {service, operation, vendor, model, prompt_version}: the earliest record
  // timestamp seen, lowered (never raised) by a compare-exchange, so a record
  // that is not earlier costs one relaxed load.
  struct ReleaseSeries {
    std::atomic<std::int64_t> first_seen_unix_ns{std::numeric_limits<std::int64_t>::max()};
    void Lower(std::int64_t unix_ns);
  };
  // {vendor, model}, one count per price outcome.
  struct UnpricedSeries {
    std::array<CountCell, kPriceOutcomeCount> by_outcome;
  };

  void CollectSpend(LineWriter& lines) const;
  void CollectRequests(LineWriter& lines) const;
  void CollectTokensPerRequest(LineWriter& lines) const;
  void CollectUnpriced(LineWriter& lines) const;
  void CollectReleases(LineWriter& lines) const;

  BucketLayout tokens_layout_;
  std::vector<std::string> tokens_bounds_;  // rendered le labels of tokens_layout_
  TailLabel token_type_;
  TailLabel status_class_;
  TailLabel price_outcome_;
  SeriesStore<SpendSeries> spend_;
  SeriesStore<RequestSeries> requests_;
  SeriesStore<TokensPerRequestSeries> tokens_per_request_;
  SeriesStore<UnpricedSeries> unpriced_;
  SeriesStore<ReleaseSeries> releases_;
};

// Whether any part of the record was priced (its tokens or one of its units);
// PriceResult::total is then the exact cost of the priced parts.
bool HasPricedPart(const PriceResult& price);

}  // namespace lce::metrics

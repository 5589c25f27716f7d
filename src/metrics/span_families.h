// The golden signals by service and operation, for every record that reports
// a latency (GenAI or not):
//   span_latency_seconds{service, operation}: the latency, kept as integer
//     microseconds (sum) and integer bucket counts;
//   span_errors_total{service, operation}: those of the records that failed
//     (UsageRecord::failed). Its denominator is span_latency_seconds_count:
//     both are fed by the same records and live in one series, so every
//     latency series has an error sample, 0 until a record fails.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "cells.h"
#include "histogram.h"
#include "line_writer.h"
#include "record_labels.h"
#include "series_store.h"
#include "series_tally.h"

namespace lce::metrics {

class SpanFamilies {
  struct SpanSeries;

 public:
  explicit SpanFamilies(std::vector<double> latency_buckets_seconds);

  // The series of these labels (latency and errors), resolved once per label
  // tuple (RecordRoutes caches it); stable for the families' lifetime.
  struct Handle {
    SpanSeries* series = nullptr;
  };
  Handle Resolve(const AdmittedLabels& labels);

  // The records with a latency of one batch, summed per series and added to
  // each series once (Apply), as LlmFamilies::Tally does. The records'
  // exemplar ids are views: the records must outlive Apply.
  class Tally {
   public:
    explicit Tally(SpanFamilies& families) : families_(families) {}
    // One record with a latency. Requires `handle` resolved with the record's
    // admitted labels. A non-empty `exemplar` becomes the last exemplar of
    // the bucket the latency fell in.
    void Observe(const Handle& handle, std::int64_t latency_us, bool failed, const ExemplarIds& exemplar = {});
    // Adds the sums to their series and stores the last exemplars; leaves the
    // tally empty.
    void Apply();

   private:
    struct BucketExemplar {
      ExemplarIds ids;
      double seconds = 0;
    };
    struct SpanSum {
      std::vector<std::uint64_t> counts;      // per bucket; sized at first use
      std::vector<BucketExemplar> exemplars;  // per bucket, the last
      std::int64_t sum_us = 0;
      std::uint64_t errors = 0;
    };

    SpanFamilies& families_;
    SeriesTally<SpanSeries, SpanSum> series_;
  };

  // Writes the families' lines into `scrape` (with the exemplars of
  // span_latency_seconds' buckets in OpenMetrics).
  void Collect(Scrape& scrape) const;

 private:
  struct SpanSeries {
    explicit SpanSeries(std::size_t bucket_count)
        : histogram(1, bucket_count), exemplars(std::make_unique<ExemplarCell[]>(bucket_count)) {}
    HistogramSet histogram;
    CountCell errors;
    std::unique_ptr<ExemplarCell[]> exemplars;  // one per bucket; value: the latency in seconds
  };

  BucketLayout layout_;
  std::vector<std::string> bounds_;  // rendered le labels of layout_
  SeriesStore<SpanSeries> series_;
};

}  // namespace lce::metrics

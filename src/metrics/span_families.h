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

  // One record with a latency. Requires `handle` resolved with the record's
  // admitted labels. The bucket, the sum and (when `failed`) the error count
  // are relaxed atomics. A non-empty `exemplar` becomes the last exemplar of
  // the bucket the latency fell in.
  void Observe(const Handle& handle, std::int64_t latency_us, bool failed, const ExemplarIds& exemplar = {});
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

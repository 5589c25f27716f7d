// span_latency_seconds{service, operation}: latency of every record that
// reports one, kept as integer microseconds (sum) and integer bucket counts.
#pragma once

#include <cstdint>
#include <vector>

#include <prometheus/metric_family.h>

#include "histogram.h"
#include "record_labels.h"
#include "series_store.h"

namespace lce::metrics {

class SpanFamilies {
  struct LatencySeries;

 public:
  explicit SpanFamilies(std::vector<double> latency_buckets_seconds);

  // The latency series of these labels, resolved once per label tuple
  // (RecordRoutes caches it); stable for the families' lifetime.
  struct Handle {
    LatencySeries* latency = nullptr;
  };
  Handle Resolve(const AdmittedLabels& labels);

  // Requires `series` resolved with the record's admitted labels.
  void ObserveLatency(const Handle& series, std::int64_t latency_us);
  void Collect(std::vector<prometheus::MetricFamily>& out) const;

 private:
  struct LatencySeries {
    explicit LatencySeries(std::size_t bucket_count) : histogram(1, bucket_count) {}
    HistogramSet histogram;
  };

  BucketLayout layout_;
  SeriesStore<LatencySeries> latency_;
};

}  // namespace lce::metrics

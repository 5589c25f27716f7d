#include "histogram.h"

#include <algorithm>
#include <limits>

namespace lce::metrics {

std::size_t BucketLayout::IndexFor(double value) const {
  return static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
}

HistogramSet::HistogramSet(std::size_t histograms, std::size_t bucket_count)
    : bucket_count_(bucket_count),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(histograms * bucket_count)),
      sums_(std::make_unique<std::atomic<std::int64_t>[]>(histograms)) {}

void HistogramSet::Observe(std::size_t which, std::size_t bucket, std::int64_t amount) {
  buckets_[which * bucket_count_ + bucket].fetch_add(1, std::memory_order_relaxed);
  sums_[which].fetch_add(amount, std::memory_order_relaxed);
}

bool HistogramSet::Observed(std::size_t which) const {
  for (std::size_t b = 0; b < bucket_count_; ++b) {
    if (buckets_[which * bucket_count_ + b].load(std::memory_order_relaxed) != 0) return true;
  }
  return false;
}

void HistogramSet::Fill(std::size_t which, const BucketLayout& layout, double sum_divisor,
                        prometheus::ClientMetric::Histogram& out) const {
  std::uint64_t cumulative = 0;
  out.bucket.clear();
  for (std::size_t b = 0; b < bucket_count_; ++b) {
    cumulative += buckets_[which * bucket_count_ + b].load(std::memory_order_relaxed);
    prometheus::ClientMetric::Bucket bucket;
    bucket.cumulative_count = cumulative;
    bucket.upper_bound = b < layout.bounds().size() ? layout.bounds()[b] : std::numeric_limits<double>::infinity();
    out.bucket.push_back(bucket);
  }
  out.sample_count = cumulative;
  out.sample_sum = static_cast<double>(sums_[which].load(std::memory_order_relaxed)) / sum_divisor;
}

}  // namespace lce::metrics

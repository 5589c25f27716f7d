#include "histogram.h"

#include <algorithm>

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

void HistogramSet::Merge(std::size_t which, std::span<const std::uint64_t> counts, std::int64_t amount) {
  for (std::size_t b = 0; b < bucket_count_ && b < counts.size(); ++b) {
    if (counts[b] != 0) buckets_[which * bucket_count_ + b].fetch_add(counts[b], std::memory_order_relaxed);
  }
  if (amount != 0) sums_[which].fetch_add(amount, std::memory_order_relaxed);
}

std::int64_t HistogramSet::Cumulative(std::size_t which, std::span<std::uint64_t> cumulative) const {
  std::uint64_t running = 0;
  for (std::size_t b = 0; b < bucket_count_ && b < cumulative.size(); ++b) {
    running += buckets_[which * bucket_count_ + b].load(std::memory_order_relaxed);
    cumulative[b] = running;
  }
  return sums_[which].load(std::memory_order_relaxed);
}

}  // namespace lce::metrics

// Exact histograms: integer bucket counts and an integer sum, converted to
// Prometheus' cumulative buckets (+Inf included), _sum and _count at scrape.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace lce::metrics {

// Finite upper bounds, strictly ascending (checked by ValidateOptions).
class BucketLayout {
 public:
  explicit BucketLayout(std::vector<double> bounds) : bounds_(std::move(bounds)) {}

  // Index of the first bucket whose upper bound is >= value ("le" semantics:
  // a value exactly on a bound belongs to that bucket); bounds().size() means +Inf.
  std::size_t IndexFor(double value) const;
  std::size_t bucket_count() const { return bounds_.size() + 1; }
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
};

// `histograms` independent histograms over one layout (e.g. one per token
// type). Lock-free: relaxed atomics; _count is derived from the buckets at
// scrape so it always equals the +Inf bucket.
class HistogramSet {
 public:
  HistogramSet(std::size_t histograms, std::size_t bucket_count);

  void Observe(std::size_t which, std::size_t bucket, std::int64_t amount);
  // Adds many observations at once: counts[b] more in bucket b (bucket_count
  // of them; zero counts cost nothing) and `amount` to the sum.
  void Merge(std::size_t which, std::span<const std::uint64_t> counts, std::int64_t amount);
  // Writes histogram `which`'s cumulative bucket counts into `cumulative`
  // (bucket_count() of them: the last is the count) and returns its integer sum.
  std::int64_t Cumulative(std::size_t which, std::span<std::uint64_t> cumulative) const;

 private:
  std::size_t bucket_count_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // histograms * bucket_count_
  std::unique_ptr<std::atomic<std::int64_t>[]> sums_;      // histograms
};

}  // namespace lce::metrics

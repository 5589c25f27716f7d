// Per-series value cells updated on the hot path.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

#include "llm_cost_exporter/money.h"

namespace lce::metrics {

// A count: one relaxed atomic (exact, monotonic, no lock).
struct CountCell {
  std::atomic<std::uint64_t> value{0};

  void Add(std::uint64_t n) { value.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t Load() const { return value.load(std::memory_order_relaxed); }
};

// An exact USD total. Money is 128 bits, which has no portable lock-free
// atomic, so a tiny uncontended mutex guards it (held for one addition).
// `priced` records whether any priced amount (even $0) was ever added, so a
// series only ever fed unpriced records exposes no cost sample at all.
class CostCell {
 public:
  struct Snapshot {
    Money total;
    bool priced = false;
  };

  void Add(Money amount) {
    std::lock_guard lock(mutex_);
    total_ += amount;
    priced_ = true;
  }
  Snapshot Load() const {
    std::lock_guard lock(mutex_);
    return {total_, priced_};
  }

 private:
  mutable std::mutex mutex_;
  Money total_;
  bool priced_ = false;
};

}  // namespace lce::metrics

// Per-series value cells updated on the hot path.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>

#include "llm_cost_exporter/money.h"

namespace lce::metrics {

// A count: one relaxed atomic (exact, monotonic, no lock).
struct CountCell {
  std::atomic<std::uint64_t> value{0};

  void Add(std::uint64_t n) { value.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t Load() const { return value.load(std::memory_order_relaxed); }
};

// A lock for critical sections of a few instructions that never block:
// one atomic exchange to take it, a plain release store to drop it (a
// std::mutex costs two atomic read-modify-writes and two calls). Waiters spin
// on a load and yield now and then, in case the holder was preempted.
class SpinLock {
 public:
  void lock() noexcept {
    for (;;) {
      if (!locked_.exchange(true, std::memory_order_acquire)) return;
      for (int spins = 1; locked_.load(std::memory_order_relaxed); ++spins) {
        if (spins % 64 == 0) std::this_thread::yield();
      }
    }
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

// An exact USD total. Money is 128 bits, which has no portable lock-free
// atomic, so a spin lock guards it (held for one 128-bit addition).
// `priced` records whether any priced amount (even $0) was ever added, so a
// series only ever fed unpriced records exposes no cost sample at all.
class CostCell {
 public:
  struct Snapshot {
    Money total;
    bool priced = false;
  };

  void Add(Money amount) {
    std::lock_guard lock(lock_);
    total_ += amount;
    priced_ = true;
  }
  Snapshot Load() const {
    std::lock_guard lock(lock_);
    return {total_, priced_};
  }

 private:
  mutable SpinLock lock_;
  Money total_;
  bool priced_ = false;
};

}  // namespace lce::metrics

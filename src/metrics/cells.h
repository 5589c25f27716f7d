// Per-series value cells updated on the hot path.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>

#include "scrape.h"
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

// The trace context of one record, taken once per record for its exemplars:
// the ids (views into the record) and when the exporter counted it. Empty
// when the record has no trace id or an id longer than an exemplar cell holds.
struct ExemplarIds {
  static constexpr std::size_t kMaxTraceId = 32;  // W3C trace id: 32 hex digits
  static constexpr std::size_t kMaxSpanId = 16;   // W3C span id: 16 hex digits

  std::string_view trace_id;
  std::string_view span_id;  // may be empty (a /v1/usage record with a trace id only)
  std::int64_t unix_ns = 0;

  static bool Fit(std::string_view trace_id, std::string_view span_id) {
    return !trace_id.empty() && trace_id.size() <= kMaxTraceId && span_id.size() <= kMaxSpanId;
  }
  bool empty() const { return trace_id.empty(); }
};

// The last exemplar of a series (or of one histogram bucket). The ids are
// copied into fixed buffers, so storing allocates nothing; a spin lock held
// for the copy keeps a scrape from reading the ids of two records mixed.
// `Value` is double or Money (kept exact, converted only at scrape: the
// conversion's 128-bit divisions stay off the hot path).
template <typename Value>
class BasicExemplarCell {
 public:
  // Requires !ids.empty() (so both ids fit).
  void Store(const ExemplarIds& ids, Value value) {
    std::lock_guard lock(lock_);
    trace_len_ = static_cast<std::uint8_t>(ids.trace_id.size());
    span_len_ = static_cast<std::uint8_t>(ids.span_id.size());
    std::copy(ids.trace_id.begin(), ids.trace_id.end(), trace_);
    std::copy(ids.span_id.begin(), ids.span_id.end(), span_);
    value_ = value;
    unix_ns_ = ids.unix_ns;
  }
  // The last exemplar stored, or none (scrape time: allocates).
  std::optional<Exemplar> Load() const {
    Exemplar exemplar;
    if (!LoadInto(exemplar)) return std::nullopt;
    return exemplar;
  }
  // The same into `out`, reusing its strings' capacity; false (and `out`
  // unchanged) when nothing was stored yet.
  bool LoadInto(Exemplar& out) const {
    Value value;
    {
      std::lock_guard lock(lock_);
      if (trace_len_ == 0) return false;
      out.trace_id.assign(trace_, trace_len_);
      out.span_id.assign(span_, span_len_);
      value = value_;
      out.timestamp_ms = unix_ns_ / 1'000'000;
    }
    out.value = ToDouble(value);  // outside the lock: a Money conversion divides 128 bits
    return true;
  }

 private:
  mutable SpinLock lock_;
  std::uint8_t trace_len_ = 0;  // 0: nothing stored yet
  std::uint8_t span_len_ = 0;
  char trace_[ExemplarIds::kMaxTraceId]{};
  char span_[ExemplarIds::kMaxSpanId]{};
  Value value_{};
  std::int64_t unix_ns_ = 0;

  static double ToDouble(double value) { return value; }
  static double ToDouble(Money value) { return value.ToDouble(); }
};
using ExemplarCell = BasicExemplarCell<double>;
using CostExemplarCell = BasicExemplarCell<Money>;

}  // namespace lce::metrics

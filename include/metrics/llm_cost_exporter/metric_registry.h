// The one metrics registry. Every module's metrics reach /metrics through it:
// a module describes each of its families once (a MetricDesc: name, help,
// type, label names), implements a Collector that writes their samples at
// scrape time, and the composition root (src/server) registers it. The
// registry owns the one CardinalityGuard every guarded label goes through,
// and renders the exposition (the Prometheus text format 0.0.4 or
// OpenMetrics 1.0 with exemplars).
//
// prometheus-cpp stays inside the metrics module: nothing here names it.
//
// Thread safety: Register and Render may be called concurrently; a
// Collector's Collect runs concurrently with the updates of its state and must
// only read it (a scrape never changes what the exporter does).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "llm_cost_exporter/cardinality.h"

namespace lce {

namespace metrics {
struct Scrape;
}

enum class MetricType { kCounter, kGauge, kHistogram };

inline constexpr std::size_t kMaxMetricLabels = 8;

// A family's description, the one place its name, help, type and label names
// (in exposition order) are written. Counters are named with _total.
// Descriptions are constants with static storage: registries and sinks keep
// pointers to them.
struct MetricDesc {
  std::string_view name;
  std::string_view help;
  MetricType type = MetricType::kCounter;
  std::array<std::string_view, kMaxMetricLabels> labels{};  // trailing entries empty

  constexpr std::size_t label_count() const {
    std::size_t n = 0;
    while (n < labels.size() && !labels[n].empty()) ++n;
    return n;
  }
};

// What a Collector writes a scrape into. One per scrape; not thread-safe.
class MetricSink {
 public:
  explicit MetricSink(metrics::Scrape& scrape) : scrape_(scrape) {}

  // Starts `desc`'s family: the samples written next belong to it. A family
  // that gets no sample is left out of the exposition.
  void Family(const MetricDesc& desc);
  // A family of one unlabelled sample (a counter or a gauge).
  void Unlabelled(const MetricDesc& desc, double value);
  // A counter or gauge sample of the current family; values[i] is the value
  // of the family's labels[i] (exactly label_count() values).
  void Sample(std::initializer_list<std::string_view> values, double value);
  void Sample(std::span<const std::string_view> values, double value);
  // A histogram sample: cumulative[i] observations <= upper_bounds[i], then
  // the +Inf bucket (the count), so upper_bounds.size() + 1 counts; and the sum.
  void Histogram(std::span<const std::string_view> values, std::span<const double> upper_bounds,
                 std::span<const std::uint64_t> cumulative, double sum);

  // The scrape under construction, for the metrics module's own collectors.
  metrics::Scrape& scrape() { return scrape_; }

 private:
  metrics::Scrape& scrape_;
};

class Collector {
 public:
  virtual ~Collector() = default;
  // Writes the collector's families. Scrape time; reads state, never changes it.
  virtual void Collect(MetricSink& sink) const = 0;
};

enum class ExpositionFormat { kText004, kOpenMetrics };

class MetricRegistry {
 public:
  explicit MetricRegistry(CardinalityLimits limits = {});
  ~MetricRegistry();
  MetricRegistry(const MetricRegistry&) = delete;
  MetricRegistry& operator=(const MetricRegistry&) = delete;

  // Adds `collector` to every following scrape, after those registered before
  // it (the exposition's family order). It must outlive the registry's scrapes.
  void Register(const Collector& collector);

  // The one cardinality guard (limits from metrics.cardinality).
  CardinalityGuard& guard() { return guard_; }

  // Every registered family with at least one sample, samples sorted by their
  // labels (stable from scrape to scrape, diff-friendly). Exemplars only in
  // OpenMetrics, the one format that carries them.
  std::string Render(ExpositionFormat format) const;

 private:
  CardinalityGuard guard_;
  mutable std::mutex mutex_;
  std::vector<const Collector*> collectors_;
  mutable std::atomic<std::size_t> last_size_{0};  // bytes of the last exposition, a capacity hint
};

// Cells for modules that count outside the metrics module (self-metrics).
// Updates are relaxed atomics; a scrape reads them.
class Counter {
 public:
  void Increment(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// A counter family whose series are made on first use. With() takes a lock:
// keep the handle where the labels are known up front. Handles are stable.
class CounterFamily {
 public:
  explicit CounterFamily(const MetricDesc& desc) : desc_(desc) {}
  Counter& With(std::initializer_list<std::string_view> values);
  // Writes the family (every series made so far, zero included).
  void Collect(MetricSink& sink) const;

 private:
  const MetricDesc& desc_;
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Counter>, std::less<>> series_;
};

// An unlabelled histogram of durations with fixed bounds (seconds), kept
// exact: integer nanosecond sum, integer bucket counts. Lock-free.
class DurationHistogram {
 public:
  DurationHistogram(const MetricDesc& desc, std::vector<double> upper_bounds_seconds);
  void Observe(std::int64_t nanoseconds);
  void Collect(MetricSink& sink) const;

 private:
  const MetricDesc& desc_;
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds_.size() + 1, not cumulative
  std::atomic<std::int64_t> sum_ns_{0};
};

}  // namespace lce

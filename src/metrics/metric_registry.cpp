// MetricRegistry, MetricSink and the self-metric cells. MetricSink's families
// go through prometheus-cpp's MetricFamily model and our own writers of the
// 0.0.4 format (text004_writer.cpp) and of OpenMetrics
// (openmetrics_writer.cpp); the usage families write their lines directly
// (line_writer.h) into the same Scrape.
#include "llm_cost_exporter/metric_registry.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <limits>

#include "scrape.h"

namespace lce {
namespace {

prometheus::MetricType PrometheusType(MetricType type) {
  switch (type) {
    case MetricType::kCounter: return prometheus::MetricType::Counter;
    case MetricType::kGauge: return prometheus::MetricType::Gauge;
    case MetricType::kHistogram: return prometheus::MetricType::Histogram;
  }
  return prometheus::MetricType::Untyped;
}

prometheus::ClientMetric LabelledSample(const MetricDesc& desc, std::span<const std::string_view> values) {
  assert(values.size() == desc.label_count());
  prometheus::ClientMetric sample;
  sample.label.reserve(values.size());
  for (std::size_t i = 0; i < values.size() && i < desc.label_count(); ++i) {
    sample.label.push_back({std::string(desc.labels[i]), std::string(values[i])});
  }
  return sample;
}

}  // namespace

namespace metrics {

prometheus::MetricFamily NewFamily(const MetricDesc& desc) {
  prometheus::MetricFamily family;
  family.name = std::string(desc.name);
  family.help = std::string(desc.help);
  family.type = PrometheusType(desc.type);
  return family;
}

namespace {

// The order of std::vector<Label>::operator< (by name, then value, label by
// label; a prefix first) with one three-way comparison per string, where the
// operator compares each name twice.
bool LabelsLess(const std::vector<prometheus::ClientMetric::Label>& a,
                const std::vector<prometheus::ClientMetric::Label>& b) {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (const int c = a[i].name.compare(b[i].name); c != 0) return c < 0;
    if (const int c = a[i].value.compare(b[i].value); c != 0) return c < 0;
  }
  return a.size() < b.size();
}

// The same order for samples that all have the same label names in the same
// order (every family a MetricDesc describes): by values alone.
bool ValuesLess(const std::vector<prometheus::ClientMetric::Label>& a,
                const std::vector<prometheus::ClientMetric::Label>& b) {
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (const int c = a[i].value.compare(b[i].value); c != 0) return c < 0;
  }
  return false;
}

bool SameLabelNames(const std::vector<prometheus::ClientMetric>& samples) {
  const std::vector<prometheus::ClientMetric::Label>& first = samples.front().label;
  return std::all_of(samples.begin(), samples.end(), [&](const prometheus::ClientMetric& sample) {
    return sample.label.size() == first.size() &&
           std::equal(first.begin(), first.end(), sample.label.begin(),
                      [](const auto& a, const auto& b) { return a.name == b.name; });
  });
}

// Sorts the samples by their labels, stably. A ClientMetric is large (every
// metric type's fields), so positions are sorted and each sample moved once.
void SortSamples(std::vector<prometheus::ClientMetric>& samples) {
  if (samples.size() < 2) return;
  std::vector<std::uint32_t> order(samples.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::uint32_t>(i);
  const auto less = SameLabelNames(samples) ? ValuesLess : LabelsLess;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return less(samples[a].label, samples[b].label); });
  std::vector<prometheus::ClientMetric> sorted;
  sorted.reserve(samples.size());
  for (const std::uint32_t i : order) sorted.push_back(std::move(samples[i]));
  samples = std::move(sorted);
}

}  // namespace

void FinishScrape(std::vector<prometheus::MetricFamily>& families) {
  std::erase_if(families, [](const prometheus::MetricFamily& family) { return family.metric.empty(); });
  for (prometheus::MetricFamily& family : families) SortSamples(family.metric);
}

void Scrape::WriteFamilies() {
  if (families.empty()) return;
  FinishScrape(families);
  if (openmetrics) {
    AppendOpenMetricsFamilies(families, exemplars, out);
  } else {
    AppendText004(families, out);
  }
  families.clear();
}

void Scrape::Finish() {
  WriteFamilies();
  if (openmetrics) out += "# EOF\n";
}

}  // namespace metrics

void MetricSink::Family(const MetricDesc& desc) {
  scrape_.families.push_back(metrics::NewFamily(desc));
  scrape_.current = &desc;
}

void MetricSink::Unlabelled(const MetricDesc& desc, double value) {
  Family(desc);
  Sample(std::span<const std::string_view>(), value);
}

void MetricSink::Sample(std::initializer_list<std::string_view> values, double value) {
  Sample(std::span<const std::string_view>(values.begin(), values.size()), value);
}

void MetricSink::Sample(std::span<const std::string_view> values, double value) {
  assert(scrape_.current != nullptr && scrape_.current->type != MetricType::kHistogram);
  prometheus::ClientMetric sample = LabelledSample(*scrape_.current, values);
  if (scrape_.current->type == MetricType::kCounter) {
    sample.counter.value = value;
  } else {
    sample.gauge.value = value;
  }
  scrape_.families.back().metric.push_back(std::move(sample));
}

void MetricSink::Histogram(std::span<const std::string_view> values, std::span<const double> upper_bounds,
                           std::span<const std::uint64_t> cumulative, double sum) {
  assert(scrape_.current != nullptr && scrape_.current->type == MetricType::kHistogram);
  assert(cumulative.size() == upper_bounds.size() + 1);
  prometheus::ClientMetric sample = LabelledSample(*scrape_.current, values);
  for (std::size_t i = 0; i < upper_bounds.size(); ++i) {
    sample.histogram.bucket.push_back({cumulative[i], upper_bounds[i]});
  }
  sample.histogram.bucket.push_back({cumulative.back(), std::numeric_limits<double>::infinity()});
  sample.histogram.sample_count = cumulative.back();
  sample.histogram.sample_sum = sum;
  scrape_.families.back().metric.push_back(std::move(sample));
}

MetricRegistry::MetricRegistry(CardinalityLimits limits) : guard_(std::move(limits)) {}

MetricRegistry::~MetricRegistry() = default;

void MetricRegistry::Register(const Collector& collector) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(&collector);
}

std::string MetricRegistry::Render(ExpositionFormat format) const {
  std::vector<const Collector*> collectors;
  {
    std::lock_guard lock(mutex_);
    collectors = collectors_;
  }
  metrics::Scrape scrape(format == ExpositionFormat::kOpenMetrics);
  // The last exposition's size (plus an eighth for growth) is reserved, so
  // the text is written without reallocating and copying what it holds.
  scrape.out.reserve(last_size_.load(std::memory_order_relaxed) / 8 * 9);
  MetricSink sink(scrape);
  for (const Collector* collector : collectors) collector->Collect(sink);
  scrape.Finish();
  last_size_.store(scrape.out.size(), std::memory_order_relaxed);
  return std::move(scrape.out);
}

Counter& CounterFamily::With(std::initializer_list<std::string_view> values) {
  assert(values.size() == desc_.label_count());
  std::vector<std::string> key(values.begin(), values.end());
  std::lock_guard lock(mutex_);
  std::unique_ptr<Counter>& counter = series_[std::move(key)];
  if (!counter) counter = std::make_unique<Counter>();
  return *counter;
}

void CounterFamily::Collect(MetricSink& sink) const {
  sink.Family(desc_);
  std::lock_guard lock(mutex_);
  std::vector<std::string_view> values;
  for (const auto& [key, counter] : series_) {
    values.assign(key.begin(), key.end());
    sink.Sample(values, static_cast<double>(counter->value()));
  }
}

DurationHistogram::DurationHistogram(const MetricDesc& desc, std::vector<double> upper_bounds_seconds)
    : desc_(desc),
      bounds_(std::move(upper_bounds_seconds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  assert(std::is_sorted(bounds_.begin(), bounds_.end()));
}

void DurationHistogram::Observe(std::int64_t nanoseconds) {
  const double seconds = static_cast<double>(nanoseconds) / 1e9;
  const auto bucket =
      static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), seconds) - bounds_.begin());
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(nanoseconds, std::memory_order_relaxed);
}

void DurationHistogram::Collect(MetricSink& sink) const {
  std::vector<std::uint64_t> cumulative(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < cumulative.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    cumulative[i] = running;
  }
  sink.Family(desc_);
  sink.Histogram({}, bounds_, cumulative, static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9);
}

}  // namespace lce

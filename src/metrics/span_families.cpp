#include "span_families.h"

#include "exposition.h"

namespace lce::metrics {
namespace {

constexpr double kMicrosPerSecond = 1e6;
constexpr const char* kLatencyHelp =
    "Latency in seconds of the calls and events whose record reports latency_ms, by service and operation.";

}  // namespace

SpanFamilies::SpanFamilies(std::vector<double> latency_buckets_seconds)
    : layout_(std::move(latency_buckets_seconds)) {}

SpanFamilies::Handle SpanFamilies::Resolve(const AdmittedLabels& labels) {
  const std::array<std::string_view, 2> key = {labels.service, labels.operation};
  return Handle{&latency_.Get(key, layout_.bucket_count())};
}

void SpanFamilies::ObserveLatency(const Handle& series, std::int64_t latency_us) {
  // Both operands are exact and IEEE division rounds correctly, so a latency
  // exactly on a bound with at most 6 decimals (50000 us vs 0.05) yields the
  // same double as the bound and lands in that bound's bucket.
  const double seconds = static_cast<double>(latency_us) / kMicrosPerSecond;
  series.latency->histogram.Observe(0, layout_.IndexFor(seconds), latency_us);
}

void SpanFamilies::Collect(std::vector<prometheus::MetricFamily>& out) const {
  auto family = NewFamily("span_latency_seconds", kLatencyHelp, prometheus::MetricType::Histogram);
  latency_.ForEach([&](const std::vector<std::string>& values, const LatencySeries& series) {
    auto sample = NewSample({"service", "operation"}, values);
    series.histogram.Fill(0, layout_, kMicrosPerSecond, sample.histogram);
    family.metric.push_back(std::move(sample));
  });
  AppendFamily(out, std::move(family));
}

}  // namespace lce::metrics

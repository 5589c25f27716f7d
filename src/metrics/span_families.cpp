#include "span_families.h"

namespace lce::metrics {
namespace {

constexpr double kMicrosPerSecond = 1e6;
constexpr MetricDesc kLatency{
    "span_latency_seconds",
    "Latency in seconds of the calls and events whose record reports latency_ms, by service and operation.",
    MetricType::kHistogram,
    {"service", "operation"}};
constexpr MetricDesc kErrors{
    "span_errors_total",
    "Calls and events counted in span_latency_seconds that failed (vendor_status >= 400; OTLP: span status "
    "ERROR, or an HTTP status >= 400 unless the status is OK), by service and operation.",
    MetricType::kCounter,
    {"service", "operation"}};

}  // namespace

SpanFamilies::SpanFamilies(std::vector<double> latency_buckets_seconds)
    : layout_(std::move(latency_buckets_seconds)),
      bounds_(RenderedBounds(layout_.bounds())),
      series_(LeadingLabels(kLatency)) {}

SpanFamilies::Handle SpanFamilies::Resolve(const AdmittedLabels& labels) {
  const std::array<std::string_view, 2> key = {labels.service, labels.operation};
  return Handle{&series_.Get(key, layout_.bucket_count())};
}

void SpanFamilies::Tally::Observe(const Handle& handle, std::int64_t latency_us, bool failed,
                                  const ExemplarIds& exemplar) {
  SpanSum& sum = series_.For(handle.series);
  const std::size_t buckets = families_.layout_.bucket_count();
  if (sum.counts.empty()) {
    sum.counts.assign(buckets, 0);
    sum.exemplars.assign(buckets, BucketExemplar{});
  }
  // Both operands are exact and IEEE division rounds correctly, so a latency
  // exactly on a bound with at most 6 decimals (50000 us vs 0.05) yields the
  // same double as the bound and lands in that bound's bucket.
  const double seconds = static_cast<double>(latency_us) / kMicrosPerSecond;
  const std::size_t bucket = families_.layout_.IndexFor(seconds);
  ++sum.counts[bucket];
  sum.sum_us += latency_us;
  if (!exemplar.empty()) sum.exemplars[bucket] = BucketExemplar{exemplar, seconds};
  if (failed) ++sum.errors;
}

void SpanFamilies::Tally::Apply() {
  series_.ForEach([](SpanSeries& series, const SpanSum& sum) {
    series.histogram.Merge(0, sum.counts, sum.sum_us);
    for (std::size_t b = 0; b < sum.exemplars.size(); ++b) {
      if (!sum.exemplars[b].ids.empty()) series.exemplars[b].Store(sum.exemplars[b].ids, sum.exemplars[b].seconds);
    }
    if (sum.errors > 0) series.errors.Add(sum.errors);
  });
  series_.Clear();
}

void SpanFamilies::Collect(Scrape& scrape) const {
  LineWriter lines = Lines(scrape);
  lines.Family(kLatency);
  std::vector<std::uint64_t> cumulative(layout_.bucket_count());
  series_.ForEachInOrder([&](std::string_view labels, const SpanSeries& series) {
    const std::int64_t sum_us = series.histogram.Cumulative(0, cumulative);
    lines.Histogram(labels, {}, bounds_, cumulative, static_cast<double>(sum_us) / kMicrosPerSecond,
                    series.exemplars.get());
  });
  // A 0 sample from the series' first record on: the error ratio needs no `or`.
  lines.Family(kErrors);
  series_.ForEachInOrder([&](std::string_view labels, const SpanSeries& series) {
    lines.Value(labels, {}, static_cast<double>(series.errors.Load()));
  });
}

}  // namespace lce::metrics

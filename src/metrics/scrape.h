// A scrape under construction: the exposition text written so far, and
// families in prometheus-cpp's MetricFamily model (the metrics module's
// private model for small families) not yet written. MetricSink writes into
// the model; the usage families write their lines straight into the text
// (line_writer.h), after the model's families collected before them. Private
// to src/metrics (and its white-box tests).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <prometheus/metric_family.h>

#include "llm_cost_exporter/metric_registry.h"

namespace lce {

// An OpenMetrics exemplar: the trace context of the last record counted in a
// sample (trace and span id are never labels, PRODUCT.md).
struct Exemplar {
  std::string trace_id;
  std::string span_id;            // empty: the exemplar names the trace only
  double value = 0;               // the record's own contribution (its cost, 1, its latency)
  std::int64_t timestamp_ms = 0;  // when the exporter counted the record (Unix ms)
};

// The exemplars of one scrape, found by the sample they belong to: family
// name, the sample's labels and, for a histogram, the index of the bucket
// (in ClientMetric::Histogram::bucket) the observation fell in.
class ExemplarIndex {
 public:
  static constexpr std::size_t kNoBucket = static_cast<std::size_t>(-1);  // a counter's sample

  void Add(std::string_view family, const std::vector<prometheus::ClientMetric::Label>& labels, std::size_t bucket,
           Exemplar exemplar);
  const Exemplar* Find(std::string_view family, const std::vector<prometheus::ClientMetric::Label>& labels,
                       std::size_t bucket) const;
  bool empty() const { return by_sample_.empty(); }
  std::size_t size() const { return by_sample_.size(); }

 private:
  std::unordered_map<std::string, Exemplar> by_sample_;
};

namespace metrics {

struct Scrape {
  explicit Scrape(bool openmetrics_format) : openmetrics(openmetrics_format) {}

  // Writes `families` to `out`, finished (families without samples dropped,
  // samples sorted by labels), and clears them: what comes next follows them.
  void WriteFamilies();
  // Writes what is left and ends the exposition (OpenMetrics: "# EOF").
  void Finish();

  bool openmetrics;  // else the text format 0.0.4
  std::string out;
  std::vector<prometheus::MetricFamily> families;
  ExemplarIndex exemplars;              // of `families`, written only in OpenMetrics
  const MetricDesc* current = nullptr;  // the family MetricSink writes to (families.back())
};

// A family of `desc` with no sample yet.
prometheus::MetricFamily NewFamily(const MetricDesc& desc);

// The TYPE line's word for `type`; `untyped` is the format's word for an
// untyped family ("untyped" in 0.0.4, "unknown" in OpenMetrics).
inline std::string_view TypeName(prometheus::MetricType type, std::string_view untyped) {
  switch (type) {
    case prometheus::MetricType::Counter: return "counter";
    case prometheus::MetricType::Gauge: return "gauge";
    case prometheus::MetricType::Summary: return "summary";
    case prometheus::MetricType::Histogram: return "histogram";
    case prometheus::MetricType::Untyped: break;
  }
  return untyped;
}

// Drops the families without samples and sorts each family's samples by labels.
void FinishScrape(std::vector<prometheus::MetricFamily>& families);

}  // namespace metrics

// The OpenMetrics 1.0 text exposition of `families` (prometheus-cpp's model,
// counters named with their _total suffix), with the exemplars of
// `exemplars`, ending in "# EOF". The values and `le` bounds are formatted as
// in the 0.0.4 text format, so a series is the same in both formats.
std::string SerializeOpenMetrics(const std::vector<prometheus::MetricFamily>& families, const ExemplarIndex& exemplars);
// The same, appended to `out` (whose capacity the caller may have reserved).
void AppendOpenMetrics(const std::vector<prometheus::MetricFamily>& families, const ExemplarIndex& exemplars,
                       std::string& out);
// The same without the final "# EOF" line: a part of an exposition.
void AppendOpenMetricsFamilies(const std::vector<prometheus::MetricFamily>& families, const ExemplarIndex& exemplars,
                               std::string& out);

// The Prometheus text format 0.0.4 of `families`, byte for byte what
// prometheus-cpp 1.0's TextSerializer writes (HELP unescaped, NaN as "Nan",
// histograms and summaries as _count, _sum, then buckets or quantiles,
// timestamps in integer milliseconds), without its ostream.
std::string SerializeText004(const std::vector<prometheus::MetricFamily>& families);
// The same, appended to `out` (whose capacity the caller may have reserved).
void AppendText004(const std::vector<prometheus::MetricFamily>& families, std::string& out);

}  // namespace lce

// SerializeText004 against prometheus-cpp's TextSerializer, the writer it
// replaced on /metrics: the same bytes for every metric type, label escapes,
// HELP text, special values, timestamps and histograms with and without a
// +Inf bucket.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <prometheus/text_serializer.h>

#include "scrape.h"

namespace lce {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

constexpr double kInf = std::numeric_limits<double>::infinity();

MetricFamily Family(std::string name, std::string help, MetricType type, std::vector<ClientMetric> samples) {
  MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  family.metric = std::move(samples);
  return family;
}

ClientMetric Valued(std::vector<ClientMetric::Label> labels, double value, std::int64_t timestamp_ms = 0) {
  ClientMetric sample;
  sample.label = std::move(labels);
  sample.counter.value = value;
  sample.gauge.value = value;
  sample.untyped.value = value;
  sample.timestamp_ms = timestamp_ms;
  return sample;
}

std::string PrometheusCpp(const std::vector<MetricFamily>& families) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

TEST_CASE("0.0.4: counters, gauges and untyped samples are prometheus-cpp's bytes", "[metrics][text004]") {
  const std::vector<MetricFamily> families = {
      Family("llm_cost_usd_total", "Exact cost \"in\" USD\\ of calls\nsecond line", MetricType::Counter,
             {Valued({{"campaign_id", "cmp_a"}, {"model", "gpt-4o"}}, 1.546035),
              Valued({{"campaign_id", "with \"quotes\" and \\ and\nnewline"}, {"model", "m"}}, 0.1 + 0.2),
              Valued({}, 123456789012345678.0)}),
      Family("queue_depth", "", MetricType::Gauge,
             {Valued({{"q", "a"}}, -0.0), Valued({{"q", "b"}}, std::nan("")), Valued({{"q", "c"}}, kInf),
              Valued({{"q", "d"}}, -kInf), Valued({{"q", "e"}}, 1e-300), Valued({{"q", "f"}}, 42, 1764590400123),
              Valued({{"q", "g"}}, 7, -5)}),
      Family("legacy", "Untyped.", MetricType::Untyped, {Valued({}, 2.5), Valued({{"x", ""}}, 3)}),
  };
  const std::string ours = SerializeText004(families);
  CHECK(ours == PrometheusCpp(families));
  CHECK_THAT(ours, Catch::Contains("queue_depth{q=\"b\"} Nan\n"));
}

TEST_CASE("0.0.4: histograms and summaries are prometheus-cpp's bytes", "[metrics][text004]") {
  ClientMetric with_inf;
  with_inf.label = {{"service", "api"}};
  with_inf.histogram.bucket = {{1, 0.05}, {3, 0.25}, {4, kInf}};
  with_inf.histogram.sample_count = 4;
  with_inf.histogram.sample_sum = 1.375;
  ClientMetric without_inf;  // the model may leave +Inf out: prometheus-cpp adds it
  without_inf.histogram.bucket = {{2, 1}, {5, 1e6}};
  without_inf.histogram.sample_count = 6;
  without_inf.histogram.sample_sum = 0.1;
  without_inf.timestamp_ms = 1000;
  ClientMetric summary;
  summary.label = {{"route", "/v1/usage"}};
  summary.summary.quantile = {{0.5, 0.012}, {0.99, std::nan("")}};
  summary.summary.sample_count = 10;
  summary.summary.sample_sum = 0.5;
  const std::vector<MetricFamily> families = {
      Family("span_latency_seconds", "Latency.", MetricType::Histogram, {with_inf, without_inf}),
      Family("request_seconds", "", MetricType::Summary, {summary}),
  };
  const std::string ours = SerializeText004(families);
  CHECK(ours == PrometheusCpp(families));
  CHECK_THAT(ours, Catch::Contains("span_latency_seconds_bucket{le=\"+Inf\"} 6 1000\n"));
}

TEST_CASE("0.0.4 of no family is empty", "[metrics][text004]") { CHECK(SerializeText004({}).empty()); }

}  // namespace
}  // namespace lce

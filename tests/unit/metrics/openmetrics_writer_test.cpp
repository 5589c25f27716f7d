// SerializeOpenMetrics (OpenMetrics 1.0 text of prometheus-cpp families, with
// exemplars) and PrefersOpenMetrics (the Accept negotiation of /metrics).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <prometheus/text_serializer.h>

#include "llm_cost_exporter/metrics.h"
#include "scrape.h"

namespace lce {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily Family(std::string name, std::string help, MetricType type) {
  MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  return family;
}

ClientMetric Sample(std::vector<ClientMetric::Label> labels) {
  ClientMetric sample;
  sample.label = std::move(labels);
  return sample;
}

ClientMetric CounterSample(std::vector<ClientMetric::Label> labels, double value) {
  ClientMetric sample = Sample(std::move(labels));
  sample.counter.value = value;
  return sample;
}

ClientMetric GaugeSample(std::vector<ClientMetric::Label> labels, double value) {
  ClientMetric sample = Sample(std::move(labels));
  sample.gauge.value = value;
  return sample;
}

ClientMetric Latency(std::vector<ClientMetric::Label> labels) {
  ClientMetric sample = Sample(std::move(labels));
  sample.histogram.bucket = {{1, 0.05}, {3, 0.25}, {4, std::numeric_limits<double>::infinity()}};
  sample.histogram.sample_count = 4;
  sample.histogram.sample_sum = 1.375;
  return sample;
}

const Exemplar kTrace{"4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", 0.0375, 1764590400123};

TEST_CASE("OpenMetrics names counter families without _total and their samples with it", "[metrics][openmetrics]") {
  auto counter = Family("llm_requests_total", "LLM calls.", MetricType::Counter);
  counter.metric.push_back(CounterSample({{"model", "gpt-4o"}}, 3));
  // A counter named without _total keeps its series name: written as unknown.
  auto bare = Family("legacy_hits", "", MetricType::Counter);
  bare.metric.push_back(CounterSample({}, 7));

  const std::string text = SerializeOpenMetrics({counter, bare}, ExemplarIndex{});
  CHECK(text ==
        "# HELP llm_requests LLM calls.\n"
        "# TYPE llm_requests counter\n"
        "llm_requests_total{model=\"gpt-4o\"} 3\n"
        "# TYPE legacy_hits unknown\n"
        "legacy_hits 7\n"
        "# EOF\n");
}

TEST_CASE("OpenMetrics writes histograms as buckets, count and sum, with a UNIT from the name",
          "[metrics][openmetrics]") {
  auto latency = Family("span_latency_seconds", "Latency.", MetricType::Histogram);
  latency.metric.push_back(Latency({{"service", "api"}}));
  const std::string text = SerializeOpenMetrics({latency}, ExemplarIndex{});
  CHECK(text ==
        "# HELP span_latency_seconds Latency.\n"
        "# TYPE span_latency_seconds histogram\n"
        "# UNIT span_latency_seconds seconds\n"
        "span_latency_seconds_bucket{service=\"api\",le=\"0.05\"} 1\n"
        "span_latency_seconds_bucket{service=\"api\",le=\"0.25\"} 3\n"
        "span_latency_seconds_bucket{service=\"api\",le=\"+Inf\"} 4\n"
        "span_latency_seconds_count{service=\"api\"} 4\n"
        "span_latency_seconds_sum{service=\"api\"} 1.375\n"
        "# EOF\n");
}

TEST_CASE("OpenMetrics adds a +Inf bucket when the model has none", "[metrics][openmetrics]") {
  auto family = Family("size_bytes", "", MetricType::Histogram);
  auto sample = Sample({});
  sample.histogram.bucket = {{2, 1024}};
  sample.histogram.sample_count = 5;
  sample.histogram.sample_sum = 9000;
  family.metric.push_back(sample);
  const std::string text = SerializeOpenMetrics({family}, ExemplarIndex{});
  CHECK_THAT(text, Catch::Contains("size_bytes_bucket{le=\"1024\"} 2\nsize_bytes_bucket{le=\"+Inf\"} 5\n"
                                   "size_bytes_count 5\nsize_bytes_sum 9000\n"));
  CHECK_THAT(text, Catch::Contains("# UNIT size_bytes bytes\n"));
}

TEST_CASE("OpenMetrics writes gauges, unknown (untyped) and summaries", "[metrics][openmetrics]") {
  auto gauge = Family("llm_cost_exporter_price_table_info", "Tables.", MetricType::Gauge);
  gauge.metric.push_back(GaugeSample({{"provider", "acme"}}, 1));
  auto untyped = Family("legacy_value", "", MetricType::Untyped);
  auto u = Sample({});
  u.untyped.value = -2.5;
  u.timestamp_ms = 1764590400005;
  untyped.metric.push_back(u);
  auto summary = Family("rpc_duration_seconds", "", MetricType::Summary);
  auto s = Sample({});
  s.summary.quantile = {{0.5, 0.25}, {0.99, 1}};
  s.summary.sample_count = 7;
  s.summary.sample_sum = 3.5;
  summary.metric.push_back(s);

  const std::string text = SerializeOpenMetrics({gauge, untyped, summary}, ExemplarIndex{});
  CHECK(text ==
        "# HELP llm_cost_exporter_price_table_info Tables.\n"
        "# TYPE llm_cost_exporter_price_table_info gauge\n"
        "llm_cost_exporter_price_table_info{provider=\"acme\"} 1\n"
        "# TYPE legacy_value unknown\n"
        "legacy_value -2.5 1764590400.005\n"
        "# TYPE rpc_duration_seconds summary\n"
        "# UNIT rpc_duration_seconds seconds\n"
        "rpc_duration_seconds{quantile=\"0.5\"} 0.25\n"
        "rpc_duration_seconds{quantile=\"0.99\"} 1\n"
        "rpc_duration_seconds_count 7\n"
        "rpc_duration_seconds_sum 3.5\n"
        "# EOF\n");
}

TEST_CASE("OpenMetrics escapes label values and HELP text", "[metrics][openmetrics]") {
  auto gauge = Family("odd", "A \"quoted\" back\\slash\nand a newline.", MetricType::Gauge);
  gauge.metric.push_back(Sample({{"v", "a\"b\\c\nd"}}));
  const std::string text = SerializeOpenMetrics({gauge}, ExemplarIndex{});
  CHECK_THAT(text, Catch::Contains("# HELP odd A \\\"quoted\\\" back\\\\slash\\nand a newline.\n"));
  CHECK_THAT(text, Catch::Contains("odd{v=\"a\\\"b\\\\c\\nd\"} 0\n"));
}

TEST_CASE("OpenMetrics of no family is just # EOF", "[metrics][openmetrics]") {
  CHECK(SerializeOpenMetrics({}, ExemplarIndex{}) == "# EOF\n");
}

TEST_CASE("OpenMetrics formats values and bounds exactly as the 0.0.4 text format", "[metrics][openmetrics]") {
  const std::vector<double> values = {0,
                                      1,
                                      37.5,
                                      1.543035,
                                      0.1 + 0.2,
                                      1e-5,
                                      0.000225,
                                      1e21,
                                      123456789012345678.0,
                                      -3.25,
                                      std::numeric_limits<double>::infinity(),
                                      5e-324,
                                      2.5e300};
  auto gauge = Family("g", "", MetricType::Gauge);
  for (std::size_t i = 0; i < values.size(); ++i) {
    gauge.metric.push_back(GaugeSample({{"i", std::to_string(i)}}, values[i]));
  }
  std::ostringstream text;
  prometheus::TextSerializer().Serialize(text, {gauge});
  const std::string openmetrics = SerializeOpenMetrics({gauge}, ExemplarIndex{});
  std::istringstream lines(text.str());
  std::string line;
  std::size_t compared = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("g{", 0) != 0) continue;
    CHECK_THAT(openmetrics, Catch::Contains(line + "\n"));
    ++compared;
  }
  CHECK(compared == values.size());
}

TEST_CASE("OpenMetrics writes exemplars after counter and bucket samples", "[metrics][openmetrics]") {
  auto cost = Family("llm_cost_usd_total", "Cost.", MetricType::Counter);
  const auto c = CounterSample({{"model", "gpt-4o"}}, 1.5);
  cost.metric.push_back(c);
  auto other = Sample({{"model", "gpt-4o-mini"}});  // no exemplar
  cost.metric.push_back(other);
  auto latency = Family("span_latency_seconds", "", MetricType::Histogram);
  latency.metric.push_back(Latency({{"service", "api"}}));

  ExemplarIndex exemplars;
  exemplars.Add("llm_cost_usd_total", c.label, ExemplarIndex::kNoBucket, kTrace);
  exemplars.Add("span_latency_seconds", {{"service", "api"}}, 1, Exemplar{"abc", "", 0.125, 0});
  // Keyed by family: the same labels in another family carry nothing.
  exemplars.Add("llm_retry_cost_usd_total", c.label, ExemplarIndex::kNoBucket, kTrace);

  const std::string text = SerializeOpenMetrics({cost, latency}, exemplars);
  CHECK_THAT(text, Catch::Contains("# TYPE llm_cost_usd counter\n# UNIT llm_cost_usd usd\n"));
  CHECK_THAT(
      text, Catch::Contains("llm_cost_usd_total{model=\"gpt-4o\"} 1.5 # {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\","
                            "span_id=\"00f067aa0ba902b7\"} 0.0375 1764590400.123\n"));
  CHECK_THAT(text, Catch::Contains("llm_cost_usd_total{model=\"gpt-4o-mini\"} 0\n"));
  // An exemplar without span id or timestamp has neither.
  CHECK_THAT(text,
             Catch::Contains("span_latency_seconds_bucket{service=\"api\",le=\"0.05\"} 1\n"
                             "span_latency_seconds_bucket{service=\"api\",le=\"0.25\"} 3 # {trace_id=\"abc\"} 0.125\n"
                             "span_latency_seconds_bucket{service=\"api\",le=\"+Inf\"} 4\n"));
  CHECK(text.size() >= 6);
  CHECK(text.substr(text.size() - 6) == "# EOF\n");
}

TEST_CASE("OpenMetrics drops an exemplar whose label set exceeds 128 characters", "[metrics][openmetrics]") {
  auto cost = Family("x_total", "", MetricType::Counter);
  cost.metric.push_back(Sample({}));
  ExemplarIndex exemplars;
  // trace_id (8) + 113 = 121, + span_id (7) + 0: 121 fits; + span_id (7) + 1 = 129 does not.
  const Exemplar fits{std::string(113, 'a'), "", 1, 0};
  exemplars.Add("x_total", {}, ExemplarIndex::kNoBucket, fits);
  CHECK_THAT(SerializeOpenMetrics({cost}, exemplars), Catch::Contains(" # {trace_id=\""));
  const Exemplar too_long{std::string(113, 'a'), "bb", 1, 0};
  exemplars.Add("x_total", {}, ExemplarIndex::kNoBucket, too_long);  // replaces
  CHECK(SerializeOpenMetrics({cost}, exemplars) == "# TYPE x counter\nx_total 0\n# EOF\n");
}

TEST_CASE("PrefersOpenMetrics follows the Accept header's media ranges and q values", "[metrics][openmetrics]") {
  // Prometheus 2.42 and later.
  CHECK(
      PrefersOpenMetrics("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
                         "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"));
  CHECK(
      PrefersOpenMetrics("application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;"
                         "version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.1"));
  CHECK(PrefersOpenMetrics("application/openmetrics-text; version=0.0.1"));
  CHECK(PrefersOpenMetrics("Application/OpenMetrics-Text"));
  CHECK(PrefersOpenMetrics("application/openmetrics-text, text/plain"));  // a tie goes to OpenMetrics
  // Prometheus with scrape_protocols preferring text, curl, browsers, nothing.
  CHECK_FALSE(PrefersOpenMetrics("text/plain;version=0.0.4;q=1,application/openmetrics-text;version=1.0.0;q=0.5"));
  CHECK_FALSE(PrefersOpenMetrics("*/*"));
  CHECK_FALSE(PrefersOpenMetrics("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"));
  CHECK_FALSE(PrefersOpenMetrics(""));
  // Versions this exporter cannot write, and refusals.
  CHECK_FALSE(PrefersOpenMetrics("application/openmetrics-text;version=2.0.0"));
  CHECK_FALSE(PrefersOpenMetrics("application/openmetrics-text;q=0"));
  CHECK_FALSE(PrefersOpenMetrics("application/openmetrics-text;q=bogus"));
}

}  // namespace
}  // namespace lce

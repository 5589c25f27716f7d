// span_errors_total{service, operation}: failed records among those with a
// latency, in the latency's own series (so a 0 sample beside every latency
// series), through the cached routes and the cardinality guard.
#include <catch2/catch.hpp>

#include "test_support.h"

namespace lce {
namespace {

using test::CounterValue;
using test::Labels;

UsageRecord Span(std::string_view service, std::string_view operation, bool failed, bool has_latency = true) {
  UsageRecord r;
  r.event = "span";
  r.service = service;
  r.operation = operation;
  r.has_latency = has_latency;
  r.latency_us = has_latency ? 120'000 : 0;
  r.failed = failed;
  return r;
}

Labels SpanLabels(std::string service, std::string operation) {
  return {{"service", std::move(service)}, {"operation", std::move(operation)}};
}

std::uint64_t LatencyCount(const std::vector<prometheus::MetricFamily>& families, const Labels& labels) {
  const prometheus::ClientMetric* sample = test::FindSample(families, "span_latency_seconds", labels);
  REQUIRE(sample != nullptr);
  return sample->histogram.sample_count;
}

TEST_CASE("span_errors_total counts failed records with a latency, without a vendor too", "[metrics][spans]") {
  const MetricsOptions defaults;
  test::Usage metrics(defaults);
  for (int round = 0; round < 3; ++round) {  // later rounds take the cached routes
    metrics.Observe(Span("lead_api", "GET_/v1/leads", true), PriceResult{});
    metrics.Observe(Span("lead_api", "GET_/v1/leads", false), PriceResult{});
    metrics.Observe(Span("lead_api", "GET_/v1/leads", false), PriceResult{});
    metrics.Observe(Span("lead_api", "POST_/v1/leads", true, /*has_latency=*/false), PriceResult{});
  }

  const auto families = metrics.Collect();
  CHECK(test::FindFamily(families, "span_errors_total")->type == prometheus::MetricType::Counter);
  CHECK(CounterValue(families, "span_errors_total", SpanLabels("lead_api", "GET_/v1/leads")) == 3.0);
  CHECK(LatencyCount(families, SpanLabels("lead_api", "GET_/v1/leads")) == 9);  // the ratio's denominator
  // Without a latency a record is in neither family (no denominator).
  CHECK(test::FindSample(families, "span_errors_total", SpanLabels("lead_api", "POST_/v1/leads")) == nullptr);
  CHECK(test::SampleCount(families, "span_errors_total") == 1);
  // No vendor: the failure is nowhere else.
  CHECK(test::FindFamily(families, "vendor_errors_total") == nullptr);
}

TEST_CASE("span_errors_total has a 0 sample for every latency series, none before", "[metrics][spans]") {
  const MetricsOptions defaults;
  test::Usage metrics(defaults);
  metrics.Observe(test::LlmCall(), test::TokensPriced(test::Dollars(1)));  // no latency
  CHECK(test::FindFamily(metrics.Collect(), "span_errors_total") == nullptr);

  UsageRecord timed = test::LlmCall();
  timed.has_latency = true;
  timed.latency_us = 842'000;
  metrics.Observe(timed, test::TokensPriced(test::Dollars(1)));
  metrics.Observe(Span("sender", "smtp.send", false), PriceResult{});
  auto families = metrics.Collect();
  CHECK(CounterValue(families, "span_errors_total", SpanLabels("email_orchestrator", "llm.generate_subject_line")) ==
        0.0);
  CHECK(CounterValue(families, "span_errors_total", SpanLabels("sender", "smtp.send")) == 0.0);
  CHECK(test::SampleCount(families, "span_errors_total") == test::SampleCount(families, "span_latency_seconds"));

  // An LLM call the vendor failed: counted here and in vendor_errors_total.
  timed.vendor_status = 503;
  timed.failed = true;
  metrics.Observe(timed, test::Unpriced(PriceOutcome::kUnknownModel));
  families = metrics.Collect();
  CHECK(CounterValue(families, "span_errors_total", SpanLabels("email_orchestrator", "llm.generate_subject_line")) ==
        1.0);
  CHECK(CounterValue(families, "vendor_errors_total",
                     {{"vendor", "openai"}, {"service", "email_orchestrator"}, {"status", "503"}}) == 1.0);
}

TEST_CASE("span_errors_total: folded service and operation, one fold per record and label",
          "[metrics][spans][cardinality]") {
  MetricsOptions options;
  options.cardinality.per_label["operation"] = 1;
  test::Usage metrics(options);
  for (int i = 0; i < 4; ++i) {
    metrics.Observe(Span("lead_api", "GET_/v1/leads", i == 0), PriceResult{});   // admitted, cached
    metrics.Observe(Span("lead_api", "GET_/v1/accounts", true), PriceResult{});  // folded, never cached
  }
  const auto families = metrics.Collect();
  CHECK(CounterValue(families, "span_errors_total", SpanLabels("lead_api", "GET_/v1/leads")) == 1.0);
  CHECK(CounterValue(families, "span_errors_total", SpanLabels("lead_api", "__overflow__")) == 4.0);
  CHECK(LatencyCount(families, SpanLabels("lead_api", "__overflow__")) == 4);
  CHECK(test::FindSample(families, "span_errors_total", SpanLabels("lead_api", "GET_/v1/accounts")) == nullptr);
  // Both span families share one series: the fold is counted once per record.
  CHECK(CounterValue(families, "llm_cost_exporter_series_folded_total", {{"label", "operation"}}) == 4.0);
}

}  // namespace
}  // namespace lce

// Exemplar capture: UsageMetrics keeps, per series, the last record with a
// trace id counted in llm_cost_usd_total, llm_requests_total and each
// span_latency_seconds bucket, and Collect(ExemplarIndex&) hands them out.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "cells.h"
#include "test_support.h"

namespace lce {
namespace {

using test::Labels;

constexpr std::string_view kTraceA = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr std::string_view kSpanA = "00f067aa0ba902b7";
constexpr std::string_view kTraceB = "0af7651916cd43dd8448eb211c80319c";
constexpr std::string_view kSpanB = "b7ad6b7169203331";

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

UsageRecord Traced(std::string_view trace_id, std::string_view span_id, std::int64_t latency_us = 120'000) {
  UsageRecord r = test::LlmCall();
  r.trace_id = trace_id;
  r.span_id = span_id;
  r.has_latency = true;
  r.latency_us = latency_us;
  return r;
}

// The exemplar of `family`'s sample with exactly `labels` (and bucket), if any.
const Exemplar* ExemplarOf(const std::vector<prometheus::MetricFamily>& families, const ExemplarIndex& index,
                           std::string_view family, const Labels& labels,
                           std::size_t bucket = ExemplarIndex::kNoBucket) {
  const prometheus::ClientMetric* sample = test::FindSample(families, family, labels);
  REQUIRE(sample != nullptr);
  return index.Find(family, sample->label, bucket);
}

void CheckExemplar(const Exemplar* exemplar, std::string_view trace_id, std::string_view span_id, double value) {
  REQUIRE(exemplar != nullptr);
  CHECK(exemplar->trace_id == trace_id);
  CHECK(exemplar->span_id == span_id);
  CHECK(exemplar->value == value);
}

const Labels kRequestLabels = {{"service", "email_orchestrator"},
                               {"operation", "llm.generate_subject_line"},
                               {"vendor", "openai"},
                               {"model", "gpt-4o"},
                               {"status", "2xx"}};
const Labels kLatencyLabels = {{"service", "email_orchestrator"}, {"operation", "llm.generate_subject_line"}};

TEST_CASE("A record with a trace id leaves exemplars on cost, requests and its latency bucket",
          "[metrics][exemplars]") {
  test::Usage metrics{MetricsOptions{}};
  const std::int64_t before = NowMs();
  metrics.Observe(Traced(kTraceA, kSpanA), test::TokensPriced(test::Dollars(0, 37'500'000'000'000'000)));
  const std::int64_t after = NowMs();

  ExemplarIndex index;
  const auto families = metrics.Collect(index);
  const Exemplar* cost = ExemplarOf(families, index, "llm_cost_usd_total", test::SpendLabels());
  CheckExemplar(cost, kTraceA, kSpanA, 0.0375);
  CHECK(cost->timestamp_ms >= before - 100);  // the coarse clock lags by up to a tick (a few ms)
  CHECK(cost->timestamp_ms <= after);

  CheckExemplar(ExemplarOf(families, index, "llm_requests_total", kRequestLabels), kTraceA, kSpanA, 1.0);

  // 120 ms falls in the le="0.25" bucket (index 2 of 0.05, 0.1, 0.25, ...), and only there.
  CheckExemplar(ExemplarOf(families, index, "span_latency_seconds", kLatencyLabels, 2), kTraceA, kSpanA, 0.12);
  CHECK(ExemplarOf(families, index, "span_latency_seconds", kLatencyLabels, 1) == nullptr);
  CHECK(ExemplarOf(families, index, "span_latency_seconds", kLatencyLabels, 3) == nullptr);
  // Cost, requests, one bucket; never the retry cost or the token families.
  CHECK(index.size() == 3);
  CHECK(ExemplarOf(families, index, "llm_retry_cost_usd_total", test::SpendLabels()) == nullptr);
}

TEST_CASE("The last exemplar of a series wins", "[metrics][exemplars]") {
  test::Usage metrics{MetricsOptions{}};
  metrics.Observe(Traced(kTraceA, kSpanA), test::TokensPriced(test::Dollars(1)));
  metrics.Observe(Traced(kTraceB, kSpanB, 40'000), test::TokensPriced(test::Dollars(2)));
  metrics.Observe(test::LlmCall(), test::TokensPriced(test::Dollars(5)));  // no trace id: keeps B

  ExemplarIndex index;
  const auto families = metrics.Collect(index);
  CheckExemplar(ExemplarOf(families, index, "llm_cost_usd_total", test::SpendLabels()), kTraceB, kSpanB, 2.0);
  CHECK(ExemplarOf(families, index, "llm_requests_total", kRequestLabels)->trace_id == kTraceB);
  // Each bucket keeps its own last exemplar.
  CHECK(ExemplarOf(families, index, "span_latency_seconds", kLatencyLabels, 0)->trace_id == kTraceB);
  CHECK(ExemplarOf(families, index, "span_latency_seconds", kLatencyLabels, 2)->trace_id == kTraceA);
}

TEST_CASE("Records without a trace id, or with overlong ids, leave no exemplar", "[metrics][exemplars]") {
  const std::string long_trace(33, 'a');
  const std::string long_span(17, 'b');
  test::Usage metrics{MetricsOptions{}};
  metrics.Observe(Traced("", kSpanA), test::TokensPriced(test::Dollars(1)));
  metrics.Observe(Traced(long_trace, kSpanA), test::TokensPriced(test::Dollars(1)));
  metrics.Observe(Traced(kTraceA, long_span), test::TokensPriced(test::Dollars(1)));

  ExemplarIndex index;
  const auto families = metrics.Collect(index);
  CHECK(index.empty());
  CHECK(test::CounterValue(families, "llm_cost_usd_total", test::SpendLabels()) == 3.0);  // still counted
}

TEST_CASE("A trace id without span id is an exemplar naming the trace only", "[metrics][exemplars]") {
  test::Usage metrics{MetricsOptions{}};
  metrics.Observe(Traced(kTraceA, ""), test::TokensPriced(test::Dollars(1)));
  ExemplarIndex index;
  const auto families = metrics.Collect(index);
  CheckExemplar(ExemplarOf(families, index, "llm_cost_usd_total", test::SpendLabels()), kTraceA, "", 1.0);
}

TEST_CASE("An unpriced record with a trace id leaves no cost exemplar", "[metrics][exemplars]") {
  test::Usage metrics{MetricsOptions{}};
  metrics.Observe(Traced(kTraceA, kSpanA), test::Unpriced(PriceOutcome::kUnknownModel));
  ExemplarIndex index;
  const auto families = metrics.Collect(index);
  CHECK(test::FindSample(families, "llm_cost_usd_total", test::SpendLabels()) == nullptr);
  CHECK(ExemplarOf(families, index, "llm_requests_total", kRequestLabels) != nullptr);
  CHECK(index.size() == 2);  // requests and the latency bucket
}

TEST_CASE("Exemplars reach the OpenMetrics exposition, never the plain Collect", "[metrics][exemplars]") {
  test::Usage metrics{MetricsOptions{}};
  metrics.Observe(Traced(kTraceA, kSpanA), test::TokensPriced(test::Dollars(0, 37'500'000'000'000'000)));
  ExemplarIndex index;
  const std::string text = SerializeOpenMetrics(metrics.Collect(index), index);
  CHECK_THAT(text, Catch::Contains("llm_cost_usd_total{service=\"email_orchestrator\",campaign_id=\"cmp_a\","
                                   "vendor=\"openai\",model=\"gpt-4o\"} 0.0375 # {trace_id=\"" +
                                   std::string(kTraceA) + "\",span_id=\"" + std::string(kSpanA) + "\"} 0.0375 "));
  CHECK_THAT(text, Catch::Contains("span_latency_seconds_bucket{service=\"email_orchestrator\",operation=\"llm."
                                   "generate_subject_line\",le=\"0.25\"} 1 # {trace_id=\""));
  CHECK(metrics.Collect().size() == metrics.Collect(index).size());  // the same families
}

TEST_CASE("Exemplar cells never mix the ids of two records", "[metrics][exemplars][concurrency]") {
  metrics::ExemplarCell cell;
  const std::string trace_a(32, 'a'), span_a(16, 'a'), trace_b(32, 'b'), span_b(16, 'b');
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (const auto& [trace, span] : {std::pair{&trace_a, &span_a}, std::pair{&trace_b, &span_b}}) {
    writers.emplace_back([&, trace, span] {
      const metrics::ExemplarIds ids{*trace, *span, 1};
      while (!stop.load(std::memory_order_relaxed)) cell.Store(ids, 1);
    });
  }
  for (int i = 0; i < 20'000; ++i) {
    const std::optional<Exemplar> seen = cell.Load();
    if (!seen) continue;
    REQUIRE(seen->trace_id.size() == 32);
    REQUIRE(seen->span_id == std::string(16, seen->trace_id[0]));
    REQUIRE(seen->trace_id == std::string(32, seen->trace_id[0]));
  }
  stop = true;
  for (auto& writer : writers) writer.join();
}

}  // namespace
}  // namespace lce

// RecordRoutes (through UsageMetrics): a route is cached per record shape and
// label tuple, so one tuple seen in several shapes must resolve each shape's
// own series, and a cached route must not change what a record counts.
#include <catch2/catch.hpp>

#include "test_support.h"

namespace lce {
namespace {

using test::CounterValue;
using test::SpendLabels;
using test::With;

TEST_CASE("one label tuple in several record shapes feeds each shape's series", "[metrics][routes]") {
  const MetricsOptions defaults;
  test::Usage metrics(defaults);
  const PriceResult price = test::TokensPriced(test::Dollars(1));
  UsageRecord plain = test::LlmCall();
  UsageRecord timed = test::LlmCall();
  timed.has_latency = true;
  timed.latency_us = 250'000;
  UsageRecord failed = test::LlmCall();
  failed.vendor_status = 429;

  for (int round = 0; round < 2; ++round) {  // the second round takes the cached routes
    metrics.Observe(plain, price);
    metrics.Observe(timed, price);
    metrics.Observe(failed, test::Unpriced(PriceOutcome::kUnknownModel));
  }

  const auto families = metrics.Collect();
  CHECK(CounterValue(families, "llm_cost_usd_total", SpendLabels()) == 4.0);
  CHECK(CounterValue(families, "llm_tokens_total", With(SpendLabels(), "type", "input")) == 6.0 * 512);
  const auto* latency =
      test::FindSample(families, "span_latency_seconds",
                       {{"service", "email_orchestrator"}, {"operation", "llm.generate_subject_line"}});
  REQUIRE(latency != nullptr);
  CHECK(latency->histogram.sample_count == 2);
  CHECK(CounterValue(families, "llm_unpriced_records_total",
                     {{"vendor", "openai"}, {"model", "gpt-4o"}, {"reason", "unknown_model"}}) == 2.0);
  CHECK(CounterValue(families, "vendor_errors_total",
                     {{"vendor", "openai"}, {"service", "email_orchestrator"}, {"status", "429"}}) == 2.0);
  CHECK(CounterValue(families, "llm_requests_total",
                     {{"service", "email_orchestrator"},
                      {"operation", "llm.generate_subject_line"},
                      {"vendor", "openai"},
                      {"model", "gpt-4o"},
                      {"status", "2xx"}}) == 4.0);
}

TEST_CASE("a tuple with a folded value counts a fold on every record, beside cached tuples", "[metrics][routes]") {
  MetricsOptions options;
  options.cardinality.per_label["model"] = 1;
  test::Usage metrics(options);
  const PriceResult price = test::TokensPriced(test::Dollars(1));
  for (int i = 0; i < 5; ++i) {
    metrics.Observe(test::LlmCall("cmp_a", "m1"), price);  // admitted: cached after the first record
    metrics.Observe(test::LlmCall("cmp_a", "m2"), price);  // folded: never cached
  }
  const auto families = metrics.Collect();
  CHECK(CounterValue(families, "llm_cost_usd_total", SpendLabels("cmp_a", "m1")) == 5.0);
  CHECK(CounterValue(families, "llm_cost_usd_total", SpendLabels("cmp_a", "__overflow__")) == 5.0);
  CHECK(CounterValue(families, "llm_cost_exporter_series_folded_total", {{"label", "model"}}) == 5.0);
}

TEST_CASE("DraftAll leaves a folded tuple unresolved, so each of its records still counts its fold",
          "[metrics][routes]") {
  MetricsOptions options;
  options.cardinality.per_label["model"] = 1;
  test::Usage metrics(options);
  const PriceResult price = test::TokensPriced(test::Dollars(1));
  metrics.Observe(test::LlmCall("cmp_a", "m1"), price);  // m1 admitted and cached; m2 will fold
  const UsageRecord admitted = test::LlmCall("cmp_a", "m1");
  const UsageRecord folded = test::LlmCall("cmp_a", "m2");
  std::vector<UsageMetrics::Observation> observations;
  for (int i = 0; i < 3; ++i) {
    observations.push_back({&admitted, &price});
    observations.push_back({&folded, &price});
  }
  UsageMetrics::Draft draft = metrics.usage().DraftAll(observations);
  CHECK_FALSE(draft.complete());
  for (std::size_t i = 0; i < observations.size(); ++i) {
    INFO(i);
    CHECK((observations[i].route != nullptr) == (i % 2 == 0));
  }
  // Drafting counted no fold (nor anything else).
  CHECK(CounterValue(metrics.Collect(), "llm_cost_exporter_series_folded_total", {{"label", "model"}}).value_or(0.0) ==
        0.0);
  metrics.usage().ObserveAll(observations, std::move(draft));
  const auto families = metrics.Collect();
  CHECK(CounterValue(families, "llm_cost_usd_total", SpendLabels("cmp_a", "m1")) == 4.0);
  CHECK(CounterValue(families, "llm_cost_usd_total", SpendLabels("cmp_a", "__overflow__")) == 3.0);
  CHECK(CounterValue(families, "llm_cost_exporter_series_folded_total", {{"label", "model"}}) == 3.0);
}

}  // namespace
}  // namespace lce

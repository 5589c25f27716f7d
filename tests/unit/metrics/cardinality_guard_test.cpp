#include <catch2/catch.hpp>

#include "test_support.h"

namespace lce {
namespace {

using test::CounterValue;
using test::LlmCall;
using test::SpendLabels;
using test::With;

CardinalityLimits Limits(std::size_t default_limit, std::map<std::string, std::size_t> per_label = {}) {
  CardinalityLimits limits;
  limits.default_limit = default_limit;
  limits.per_label = std::move(per_label);
  return limits;
}

TEST_CASE("CardinalityLimits::LimitFor uses the per-label override, else the default", "[metrics][cardinality]") {
  const CardinalityLimits limits = Limits(7, {{"campaign_id", 3}});
  CHECK(limits.LimitFor("campaign_id") == 3);
  CHECK(limits.LimitFor("model") == 7);
}

TEST_CASE("CardinalityGuard admits up to the limit per label, then folds and counts", "[metrics][cardinality]") {
  CardinalityGuard guard(Limits(2));
  CHECK(guard.Admit("campaign_id", "a") == "a");
  CHECK(guard.Admit("campaign_id", "b") == "b");
  CHECK(guard.Admit("campaign_id", "c") == kOverflowLabelValue);
  CHECK(guard.Admit("campaign_id", "c") == kOverflowLabelValue);
  // Admitted values stay admitted; other labels have their own budget.
  CHECK(guard.Admit("campaign_id", "a") == "a");
  CHECK(guard.Admit("model", "m1") == "m1");
  CHECK(guard.Admit("model", "m2") == "m2");
  CHECK(guard.Admit("model", "m3") == kOverflowLabelValue);

  const auto folds = guard.FoldCounts();
  CHECK(folds.at("campaign_id") == 2);
  CHECK(folds.at("model") == 1);
}

TEST_CASE("CardinalityGuard: empty values and __overflow__ itself take no slot", "[metrics][cardinality]") {
  CardinalityGuard guard(Limits(1));
  CHECK(guard.Admit("campaign_id", "").empty());
  CHECK(guard.Admit("campaign_id", kOverflowLabelValue) == kOverflowLabelValue);
  CHECK(guard.Admit("campaign_id", "a") == "a");
  CHECK(guard.FoldCounts().at("campaign_id") == 0);
}

TEST_CASE("CardinalityGuard: per-label overrides and SetLimits", "[metrics][cardinality]") {
  CardinalityGuard guard(Limits(1, {{"campaign_id", 2}}));
  CHECK(guard.Admit("campaign_id", "a") == "a");
  CHECK(guard.Admit("campaign_id", "b") == "b");
  CHECK(guard.Admit("campaign_id", "c") == kOverflowLabelValue);
  CHECK(guard.Admit("vendor", "v1") == "v1");
  CHECK(guard.Admit("vendor", "v2") == kOverflowLabelValue);

  SECTION("raising a limit admits new values") {
    guard.SetLimits(Limits(2, {{"campaign_id", 3}}));
    CHECK(guard.Admit("campaign_id", "c") == "c");
    CHECK(guard.Admit("campaign_id", "d") == kOverflowLabelValue);
    CHECK(guard.Admit("vendor", "v2") == "v2");
  }
  SECTION("lowering a limit keeps the admitted values") {
    guard.SetLimits(Limits(1, {{"campaign_id", 1}}));
    CHECK(guard.Admit("campaign_id", "a") == "a");
    CHECK(guard.Admit("campaign_id", "b") == "b");
    CHECK(guard.Admit("campaign_id", "e") == kOverflowLabelValue);
  }
}

MetricsOptions OptionsWithLimits(CardinalityLimits limits) {
  MetricsOptions options;
  options.cardinality = std::move(limits);
  return options;
}

TEST_CASE("UsageMetrics folds a third campaign into __overflow__ at limit 2", "[metrics][cardinality]") {
  test::Usage metrics(OptionsWithLimits(Limits(100, {{"campaign_id", 2}})));
  const PriceResult price = test::TokensPriced(test::Dollars(1));
  metrics.Observe(LlmCall("cmp_a"), price);
  metrics.Observe(LlmCall("cmp_b"), price);
  for (int i = 0; i < 3; ++i) metrics.Observe(LlmCall("cmp_c"), price);
  metrics.Observe(LlmCall("cmp_d"), price);
  metrics.Observe(LlmCall("cmp_a"), price);  // still admitted after the limit is reached

  const auto families = metrics.Collect();
  CHECK(CounterValue(families, "llm_cost_usd_total", SpendLabels("cmp_a")) == 2.0);
  CHECK(CounterValue(families, "llm_cost_usd_total", SpendLabels("cmp_b")) == 1.0);
  CHECK(CounterValue(families, "llm_cost_usd_total", SpendLabels("__overflow__")) == 4.0);
  CHECK_FALSE(CounterValue(families, "llm_cost_usd_total", SpendLabels("cmp_c")).has_value());
  CHECK(CounterValue(families, "llm_tokens_total", With(SpendLabels("__overflow__"), "type", "input")) == 4.0 * 512);
  // One fold per folded observation (record), though the record feeds several families.
  CHECK(CounterValue(families, "llm_cost_exporter_series_folded_total", {{"label", "campaign_id"}}) == 4.0);
  CHECK(CounterValue(families, "llm_cost_exporter_series_folded_total", {{"label", "model"}}) == 0.0);
}

TEST_CASE("UsageMetrics: a label no family uses for the record takes no slot", "[metrics][cardinality]") {
  test::Usage metrics(OptionsWithLimits(Limits(100, {{"audience_id", 1}})));
  UsageRecord call = LlmCall();
  call.audience_id = "aud_llm";  // LLM calls have no audience label
  metrics.Observe(call, test::TokensPriced(test::Dollars(1)));
  metrics.Observe(test::BusinessEvent("email.sent", "cmp_a", "aud_1"), PriceResult{});
  const auto families = metrics.Collect();
  CHECK(CounterValue(families, "business_events_total",
                     {{"event", "email.sent"}, {"campaign_id", "cmp_a"}, {"audience_id", "aud_1"}}) == 1.0);
  CHECK(CounterValue(families, "llm_cost_exporter_series_folded_total", {{"label", "audience_id"}}) == 0.0);
}

TEST_CASE("UsageMetrics: per-label overrides apply per label name", "[metrics][cardinality]") {
  test::Usage metrics(OptionsWithLimits(Limits(1, {{"campaign_id", 3}})));
  const PriceResult price = test::TokensPriced(test::Dollars(1));
  for (const char* campaign : {"c1", "c2", "c3", "c4"}) metrics.Observe(LlmCall(campaign), price);
  metrics.Observe(LlmCall("c1", "other-model"), price);  // model limit is the default, 1

  const auto families = metrics.Collect();
  CHECK(CounterValue(families, "llm_cost_usd_total", SpendLabels("c3")) == 1.0);
  CHECK(CounterValue(families, "llm_cost_usd_total", SpendLabels("__overflow__")) == 1.0);
  CHECK(CounterValue(families, "llm_cost_usd_total", SpendLabels("c1", "__overflow__")) == 1.0);
  CHECK(CounterValue(families, "llm_cost_exporter_series_folded_total", {{"label", "campaign_id"}}) == 1.0);
  CHECK(CounterValue(families, "llm_cost_exporter_series_folded_total", {{"label", "model"}}) == 1.0);
}

TEST_CASE("UsageMetrics::Reconfigure raising the limit admits new values", "[metrics][cardinality]") {
  test::Usage metrics(OptionsWithLimits(Limits(100, {{"campaign_id", 1}})));
  const PriceResult price = test::TokensPriced(test::Dollars(1));
  metrics.Observe(LlmCall("cmp_a"), price);
  metrics.Observe(LlmCall("cmp_b"), price);
  REQUIRE(metrics.Reconfigure(OptionsWithLimits(Limits(100, {{"campaign_id", 2}}))).ok());
  metrics.Observe(LlmCall("cmp_b"), price);
  metrics.Observe(LlmCall("cmp_c"), price);

  const auto families = metrics.Collect();
  CHECK(CounterValue(families, "llm_cost_usd_total", SpendLabels("cmp_a")) == 1.0);
  CHECK(CounterValue(families, "llm_cost_usd_total", SpendLabels("cmp_b")) == 1.0);
  // Folded before the reload (cmp_b) and after it (cmp_c): the overflow series keeps both.
  CHECK(CounterValue(families, "llm_cost_usd_total", SpendLabels("__overflow__")) == 2.0);
  CHECK(CounterValue(families, "llm_cost_exporter_series_folded_total", {{"label", "campaign_id"}}) == 2.0);
}

}  // namespace
}  // namespace lce

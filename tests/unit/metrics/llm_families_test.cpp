#include <catch2/catch.hpp>

#include <optional>

#include "test_support.h"

namespace lce {
namespace {

using test::CounterValue;
using test::Dollars;
using test::LlmCall;
using test::SpendLabels;
using test::TokensPriced;
using test::With;

TEST_CASE("llm_cost_usd_total is exact after a million tiny prices", "[metrics][llm][exact]") {
  const MetricsOptions defaults;
  test::Usage metrics(defaults);
  const Money per_call = Dollars(0, 37'500'000'000'000);  // $0.0000375
  const PriceResult price = TokensPriced(per_call);
  const UsageRecord call = LlmCall();
  constexpr int kCalls = 1'000'000;
  double naive = 0;
  for (int i = 0; i < kCalls; ++i) {
    metrics.Observe(call, price);
    naive += 0.0000375;
  }
  // $37.5 exactly (a double sum of the same prices drifts).
  CHECK(CounterValue(metrics.Collect(), "llm_cost_usd_total", SpendLabels()) == 37.5);
  CHECK(naive != 37.5);
}

TEST_CASE("llm_cost_usd_total: decimal cents do not drift", "[metrics][llm][exact]") {
  const MetricsOptions defaults;
  test::Usage metrics(defaults);
  for (int i = 0; i < 3; ++i) metrics.Observe(LlmCall(), TokensPriced(Dollars(0, 100'000'000'000'000'000)));
  CHECK(CounterValue(metrics.Collect(), "llm_cost_usd_total", SpendLabels()) == 0.3);  // 0.1+0.1+0.1 != 0.3
}

TEST_CASE("llm_tokens_total: one sample per token type ever seen", "[metrics][llm]") {
  const MetricsOptions defaults;
  test::Usage metrics(defaults);
  UsageRecord call = LlmCall();
  call.tokens[TokenType::kCachedInput] = 500;
  metrics.Observe(call, TokensPriced(Dollars(0)));
  UsageRecord second = LlmCall();
  second.tokens[TokenType::kReasoning] = 64;
  metrics.Observe(second, TokensPriced(Dollars(0)));

  const auto families = metrics.Collect();
  CHECK(CounterValue(families, "llm_tokens_total", With(SpendLabels(), "type", "input")) == 1024.0);
  CHECK(CounterValue(families, "llm_tokens_total", With(SpendLabels(), "type", "output")) == 256.0);
  CHECK(CounterValue(families, "llm_tokens_total", With(SpendLabels(), "type", "cached_input")) == 500.0);
  CHECK(CounterValue(families, "llm_tokens_total", With(SpendLabels(), "type", "reasoning")) == 64.0);
  CHECK_FALSE(CounterValue(families, "llm_tokens_total", With(SpendLabels(), "type", "cache_write")).has_value());
  CHECK(test::SampleCount(families, "llm_tokens_total") == 4);
  const auto* family = test::FindFamily(families, "llm_tokens_total");
  CHECK(family->type == prometheus::MetricType::Counter);
  CHECK(family->help.find("part") != std::string::npos);  // HELP states the overlap
}

TEST_CASE("llm_retry_cost_usd_total counts attempts > 1, also in the total", "[metrics][llm]") {
  const MetricsOptions defaults;
  test::Usage metrics(defaults);
  metrics.Observe(LlmCall("cmp_a"), TokensPriced(Dollars(2)));
  UsageRecord retry = LlmCall("cmp_a");
  retry.attempt = 2;
  metrics.Observe(retry, TokensPriced(Dollars(0, 250'000'000'000'000'000)));
  retry.attempt = 3;
  metrics.Observe(retry, TokensPriced(Dollars(0, 250'000'000'000'000'000)));
  metrics.Observe(LlmCall("cmp_b"), TokensPriced(Dollars(1)));

  const auto families = metrics.Collect();
  CHECK(CounterValue(families, "llm_cost_usd_total", SpendLabels("cmp_a")) == 2.5);
  CHECK(CounterValue(families, "llm_retry_cost_usd_total", SpendLabels("cmp_a")) == 0.5);
  // A priced series without retries shows 0, so retry/total ratios work.
  CHECK(CounterValue(families, "llm_retry_cost_usd_total", SpendLabels("cmp_b")) == 0.0);
}

TEST_CASE("llm_requests_total: every LLM call by vendor status class", "[metrics][llm]") {
  const MetricsOptions defaults;
  test::Usage metrics(defaults);
  for (std::uint16_t status : std::initializer_list<std::uint16_t>{200, 201, 101, 302, 429, 400, 503, 0}) {
    UsageRecord call = LlmCall();
    call.vendor_status = status;
    metrics.Observe(call, TokensPriced(Dollars(0)));
  }
  metrics.Observe(test::BusinessEvent("email.sent"), PriceResult{});  // not an LLM call

  const auto families = metrics.Collect();
  const test::Labels base = {{"service", "email_orchestrator"},
                             {"operation", "llm.generate_subject_line"},
                             {"vendor", "openai"},
                             {"model", "gpt-4o"}};
  CHECK(CounterValue(families, "llm_requests_total", With(base, "status", "2xx")) == 2.0);
  CHECK(CounterValue(families, "llm_requests_total", With(base, "status", "1xx")) == 1.0);
  CHECK(CounterValue(families, "llm_requests_total", With(base, "status", "3xx")) == 1.0);
  CHECK(CounterValue(families, "llm_requests_total", With(base, "status", "4xx")) == 2.0);
  CHECK(CounterValue(families, "llm_requests_total", With(base, "status", "5xx")) == 1.0);
  CHECK(CounterValue(families, "llm_requests_total", With(base, "status", "unknown")) == 1.0);
  CHECK(test::SampleCount(families, "llm_requests_total") == 6);
}

TEST_CASE("Unpriced LLM calls: counted everywhere but cost, with their reason", "[metrics][llm][unpriced]") {
  const MetricsOptions defaults;
  test::Usage metrics(defaults);
  metrics.Observe(LlmCall("cmp_a", "mystery"), test::Unpriced(PriceOutcome::kUnknownModel));
  metrics.Observe(LlmCall("cmp_a", "mystery"), test::Unpriced(PriceOutcome::kUnknownModel));
  UsageRecord tiered = LlmCall("cmp_a", "gpt-4o");
  tiered.service_tier = "flex";
  metrics.Observe(tiered, test::Unpriced(PriceOutcome::kUnknownServiceTier));

  const auto families = metrics.Collect();
  CHECK(CounterValue(families, "llm_tokens_total", With(SpendLabels("cmp_a", "mystery"), "type", "input")) == 1024.0);
  CHECK(test::SampleCount(families, "llm_requests_total") == 2);
  // Never shown as priced at zero: no cost sample at all.
  CHECK(test::FindFamily(families, "llm_cost_usd_total") == nullptr);
  CHECK(test::FindFamily(families, "llm_retry_cost_usd_total") == nullptr);
  CHECK(CounterValue(families, "llm_unpriced_records_total",
                     {{"vendor", "openai"}, {"model", "mystery"}, {"reason", "unknown_model"}}) == 2.0);
  CHECK(CounterValue(families, "llm_unpriced_records_total",
                     {{"vendor", "openai"}, {"model", "gpt-4o"}, {"reason", "unknown_service_tier"}}) == 1.0);
}

TEST_CASE("A partly priced LLM call counts its priced parts and its unpriced reason", "[metrics][llm][unpriced]") {
  const MetricsOptions defaults;
  test::Usage metrics(defaults);
  UsageRecord call = LlmCall();
  call.units = {{"images", 2}};
  PriceResult price = TokensPriced(Dollars(1));
  price.units = {{"images", 2, Money(), false}};
  price.outcome = PriceOutcome::kUnknownUnit;
  metrics.Observe(call, price);

  const auto families = metrics.Collect();
  CHECK(CounterValue(families, "llm_cost_usd_total", SpendLabels()) == 1.0);
  CHECK(CounterValue(families, "llm_unpriced_records_total",
                     {{"vendor", "openai"}, {"model", "gpt-4o"}, {"reason", "unknown_unit"}}) == 1.0);
  const test::Labels unit = {
      {"service", "email_orchestrator"}, {"campaign_id", "cmp_a"}, {"vendor", "openai"}, {"unit", "images"}};
  CHECK(CounterValue(families, "vendor_units_total", unit) == 2.0);
  CHECK_FALSE(CounterValue(families, "vendor_cost_usd_total", unit).has_value());
}

TEST_CASE("Priced unit costs of an LLM call are part of llm_cost_usd_total", "[metrics][llm]") {
  const MetricsOptions defaults;
  test::Usage metrics(defaults);
  UsageRecord call = LlmCall();
  call.units = {{"searches", 1}};
  PriceResult price = TokensPriced(Dollars(1));
  price.units = {{"searches", 1, Dollars(0, 10'000'000'000'000'000), true}};
  price.total = price.token_cost + price.units[0].cost;
  metrics.Observe(call, price);

  const auto families = metrics.Collect();
  CHECK(CounterValue(families, "llm_cost_usd_total", SpendLabels()) == 1.01);
  CHECK(
      CounterValue(
          families, "vendor_cost_usd_total",
          {{"service", "email_orchestrator"}, {"campaign_id", "cmp_a"}, {"vendor", "openai"}, {"unit", "searches"}}) ==
      0.01);
}

// ---- releases ------------------------------------------------------------------

test::Labels ReleaseLabels(std::string model, std::string prompt_version) {
  return {{"service", "email_orchestrator"},
          {"operation", "llm.generate_subject_line"},
          {"vendor", "openai"},
          {"model", std::move(model)},
          {"prompt_version", std::move(prompt_version)}};
}

std::optional<double> GaugeValue(const std::vector<prometheus::MetricFamily>& families, std::string_view family,
                                 const test::Labels& labels) {
  const prometheus::ClientMetric* sample = test::FindSample(families, family, labels);
  if (sample == nullptr) return std::nullopt;
  return sample->gauge.value;
}

UsageRecord CallAt(std::int64_t unix_s, std::string_view model, std::string_view prompt_version) {
  UsageRecord call = LlmCall("cmp_a", model);
  call.timestamp_unix_ns = unix_s * 1'000'000'000 + 250'000'000;
  call.prompt_version = prompt_version;
  return call;
}

TEST_CASE("llm_release_first_seen_timestamp_seconds: earliest record per model and prompt version",
          "[metrics][llm][release]") {
  const MetricsOptions defaults;
  test::Usage metrics(defaults);
  const PriceResult price = TokensPriced(Dollars(0));
  constexpr std::int64_t kT0 = 1'775'124'900;  // 2026-04-02T10:15:00Z
  metrics.Observe(CallAt(kT0 + 60, "gpt-4o", "v1"), price);
  metrics.Observe(CallAt(kT0, "gpt-4o", "v1"), price);              // earlier, arrives later: lowers it
  metrics.Observe(CallAt(kT0 + 600, "gpt-4o", "v1"), price);        // later: changes nothing
  metrics.Observe(CallAt(kT0 + 3600, "gpt-4o", "v2"), price);       // a prompt change
  metrics.Observe(CallAt(kT0 + 7200, "gpt-4o-mini", "v2"), price);  // a model change
  metrics.Observe(CallAt(kT0 + 9000, "gpt-4o-mini", ""), price);    // no prompt version

  const auto families = metrics.Collect();
  const char* name = "llm_release_first_seen_timestamp_seconds";
  CHECK(GaugeValue(families, name, ReleaseLabels("gpt-4o", "v1")) == kT0 + 0.25);
  CHECK(GaugeValue(families, name, ReleaseLabels("gpt-4o", "v2")) == kT0 + 3600.25);
  CHECK(GaugeValue(families, name, ReleaseLabels("gpt-4o-mini", "v2")) == kT0 + 7200.25);
  CHECK(GaugeValue(families, name, ReleaseLabels("gpt-4o-mini", "")) == kT0 + 9000.25);
  CHECK(test::SampleCount(families, name) == 4);
  CHECK(test::FindFamily(families, name)->type == prometheus::MetricType::Gauge);
}

TEST_CASE("llm_release_first_seen_timestamp_seconds: prompt_version is a guarded label", "[metrics][llm][release]") {
  MetricsOptions options;
  options.cardinality.per_label = {{"prompt_version", 1}};
  test::Usage metrics(options);
  const PriceResult price = TokensPriced(Dollars(0));
  metrics.Observe(CallAt(100, "gpt-4o", "v1"), price);
  metrics.Observe(CallAt(200, "gpt-4o", "v2"), price);
  metrics.Observe(CallAt(50, "gpt-4o", "v3"), price);

  const auto families = metrics.Collect();
  const char* name = "llm_release_first_seen_timestamp_seconds";
  CHECK(GaugeValue(families, name, ReleaseLabels("gpt-4o", "v1")) == 100.25);
  CHECK(GaugeValue(families, name, ReleaseLabels("gpt-4o", "__overflow__")) == 50.25);
  CHECK(CounterValue(families, "llm_cost_exporter_series_folded_total", {{"label", "prompt_version"}}) == 2.0);
  // Business events and vendor-only records have no model: no release series.
  UsageRecord mail = test::BusinessEvent("email.sent");
  mail.prompt_version = "v9";
  metrics.Observe(mail, PriceResult{});
  CHECK(test::SampleCount(metrics.Collect(), name) == 2);
}

}  // namespace
}  // namespace lce

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <catch2/catch.hpp>

#include "histogram.h"
#include "test_support.h"

namespace lce {
namespace {

using prometheus::ClientMetric;

// Cumulative count of the bucket with upper bound `le` (+Inf for infinity).
std::uint64_t BucketAt(const ClientMetric::Histogram& h, double le) {
  for (const auto& bucket : h.bucket) {
    if (bucket.upper_bound == le) return bucket.cumulative_count;
  }
  FAIL("no bucket le=" << le);
  return 0;
}

TEST_CASE("BucketLayout: a value exactly on a bound belongs to that bucket", "[metrics][histogram]") {
  const metrics::BucketLayout layout({0.05, 0.1, 1});
  CHECK(layout.IndexFor(0.0) == 0);
  CHECK(layout.IndexFor(0.05) == 0);
  CHECK(layout.IndexFor(0.050001) == 1);
  CHECK(layout.IndexFor(0.1) == 1);
  CHECK(layout.IndexFor(1) == 2);
  CHECK(layout.IndexFor(1.5) == 3);  // +Inf
  CHECK(layout.bucket_count() == 4);
}

TEST_CASE("BucketLayout: IndexFor is lower_bound's index for every value, on and between bounds",
          "[metrics][histogram]") {
  const std::vector<double> shipped = {16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576};
  const std::vector<double> latency = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  const std::vector<double> one = {1};
  for (const std::vector<double>* bounds : {&shipped, &latency, &one}) {
    const metrics::BucketLayout layout(*bounds);
    std::vector<double> values = {-1, 0, 1e300};
    for (const double bound : *bounds) {
      for (const double value : {bound, std::nextafter(bound, 0.0), std::nextafter(bound, 1e308), bound / 2}) {
        values.push_back(value);
      }
    }
    for (const double value : values) {
      INFO("value " << value);
      const auto expected =
          static_cast<std::size_t>(std::lower_bound(bounds->begin(), bounds->end(), value) - bounds->begin());
      CHECK(layout.IndexFor(value) == expected);
    }
  }
}

UsageRecord Span(std::int64_t latency_us) {
  UsageRecord r = test::BusinessEvent("email.sent");
  r.service = "sender";
  r.operation = "smtp.send";
  r.has_latency = true;
  r.latency_us = latency_us;
  return r;
}

TEST_CASE("span_latency_seconds: cumulative buckets, on-bound values, integer sum", "[metrics][histogram]") {
  MetricsOptions options;
  options.latency_buckets_seconds = {0.05, 0.1, 2.5};
  test::Usage metrics(options);
  for (std::int64_t us : {50'000, 50'001, 100'000, 2'500'000, 2'500'001, 0}) metrics.Observe(Span(us), PriceResult{});

  const auto families = metrics.Collect();
  const ClientMetric* sample =
      test::FindSample(families, "span_latency_seconds", {{"service", "sender"}, {"operation", "smtp.send"}});
  REQUIRE(sample != nullptr);
  const auto& h = sample->histogram;
  CHECK(BucketAt(h, 0.05) == 2);  // 0 and exactly 0.05
  CHECK(BucketAt(h, 0.1) == 4);   // + 0.050001 and exactly 0.1
  CHECK(BucketAt(h, 2.5) == 5);   // + exactly 2.5
  CHECK(BucketAt(h, std::numeric_limits<double>::infinity()) == 6);
  CHECK(h.sample_count == 6);
  CHECK(h.sample_sum == 5.200002);  // integer microseconds, one division
  CHECK(test::FindFamily(families, "span_latency_seconds")->type == prometheus::MetricType::Histogram);
}

TEST_CASE("span_latency_seconds: only records with a latency", "[metrics][histogram]") {
  const MetricsOptions defaults;
  test::Usage metrics(defaults);
  metrics.Observe(test::LlmCall(), test::TokensPriced(test::Dollars(1)));
  CHECK(test::FindFamily(metrics.Collect(), "span_latency_seconds") == nullptr);
  UsageRecord timed = test::LlmCall();
  timed.has_latency = true;
  timed.latency_us = 842'000;
  metrics.Observe(timed, test::TokensPriced(test::Dollars(1)));
  const auto families = metrics.Collect();
  const auto* sample =
      test::FindSample(families, "span_latency_seconds",
                       {{"service", "email_orchestrator"}, {"operation", "llm.generate_subject_line"}});
  REQUIRE(sample != nullptr);
  CHECK(sample->histogram.sample_count == 1);
  CHECK(sample->histogram.sample_sum == 0.842);
}

TEST_CASE("llm_tokens_per_request: one observation per present type, input/output always", "[metrics][histogram]") {
  MetricsOptions options;
  options.tokens_per_request_buckets = {16, 256, 1024};
  test::Usage metrics(options);
  UsageRecord call = test::LlmCall();
  call.tokens[TokenType::kInput] = 256;    // exactly on a bound
  call.tokens[TokenType::kOutput] = 0;     // still observed
  call.tokens[TokenType::kReasoning] = 0;  // not observed
  call.tokens[TokenType::kCachedInput] = 17;
  metrics.Observe(call, test::TokensPriced(test::Dollars(0)));

  const auto families = metrics.Collect();
  auto type = [](const char* t) { return test::Labels{{"vendor", "openai"}, {"model", "gpt-4o"}, {"type", t}}; };
  const auto* input = test::FindSample(families, "llm_tokens_per_request", type("input"));
  const auto* output = test::FindSample(families, "llm_tokens_per_request", type("output"));
  const auto* cached = test::FindSample(families, "llm_tokens_per_request", type("cached_input"));
  REQUIRE(input != nullptr);
  REQUIRE(output != nullptr);
  REQUIRE(cached != nullptr);
  CHECK(test::FindSample(families, "llm_tokens_per_request", type("reasoning")) == nullptr);
  CHECK(test::FindSample(families, "llm_tokens_per_request", type("cache_write")) == nullptr);

  CHECK(BucketAt(input->histogram, 16) == 0);
  CHECK(BucketAt(input->histogram, 256) == 1);
  CHECK(input->histogram.sample_sum == 256);
  CHECK(BucketAt(output->histogram, 16) == 1);
  CHECK(output->histogram.sample_sum == 0);
  CHECK(BucketAt(cached->histogram, 16) == 0);
  CHECK(BucketAt(cached->histogram, 256) == 1);
  CHECK(cached->histogram.sample_count == 1);
}

TEST_CASE("llm_tokens_per_request: not observed without token usage", "[metrics][histogram]") {
  const MetricsOptions defaults;
  test::Usage metrics(defaults);
  UsageRecord call = test::LlmCall();
  call.has_token_usage = false;
  call.tokens = {};
  metrics.Observe(call, test::Unpriced(PriceOutcome::kUnknownModel));
  const auto families = metrics.Collect();
  CHECK(test::FindFamily(families, "llm_tokens_per_request") == nullptr);
  CHECK(test::SampleCount(families, "llm_requests_total") == 1);
}

}  // namespace
}  // namespace lce

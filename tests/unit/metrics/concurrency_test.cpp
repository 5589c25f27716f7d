#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "test_support.h"

namespace lce {
namespace {

using test::CounterValue;
using test::Dollars;
using test::SpendLabels;
using test::With;

constexpr int kThreads = 4;

template <typename F>
void RunThreads(F&& body) {
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(body, t);
  for (auto& thread : threads) thread.join();
}

TEST_CASE("Concurrent Observe from 4 threads gives exact counts and cost", "[metrics][concurrency]") {
  const MetricsOptions defaults;
  test::Usage metrics(defaults);
  constexpr int kPerThread = 50'000;
  const Money price = Dollars(0, 37'500'000'000'000);  // $0.0000375
  std::atomic<bool> done{false};
  std::thread scraper([&] {  // scrapes race with the writers
    while (!done.load()) (void)metrics.Collect();
  });
  RunThreads([&](int t) {
    const std::string campaign = "cmp_" + std::to_string(t % 2);
    for (int i = 0; i < kPerThread; ++i) {
      UsageRecord call = test::LlmCall(campaign);
      call.attempt = (i % 4 == 0) ? 2 : 1;
      call.has_latency = true;
      call.latency_us = 1000;
      metrics.Observe(call, test::TokensPriced(price));
    }
  });
  done = true;
  scraper.join();

  const auto families = metrics.Collect();
  for (const char* campaign : {"cmp_0", "cmp_1"}) {
    INFO(campaign);
    constexpr double kCalls = 2.0 * kPerThread;  // two threads per campaign
    CHECK(CounterValue(families, "llm_tokens_total", With(SpendLabels(campaign), "type", "input")) == kCalls * 512);
    CHECK(CounterValue(families, "llm_cost_usd_total", SpendLabels(campaign)) == 3.75);  // 100,000 x $0.0000375
    CHECK(CounterValue(families, "llm_retry_cost_usd_total", SpendLabels(campaign)) == 0.9375);
  }
  const auto* latency =
      test::FindSample(families, "span_latency_seconds",
                       {{"service", "email_orchestrator"}, {"operation", "llm.generate_subject_line"}});
  REQUIRE(latency != nullptr);
  CHECK(latency->histogram.sample_count == kThreads * kPerThread);
  CHECK(latency->histogram.sample_sum == 200.0);
}

TEST_CASE("Concurrent first-seen values: exactly `limit` admitted, every other one folded",
          "[metrics][concurrency][cardinality]") {
  MetricsOptions options;
  options.cardinality.per_label["campaign_id"] = 10;
  test::Usage metrics(options);
  constexpr int kPerThread = 100;
  RunThreads([&](int t) {
    for (int i = 0; i < kPerThread; ++i) {
      const std::string campaign = "cmp_" + std::to_string(t * kPerThread + i);
      metrics.Observe(test::LlmCall(campaign), test::TokensPriced(Dollars(1)));
    }
  });

  const auto families = metrics.Collect();
  constexpr double kFolded = kThreads * kPerThread - 10;
  CHECK(test::SampleCount(families, "llm_cost_usd_total") == 11);  // 10 admitted + __overflow__
  CHECK(CounterValue(families, "llm_cost_usd_total", SpendLabels("__overflow__")) == kFolded);
  CHECK(CounterValue(families, "llm_cost_exporter_series_folded_total", {{"label", "campaign_id"}}) == kFolded);
}

}  // namespace
}  // namespace lce

// MetricRegistry: exposition order, empty families, sorting, the shared
// cardinality guard, the self-metric cells, and that a scrape reads only.
#include <catch2/catch.hpp>

#include <string>

#include "test_support.h"

namespace lce {
namespace {

constexpr MetricDesc kFirst{"first_total", "The first family.", MetricType::kCounter, {"b", "a"}};
constexpr MetricDesc kEmpty{"empty_total", "Never sampled.", MetricType::kCounter};
constexpr MetricDesc kLast{"last_seconds", "A gauge.", MetricType::kGauge};
constexpr MetricDesc kDurations{"durations_seconds", "A histogram.", MetricType::kHistogram};

class Fixed final : public Collector {
 public:
  void Collect(MetricSink& sink) const override {
    sink.Family(kFirst);
    sink.Sample({"z", "1"}, 2);
    sink.Sample({"y", "2"}, 3);
    sink.Family(kEmpty);
    ++collects;
  }
  mutable int collects = 0;
};

class Last final : public Collector {
 public:
  void Collect(MetricSink& sink) const override { sink.Unlabelled(kLast, 0.25); }
};

TEST_CASE("MetricRegistry renders collectors in registration order, sorted, without empty families",
          "[metrics][registry]") {
  MetricRegistry registry;
  Fixed fixed;
  Last last;
  registry.Register(last);
  registry.Register(fixed);
  const std::string text = registry.Render(ExpositionFormat::kText004);
  CHECK(text ==
        "# HELP last_seconds A gauge.\n"
        "# TYPE last_seconds gauge\n"
        "last_seconds 0.25\n"
        "# HELP first_total The first family.\n"
        "# TYPE first_total counter\n"
        "first_total{b=\"y\",a=\"2\"} 3\n"
        "first_total{b=\"z\",a=\"1\"} 2\n");
  const std::string openmetrics = registry.Render(ExpositionFormat::kOpenMetrics);
  CHECK_THAT(openmetrics, Catch::Contains("# TYPE first counter\n") && Catch::EndsWith("# EOF\n"));
  CHECK(fixed.collects == 2);
}

TEST_CASE("CounterFamily and DurationHistogram expose exact values", "[metrics][registry]") {
  static constexpr MetricDesc kRequests{"requests_total", "Requests.", MetricType::kCounter, {"handler", "code"}};
  CounterFamily requests(kRequests);
  DurationHistogram durations(kDurations, {0.001, 0.01});
  Counter& ok = requests.With({"usage", "200"});
  ok.Increment();
  ok.Increment(2);
  CHECK(&requests.With({"usage", "200"}) == &ok);  // stable handle
  requests.With({"usage", "400"});
  durations.Observe(1'000'000);   // exactly on the first bound
  durations.Observe(20'000'000);  // beyond the last bound
  class Both final : public Collector {
   public:
    Both(const CounterFamily& c, const DurationHistogram& h) : c_(c), h_(h) {}
    void Collect(MetricSink& sink) const override {
      c_.Collect(sink);
      h_.Collect(sink);
    }
    const CounterFamily& c_;
    const DurationHistogram& h_;
  } both(requests, durations);
  MetricRegistry registry;
  registry.Register(both);
  const std::string text = registry.Render(ExpositionFormat::kText004);
  CHECK_THAT(text, Catch::Contains("requests_total{handler=\"usage\",code=\"200\"} 3\n"));
  CHECK_THAT(text, Catch::Contains("requests_total{handler=\"usage\",code=\"400\"} 0\n"));
  CHECK_THAT(text, Catch::Contains("durations_seconds_bucket{le=\"0.001\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("durations_seconds_bucket{le=\"0.01\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("durations_seconds_bucket{le=\"+Inf\"} 2\n"));
  CHECK_THAT(text, Catch::Contains("durations_seconds_sum 0.021\n"));
  CHECK_THAT(text, Catch::Contains("durations_seconds_count 2\n"));
}

TEST_CASE("The registry's guard is the usage families' guard: one campaign_id limit, folds counted once",
          "[metrics][registry][cardinality]") {
  MetricsOptions options;
  options.cardinality.per_label["campaign_id"] = 2;
  test::Usage usage(options);
  usage.Observe(test::LlmCall("cmp_a"), test::TokensPriced(test::Dollars(1)));
  // Another module (budget decisions) admits through the same guard.
  CardinalityGuard& guard = usage.registry().guard();
  CHECK(guard.Admit("campaign_id", "cmp_b") == "cmp_b");
  CHECK(guard.Admit("campaign_id", "cmp_c") == kOverflowLabelValue);
  // ... so the usage families see the limit already reached.
  usage.Observe(test::LlmCall("cmp_d"), test::TokensPriced(test::Dollars(1)));
  const auto families = usage.Collect();
  CHECK(test::CounterValue(families, "llm_cost_usd_total", test::SpendLabels(std::string(kOverflowLabelValue))) == 1);
  CHECK(test::CounterValue(families, "llm_cost_exporter_series_folded_total", {{"label", "campaign_id"}}) == 2);
}

TEST_CASE("A scrape changes nothing: two renders in a row are identical", "[metrics][registry]") {
  test::Usage usage;
  usage.Observe(test::LlmCall(), test::TokensPriced(test::Dollars(2)));
  usage.registry().Register(usage.usage());
  const std::string first = usage.registry().Render(ExpositionFormat::kText004);
  CHECK(first == usage.registry().Render(ExpositionFormat::kText004));
  CHECK_THAT(first, Catch::Contains("llm_cost_usd_total{"));
}

}  // namespace
}  // namespace lce

#include <cmath>
#include <limits>
#include <stdexcept>

#include <catch2/catch.hpp>

#include "test_support.h"

namespace lce {
namespace {

Status WithFamily(const std::string& family, const std::string& event = "email.sent") {
  MetricsOptions options;
  options.business_event_families[event] = family;
  return UsageMetrics::ValidateOptions(options);
}

TEST_CASE("ValidateOptions accepts the defaults and valid mappings", "[metrics][options]") {
  const MetricsOptions defaults;
  CHECK(UsageMetrics::ValidateOptions(defaults).ok());
  CHECK(WithFamily("messages_sent_total").ok());
  CHECK(WithFamily("leads_qualified_total").ok());
  MetricsOptions options;
  options.cardinality.per_label = {{"campaign_id", 5000}, {"unit", 10}, {"event", 50}};
  CHECK(UsageMetrics::ValidateOptions(options).ok());
}

TEST_CASE("ValidateOptions rejects bad mapped family names, naming them", "[metrics][options]") {
  for (const char* bad : {"messages_sent", "MessagesSent_total", "messages-sent_total", "messages:sent_total",
                          "1messages_total", "_total", "", "__messages_total", "llm_cost_exporter_sent_total",
                          "llm_tokens_total", "business_events_total", "budget_decisions_total"}) {
    INFO(bad);
    const Status status = WithFamily(bad);
    CHECK_FALSE(status.ok());
    CHECK(status.code() == Status::Code::kInvalidArgument);
    CHECK(status.message().find("email.sent") != std::string::npos);
  }
  CHECK_FALSE(WithFamily("messages_sent_total", "").ok());
}

TEST_CASE("ValidateOptions checks cardinality limits", "[metrics][options]") {
  MetricsOptions options;
  options.cardinality.per_label["campaign"] = 10;  // typo of campaign_id: never silently ignored
  Status status = UsageMetrics::ValidateOptions(options);
  CHECK_FALSE(status.ok());
  CHECK(status.message().find("campaign") != std::string::npos);

  options.cardinality.per_label = {{"campaign_id", 0}};
  CHECK_FALSE(UsageMetrics::ValidateOptions(options).ok());
  options.cardinality.per_label.clear();
  options.cardinality.default_limit = 0;
  CHECK_FALSE(UsageMetrics::ValidateOptions(options).ok());
}

TEST_CASE("ValidateOptions checks bucket bounds", "[metrics][options]") {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::nan("");
  for (const std::vector<double>& bad : std::vector<std::vector<double>>{{}, {1, 1}, {2, 1}, {1, inf}, {nan}}) {
    MetricsOptions latency;
    latency.latency_buckets_seconds = bad;
    CHECK_FALSE(UsageMetrics::ValidateOptions(latency).ok());
    MetricsOptions tokens;
    tokens.tokens_per_request_buckets = bad;
    CHECK_FALSE(UsageMetrics::ValidateOptions(tokens).ok());
  }
}

TEST_CASE("UsageMetrics::Create refuses invalid options with the reason", "[metrics][options]") {
  MetricsOptions options;
  options.business_event_families["email.sent"] = "messages_sent";
  MetricRegistry registry;
  const Result<std::unique_ptr<UsageMetrics>> usage = UsageMetrics::Create(options, registry);
  REQUIRE_FALSE(usage.ok());
  CHECK(usage.status().code() == Status::Code::kInvalidArgument);
  CHECK_THAT(usage.status().message(), Catch::StartsWith("metrics options: ") && Catch::Contains("messages_sent"));
}

}  // namespace
}  // namespace lce

#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>
#include <prometheus/text_serializer.h>

#include "label_values.h"
#include "test_support.h"

namespace lce {
namespace {

using test::Dollars;

TEST_CASE("Status classes and codes", "[metrics][exposition]") {
  using metrics::kStatusClassNames;
  using metrics::StatusClassIndex;
  CHECK(kStatusClassNames[StatusClassIndex(0)] == "unknown");
  CHECK(kStatusClassNames[StatusClassIndex(101)] == "1xx");
  CHECK(kStatusClassNames[StatusClassIndex(200)] == "2xx");
  CHECK(kStatusClassNames[StatusClassIndex(304)] == "3xx");
  CHECK(kStatusClassNames[StatusClassIndex(499)] == "4xx");
  CHECK(kStatusClassNames[StatusClassIndex(599)] == "5xx");
  CHECK(kStatusClassNames[StatusClassIndex(600)] == "unknown");
  CHECK(metrics::StatusCodeText(429).view() == "429");
}

// Feeds every family at least once, including folds, mapped families and
// empty label values.
test::Usage& FeedEveryFamily(test::Usage& metrics) {
  UsageRecord call = test::LlmCall();
  call.tokens[TokenType::kCachedInput] = 100;
  call.tokens[TokenType::kCacheWrite] = 10;
  call.tokens[TokenType::kReasoning] = 64;
  call.has_latency = true;
  call.latency_us = 842'000;
  metrics.Observe(call, test::TokensPriced(Dollars(0, 3'750'000'000'000'000)));

  UsageRecord retry = test::LlmCall("cmp_b");
  retry.attempt = 2;
  retry.vendor_status = 429;
  metrics.Observe(retry, test::TokensPriced(Dollars(0, 1'000'000'000'000'000)));

  UsageRecord unknown = test::LlmCall("cmp_c", "mystery-model");
  unknown.vendor_status = 0;
  metrics.Observe(unknown, test::Unpriced(PriceOutcome::kUnknownModel));

  UsageRecord send = test::BusinessEvent("email.sent");
  send.service = "sender";
  send.vendor = "sendgrid";
  send.units = {{"emails", 3}};
  PriceResult send_price;
  send_price.outcome = PriceOutcome::kPriced;
  send_price.units = {{"emails", 3, Dollars(0, 2'700'000'000'000'000), true}};
  send_price.total = send_price.units[0].cost;
  metrics.Observe(send, send_price);

  UsageRecord failed = test::BusinessEvent("crm.sync", "", "");  // empty label values
  failed.vendor = "hubspot";
  failed.vendor_status = 503;
  metrics.Observe(failed, PriceResult{});
  metrics.Observe(test::BusinessEvent("lead.qualified"), PriceResult{});
  return metrics;
}

std::string Serialize(const std::vector<prometheus::MetricFamily>& families) {
  std::ostringstream text;
  prometheus::TextSerializer().Serialize(text, families);
  return text.str();
}

struct CommandResult {
  int exit_code = -1;
  std::string output;
};

CommandResult Run(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) result.output += buffer.data();
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

TEST_CASE("Collect() output passes promtool check metrics", "[metrics][exposition][promtool]") {
  // promtool ships with Debian's prometheus package, a test dependency: fail, do not skip.
  REQUIRE(Run("command -v promtool").exit_code == 0);

  MetricsOptions options;
  options.cardinality.per_label["campaign_id"] = 2;  // cmp_c folds
  options.business_event_families["email.sent"] = "messages_sent_total";
  test::Usage metrics(options);
  const std::string text = Serialize(FeedEveryFamily(metrics).Collect());

  for (const char* family :
       {"llm_tokens_total", "llm_cost_usd_total", "llm_retry_cost_usd_total", "llm_requests_total",
        "vendor_cost_usd_total", "vendor_units_total", "vendor_errors_total", "span_latency_seconds",
        "span_errors_total", "llm_tokens_per_request", "business_events_total", "messages_sent_total",
        "llm_unpriced_records_total", "llm_cost_exporter_series_folded_total"}) {
    INFO(family);
    CHECK(text.find("# TYPE " + std::string(family) + " ") != std::string::npos);
  }
  CHECK(text.find("span_latency_seconds_bucket{service=\"email_orchestrator\",operation=\"llm.generate_subject_line\","
                  "le=\"+Inf\"} 1") != std::string::npos);
  // The failed LLM calls of FeedEveryFamily have no latency: a 0 error sample beside the latency.
  CHECK(text.find("span_errors_total{service=\"email_orchestrator\",operation=\"llm.generate_subject_line\"} 0\n") !=
        std::string::npos);
  CHECK(text.find("__overflow__") != std::string::npos);

  char path[] = "/tmp/lce_metrics_XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  std::ofstream(path) << text;
  const CommandResult check = Run(std::string("promtool check metrics < ") + path);
  std::remove(path);
  INFO("exposition:\n" << text << "\npromtool:\n" << check.output);
  CHECK(check.exit_code == 0);
  CHECK(check.output.empty());
}

}  // namespace
}  // namespace lce

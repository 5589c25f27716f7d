#include <catch2/catch.hpp>

#include "test_support.h"

namespace lce {
namespace {

using test::CounterValue;
using test::Dollars;

UsageRecord EmailSend(std::uint64_t emails, std::uint16_t status = 202) {
  UsageRecord r = test::BusinessEvent("email.sent");
  r.service = "sender";
  r.vendor = "sendgrid";
  r.units = {{"emails", emails}};
  r.vendor_status = status;
  return r;
}

PriceResult EmailPrice(std::uint64_t emails) {
  PriceResult p;
  p.units = {{"emails", emails, Dollars(0, 900'000'000'000'000) * emails, true}};  // $0.0009 each
  p.outcome = PriceOutcome::kPriced;
  p.total = p.units[0].cost;
  return p;
}

const test::Labels kEmailUnits = {
    {"service", "sender"}, {"campaign_id", "cmp_a"}, {"vendor", "sendgrid"}, {"unit", "emails"}};

TEST_CASE("vendor_units_total and vendor_cost_usd_total from priced units", "[metrics][vendor]") {
  const MetricsOptions defaults;
  test::Usage metrics(defaults);
  metrics.Observe(EmailSend(3), EmailPrice(3));
  metrics.Observe(EmailSend(1), EmailPrice(1));
  const auto families = metrics.Collect();
  CHECK(CounterValue(families, "vendor_units_total", kEmailUnits) == 4.0);
  CHECK(CounterValue(families, "vendor_cost_usd_total", kEmailUnits) == 0.0036);
  CHECK(test::FindFamily(families, "llm_cost_usd_total") == nullptr);  // not an LLM call
}

TEST_CASE("Unpriced units count units but no cost; zero counts are skipped", "[metrics][vendor]") {
  const MetricsOptions defaults;
  test::Usage metrics(defaults);
  PriceResult unknown;
  unknown.units = {{"emails", 2, Money(), false}};
  unknown.outcome = PriceOutcome::kUnknownUnit;
  metrics.Observe(EmailSend(2), unknown);
  metrics.Observe(EmailSend(0), PriceResult{});
  UsageRecord no_vendor = EmailSend(5);
  no_vendor.vendor = "";
  metrics.Observe(no_vendor, PriceResult{});

  const auto families = metrics.Collect();
  CHECK(CounterValue(families, "vendor_units_total", kEmailUnits) == 2.0);
  CHECK(test::SampleCount(families, "vendor_units_total") == 1);
  CHECK(test::FindFamily(families, "vendor_cost_usd_total") == nullptr);
  CHECK(CounterValue(families, "llm_unpriced_records_total",
                     {{"vendor", "sendgrid"}, {"model", ""}, {"reason", "unknown_unit"}}) == 1.0);
}

TEST_CASE("vendor_errors_total counts statuses >= 400 by exact code", "[metrics][vendor]") {
  const MetricsOptions defaults;
  test::Usage metrics(defaults);
  for (std::uint16_t status : std::initializer_list<std::uint16_t>{200, 302, 399, 400, 429, 429, 503, 0})
    metrics.Observe(EmailSend(1, status), EmailPrice(1));
  UsageRecord llm = test::LlmCall();
  llm.vendor_status = 500;
  metrics.Observe(llm, test::TokensPriced(Dollars(0)));

  const auto families = metrics.Collect();
  auto code = [](const char* vendor, const char* service, const char* status) {
    return test::Labels{{"vendor", vendor}, {"service", service}, {"status", status}};
  };
  CHECK(CounterValue(families, "vendor_errors_total", code("sendgrid", "sender", "400")) == 1.0);
  CHECK(CounterValue(families, "vendor_errors_total", code("sendgrid", "sender", "429")) == 2.0);
  CHECK(CounterValue(families, "vendor_errors_total", code("sendgrid", "sender", "503")) == 1.0);
  CHECK(CounterValue(families, "vendor_errors_total", code("openai", "email_orchestrator", "500")) == 1.0);
  CHECK(test::SampleCount(families, "vendor_errors_total") == 4);
}

TEST_CASE("business_events_total counts records without a model", "[metrics][business]") {
  const MetricsOptions defaults;
  test::Usage metrics(defaults);
  metrics.Observe(test::BusinessEvent("email.replied", "cmp_a", "aud_1"), PriceResult{});
  metrics.Observe(test::BusinessEvent("email.replied", "cmp_a", "aud_1"), PriceResult{});
  metrics.Observe(test::BusinessEvent("lead.qualified", "cmp_b", ""), PriceResult{});
  metrics.Observe(test::LlmCall(), test::TokensPriced(Dollars(1)));  // an LLM call: not a business event

  const auto families = metrics.Collect();
  CHECK(CounterValue(families, "business_events_total",
                     {{"event", "email.replied"}, {"campaign_id", "cmp_a"}, {"audience_id", "aud_1"}}) == 2.0);
  CHECK(CounterValue(families, "business_events_total",
                     {{"event", "lead.qualified"}, {"campaign_id", "cmp_b"}, {"audience_id", ""}}) == 1.0);
  CHECK(test::SampleCount(families, "business_events_total") == 2);
}

TEST_CASE("Mapped business events get their own family", "[metrics][business]") {
  MetricsOptions options;
  options.business_event_families = {{"email.sent", "messages_sent_total"},
                                     {"sms.sent", "messages_sent_total"},
                                     {"lead.qualified", "leads_qualified_total"}};
  test::Usage metrics(options);
  metrics.Observe(EmailSend(1), EmailPrice(1));
  metrics.Observe(test::BusinessEvent("sms.sent"), PriceResult{});
  metrics.Observe(test::BusinessEvent("lead.qualified", "cmp_a", "aud_2"), PriceResult{});
  metrics.Observe(test::BusinessEvent("email.replied"), PriceResult{});

  const auto families = metrics.Collect();
  CHECK(CounterValue(families, "messages_sent_total", {{"campaign_id", "cmp_a"}, {"audience_id", "aud_1"}}) == 2.0);
  CHECK(CounterValue(families, "leads_qualified_total", {{"campaign_id", "cmp_a"}, {"audience_id", "aud_2"}}) == 1.0);
  CHECK(CounterValue(families, "business_events_total",
                     {{"event", "email.replied"}, {"campaign_id", "cmp_a"}, {"audience_id", "aud_1"}}) == 1.0);
  CHECK(test::SampleCount(families, "business_events_total") == 1);
  const auto* messages = test::FindFamily(families, "messages_sent_total");
  CHECK(messages->type == prometheus::MetricType::Counter);
  CHECK(messages->help.find("email.sent") != std::string::npos);
  CHECK(messages->help.find("sms.sent") != std::string::npos);
}

TEST_CASE("A mapped event counts even on a record that is an LLM call", "[metrics][business]") {
  MetricsOptions options;
  options.business_event_families = {{"email.sent", "messages_sent_total"}};
  test::Usage metrics(options);
  UsageRecord written = test::LlmCall("cmp_a");  // the guide's email.sent carries the model that wrote it
  written.event = "email.sent";
  written.audience_id = "aud_1";
  metrics.Observe(written, test::TokensPriced(Dollars(1)));
  metrics.Observe(test::LlmCall("cmp_a"), test::TokensPriced(Dollars(1)));  // llm.call: not mapped

  const auto families = metrics.Collect();
  CHECK(CounterValue(families, "messages_sent_total", {{"campaign_id", "cmp_a"}, {"audience_id", "aud_1"}}) == 1.0);
  CHECK(test::FindFamily(families, "business_events_total") == nullptr);
  CHECK(CounterValue(families, "llm_cost_usd_total", test::SpendLabels("cmp_a")) == 2.0);
}

TEST_CASE("Reconfigure switches the mapping for new records and keeps old series", "[metrics][business]") {
  const MetricsOptions defaults;
  test::Usage metrics(defaults);
  const test::Labels unmapped = {{"event", "email.sent"}, {"campaign_id", "cmp_a"}, {"audience_id", "aud_1"}};
  const test::Labels mapped = {{"campaign_id", "cmp_a"}, {"audience_id", "aud_1"}};
  metrics.Observe(test::BusinessEvent("email.sent"), PriceResult{});

  MetricsOptions options;
  options.business_event_families = {{"email.sent", "messages_sent_total"}};
  REQUIRE(metrics.Reconfigure(options).ok());
  metrics.Observe(test::BusinessEvent("email.sent"), PriceResult{});
  metrics.Observe(test::BusinessEvent("email.sent"), PriceResult{});

  auto families = metrics.Collect();
  CHECK(CounterValue(families, "business_events_total", unmapped) == 1.0);
  CHECK(CounterValue(families, "messages_sent_total", mapped) == 2.0);

  SECTION("an invalid reload is rejected whole and the mapping in force stays") {
    MetricsOptions bad;
    bad.business_event_families = {{"email.sent", "MessagesSent"}};
    bad.cardinality.default_limit = 1;
    const Status status = metrics.Reconfigure(bad);
    CHECK_FALSE(status.ok());
    CHECK(status.message().find("MessagesSent") != std::string::npos);
    metrics.Observe(test::BusinessEvent("email.sent", "cmp_new"), PriceResult{});
    families = metrics.Collect();
    CHECK(CounterValue(families, "messages_sent_total", {{"campaign_id", "cmp_new"}, {"audience_id", "aud_1"}}) == 1.0);
  }
}

TEST_CASE("Mapped events bypass the event label limit", "[metrics][business][cardinality]") {
  MetricsOptions options;
  options.cardinality.per_label["event"] = 1;
  options.business_event_families = {{"email.sent", "messages_sent_total"}};
  test::Usage metrics(options);
  metrics.Observe(test::BusinessEvent("email.replied"), PriceResult{});
  metrics.Observe(test::BusinessEvent("email.bounced"), PriceResult{});
  metrics.Observe(test::BusinessEvent("email.sent"), PriceResult{});

  const auto families = metrics.Collect();
  CHECK(CounterValue(families, "business_events_total",
                     {{"event", "__overflow__"}, {"campaign_id", "cmp_a"}, {"audience_id", "aud_1"}}) == 1.0);
  CHECK(CounterValue(families, "messages_sent_total", {{"campaign_id", "cmp_a"}, {"audience_id", "aud_1"}}) == 1.0);
  CHECK(CounterValue(families, "llm_cost_exporter_series_folded_total", {{"label", "event"}}) == 1.0);
}

}  // namespace
}  // namespace lce

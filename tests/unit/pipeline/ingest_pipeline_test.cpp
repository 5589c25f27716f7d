#include <atomic>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "llm_cost_exporter/pipeline.h"

namespace {

constexpr const char* kTable = R"(
provider: acme-ai
currency: USD
versions:
  - effective_from: 2026-01-01
    models:
      acme-small:
        per_million_tokens: {input: 0.0375, output: 0.15}
      acme-pricey:
        per_million_tokens: {input: 1000000, output: 1000000}
)";

// The largest price a table may hold: 1,000 units cost exactly kMaxEntryCost.
constexpr const char* kUnitTable = R"(
provider: acme-data
currency: USD
versions:
  - effective_from: 2026-01-01
    per_unit: {lookups: 1000000}
)";

constexpr std::int64_t kReceived = 1'780'000'000'000'000'000;

// The sum of the samples of `family` in a text exposition, or -1 without any.
double SumOfSamples(const std::string& text, const std::string& family) {
  std::istringstream lines(text);
  double sum = -1;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(family, 0) != 0 || line.size() <= family.size()) continue;
    if (line[family.size()] != '{' && line[family.size()] != ' ') continue;
    sum = (sum < 0 ? 0 : sum) + std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

struct Fixture {
  lce::MetricRegistry registry;
  lce::SelfMetrics self{lce::BuildInfo{"test", "test", "test"}};
  std::unique_ptr<lce::UsageMetrics> usage_metrics = lce::UsageMetrics::WithDefaults(registry);
  lce::UsageMetrics& usage = *usage_metrics;
  std::unique_ptr<lce::Ledger> ledger = lce::NewMemoryLedger(std::chrono::hours(24));
  lce::Budgets budgets{lce::BudgetsConfig{}};
  lce::IngestPipeline pipeline{usage, *ledger, budgets, self};
  std::shared_ptr<const lce::PriceBook> prices;

  Fixture() {
    registry.Register(usage);
    registry.Register(self);
    auto loaded = lce::PriceBook::LoadDocuments({{"acme.yaml", kTable}, {"acme-data.yaml", kUnitTable}});
    INFO(loaded.status().message());
    REQUIRE(loaded.ok());
    prices = std::move(loaded).value();
  }

  lce::IngestSummary Ingest(const std::string& body) {
    // No Catch2 assertions here: this runs on several threads at once.
    auto batch = lce::ParseBatch(body, lce::BodyFormat::kNdjson, lce::IngestOptions{}, kReceived);
    if (!batch.ok()) throw std::runtime_error(batch.status().message());
    auto summary = pipeline.Ingest(std::move(batch).value(), *prices, kReceived);
    if (!summary.ok()) throw std::runtime_error(summary.status().message());
    return std::move(summary).value();
  }

  // The value of the first sample of `family` in the usage exposition.
  double Sample(const std::string& family) {
    return SumOfSamples(registry.Render(lce::ExpositionFormat::kText004), family);
  }
};

std::string Record(int id, const char* extra = "") {
  return R"({"event":"llm.call","event_id":"evt_)" + std::to_string(id) +
         R"(","timestamp":"2026-03-01T00:00:00Z","vendor":"acme-ai","model":"acme-small","token_usage":{"input":1000000,"output":0})" +
         extra + "}\n";
}

}  // namespace

TEST_CASE("accepted, duplicate and rejected records are told apart", "[pipeline]") {
  Fixture f;
  const auto summary = f.Ingest(Record(1) + Record(2) + Record(1) + R"({"event":"llm.call","model":"x"})" + "\n");
  CHECK(summary.accepted == 2);
  CHECK(summary.duplicate == 1);
  CHECK(summary.rejected == 1);
  REQUIRE(summary.errors.size() == 1);
  CHECK(summary.errors[0].index == 3);
  CHECK(f.Sample("llm_cost_usd_total") == Approx(0.075).epsilon(1e-12));
}

TEST_CASE("a record re-sent in a later batch is counted once", "[pipeline]") {
  Fixture f;
  CHECK(f.Ingest(Record(7)).accepted == 1);
  const auto again = f.Ingest(Record(7));
  CHECK(again.accepted == 0);
  CHECK(again.duplicate == 1);
  CHECK(f.Sample("llm_cost_usd_total") == Approx(0.0375).epsilon(1e-12));
}

TEST_CASE("concurrent batches with overlapping ids count each id once", "[pipeline]") {
  Fixture f;
  std::string body;
  for (int i = 0; i < 500; ++i) body += Record(i);
  std::vector<std::thread> threads;
  std::atomic<std::size_t> accepted{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] { accepted += f.Ingest(body).accepted; });
  }
  for (auto& thread : threads) thread.join();
  CHECK(accepted == 500);
  CHECK(f.ledger->Stats().idempotency_keys == 500);
  CHECK(f.Sample("llm_cost_usd_total") == Approx(500 * 0.0375).epsilon(1e-12));
}

TEST_CASE("batches of known series, all new or with duplicates, are each counted once", "[pipeline][metrics]") {
  // The first batch creates the series; the second (all new, every series
  // known) is counted from the sums drafted while the ledger committed; the
  // third holds a duplicate, so its draft is set aside and it is counted
  // record by record.
  Fixture f;
  std::string first, second, third;
  const auto timed = [](int i) { return Record(i, i % 2 == 0 ? R"(,"latency_ms":120)" : ""); };
  for (int i = 1; i <= 20; ++i) first += timed(i);
  for (int i = 21; i <= 40; ++i) second += timed(i);
  for (int i = 41; i <= 60; ++i) third += timed(i);
  third += timed(7);
  CHECK(f.Ingest(first).accepted == 20);
  CHECK(f.Sample("llm_requests_total") == 20);
  const lce::IngestSummary all_new = f.Ingest(second);
  CHECK(all_new.accepted == 20);
  CHECK(f.Sample("llm_requests_total") == 40);
  CHECK(f.Sample("llm_cost_usd_total") == Approx(40 * 0.0375));
  CHECK(f.Sample("span_latency_seconds_count") == 20);
  const lce::IngestSummary with_duplicate = f.Ingest(third);
  CHECK(with_duplicate.accepted == 20);
  CHECK(with_duplicate.duplicate == 1);
  CHECK(f.Sample("llm_requests_total") == 60);
  CHECK(f.Sample("llm_cost_usd_total") == Approx(60 * 0.0375));
  CHECK(f.Sample("llm_tokens_total") == 60 * 1000000.0);
  CHECK(f.Sample("span_latency_seconds_count") == 30);
}

TEST_CASE("records without any id cannot be deduplicated and are all counted", "[pipeline]") {
  Fixture f;
  const std::string no_id = R"({"event":"email.sent","campaign_id":"cmp_a"})"
                            "\n"
                            R"({"event":"email.sent","campaign_id":"cmp_a"})"
                            "\n";
  CHECK(f.Ingest(no_id).accepted == 2);
}

namespace {

std::string Lookups(int id, int count) {
  return R"({"event":"enrich.lookup","event_id":"lk_)" + std::to_string(id) +
         R"(","timestamp":"2026-03-01T00:00:00Z","vendor":"acme-data","units":{"lookups":)" + std::to_string(count) +
         "}}\n";
}

}  // namespace

TEST_CASE("a record priced beyond the ledger's range is rejected alone, naming the field", "[pipeline][bounds]") {
  Fixture f;
  // Within the token bounds, but priced at $2e9 (> kMaxEntryCost = $1e9).
  const std::string pricey = R"({"event":"llm.call","event_id":"big","vendor":"acme-ai","model":"acme-pricey",)"
                             R"("token_usage":{"input":1000000000,"output":1000000000}})"
                             "\n";
  const auto summary = f.Ingest(Record(1) + pricey + Lookups(2, 1001) + Lookups(3, 1000) + Record(4));
  CHECK(summary.accepted == 3);
  CHECK(summary.rejected == 2);
  REQUIRE(summary.errors.size() == 2);
  CHECK(summary.errors[0].index == 1);
  CHECK(summary.errors[0].reason == lce::RejectReason::kOutOfRange);
  CHECK(summary.errors[0].field == "token_usage");
  CHECK(summary.errors[0].message ==
        "record 1: field \"token_usage\": priced at 2000000000 USD, above the 1000000000 USD one record may cost; "
        "nothing of it was counted");
  CHECK(summary.errors[1].index == 2);
  CHECK(summary.errors[1].field == "units");
  // Nothing of the rejected records reached the ledger or the metrics.
  CHECK(f.ledger->Stats().idempotency_keys == 3);
  CHECK(f.Sample("vendor_cost_usd_total") == Approx(1e9));
}

TEST_CASE("a batch whose priced cost would pass kMaxAppendCost keeps the records before the bound",
          "[pipeline][bounds]") {
  Fixture f;
  std::string body;
  for (int i = 0; i < 1002; ++i) body += Lookups(i, 1000);  // $1e9 each: 1,000 fit in $1e12
  const auto summary = f.Ingest(body);
  CHECK(summary.accepted == 1000);
  REQUIRE(summary.errors.size() == 2);
  CHECK(summary.errors[0].index == 1000);
  CHECK(summary.errors[1].index == 1001);
  CHECK(summary.errors[0].reason == lce::RejectReason::kOutOfRange);
  CHECK_THAT(summary.errors[0].message,
             Catch::Contains("would take this request's priced cost past 1000000000000 USD"));
  // Sent again, the two rejected records fit in a request of their own.
  const auto rest = f.Ingest(Lookups(1000, 1000) + Lookups(1001, 1000));
  CHECK(rest.accepted == 2);
}

TEST_CASE("the same event_id with other content is a conflict naming the key", "[pipeline][conflict]") {
  Fixture f;
  CHECK(f.Ingest(Record(5)).accepted == 1);
  // Same content: a duplicate. Other tokens: a conflict, counted nowhere.
  const auto summary =
      f.Ingest(Record(5) + Record(5, R"(,"attempt":2)") + Record(6) + Record(6, R"(,"campaign_id":"cmp_b")"));
  CHECK(summary.accepted == 1);
  CHECK(summary.duplicate == 1);
  CHECK(summary.rejected == 2);
  REQUIRE(summary.errors.size() == 2);
  CHECK(summary.errors[0].index == 1);
  CHECK(summary.errors[0].reason == lce::RejectReason::kConflict);
  CHECK(summary.errors[0].field == "event_id");
  CHECK(summary.errors[0].message ==
        "record 1: field \"event_id\": idempotency key \"evt_5\" was already used for a record with different "
        "content; nothing of this record was counted (send it with a new event_id)");
  CHECK(summary.errors[1].index == 3);  // the conflict is within the same batch
  CHECK(f.Sample("llm_cost_usd_total") == Approx(2 * 0.0375).epsilon(1e-12));
  CHECK(f.Sample("llm_retry_cost_usd_total") == 0);  // the retry was never counted
}

TEST_CASE("conflicts and bound rejections count in records_rejected_total by reason", "[pipeline][conflict]") {
  Fixture f;
  f.Ingest(Record(1));
  f.Ingest(Record(1, R"(,"latency_ms":5)") + Lookups(2, 5000));
  const std::string text = f.registry.Render(lce::ExpositionFormat::kText004);
  CHECK_THAT(text, Catch::Contains("llm_cost_exporter_records_rejected_total{reason=\"conflict\"} 1\n") &&
                       Catch::Contains("llm_cost_exporter_records_rejected_total{reason=\"out_of_range\"} 1\n"));
}

TEST_CASE("records are counted under the vendor and model as priced; an ambiguous vendorless record is rejected alone",
          "[pipeline][matching]") {
  Fixture f;
  constexpr const char* kOther = R"(
provider: other-ai
currency: USD
versions:
  - effective_from: 2026-01-01
    models:
      acme-small: {per_million_tokens: {input: 1, output: 1}}
      other-only: {per_million_tokens: {input: 2, output: 2}}
)";
  auto loaded = lce::PriceBook::LoadDocuments({{"acme.yaml", kTable}, {"other.yaml", kOther}});
  REQUIRE(loaded.ok());
  f.prices = std::move(loaded).value();
  const std::string vendorless_unique =
      R"({"event":"llm.call","event_id":"v1","timestamp":"2026-03-01T00:00:00Z","model":"other-only","token_usage":{"input":1000000}})"
      "\n";
  const std::string vendorless_ambiguous =
      R"({"event":"llm.call","event_id":"v2","timestamp":"2026-03-01T00:00:00Z","model":"acme-small","token_usage":{"input":1}})"
      "\n";
  const std::string spelled =
      R"({"event":"llm.call","event_id":"v3","timestamp":"2026-03-01T00:00:00Z","vendor":"ACME-AI","model":"ACME-SMALL","token_usage":{"input":1000000}})"
      "\n";
  const auto summary = f.Ingest(vendorless_unique + vendorless_ambiguous + spelled);
  CHECK(summary.accepted == 2);
  REQUIRE(summary.errors.size() == 1);
  CHECK(summary.errors[0].index == 1);
  CHECK(summary.errors[0].field == "vendor");
  CHECK(summary.errors[0].reason == lce::RejectReason::kMissingField);
  CHECK(
      summary.errors[0].message ==
      R"(record 1: field "vendor": is required: model "acme-small" is priced by acme-ai and other-ai (and maybe others); give the vendor)");
  const std::string text = f.registry.Render(lce::ExpositionFormat::kText004);
  CHECK_THAT(
      text, Catch::Contains(R"(llm_cost_usd_total{service="",campaign_id="",vendor="other-ai",model="other-only"} 2)"));
  CHECK_THAT(text, Catch::Contains(
                       R"(llm_cost_usd_total{service="",campaign_id="",vendor="acme-ai",model="acme-small"} 0.0375)"));
  CHECK_THAT(text, !Catch::Contains("ACME"));
  // The ledger holds the names as priced too.
  auto spend = f.ledger->Spend(0, kReceived);
  REQUIRE(spend.ok());
  REQUIRE(spend->size() == 2);
  for (const lce::SpendBucket& bucket : *spend) CHECK((bucket.vendor == "other-ai" || bucket.vendor == "acme-ai"));
}

namespace {

// Ingests `parts` (consecutive pieces of one NDJSON body) as one stream.
lce::IngestSummary IngestInParts(Fixture& f, const std::vector<std::string_view>& parts) {
  lce::IngestPipeline::Stream stream = f.pipeline.Open(*f.prices, kReceived);
  std::size_t seen = 0;
  for (const std::string_view part : parts) {
    auto batch = lce::ParseBatch(part, lce::BodyFormat::kNdjson, lce::IngestOptions{}, kReceived, seen);
    REQUIRE(batch.ok());
    seen += batch->total;
    REQUIRE(stream.Add(std::move(batch).value()).ok());
  }
  auto summary = stream.Finish();
  REQUIRE(summary.ok());
  return std::move(summary).value();
}

}  // namespace

TEST_CASE("a body ingested as a stream of parts is answered and counted as the body in one batch",
          "[pipeline][stream]") {
  std::string body = Record(1) + "\n";
  for (int i = 2; i < 40; ++i) body += Record(i);
  body += Record(3) + R"({"event":"llm.call","model":"x"})" + "\n" + Record(5, R"(,"attempt":2)") + Lookups(50, 1000) +
          Lookups(51, 1000);
  for (int i = 0; i < 1000; ++i) body += Lookups(100 + i, 1000);  // past kMaxAppendCost over the parts together
  Fixture whole;
  const lce::IngestSummary expected = whole.Ingest(body);
  Fixture streamed;
  const std::vector<std::string_view> parts = lce::SplitNdjson(body, 4096);
  REQUIRE(parts.size() > 20);
  const lce::IngestSummary got = IngestInParts(streamed, parts);
  CHECK(got.accepted == expected.accepted);
  CHECK(got.duplicate == expected.duplicate);
  CHECK(got.rejected == expected.rejected);
  CHECK(got.unpriced == expected.unpriced);
  REQUIRE(got.errors.size() == expected.errors.size());
  for (std::size_t i = 0; i < got.errors.size(); ++i) {
    CHECK(got.errors[i].index == expected.errors[i].index);
    CHECK(got.errors[i].message == expected.errors[i].message);
  }
  CHECK(expected.duplicate == 1);  // evt_3 sent again
  // The malformed record, evt_5 again with other content (a conflict), and
  // the three lookups past the request's bound (999 of $1e9 fit after the
  // calls' $1.5).
  CHECK(expected.rejected == 5);
  CHECK(streamed.ledger->Stats().idempotency_keys == whole.ledger->Stats().idempotency_keys);
  CHECK(streamed.registry.Render(lce::ExpositionFormat::kText004) ==
        whole.registry.Render(lce::ExpositionFormat::kText004));
}

TEST_CASE("a stream dropped before Finish counts nothing", "[pipeline][stream]") {
  Fixture f;
  {
    lce::IngestPipeline::Stream stream = f.pipeline.Open(*f.prices, kReceived);
    auto batch = lce::ParseBatch(Record(1) + Record(2), lce::BodyFormat::kNdjson, lce::IngestOptions{}, kReceived);
    REQUIRE(batch.ok());
    REQUIRE(stream.Add(std::move(batch).value()).ok());
  }
  CHECK(f.ledger->Stats().idempotency_keys == 0);
  CHECK(f.Sample("llm_cost_usd_total") < 0);
  CHECK(f.Ingest(Record(1) + Record(2)).accepted == 2);
}

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <prometheus/text_serializer.h>

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
)";

constexpr std::int64_t kReceived = 1'780'000'000'000'000'000;

struct Fixture {
  lce::SelfMetrics self{lce::BuildInfo{"test", "test", "test"}};
  lce::UsageMetrics usage{lce::MetricsOptions{}};
  std::unique_ptr<lce::Ledger> ledger = lce::NewMemoryLedger(std::chrono::hours(24));
  lce::Budgets budgets{lce::BudgetsConfig{}};
  lce::IngestPipeline pipeline{usage, *ledger, budgets, self};
  std::shared_ptr<const lce::PriceBook> prices;

  Fixture() {
    auto loaded = lce::PriceBook::LoadDocuments({{"acme.yaml", kTable}});
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
    for (const auto& f : usage.Collect()) {
      if (f.name != family || f.metric.empty()) continue;
      double sum = 0;
      for (const auto& m : f.metric) sum += m.counter.value;
      return sum;
    }
    return -1;
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

TEST_CASE("records without any id cannot be deduplicated and are all counted", "[pipeline]") {
  Fixture f;
  const std::string no_id =
      R"({"event":"email.sent","campaign_id":"cmp_a"})" "\n" R"({"event":"email.sent","campaign_id":"cmp_a"})" "\n";
  CHECK(f.Ingest(no_id).accepted == 2);
}

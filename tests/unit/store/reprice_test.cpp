// Re-pricing detail and Ledger::Reprice, against both implementations. The
// pricer here is a fake with round prices, so expected amounts are written
// as decimals; PriceBook::PriceAggregate has its own tests (pricing_test).
#include <string>
#include <vector>

#include "ledger_test_util.h"

namespace lce::ledger_test {
namespace {

#define LEDGER_TEST(name) \
  TEMPLATE_TEST_CASE(name, "[store][ledger][reprice]", MemoryFactory, SqliteFactory, PostgresFactory)

LedgerEntry Detailed(std::string_view key, std::int64_t ts, const char* cost, std::uint64_t input, std::uint64_t output,
                     std::string_view service_tier = "", std::uint64_t context_tier = 0, bool retry = false) {
  LedgerEntry entry = Entry(key, ts, Dollars(cost));
  entry.tokens[TokenType::kInput] = input;
  entry.tokens[TokenType::kOutput] = output;
  entry.service_tier = service_tier;
  entry.context_tier = context_tier;
  entry.retry = retry;
  return entry;
}

// $1 per input token, $10 per output token, $0.5 per unit; twice that in the
// context tier above 1000; refuses service tier "flex".
BucketPrice FakePrice(const SpendBucket& bucket) {
  if (bucket.service_tier == "flex") return BucketPrice{true, "no service tier flex", Money(), ""};
  const std::uint64_t scale = bucket.context_tier == 1000 ? 2 : 1;
  Money cost = Dollars("1") * (bucket.tokens[TokenType::kInput] * scale) +
               Dollars("10") * (bucket.tokens[TokenType::kOutput] * scale);
  for (const BucketUnit& unit : bucket.units) cost += Dollars("0.5") * unit.count;
  return BucketPrice{false, "", cost, "fake.yaml@2026-01-01"};
}

RepriceRequest Request(std::int64_t from, std::int64_t to, bool dry_run = false) {
  RepriceRequest request;
  request.from_unix_ns = from;
  request.to_unix_ns = to;
  request.dry_run = dry_run;
  request.who = "ops-key";
  request.now_unix_ns = kT0 + 7 * kWidth;
  request.pricer = FakePrice;
  return request;
}

RepriceReport RepriceOk(Ledger& ledger, const RepriceRequest& request) {
  Result<RepriceReport> report = ledger.Reprice(request);
  INFO((report.ok() ? "" : report.status().message()));
  REQUIRE(report.ok());
  return *report;
}

const SpendBucket* Find(const std::vector<SpendBucket>& buckets, std::string_view service_tier,
                        std::uint64_t context_tier, bool retry) {
  for (const SpendBucket& bucket : buckets) {
    if (bucket.service_tier == service_tier && bucket.context_tier == context_tier && bucket.retry == retry) {
      return &bucket;
    }
  }
  return nullptr;
}

LEDGER_TEST("Ledger keeps token counts, units, tiers and retries per bucket, summed exactly") {
  TestType factory;
  auto ledger = factory.Open();
  const std::vector<UnitCount> emails = {{"emails", 3}, {"lookups", 1}};
  const std::vector<UnitCount> more_emails = {{"emails", 4}};
  std::vector<LedgerEntry> entries = {
      Detailed("a", kT0, "0.1", 100, 10),           Detailed("b", kT0 + 1, "0.2", 200, 20),
      Detailed("c", kT0, "0.4", 2000, 5, "", 1000), Detailed("d", kT0, "0.8", 7, 1, "", 0, true),
      Detailed("e", kT0, "1.6", 9, 9, "batch"),
  };
  entries[0].units = emails;
  entries[1].units = more_emails;
  AppendOk(*ledger, entries);
  const std::vector<SpendBucket> buckets = SpendOk(*ledger, kT0, kT0 + kWidth);
  REQUIRE(buckets.size() == 4);
  const SpendBucket* base = Find(buckets, "", 0, false);
  REQUIRE(base != nullptr);
  CHECK(base->detailed);
  CHECK(base->records == 2);
  CHECK(base->cost == Dollars("0.3"));
  CHECK(base->tokens[TokenType::kInput] == 300);
  CHECK(base->tokens[TokenType::kOutput] == 30);
  CHECK(base->units == std::vector<BucketUnit>{{"emails", 7}, {"lookups", 1}});
  const SpendBucket* tier = Find(buckets, "", 1000, false);
  REQUIRE(tier != nullptr);
  CHECK(tier->tokens[TokenType::kInput] == 2000);
  CHECK(tier->units.empty());
  const SpendBucket* retry = Find(buckets, "", 0, true);
  REQUIRE(retry != nullptr);
  CHECK(retry->cost == Dollars("0.8"));
  CHECK(retry->retry_cost == Dollars("0.8"));
  CHECK(base->retry_cost == Money());
  const SpendBucket* batch = Find(buckets, "batch", 0, false);
  REQUIRE(batch != nullptr);
  CHECK(batch->cost == Dollars("1.6"));
  CHECK(TotalCost(buckets) == Dollars("3.1"));
}

LEDGER_TEST("Ledger re-prices a range exactly, respecting tiers and retries, and audits it") {
  TestType factory;
  auto ledger = factory.Open();
  AppendOk(*ledger, {Detailed("a", kT0, "0.0001", 100, 10), Detailed("b", kT0, "0.0002", 2000, 5, "", 1000),
                     Detailed("c", kT0, "0.0003", 7, 1, "", 0, true), Detailed("d", kT0, "0.5", 1, 1, "flex"),
                     Detailed("e", kT0 + kWidth, "0.25", 1, 0)});
  const RepriceReport report = RepriceOk(*ledger, Request(kT0, kT0 + kWidth));
  CHECK(report.audit.id == 1);
  CHECK(report.audit.who == "ops-key");
  CHECK(report.audit.buckets == 4);
  CHECK(report.audit.buckets_changed == 3);
  CHECK(report.audit.buckets_refused == 1);
  CHECK(report.audit.old_total == Dollars("0.5006"));
  // 100 + 100 | 2 * (2000 + 50) | 7 + 10 | flex unchanged 0.5
  CHECK(report.audit.new_total == Dollars("4317.5"));
  CHECK(report.audit.tables == std::vector<std::string>{"fake.yaml@2026-01-01"});
  REQUIRE(report.audit.refused.size() == 1);
  CHECK(report.audit.refused[0] == "2026-04-02T10:15:00Z svc/cmp_a/openai/gpt-4o/flex: no service tier flex");
  const std::vector<SpendBucket> buckets = SpendOk(*ledger, kT0, kT0 + kWidth);
  CHECK(Find(buckets, "", 0, false)->cost == Dollars("200"));
  CHECK(Find(buckets, "", 1000, false)->cost == Dollars("4100"));
  CHECK(Find(buckets, "", 0, true)->cost == Dollars("17"));
  CHECK(Find(buckets, "", 0, true)->retry_cost == Dollars("17"));
  CHECK(Find(buckets, "flex", 0, false)->cost == Dollars("0.5"));
  // The next bucket is outside the range.
  CHECK(TotalCost(SpendOk(*ledger, kT0 + kWidth, kT0 + 2 * kWidth)) == Dollars("0.25"));
}

LEDGER_TEST("Ledger: re-pricing twice with the same tables changes nothing and is audited with equal totals") {
  TestType factory;
  auto ledger = factory.Open();
  AppendOk(*ledger, {Detailed("a", kT0, "0.0001", 100, 10)});
  const RepriceReport first = RepriceOk(*ledger, Request(kT0, kT0 + kWidth));
  CHECK(first.audit.new_total == Dollars("200"));
  const RepriceReport second = RepriceOk(*ledger, Request(kT0, kT0 + kWidth));
  CHECK(second.changed.empty());
  CHECK(second.audit.id == 2);
  CHECK(second.audit.old_total == Dollars("200"));
  CHECK(second.audit.new_total == Dollars("200"));
  const Result<std::vector<RepricingAudit>> audits = ledger->Repricings();
  REQUIRE(audits.ok());
  REQUIRE(audits->size() == 2);
  CHECK((*audits)[0].old_total == Dollars("0.0001"));
  CHECK((*audits)[0].new_total == Dollars("200"));
  CHECK((*audits)[0].buckets_changed == 1);
  CHECK((*audits)[0].tables == std::vector<std::string>{"fake.yaml@2026-01-01"});
  CHECK((*audits)[1].buckets_changed == 0);
  CHECK((*audits)[1].at_unix_ns == kT0 + 7 * kWidth);
  CHECK((*audits)[1].from_unix_ns == kT0);
  CHECK((*audits)[1].to_unix_ns == kT0 + kWidth);
}

LEDGER_TEST("Ledger: a dry run answers the totals and writes nothing") {
  TestType factory;
  auto ledger = factory.Open();
  AppendOk(*ledger, {Detailed("a", kT0, "0.0001", 100, 10)});
  const RepriceReport report = RepriceOk(*ledger, Request(kT0, kT0 + kWidth, true));
  CHECK(report.audit.id == 0);
  CHECK(report.audit.new_total == Dollars("200"));
  CHECK(report.changed.size() == 1);
  CHECK(TotalCost(SpendOk(*ledger, kT0, kT0 + kWidth)) == Dollars("0.0001"));
  CHECK(ledger->Repricings()->empty());
}

LEDGER_TEST("Ledger: records appended after a re-pricing add to the corrected bucket") {
  TestType factory;
  auto ledger = factory.Open();
  AppendOk(*ledger, {Detailed("a", kT0, "0.0001", 100, 10)});
  RepriceOk(*ledger, Request(kT0, kT0 + kWidth));
  AppendOk(*ledger, {Detailed("b", kT0, "200", 100, 10)});
  const std::vector<SpendBucket> buckets = SpendOk(*ledger, kT0, kT0 + kWidth);
  REQUIRE(buckets.size() == 1);
  CHECK(buckets[0].cost == Dollars("400"));
  CHECK(buckets[0].tokens[TokenType::kInput] == 200);
  CHECK(RepriceOk(*ledger, Request(kT0, kT0 + kWidth)).changed.empty());
}

LEDGER_TEST("Ledger refuses a re-pricing whose new cost is out of range, changing nothing") {
  TestType factory;
  auto ledger = factory.Open();
  AppendOk(*ledger, {Detailed("a", kT0, "0.0001", 100, 10)});
  RepriceRequest request = Request(kT0, kT0 + kWidth);
  request.pricer = [](const SpendBucket&) { return BucketPrice{false, "", Money() - Dollars("1"), ""}; };
  CHECK_FALSE(ledger->Reprice(request).ok());
  CHECK(TotalCost(SpendOk(*ledger, kT0, kT0 + kWidth)) == Dollars("0.0001"));
  CHECK(ledger->Repricings()->empty());
}

}  // namespace
}  // namespace lce::ledger_test

// PriceBook::PriceAggregate (re-pricing a ledger bucket) and the context
// tier PriceBook::Price reports for it.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "llm_cost_exporter/pricing.h"

namespace lce {
namespace {

constexpr std::int64_t kDay = 86'400'000'000'000;
constexpr std::int64_t kBucket = 15LL * 60 * 1'000'000'000;
// 2026-01-01T00:00:00Z and 2026-02-01T00:00:00Z.
constexpr std::int64_t kJan = 1'767'225'600LL * 1'000'000'000;
constexpr std::int64_t kFeb = kJan + 31 * kDay;

constexpr const char* kTable = R"(
provider: acme
currency: USD
versions:
  - effective_from: 2026-01-01
    per_unit: {emails: 0.0009}
    models:
      alpha:
        per_million_tokens: {input: 2.00, output: 8.00, cached_input: 0.5}
        tiers:
          - above_input_tokens: 1000
            per_million_tokens: {input: 4.00, output: 16.00, cached_input: 1}
        service_tiers: {batch: 0.5}
  - effective_from: 2026-02-01
    models:
      alpha:
        per_million_tokens: {input: 3.00, output: 9.00}
)";

Money Dollars(const char* text) { return *Money::ParseDollars(text); }

std::shared_ptr<const PriceBook> Book() {
  auto book = PriceBook::LoadDocuments({{"acme.yaml", kTable}});
  INFO((book.ok() ? "" : book.status().message()));
  REQUIRE(book.ok());
  return *book;
}

PriceBook::Aggregate Usage(std::uint64_t input, std::uint64_t output, std::int64_t from = kJan + kDay) {
  PriceBook::Aggregate usage;
  usage.vendor = "acme";
  usage.model = "alpha";
  usage.tokens[TokenType::kInput] = input;
  usage.tokens[TokenType::kOutput] = output;
  usage.from_unix_ns = from;
  usage.to_unix_ns = from + kBucket;
  return usage;
}

TEST_CASE("PriceBook::Price reports the context tier it priced in", "[pricing][reprice]") {
  const auto book = Book();
  UsageRecord record;
  record.event = "llm.call";
  record.vendor = "acme";
  record.model = "alpha";
  record.has_token_usage = true;
  record.timestamp_unix_ns = kJan + kDay;
  record.tokens[TokenType::kInput] = 1000;
  CHECK(book->Price(record).context_tier == 0);
  record.tokens[TokenType::kInput] = 1001;
  const PriceResult tiered = book->Price(record);
  CHECK(tiered.context_tier == 1000);
  CHECK(tiered.total == Dollars("0.004004"));
}

TEST_CASE("PriceBook::PriceAggregate prices summed counts at the recorded tier and service tier",
          "[pricing][reprice]") {
  const auto book = Book();
  std::string table;
  // Two records of 600 input tokens each, priced at base: the sum (1200) must not pick the tier.
  PriceBook::Aggregate usage = Usage(1200, 100);
  CHECK(*book->PriceAggregate(usage, &table) == Dollars("0.0032"));
  CHECK(table == "acme.yaml@2026-01-01");
  usage.context_tier = 1000;
  CHECK(*book->PriceAggregate(usage, &table) == Dollars("0.0064"));
  usage.context_tier = 0;
  usage.service_tier = "batch";
  CHECK(*book->PriceAggregate(usage, &table) == Dollars("0.0016"));
  usage.service_tier = "default";
  const std::vector<UnitCount> units = {{"emails", 1000}};
  usage.units = units;
  CHECK(*book->PriceAggregate(usage, &table) == Dollars("0.9032"));
}

TEST_CASE("PriceBook::PriceAggregate refuses what it cannot price exactly", "[pricing][reprice]") {
  const auto book = Book();
  std::string table = "stale";
  PriceBook::Aggregate usage = Usage(10, 10);
  usage.context_tier = 500;  // no such tier
  Result<Money> price = book->PriceAggregate(usage, &table);
  REQUIRE_FALSE(price.ok());
  CHECK(price.status().code() == Status::Code::kUnprocessable);
  CHECK(table.empty());
  usage = Usage(10, 10, kFeb - kBucket / 3);  // version 2026-02-01 begins inside the bucket
  price = book->PriceAggregate(usage, &table);
  REQUIRE_FALSE(price.ok());
  CHECK(price.status().message().find("begins inside") != std::string::npos);
  usage = Usage(10, 10, kFeb);  // the bucket starting at the boundary is fine
  CHECK(*book->PriceAggregate(usage, &table) == Dollars("0.00012"));
  CHECK(table == "acme.yaml@2026-02-01");
  usage.service_tier = "batch";  // version 2 has no batch tier
  CHECK_FALSE(book->PriceAggregate(usage, &table).ok());
  usage = Usage(10, 10);
  usage.model = "beta";
  CHECK_FALSE(book->PriceAggregate(usage, &table).ok());
  usage.vendor = "nobody";
  CHECK_FALSE(book->PriceAggregate(usage, &table).ok());
  usage = Usage(10, 10);
  const std::vector<UnitCount> units = {{"sms", 1}};
  usage.units = units;
  CHECK_FALSE(book->PriceAggregate(usage, &table).ok());
  // Nothing to price costs nothing and needs no table.
  PriceBook::Aggregate nothing;
  CHECK(*book->PriceAggregate(nothing, &table) == Money());
  CHECK(table.empty());
}

TEST_CASE("A long-context tier above 0 input tokens is refused at load", "[pricing][reprice]") {
  const auto book = PriceBook::LoadDocuments({{"zero.yaml", R"(
provider: zero
currency: USD
versions:
  - effective_from: 2026-01-01
    models:
      m:
        per_million_tokens: {input: 1, output: 1}
        tiers:
          - {above_input_tokens: 0, per_million_tokens: {input: 2, output: 2}}
)"}});
  REQUIRE_FALSE(book.ok());
  CHECK(book.status().message().find("above 0") != std::string::npos);
}

}  // namespace
}  // namespace lce

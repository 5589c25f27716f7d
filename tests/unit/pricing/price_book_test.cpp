#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "llm_cost_exporter/pricing.h"

namespace lce {
namespace {

constexpr std::int64_t kNanosPerDay = 86'400'000'000'000;

std::int64_t UnixNs(int year, unsigned month, unsigned day) {
  const std::chrono::sys_days date{std::chrono::year{year} / std::chrono::month{month} / std::chrono::day{day}};
  return date.time_since_epoch().count() * kNanosPerDay;
}

// Version 2 starts 2025-06-01T12:00:00Z.
const std::int64_t kV1 = UnixNs(2025, 3, 1);
const std::int64_t kV2Start = UnixNs(2025, 6, 1) + kNanosPerDay / 2;
const std::int64_t kV2 = UnixNs(2025, 9, 1);

constexpr const char* kAcme = R"(
provider: acme
currency: USD
aliases: [acme.ai]
versions:
  - effective_from: 2025-01-01
    service_tiers: {batch: 0.5}
    per_unit: {emails: 0.0009}
    models:
      alpha:
        aliases: [alpha-2025-01-01]
        per_million_tokens: {input: 2.00, output: 8.00}
  - effective_from: 2025-06-01T12:00:00Z
    service_tiers: {batch: 0.5, flex: 0.5}
    per_unit: {emails: 0.0008, lookups: 0.25}
    models:
      alpha:
        aliases: [alpha-2025-01-01, alpha-latest]
        per_million_tokens: {input: 1.00, output: 4.00, cached_input: 0.10, cache_write: 1.25, reasoning: 5.00}
        tiers:
          - above_input_tokens: 200000
            per_million_tokens: {input: 2.00, output: 6.00}
          - above_input_tokens: 500000
            per_million_tokens: {input: 3.00, output: 9.00, cached_input: 0.30}
        service_tiers: {priority: 2, flex: 0.6}
        per_unit: {web_search_calls: 0.01, emails: 0.001}
      beta:
        per_million_tokens: {input: 0.50, output: 1.50}
)";

constexpr const char* kZeta = R"(
provider: zeta
currency: USD
versions:
  - effective_from: 2024-01-01
    per_unit: {credits: 0.28}
)";

std::shared_ptr<const PriceBook> Book() {
  static const std::shared_ptr<const PriceBook> book = [] {
    auto loaded = PriceBook::LoadDocuments({{"zeta.yaml", kZeta}, {"acme.yaml", kAcme}});
    INFO(loaded.status().message());
    REQUIRE(loaded.ok());
    return *loaded;
  }();
  return book;
}

UsageRecord Call(std::string_view model, std::int64_t at, std::uint64_t input, std::uint64_t output,
                 std::string_view vendor = "acme") {
  UsageRecord record;
  record.event = "llm.call";
  record.vendor = vendor;
  record.model = model;
  record.timestamp_unix_ns = at;
  record.has_token_usage = true;
  record.tokens[TokenType::kInput] = input;
  record.tokens[TokenType::kOutput] = output;
  return record;
}

std::string Cost(const UsageRecord& record) {
  const PriceResult result = Book()->Price(record);
  INFO("outcome " << PriceOutcomeName(result.outcome));
  CHECK(result.outcome == PriceOutcome::kPriced);
  CHECK(result.token_outcome == PriceOutcome::kPriced);
  CHECK(result.total == result.token_cost);
  return result.token_cost.ToDecimalString();
}

TEST_CASE("the version in force is the last one started", "[pricing]") {
  CHECK(Cost(Call("alpha", kV1, 1'000'000, 0)) == "2");
  CHECK(Cost(Call("alpha", kV2Start - 1, 1'000'000, 0)) == "2");
  CHECK(Cost(Call("alpha", kV2Start, 100'000, 0)) == "0.1");
  CHECK(Cost(Call("alpha", kV2, 0, 1'000'000)) == "4");
}

TEST_CASE("records before the first version are not priced", "[pricing]") {
  const PriceResult result = Book()->Price(Call("alpha", UnixNs(2025, 1, 1) - 1, 10, 10));
  CHECK(result.outcome == PriceOutcome::kNoVersionInForce);
  CHECK(result.token_outcome == PriceOutcome::kNoVersionInForce);
  CHECK(result.token_cost.is_zero());
  CHECK(result.unpriced());
  CHECK(Cost(Call("alpha", UnixNs(2025, 1, 1), 1'000'000, 0)) == "2");
}

TEST_CASE("a model is known only in the versions that list it", "[pricing]") {
  const PriceResult before = Book()->Price(Call("beta", kV1, 1'000'000, 0));
  CHECK(before.outcome == PriceOutcome::kUnknownModel);
  CHECK(before.token_outcome == PriceOutcome::kUnknownModel);
  CHECK(before.total.is_zero());
  CHECK(Cost(Call("beta", kV2, 1'000'000, 1'000'000)) == "2");
  CHECK(Book()->Price(Call("gamma", kV2, 1, 1)).outcome == PriceOutcome::kUnknownModel);
}

TEST_CASE("model aliases and vendor aliases", "[pricing]") {
  CHECK(Cost(Call("alpha-2025-01-01", kV1, 1'000'000, 0)) == "2");
  CHECK(Cost(Call("alpha-2025-01-01", kV2, 100'000, 0)) == "0.1");
  CHECK(Cost(Call("alpha-latest", kV2, 100'000, 0)) == "0.1");
  CHECK(Book()->Price(Call("alpha-latest", kV1, 1, 0)).outcome == PriceOutcome::kUnknownModel);
  CHECK(Cost(Call("alpha", kV2, 100'000, 0, "acme.ai")) == "0.1");
}

TEST_CASE("unknown vendors are reported only when there is something to price", "[pricing]") {
  const PriceResult result = Book()->Price(Call("alpha", kV2, 1, 1, "other"));
  CHECK(result.outcome == PriceOutcome::kUnknownVendor);
  CHECK(result.token_outcome == PriceOutcome::kUnknownVendor);

  UsageRecord event;
  event.event = "email.replied";
  event.vendor = "other";
  event.timestamp_unix_ns = kV2;
  const PriceResult nothing = Book()->Price(event);
  CHECK(nothing.outcome == PriceOutcome::kNothingToPrice);
  CHECK(nothing.token_outcome == PriceOutcome::kNothingToPrice);
  CHECK_FALSE(nothing.unpriced());
  CHECK(nothing.units.empty());
  CHECK(nothing.total.is_zero());
}

TEST_CASE("cached input, cache writes and reasoning are priced apart", "[pricing]") {
  UsageRecord record = Call("alpha", kV2, 1000, 500);
  record.tokens[TokenType::kCachedInput] = 300;
  record.tokens[TokenType::kCacheWrite] = 200;
  record.tokens[TokenType::kReasoning] = 100;
  // 500*1.00 + 300*0.10 + 200*1.25 + 400*4.00 + 100*5.00 = 2880 per 1M
  CHECK(Cost(record) == "0.00288");

  // Version 1 lists only input and output: cached_input and cache_write default
  // to the input price, reasoning to the output price.
  record.timestamp_unix_ns = kV1;
  CHECK(Cost(record) == "0.006");
}

TEST_CASE("long-context tiers price the whole request above their threshold", "[pricing]") {
  CHECK(Cost(Call("alpha", kV2, 200'000, 0)) == "0.2");
  CHECK(Cost(Call("alpha", kV2, 200'001, 1'000'000)) == "6.400002");
  CHECK(Cost(Call("alpha", kV2, 500'000, 0)) == "1");
  CHECK(Cost(Call("alpha", kV2, 500'001, 0)) == "1.500003");

  // Tier defaults come from the tier's own prices.
  UsageRecord record = Call("alpha", kV2, 300'000, 1000);
  record.tokens[TokenType::kCachedInput] = 100'000;
  record.tokens[TokenType::kReasoning] = 1000;
  // 200000*2.00 + 100000*2.00 (cached defaults to tier input) + 1000*6.00 (reasoning defaults to tier output)
  CHECK(Cost(record) == "0.606");
  record.tokens[TokenType::kInput] = 600'000;
  // 500000*3.00 + 100000*0.30 + 1000*9.00
  CHECK(Cost(record) == "1.539");
}

TEST_CASE("service tiers multiply every token price", "[pricing]") {
  UsageRecord record = Call("alpha", kV2, 100'000, 1'000'000);
  for (const char* standard : {"", "default", "auto", "standard"}) {
    record.service_tier = standard;
    CHECK(Cost(record) == "4.1");
  }
  record.service_tier = "batch";  // version default
  CHECK(Cost(record) == "2.05");
  record.service_tier = "flex";  // the model's 0.6 overrides the version's 0.5
  CHECK(Cost(record) == "2.46");
  record.service_tier = "priority";
  CHECK(Cost(record) == "8.2");

  record = Call("alpha", kV2, 300'000, 0);
  record.service_tier = "batch";
  CHECK(Cost(record) == "0.3");  // tier price 2.00 * 0.5

  record = Call("beta", kV2, 1'000'000, 0);
  record.service_tier = "flex";
  CHECK(Cost(record) == "0.25");
}

TEST_CASE("an unlisted service tier is never priced at the base price", "[pricing]") {
  UsageRecord record = Call("alpha", kV2, 1000, 1000);
  record.service_tier = "scale";
  PriceResult result = Book()->Price(record);
  CHECK(result.outcome == PriceOutcome::kUnknownServiceTier);
  CHECK(result.token_outcome == PriceOutcome::kUnknownServiceTier);
  CHECK(result.token_cost.is_zero());
  CHECK(result.unpriced());

  record = Call("beta", kV2, 1000, 1000);
  record.service_tier = "priority";  // only alpha lists priority
  CHECK(Book()->Price(record).outcome == PriceOutcome::kUnknownServiceTier);
  record = Call("alpha", kV1, 1000, 1000);
  record.service_tier = "flex";  // version 1 has no flex
  CHECK(Book()->Price(record).outcome == PriceOutcome::kUnknownServiceTier);
}

TEST_CASE("per-unit prices: model first, then version", "[pricing]") {
  UsageRecord record;
  record.event = "email.sent";
  record.vendor = "acme";
  record.timestamp_unix_ns = kV2;
  record.units = {{"emails", 1000}, {"lookups", 3}};
  PriceResult result = Book()->Price(record);
  CHECK(result.outcome == PriceOutcome::kPriced);
  CHECK(result.token_outcome == PriceOutcome::kNothingToPrice);
  REQUIRE(result.units.size() == 2);
  CHECK(result.units[0].unit == "emails");
  CHECK(result.units[0].count == 1000);
  CHECK(result.units[0].priced);
  CHECK(result.units[0].cost.ToDecimalString() == "0.8");
  CHECK(result.units[1].cost.ToDecimalString() == "0.75");
  CHECK(result.total.ToDecimalString() == "1.55");

  UsageRecord call = Call("alpha", kV2, 100'000, 0);
  call.service_tier = "batch";  // units are not multiplied
  call.units = {{"emails", 1000}, {"web_search_calls", 2}, {"lookups", 4}};
  result = Book()->Price(call);
  CHECK(result.outcome == PriceOutcome::kPriced);
  REQUIRE(result.units.size() == 3);
  CHECK(result.units[0].cost.ToDecimalString() == "1");     // model-level emails
  CHECK(result.units[1].cost.ToDecimalString() == "0.02");  // model-level only
  CHECK(result.units[2].cost.ToDecimalString() == "1");     // version-level
  CHECK(result.token_cost.ToDecimalString() == "0.05");
  CHECK(result.total.ToDecimalString() == "2.07");

  record.vendor = "zeta";
  record.units = {{"credits", 10}};
  CHECK(Book()->Price(record).total.ToDecimalString() == "2.8");
}

TEST_CASE("unknown units are listed unpriced and zero counts are priced at zero", "[pricing]") {
  UsageRecord record;
  record.event = "email.sent";
  record.vendor = "acme";
  record.timestamp_unix_ns = kV2;
  record.units = {{"sms", 5}, {"emails", 0}, {"lookups", 1}};
  PriceResult result = Book()->Price(record);
  CHECK(result.outcome == PriceOutcome::kUnknownUnit);
  CHECK(result.unpriced());
  REQUIRE(result.units.size() == 3);
  CHECK_FALSE(result.units[0].priced);
  CHECK(result.units[0].cost.is_zero());
  CHECK(result.units[0].count == 5);
  CHECK(result.units[1].priced);
  CHECK(result.units[1].cost.is_zero());
  CHECK(result.units[2].priced);
  CHECK(result.total.ToDecimalString() == "0.25");

  record.timestamp_unix_ns = kV1;  // version 1 has no lookups
  record.units = {{"lookups", 1}};
  CHECK(Book()->Price(record).outcome == PriceOutcome::kUnknownUnit);

  record.units = {{"emails", 0}};
  result = Book()->Price(record);
  CHECK(result.outcome == PriceOutcome::kPriced);
  CHECK(result.total.is_zero());
}

TEST_CASE("the outcome is the first failure, tokens before units", "[pricing]") {
  UsageRecord record = Call("alpha", kV2, 1000, 1000);
  record.service_tier = "scale";
  record.units = {{"sms", 1}, {"emails", 1000}};
  PriceResult result = Book()->Price(record);
  CHECK(result.outcome == PriceOutcome::kUnknownServiceTier);
  REQUIRE(result.units.size() == 2);
  CHECK_FALSE(result.units[0].priced);
  CHECK(result.units[1].priced);  // the model is known, so its unit price applies
  CHECK(result.total.ToDecimalString() == "1");

  record.vendor = "other";
  result = Book()->Price(record);
  CHECK(result.outcome == PriceOutcome::kUnknownVendor);
  CHECK_FALSE(result.units[1].priced);
  CHECK(result.total.is_zero());

  UsageRecord units_only;
  units_only.vendor = "acme";
  units_only.timestamp_unix_ns = 0;
  units_only.units = {{"emails", 1}};
  CHECK(Book()->Price(units_only).outcome == PriceOutcome::kNoVersionInForce);
  units_only.vendor = "";
  CHECK(Book()->Price(units_only).outcome == PriceOutcome::kUnknownVendor);
}

TEST_CASE("a unit cost beyond Money's range is reported unpriced, not wrapped", "[pricing]") {
  const auto book = PriceBook::LoadDocuments({{"big.yaml", R"(
provider: big
currency: USD
versions:
  - effective_from: 2025-01-01
    per_unit: {seats: 1000000}
)"}});
  REQUIRE(book.ok());
  UsageRecord record;
  record.vendor = "big";
  record.timestamp_unix_ns = kV2;
  record.units = {{"seats", 18'000'000'000'000'000'000ULL}};
  const PriceResult result = (*book)->Price(record);
  CHECK(result.outcome == PriceOutcome::kUnknownUnit);
  CHECK_FALSE(result.units[0].priced);
  CHECK(result.total.is_zero());
}

TEST_CASE("exact totals over a million records", "[pricing][exactness]") {
  const auto book = PriceBook::LoadDocuments({{"exact.yaml", R"(
provider: exact
currency: USD
versions:
  - effective_from: 2025-01-01
    models:
      cheap: {per_million_tokens: {input: 0.0375, output: 0.15}}
      mid: {per_million_tokens: {input: 1.25, output: 10.00, cached_input: 0.125}}
      tiny: {per_million_tokens: {input: 0.000001, output: 0.000003}}
)"}});
  REQUIRE(book.ok());
  const PriceBook& prices = **book;

  SECTION("one price: 1,000,000 records of 7 tokens at $0.0375 per 1M") {
    const UsageRecord record = Call("cheap", kV2, 7, 0, "exact");
    Money total;
    for (int i = 0; i < 1'000'000; ++i) total += prices.Price(record).total;
    CHECK(total.ToDecimalString() == "0.2625");  // 7e6 tokens * 0.0375 / 1e6
  }

  SECTION("a mix of prices") {
    UsageRecord cheap = Call("cheap", kV2, 1000, 100, "exact");  // 52.5 / 1e6
    UsageRecord mid = Call("mid", kV2, 3000, 250, "exact");      // (1000*1.25 + 2000*0.125 + 250*10) / 1e6
    mid.tokens[TokenType::kCachedInput] = 2000;
    UsageRecord tiny = Call("tiny", kV2, 1, 1, "exact");  // 0.000004 / 1e6
    const UsageRecord* records[] = {&cheap, &mid, &tiny};
    Money total;
    for (int i = 0; i < 1'000'000; ++i) total += prices.Price(*records[i % 3]).total;
    // 333334 * 0.0000525 + 333333 * 0.004 + 333333 * 0.000000000004
    CHECK(total.ToDecimalString() == "1350.832036333332");
  }
}

TEST_CASE("tables() lists every version sorted by provider then date", "[pricing]") {
  const std::vector<PriceTableInfo>& tables = Book()->tables();
  REQUIRE(tables.size() == 3);
  CHECK(tables[0].provider == "acme");
  CHECK(tables[0].file == "acme.yaml");
  CHECK(tables[0].effective_from == "2025-01-01");
  CHECK(tables[0].effective_from_unix_ns == UnixNs(2025, 1, 1));
  CHECK(tables[0].model_count == 1);
  CHECK(tables[1].provider == "acme");
  CHECK(tables[1].effective_from == "2025-06-01T12:00:00Z");
  CHECK(tables[1].effective_from_unix_ns == kV2Start);
  CHECK(tables[1].model_count == 2);
  CHECK(tables[2].provider == "zeta");
  CHECK(tables[2].model_count == 0);
}

TEST_CASE("an empty book prices nothing", "[pricing]") {
  const auto book = PriceBook::LoadDocuments({});
  REQUIRE(book.ok());
  CHECK((*book)->tables().empty());
  CHECK((*book)->Price(Call("alpha", kV2, 1, 1)).outcome == PriceOutcome::kUnknownVendor);
}

TEST_CASE("PriceOutcomeName", "[pricing]") {
  CHECK(PriceOutcomeName(PriceOutcome::kPriced) == "priced");
  CHECK(PriceOutcomeName(PriceOutcome::kNothingToPrice) == "nothing_to_price");
  CHECK(PriceOutcomeName(PriceOutcome::kUnknownVendor) == "unknown_vendor");
  CHECK(PriceOutcomeName(PriceOutcome::kNoVersionInForce) == "no_version_in_force");
  CHECK(PriceOutcomeName(PriceOutcome::kUnknownModel) == "unknown_model");
  CHECK(PriceOutcomeName(PriceOutcome::kUnknownServiceTier) == "unknown_service_tier");
  CHECK(PriceOutcomeName(PriceOutcome::kUnknownUnit) == "unknown_unit");
}

}  // namespace
}  // namespace lce

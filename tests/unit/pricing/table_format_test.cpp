// Table-format features beyond the basic schema: incremental versions
// (inherit / remove), absolute service-tier prices, 1-hour cache writes.
// Expected costs are written as decimals, worked out by hand from the tables.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <string_view>

#include "llm_cost_exporter/pricing.h"

namespace lce {
namespace {

using Catch::Contains;

constexpr const char* kIncremental = R"(provider: acme
currency: USD
versions:
  - effective_from: 2025-01-01
    service_tiers: {batch: 0.5}
    models:
      alpha: {aliases: [alpha-1], per_million_tokens: {input: 2.00, output: 8.00}}
      beta: {per_million_tokens: {input: 1.00, output: 1.00}}
      gamma: {per_million_tokens: {input: 5.00, output: 5.00}}
  - effective_from: 2025-06-01
    inherit: true
    remove: [gamma]
    models:
      beta: {per_million_tokens: {input: 0.50, output: 0.50}}
      delta: {per_million_tokens: {input: 3.00, output: 3.00}}
  - effective_from: 2025-09-01
    inherit: true
    service_tiers: {batch: 0.25}
)";

std::int64_t Day(int year, unsigned month, unsigned day) {
  const std::chrono::sys_days date{std::chrono::year{year} / std::chrono::month{month} / std::chrono::day{day}};
  return date.time_since_epoch().count() * 86'400LL * 1'000'000'000LL;
}

UsageRecord Call(std::string_view model, std::int64_t at, std::uint64_t input, std::uint64_t output,
                 std::string_view tier = "") {
  UsageRecord record;
  record.event = "llm.call";
  record.vendor = "acme";
  record.model = model;
  record.service_tier = tier;
  record.timestamp_unix_ns = at;
  record.has_token_usage = true;
  record.tokens[TokenType::kInput] = input;
  record.tokens[TokenType::kOutput] = output;
  return record;
}

std::shared_ptr<const PriceBook> Load(const char* text) {
  auto book = PriceBook::LoadDocuments({{"acme.yaml", text}});
  INFO(book.status().message());
  REQUIRE(book.ok());
  return *book;
}

std::string Cost(const PriceBook& book, const UsageRecord& record) {
  const PriceResult result = book.Price(record);
  INFO("outcome " << PriceOutcomeName(result.outcome));
  REQUIRE(result.outcome == PriceOutcome::kPriced);
  return result.total.ToDecimalString();
}

std::string LoadError(const std::string& text) {
  auto book = PriceBook::LoadDocuments({{"acme.yaml", text}});
  REQUIRE_FALSE(book.ok());
  return book.status().message();
}

TEST_CASE("an inheriting version keeps unlisted models and replaces listed ones", "[pricing][format]") {
  const auto book = Load(kIncremental);
  const std::int64_t june = Day(2025, 7, 1);
  CHECK(Cost(*book, Call("alpha", june, 1'000'000, 0)) == "2");                          // inherited
  CHECK(Cost(*book, Call("alpha-1", june, 1'000'000, 0)) == "2");                        // with its aliases
  CHECK(Cost(*book, Call("beta", june, 1'000'000, 0)) == "0.5");                         // replaced
  CHECK(Cost(*book, Call("delta", june, 1'000'000, 0)) == "3");                          // added
  CHECK(book->Price(Call("gamma", june, 1, 1)).outcome == PriceOutcome::kUnknownModel);  // removed
  CHECK(Cost(*book, Call("gamma", Day(2025, 2, 1), 1'000'000, 0)) == "5");               // the past is unchanged
  CHECK(Cost(*book, Call("beta", Day(2025, 2, 1), 1'000'000, 0)) == "1");
  CHECK(book->tables().size() == 3);
  CHECK(book->tables()[1].model_count == 3);  // alpha, beta, delta
}

TEST_CASE("an inheriting version's service tiers apply to the models it inherits", "[pricing][format]") {
  const auto book = Load(kIncremental);
  CHECK(Cost(*book, Call("alpha", Day(2025, 7, 1), 1'000'000, 0, "batch")) == "1");     // 2 * 0.5
  CHECK(Cost(*book, Call("alpha", Day(2025, 10, 1), 1'000'000, 0, "batch")) == "0.5");  // 2 * 0.25
  CHECK(Cost(*book, Call("delta", Day(2025, 10, 1), 1'000'000, 0, "batch")) == "0.75");
}

// Removing or replacing a model in the middle must leave every other
// inherited model intact in later versions too (YAML nodes are shared
// between versions, never overwritten).
TEST_CASE("a chain of inheriting versions removes and replaces models in the middle", "[pricing][format]") {
  const auto book = Load(R"(provider: acme
currency: USD
versions:
  - effective_from: 2025-01-01
    service_tiers: {batch: 0.5}
    models:
      a: {aliases: [a1, a2, a3], per_million_tokens: {input: 1, output: 1}}
      b: {aliases: [b1, b2, b3], per_million_tokens: {input: 2, output: 2}}
      c: {aliases: [c1, c2, c3], per_million_tokens: {input: 3, output: 3}}
      d: {per_million_tokens: {input: 4, output: 4}}
  - effective_from: 2025-02-01
    inherit: true
    remove: [a]
    service_tiers: {batch: 0.25}
    models:
      c: {aliases: [c1], per_million_tokens: {input: 30, output: 30}}
  - effective_from: 2025-03-01
    inherit: true
    remove: [c]
    models:
      e: {per_million_tokens: {input: 5, output: 5}}
)");
  const std::int64_t jan = Day(2025, 1, 15), feb = Day(2025, 2, 15), mar = Day(2025, 3, 15);
  CHECK(Cost(*book, Call("a3", jan, 1'000'000, 0)) == "1");
  CHECK(Cost(*book, Call("c2", jan, 1'000'000, 0, "batch")) == "1.5");
  CHECK(book->Price(Call("a", feb, 1, 0)).outcome == PriceOutcome::kUnknownModel);
  CHECK(Cost(*book, Call("b3", feb, 1'000'000, 0, "batch")) == "0.5");
  CHECK(Cost(*book, Call("c1", feb, 1'000'000, 0)) == "30");
  CHECK(book->Price(Call("c2", feb, 1, 0)).outcome == PriceOutcome::kUnknownModel);
  CHECK(Cost(*book, Call("d", feb, 1'000'000, 0)) == "4");
  CHECK(Cost(*book, Call("b1", mar, 1'000'000, 0, "batch")) == "0.5");
  CHECK(Cost(*book, Call("d", mar, 1'000'000, 0, "batch")) == "1");
  CHECK(Cost(*book, Call("e", mar, 1'000'000, 0)) == "5");
  CHECK(book->Price(Call("c1", mar, 1, 0)).outcome == PriceOutcome::kUnknownModel);
  CHECK(book->tables()[2].model_count == 3);  // b, d, e
}

TEST_CASE("inherit and remove are checked", "[pricing][format]") {
  constexpr const char* kOne = R"(provider: acme
currency: USD
versions:
  - effective_from: 2025-01-01
    inherit: true
    models: {m: {per_million_tokens: {input: 1, output: 1}}}
)";
  CHECK_THAT(LoadError(kOne), Contains("versions[0].inherit: the first version has nothing to inherit"));
  const std::string base = R"(provider: acme
currency: USD
versions:
  - effective_from: 2025-01-01
    models: {m: {per_million_tokens: {input: 1, output: 1}}}
  - effective_from: 2025-02-01
)";
  CHECK_THAT(LoadError(base + "    inherit: yes please\n"), Contains("versions[1].inherit: expected true or false"));
  CHECK_THAT(LoadError(base + "    inherit: true\n    remove: [n]\n"),
             Contains("versions[1].remove[0]: 'n' is not a model of the previous version"));
  CHECK_THAT(LoadError(base + "    remove: [m]\n    models: {n: {per_million_tokens: {input: 1, output: 1}}}\n"),
             Contains("versions[1].remove: only a version with inherit: true removes"));
  CHECK_THAT(LoadError(base + "    inherit: false\n"), Contains("versions[1]: a version needs models or per_unit"));
  // Inheriting nothing new is a valid (if pointless) version.
  CHECK(PriceBook::LoadDocuments({{"acme.yaml", base + "    inherit: true\n"}}).ok());
}

constexpr const char* kAbsoluteTiers = R"(provider: acme
currency: USD
versions:
  - effective_from: 2025-01-01
    service_tiers: {batch: 0.5, priority: 2}
    models:
      m:
        per_million_tokens: {input: 0.15, output: 0.60, cached_input: 0.075}
        tiers:
          - above_input_tokens: 200000
            per_million_tokens: {input: 0.30, output: 1.20}
        service_tiers:
          priority:
            per_million_tokens: {input: 0.25, output: 1.00, cached_input: 0.125}
)";

TEST_CASE("a model's service tier may give absolute prices", "[pricing][format]") {
  const auto book = Load(kAbsoluteTiers);
  const std::int64_t at = Day(2025, 3, 1);
  CHECK(Cost(*book, Call("m", at, 1'000'000, 1'000'000, "priority")) == "1.25");  // 0.25 + 1.00, not 2x
  // Absolute prices have no long-context tier unless they list one: above 200k the priority base applies.
  CHECK(Cost(*book, Call("m", at, 1'000'000, 0, "priority")) == "0.25");
  CHECK(Cost(*book, Call("m", at, 1'000'000, 0, "batch")) == "0.15");  // tier 0.30 * 0.5
  CHECK(Cost(*book, Call("m", at, 100'000, 0, "batch")) == "0.0075");  // base 0.15 * 0.5
  UsageRecord cached = Call("m", at, 100'000, 0, "priority");
  cached.tokens[TokenType::kCachedInput] = 100'000;
  CHECK(Cost(*book, cached) == "0.0125");
}

TEST_CASE("absolute service-tier prices are checked", "[pricing][format]") {
  const std::string text = kAbsoluteTiers;
  const auto replaced = [&](const std::string& from, const std::string& to) {
    std::string copy = text;
    const std::size_t at = copy.find(from);
    REQUIRE(at != std::string::npos);
    return copy.replace(at, from.size(), to);
  };
  CHECK_THAT(LoadError(replaced("            per_million_tokens: {input: 0.25", "            prices: {input: 0.25")),
             Contains("service_tiers.priority.prices: unknown key (allowed: per_million_tokens, tiers)"));
  CHECK_THAT(LoadError(replaced("{input: 0.25, output: 1.00,", "{input: 0.25,")),
             Contains("service_tiers.priority.per_million_tokens: needs both input and output prices"));
  CHECK_THAT(
      LoadError(replaced("    service_tiers: {batch: 0.5, priority: 2}",
                         "    service_tiers: {batch: {per_million_tokens: {input: 1, output: 1}}}")),
      Contains("versions[0].service_tiers.batch: a version's service tiers are multipliers (give prices per model)"));
}

constexpr const char* kCache1h = R"(provider: acme
currency: USD
versions:
  - effective_from: 2025-01-01
    models:
      claude:
        per_million_tokens: {input: 3.00, output: 15.00, cached_input: 0.30, cache_write: 3.75, cache_write_1h: 6.00}
        tiers:
          - above_input_tokens: 200000
            per_million_tokens: {input: 6.00, output: 22.50, cached_input: 0.60, cache_write: 7.50, cache_write_1h: 12.00}
      plain:
        per_million_tokens: {input: 1.00, output: 2.00, cache_write: 1.25}
)";

TEST_CASE("1-hour cache writes are priced apart from 5-minute ones", "[pricing][format]") {
  const auto book = Load(kCache1h);
  UsageRecord r = Call("claude", Day(2025, 3, 1), 10'000, 1'000);
  r.tokens[TokenType::kCachedInput] = 2'000;
  r.tokens[TokenType::kCacheWrite] = 5'000;  // 3,000 for 5 minutes, 2,000 for 1 hour
  r.tokens[TokenType::kCacheWrite1h] = 2'000;
  // 3,000 * 3 + 2,000 * 0.30 + 3,000 * 3.75 + 2,000 * 6 + 1,000 * 15, per 1M:
  // 0.009 + 0.0006 + 0.01125 + 0.012 + 0.015
  CHECK(Cost(*book, r) == "0.04785");
  r.tokens[TokenType::kInput] = 300'000;  // above the tier: 293,000 uncached
  // 293,000 * 6 + 2,000 * 0.60 + 3,000 * 7.50 + 2,000 * 12 + 1,000 * 22.50, per 1M:
  // 1.758 + 0.0012 + 0.0225 + 0.024 + 0.0225
  CHECK(Cost(*book, r) == "1.8282");
}

TEST_CASE("cache_write_1h defaults to the cache_write price", "[pricing][format]") {
  const auto book = Load(kCache1h);
  UsageRecord r = Call("plain", Day(2025, 3, 1), 1'000'000, 0);
  r.tokens[TokenType::kCacheWrite] = 1'000'000;
  r.tokens[TokenType::kCacheWrite1h] = 400'000;
  CHECK(Cost(*book, r) == "1.25");
}

}  // namespace
}  // namespace lce

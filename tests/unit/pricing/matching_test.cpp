// Vendor and model matching as users send them: OpenTelemetry and common
// vendor spellings in any case, routed model names, prefix rules, and
// records without a vendor.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "llm_cost_exporter/pricing.h"

namespace lce {
namespace {

using Catch::Contains;

constexpr const char* kAcme = R"(provider: acme.ai
currency: USD
aliases: [acme, AcmeCloud]
versions:
  - effective_from: 2025-01-01
    models:
      large:
        aliases: [large-2025-01-01]
        prefixes: [large-]
        per_million_tokens: {input: 2, output: 2}
      large-vision:
        prefixes: [large-vision-]
        per_million_tokens: {input: 3, output: 3}
      Shared-Model:
        per_million_tokens: {input: 1, output: 1}
)";

constexpr const char* kOther = R"(provider: other
currency: USD
versions:
  - effective_from: 2025-01-01
    models:
      shared-model: {per_million_tokens: {input: 5, output: 5}}
      only-other: {per_million_tokens: {input: 7, output: 7}}
)";

// A platform reselling acme's models: never chosen for a record without vendor.
constexpr const char* kReseller = R"(provider: reseller
currency: USD
matches_vendorless_records: false
versions:
  - effective_from: 2025-01-01
    models:
      large: {per_million_tokens: {input: 4, output: 4}}
      only-other: {per_million_tokens: {input: 8, output: 8}}
)";

constexpr std::int64_t kAt = 1'750'000'000'000'000'000;  // 2025-06-15

std::shared_ptr<const PriceBook> Book() {
  static const std::shared_ptr<const PriceBook> book = [] {
    auto loaded =
        PriceBook::LoadDocuments({{"acme.yaml", kAcme}, {"other.yaml", kOther}, {"reseller.yaml", kReseller}});
    INFO(loaded.status().message());
    REQUIRE(loaded.ok());
    return *loaded;
  }();
  return book;
}

PriceResult PriceIn(const PriceBook& book, std::string_view vendor, std::string_view model, std::int64_t at) {
  UsageRecord record;
  record.event = "llm.call";
  record.vendor = vendor;
  record.model = model;
  record.timestamp_unix_ns = at;
  record.has_token_usage = true;
  record.tokens[TokenType::kInput] = 1'000'000;
  return book.Price(record);
}

PriceResult PriceOf(std::string_view vendor, std::string_view model) { return PriceIn(*Book(), vendor, model, kAt); }

// "<vendor>/<model> <cost>" as priced, or the outcome's name.
std::string Described(const PriceResult& result) {
  if (result.outcome != PriceOutcome::kPriced) return std::string(PriceOutcomeName(result.outcome));
  return std::string(result.vendor) + "/" + std::string(result.model) + " " + result.total.ToDecimalString();
}

std::string Priced(std::string_view vendor, std::string_view model) { return Described(PriceOf(vendor, model)); }

TEST_CASE("vendors match by name or alias in any case, and are reported as the table's name", "[pricing][matching]") {
  CHECK(Priced("acme.ai", "large") == "acme.ai/large 2");
  CHECK(Priced("ACME.AI", "large") == "acme.ai/large 2");
  CHECK(Priced("acme", "large") == "acme.ai/large 2");
  CHECK(Priced("acmecloud", "large") == "acme.ai/large 2");
  CHECK(Priced("ACMECLOUD", "large") == "acme.ai/large 2");
  CHECK(Priced("acme-ai", "large") == "unknown_vendor");
  // Unmatched parts keep the record's values.
  const PriceResult unknown = PriceOf("Nobody", "Whatever");
  CHECK(unknown.vendor == "Nobody");
  CHECK(unknown.model == "Whatever");
}

TEST_CASE("models match exactly, then in any case, then by the longest prefix", "[pricing][matching]") {
  CHECK(Priced("acme", "large-2025-01-01") == "acme.ai/large 2");          // alias: the model's name
  CHECK(Priced("acme", "LARGE") == "acme.ai/large 2");                     // case
  CHECK(Priced("acme", "shared-model") == "acme.ai/Shared-Model 1");       // case, table name kept as written
  CHECK(Priced("acme", "large-2026-03-01") == "acme.ai/large 2");          // prefix large-
  CHECK(Priced("acme", "large-vision-0301") == "acme.ai/large-vision 3");  // the longer prefix wins
  CHECK(Priced("acme", "Large-Vision-0301") == "acme.ai/large-vision 3");
  CHECK(Priced("acme", "large-vision") == "acme.ai/large-vision 3");  // exact beats the prefix large-
  CHECK(Priced("acme", "larger") == "unknown_model");                 // "large-" needs the dash
}

TEST_CASE("a routed model name drops a first segment that names the vendor", "[pricing][matching]") {
  CHECK(Priced("acme", "acme/large") == "acme.ai/large 2");
  CHECK(Priced("acme.ai", "AcmeCloud/large-2025-01-01") == "acme.ai/large 2");
  CHECK(Priced("acme", "other/large") == "unknown_model");  // another vendor's route is not ours
  CHECK(Priced("acme", "acme/") == "unknown_model");
}

TEST_CASE("a record without vendor takes it from the one table that knows the model", "[pricing][matching]") {
  CHECK(Priced("", "only-other") == "other/only-other 7");  // the reseller does not take vendorless records
  CHECK(Priced("", "large-2026-03-01") == "acme.ai/large 2");
  CHECK(Priced("", "acme/large") == "acme.ai/large 2");
  const PriceResult unknown = PriceOf("", "nobody-knows");
  CHECK(unknown.outcome == PriceOutcome::kUnknownModel);
  CHECK(unknown.vendor.empty());
  // Two tables know shared-model (acme in another case): ambiguous, both named.
  const PriceResult ambiguous = PriceOf("", "shared-model");
  CHECK(ambiguous.outcome == PriceOutcome::kAmbiguousVendor);
  CHECK(ambiguous.unpriced());
  CHECK(ambiguous.total.is_zero());
  UsageRecord record;
  record.event = "llm.call";
  record.model = "shared-model";
  record.timestamp_unix_ns = kAt;
  record.has_token_usage = true;
  const std::array<std::string_view, 2> candidates = Book()->VendorsKnowing(record);
  CHECK(candidates[0] == "acme.ai");
  CHECK(candidates[1] == "other");
  CHECK(PriceOutcomeName(PriceOutcome::kAmbiguousVendor) == "ambiguous_vendor");
}

TEST_CASE("matching rules are checked at load", "[pricing][matching]") {
  const auto error = [](const std::string& a, const std::string& b) {
    auto book = PriceBook::LoadDocuments({{"a.yaml", a}, {"b.yaml", b}});
    REQUIRE_FALSE(book.ok());
    return book.status().message();
  };
  const std::string other = std::string(kOther);
  CHECK_THAT(error(kAcme,
                   "provider: OTHER.x\ncurrency: USD\naliases: [ACME]\nversions:\n  - effective_from: "
                   "2025-01-01\n    models: {m: {per_million_tokens: {input: 1, output: 1}}}\n"),
             Contains("b.yaml: provider name or alias 'ACME' is already used by provider 'acme.ai' (a.yaml) (names "
                      "match in any case)"));
  std::string twice = kAcme;
  twice.replace(twice.find("prefixes: [large-vision-]"), 25, "prefixes: [LARGE-]");
  CHECK_THAT(error(twice, other),
             Contains("versions[0].models[large-vision].prefixes[0]: prefix 'LARGE-' is already a prefix of model "
                      "'large' in this version"));
  std::string flag = kReseller;
  flag.replace(flag.find("false"), 5, "nope");
  CHECK_THAT(error(flag, other), Contains("matches_vendorless_records: expected true or false"));
}

// The reseller in two versions: "large" from 2025, "large-2" only from 2026.
constexpr const char* kPlatform = R"(provider: platform
currency: USD
aliases: [plat]
matches_vendorless_records: false
versions:
  - effective_from: 2025-01-01
    models:
      large: {per_million_tokens: {input: 4, output: 4}}
      eu/large: {per_million_tokens: {input: 4.4, output: 4.4}}
  - effective_from: 2026-01-01
    inherit: true
    models:
      large-2: {per_million_tokens: {input: 6, output: 6}}
)";

Result<std::shared_ptr<const PriceBook>> WithAliases(const std::vector<ModelAlias>& aliases) {
  return PriceBook::LoadDocuments({{"acme.yaml", kAcme}, {"platform.yaml", kPlatform}}, aliases);
}

std::string PricedIn(const PriceBook& book, std::string_view vendor, std::string_view model, std::int64_t at) {
  return Described(PriceIn(book, vendor, model, at));
}

TEST_CASE("configured model aliases (deployment names) price and label as the table model", "[pricing][matching]") {
  constexpr std::int64_t k2026 = 1'780'000'000'000'000'000;  // 2026-05-28
  const auto book = WithAliases({{"PLAT", "prod-chat", "large"},
                                 {"platform", "eu-chat", "eu/large"},
                                 {"platform", "next-chat", "large-2"},
                                 {"acme", "vision-prod", "large-vision-0301"}});
  INFO(book.status().message());
  REQUIRE(book.ok());
  const PriceBook& prices = **book;
  CHECK(PricedIn(prices, "platform", "prod-chat", kAt) == "platform/large 4");
  CHECK(PricedIn(prices, "azure-like", "prod-chat", kAt) == "unknown_vendor");
  CHECK(PricedIn(prices, "plat", "PROD-CHAT", kAt) == "platform/large 4");       // any case, like a table alias
  CHECK(PricedIn(prices, "plat", "plat/prod-chat", kAt) == "platform/large 4");  // routed
  CHECK(PricedIn(prices, "platform", "eu-chat", kAt) == "platform/eu/large 4.4");
  // Only the versions that know the target: large-2 from 2026.
  CHECK(PricedIn(prices, "platform", "next-chat", kAt) == "unknown_model");
  CHECK(PricedIn(prices, "platform", "next-chat", k2026) == "platform/large-2 6");
  CHECK(PricedIn(prices, "platform", "prod-chat", k2026) == "platform/large 4");  // inherited versions too
  // A target found by a prefix rule is that model.
  CHECK(PricedIn(prices, "acme", "vision-prod", kAt) == "acme.ai/large-vision 3");
  // The alias is the vendor's: a vendorless record does not use it, nor another table.
  CHECK(PricedIn(prices, "", "prod-chat", kAt) == "unknown_model");
  CHECK(PricedIn(prices, "acme", "prod-chat", kAt) == "unknown_model");
  // Without the configuration nothing is known of the name.
  const auto plain = WithAliases({});
  REQUIRE(plain.ok());
  CHECK(PricedIn(**plain, "platform", "prod-chat", kAt) == "unknown_model");
}

TEST_CASE("configured model aliases are refused when they cannot mean one table model", "[pricing][matching]") {
  const auto error = [](ModelAlias alias) {
    const auto book = WithAliases({std::move(alias)});
    REQUIRE_FALSE(book.ok());
    return book.status().message();
  };
  CHECK_THAT(error({"nobody", "prod", "large"}),
             Contains("pricing.model_aliases: vendor 'nobody', name 'prod': no price table has the provider name "
                      "or alias 'nobody'"));
  CHECK_THAT(error({"platform", "prod", "larger"}),
             Contains("vendor 'platform', name 'prod': no version of platform.yaml has the model 'larger'"));
  CHECK_THAT(error({"platform", "Large", "large-2"}),
             Contains("name 'Large': platform.yaml already has a model or alias 'Large' (version 2025-01-01)"));
  CHECK_THAT(error({"platform", "", "large"}), Contains("the name must be 1 to 128 characters"));
  const auto twice = WithAliases({{"platform", "prod", "large"}, {"plat", "prod", "large-2"}});
  REQUIRE_FALSE(twice.ok());
  CHECK_THAT(twice.status().message(), Contains("already has a model or alias 'prod'"));
}

}  // namespace
}  // namespace lce

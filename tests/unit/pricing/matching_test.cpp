// Vendor and model matching as users send them: OpenTelemetry and common
// vendor spellings in any case, routed model names, prefix rules, and
// records without a vendor.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>

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

PriceResult PriceOf(std::string_view vendor, std::string_view model) {
  UsageRecord record;
  record.event = "llm.call";
  record.vendor = vendor;
  record.model = model;
  record.timestamp_unix_ns = kAt;
  record.has_token_usage = true;
  record.tokens[TokenType::kInput] = 1'000'000;
  return Book()->Price(record);
}

// "<vendor>/<model> <cost>" as priced, or the outcome's name.
std::string Priced(std::string_view vendor, std::string_view model) {
  const PriceResult result = PriceOf(vendor, model);
  if (result.outcome != PriceOutcome::kPriced) return std::string(PriceOutcomeName(result.outcome));
  return std::string(result.vendor) + "/" + std::string(result.model) + " " + result.total.ToDecimalString();
}

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
  CHECK(ambiguous.vendor_candidates[0] == "acme.ai");
  CHECK(ambiguous.vendor_candidates[1] == "other");
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

}  // namespace
}  // namespace lce

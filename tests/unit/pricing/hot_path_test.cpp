// PriceBook::Price allocates nothing for a record without units. Global
// operator new is replaced in this binary to count allocations per thread
// (allocation_tracking.h).
#include <catch2/catch.hpp>

#include "../allocation_tracking.h"
#include "llm_cost_exporter/pricing.h"

namespace lce {
namespace {

TEST_CASE("pricing a record without units does not allocate", "[pricing][hot_path]") {
  const auto book = PriceBook::LoadDocuments({{"acme.yaml", R"(
provider: acme
currency: USD
versions:
  - effective_from: 2025-01-01
    service_tiers: {batch: 0.5}
    per_unit: {emails: 0.001}
    models:
      a-model-name-longer-than-the-small-string-buffer:
        per_million_tokens: {input: 1, output: 2}
)"}});
  REQUIRE(book.ok());
  UsageRecord record;
  record.vendor = "acme";
  record.model = "a-model-name-longer-than-the-small-string-buffer";
  record.service_tier = "batch";
  record.timestamp_unix_ns = 1'800'000'000'000'000'000;
  record.tokens[TokenType::kInput] = 1000;

  const std::size_t before = test::g_allocations;
  const PriceResult priced = (*book)->Price(record);
  record.model = "unknown-model-name-longer-than-the-small-string-buffer";
  const PriceResult unknown = (*book)->Price(record);
  const std::size_t allocations = test::g_allocations - before;

  CHECK(priced.outcome == PriceOutcome::kPriced);
  CHECK(unknown.outcome == PriceOutcome::kUnknownModel);
  CHECK(allocations == 0);

  record.units = {{"emails", 3}};
  const std::size_t with_units_before = test::g_allocations;
  const PriceResult with_units = (*book)->Price(record);
  CHECK(test::g_allocations - with_units_before == 1);  // the UnitCost vector, once
  CHECK(with_units.units.size() == 1);
}

TEST_CASE("a PriceResult stays small: the pipeline writes one per record of a batch", "[pricing][hot_path]") {
  // Two Money (32), the units vector (24), two names as priced (32), the tier (8) and two
  // outcomes, rounded up to Money's 16-byte alignment: 112 on x86-64 with libstdc++ (it
  // was 160 with the ambiguous vendors' candidates inside and padding between the outcomes).
  constexpr std::size_t kUnpadded = 2 * sizeof(Money) + sizeof(std::vector<UnitCost>) + 2 * sizeof(std::string_view) +
                                    sizeof(std::uint64_t) + 2 * sizeof(PriceOutcome);
  CHECK(sizeof(PriceResult) == (kUnpadded + alignof(PriceResult) - 1) / alignof(PriceResult) * alignof(PriceResult));
}

}  // namespace
}  // namespace lce

// PriceBook::Price allocates nothing for a record without units. Global
// operator new is replaced in this binary to count allocations per thread.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <new>

#include "llm_cost_exporter/pricing.h"

namespace {
thread_local std::size_t g_allocations = 0;

void* Allocate(std::size_t size) noexcept {
  ++g_allocations;
  return std::malloc(size == 0 ? 1 : size);
}
}  // namespace

// Every unaligned form is replaced, so each pair allocates and frees alike.
void* operator new(std::size_t size) {
  if (void* p = Allocate(size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return Allocate(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return Allocate(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

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

  const std::size_t before = g_allocations;
  const PriceResult priced = (*book)->Price(record);
  record.model = "unknown-model-name-longer-than-the-small-string-buffer";
  const PriceResult unknown = (*book)->Price(record);
  const std::size_t allocations = g_allocations - before;

  CHECK(priced.outcome == PriceOutcome::kPriced);
  CHECK(unknown.outcome == PriceOutcome::kUnknownModel);
  CHECK(allocations == 0);

  record.units = {{"emails", 3}};
  const std::size_t with_units_before = g_allocations;
  const PriceResult with_units = (*book)->Price(record);
  CHECK(g_allocations - with_units_before == 1);  // the UnitCost vector, once
  CHECK(with_units.units.size() == 1);
}

}  // namespace
}  // namespace lce

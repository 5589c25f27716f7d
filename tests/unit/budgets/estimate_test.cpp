// PriceBudgetEstimate: a given amount as it is, or the call priced with the
// tables in force (every input token uncached, every output token used).
#include <memory>
#include <string>

#include "budgets_test_util.h"
#include "llm_cost_exporter/pricing.h"

namespace lce::budgets_test {
namespace {

const std::int64_t kNoon = Utc(2025, 11, 20, 12);

// From 2025-01-01: alpha $2 / $8 per million input / output tokens (cached
// input $0.20, never used by an estimate), batch at half price, $0.0009 an email.
constexpr const char* kAcme = R"(
provider: acme
currency: USD
versions:
  - {effective_from: 2025-01-01, service_tiers: {batch: 0.5}, per_unit: {emails: 0.0009},
     models: {alpha: {per_million_tokens: {input: 2, output: 8, cached_input: 0.2}}}}
)";

std::shared_ptr<const PriceBook> Prices() {
  auto book = PriceBook::LoadDocuments({{"acme.yaml", kAcme}});
  REQUIRE(book.ok());
  return *book;
}

BudgetEstimate Call(std::string model, std::uint64_t input, std::uint64_t output) {
  BudgetEstimate estimate;
  estimate.vendor = "acme";
  estimate.model = std::move(model);
  estimate.input_tokens = input;
  estimate.max_output_tokens = output;
  return estimate;
}

TEST_CASE("An amount given directly is the estimate, the rest ignored", "[budgets][estimate]") {
  BudgetEstimate estimate = Call("nope", 1, 1);
  estimate.vendor = "nobody";
  estimate.usd = Dollars("0.25");
  const Result<Money> priced = PriceBudgetEstimate(estimate, *Prices(), kNoon);
  REQUIRE(priced.ok());
  CHECK(*priced == Dollars("0.25"));
}

TEST_CASE("Tokens are priced as uncached input and fully used output", "[budgets][estimate]") {
  const auto prices = Prices();
  const Result<Money> plain = PriceBudgetEstimate(Call("alpha", 1'000'000, 500'000), *prices, kNoon);
  REQUIRE(plain.ok());
  CHECK(*plain == Dollars("6"));  // 2 + 0.5 * 8
  BudgetEstimate batch = Call("alpha", 1'000'000, 500'000);
  batch.service_tier = "batch";
  const Result<Money> halved = PriceBudgetEstimate(batch, *prices, kNoon);
  REQUIRE(halved.ok());
  CHECK(*halved == Dollars("3"));
}

TEST_CASE("Units are priced, alone or with tokens", "[budgets][estimate]") {
  const auto prices = Prices();
  BudgetEstimate units = Call("", 0, 0);
  units.units = {{"emails", 1000}};
  const Result<Money> alone = PriceBudgetEstimate(units, *prices, kNoon);
  REQUIRE(alone.ok());
  CHECK(*alone == Dollars("0.9"));
  BudgetEstimate both = Call("alpha", 1'000'000, 0);
  both.units = {{"emails", 1000}};
  const Result<Money> sum = PriceBudgetEstimate(both, *prices, kNoon);
  REQUIRE(sum.ok());
  CHECK(*sum == Dollars("2.9"));
}

TEST_CASE("An estimate without model, units or amount is invalid", "[budgets][estimate]") {
  const Result<Money> priced = PriceBudgetEstimate(Call("", 1000, 1000), *Prices(), kNoon);
  REQUIRE_FALSE(priced.ok());
  CHECK(priced.status().code() == Status::Code::kInvalidArgument);
  CHECK(priced.status().message() == "give model with input_tokens and max_output_tokens, units, or estimate_usd");
}

TEST_CASE("What the tables in force cannot price is unprocessable, named by outcome", "[budgets][estimate]") {
  const auto prices = Prices();
  const auto failure = [&](const BudgetEstimate& estimate, std::int64_t now) {
    const Result<Money> priced = PriceBudgetEstimate(estimate, *prices, now);
    REQUIRE_FALSE(priced.ok());
    CHECK(priced.status().code() == Status::Code::kUnprocessable);
    return priced.status().message();
  };
  CHECK(failure(Call("beta", 1, 1), kNoon) == "cannot price the estimate: unknown_model");
  CHECK(failure(Call("alpha", 1, 1), Utc(2024, 12, 31)) == "cannot price the estimate: no_version_in_force");
  BudgetEstimate stranger = Call("alpha", 1, 1);
  stranger.vendor = "nobody";
  CHECK(failure(stranger, kNoon) == "cannot price the estimate: unknown_vendor");
  BudgetEstimate tier = Call("alpha", 1, 1);
  tier.service_tier = "flex";
  CHECK(failure(tier, kNoon) == "cannot price the estimate: unknown_service_tier");
  BudgetEstimate unit = Call("", 0, 0);
  unit.units = {{"faxes", 1}};
  CHECK(failure(unit, kNoon) == "cannot price the estimate: unknown_unit");
}

TEST_CASE("A model without vendor is priced by the one table that knows it", "[budgets][estimate]") {
  BudgetEstimate vendorless = Call("alpha", 1'000'000, 500'000);
  vendorless.vendor.clear();
  const Result<Money> priced = PriceBudgetEstimate(vendorless, *Prices(), kNoon);
  REQUIRE(priced.ok());
  CHECK(*priced == Dollars("6"));
  // Two tables know alpha: the vendor is required, named in a 400.
  auto both = PriceBook::LoadDocuments({{"acme.yaml", kAcme}, {"zeta.yaml", R"(
provider: zeta
currency: USD
versions:
  - {effective_from: 2025-01-01, models: {alpha: {per_million_tokens: {input: 1, output: 1}}}}
)"}});
  REQUIRE(both.ok());
  const Result<Money> ambiguous = PriceBudgetEstimate(vendorless, **both, kNoon);
  REQUIRE_FALSE(ambiguous.ok());
  CHECK(ambiguous.status().code() == Status::Code::kInvalidArgument);
  CHECK(ambiguous.status().message() ==
        "field \"vendor\" is required: model \"alpha\" is priced by acme and zeta (and maybe others)");
}

}  // namespace
}  // namespace lce::budgets_test

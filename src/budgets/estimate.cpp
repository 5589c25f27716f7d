// PriceBudgetEstimate: the most an estimated call can cost, priced like a
// record (a "budget.estimate" event at `now`) with every input token uncached
// and every output token used.
#include <array>
#include <string>

#include "llm_cost_exporter/budgets.h"
#include "llm_cost_exporter/pricing.h"
#include "llm_cost_exporter/usage_record.h"

namespace lce {

Result<Money> PriceBudgetEstimate(const BudgetEstimate& estimate, const PriceBook& prices, std::int64_t now_unix_ns) {
  if (estimate.usd) return *estimate.usd;
  if (estimate.model.empty() && estimate.units.empty()) {
    return Status::InvalidArgument("give model with input_tokens and max_output_tokens, units, or estimate_usd");
  }
  UsageRecord record;
  record.event = "budget.estimate";
  record.timestamp_unix_ns = now_unix_ns;
  record.vendor = estimate.vendor;
  record.model = estimate.model;
  record.service_tier = estimate.service_tier;
  record.has_token_usage = !estimate.model.empty();
  record.tokens[TokenType::kInput] = estimate.input_tokens;
  record.tokens[TokenType::kOutput] = estimate.max_output_tokens;
  record.units.reserve(estimate.units.size());
  for (const auto& [unit, count] : estimate.units) record.units.push_back({unit, count});  // views into `estimate`
  const PriceResult price = prices.Price(record);
  if (price.outcome == PriceOutcome::kAmbiguousVendor) {
    const std::array<std::string_view, 2> vendors = prices.VendorsKnowing(record);
    return Status::InvalidArgument("field \"vendor\" is required: model \"" + estimate.model + "\" is priced by " +
                                   std::string(vendors[0]) + " and " + std::string(vendors[1]) + " (and maybe others)");
  }
  if (price.unpriced()) {
    return Status::Unprocessable(std::string("cannot price the estimate: ") +
                                 std::string(PriceOutcomeName(price.outcome)));
  }
  return price.total;
}

}  // namespace lce

// PriceBook::Price: the per-record hot path. Lookups take string_views
// (transparent hashing); nothing allocates unless the record has units.
#include <algorithm>
#include <iterator>
#include <optional>

#include "llm_cost_exporter/pricing.h"
#include "price_model.h"

namespace lce {
namespace {

using pricing::ModelPrices;
using pricing::TokenPrices;
using pricing::TokenSchedule;
using pricing::VersionPrices;

// The schedule for the record's service tier; nullptr when the model has none.
const TokenSchedule* ScheduleFor(const ModelPrices& model, std::string_view service_tier) {
  if (pricing::IsStandardServiceTier(service_tier)) return &model.standard;
  const auto it = model.service_tiers.find(service_tier);
  return it == model.service_tiers.end() ? nullptr : &it->second;
}

// Parts are subtracted from their whole; a part larger than its whole (which
// ingest rejects) leaves 0 rather than wrapping around.
std::uint64_t Remainder(std::uint64_t whole, std::uint64_t part_a, std::uint64_t part_b = 0) {
  const int128 rest = static_cast<int128>(whole) - part_a - part_b;
  return rest > 0 ? static_cast<std::uint64_t>(rest) : 0;
}

// Token cost at the prices of one tier. Prices are capped at load time
// (kMaxTokenPriceAtto), so the sum cannot overflow.
Money TokenCost(const TokenPrices& p, const TokenUsage& t) {
  const auto price = [&p](TokenType type) { return p[static_cast<std::size_t>(type)]; };
  const std::uint64_t cached = t[TokenType::kCachedInput];
  const std::uint64_t written = t[TokenType::kCacheWrite];
  const std::uint64_t written_1h = t[TokenType::kCacheWrite1h];
  const std::uint64_t reasoning = t[TokenType::kReasoning];
  return price(TokenType::kInput) * Remainder(t[TokenType::kInput], cached, written) +
         price(TokenType::kCachedInput) * cached + price(TokenType::kCacheWrite) * Remainder(written, written_1h) +
         price(TokenType::kCacheWrite1h) * written_1h +
         price(TokenType::kOutput) * Remainder(t[TokenType::kOutput], reasoning) +
         price(TokenType::kReasoning) * reasoning;
}

// With the tier chosen by the input count; *tier is its threshold.
PriceOutcome PriceTokens(const ModelPrices* model, const UsageRecord& record, Money* cost, std::uint64_t* tier) {
  if (model == nullptr) return PriceOutcome::kUnknownModel;
  const TokenSchedule* schedule = ScheduleFor(*model, record.service_tier);
  if (schedule == nullptr) return PriceOutcome::kUnknownServiceTier;
  *cost = TokenCost(schedule->For(record.tokens[TokenType::kInput]), record.tokens);
  *tier = schedule->ThresholdFor(record.tokens[TokenType::kInput]);
  return PriceOutcome::kPriced;
}

// Model-level unit price first, then the version's.
const Money* UnitPrice(const VersionPrices& version, const ModelPrices* model, std::string_view unit) {
  if (model != nullptr) {
    const auto it = model->per_unit.find(unit);
    if (it != model->per_unit.end()) return &it->second;
  }
  const auto it = version.per_unit.find(unit);
  return it == version.per_unit.end() ? nullptr : &it->second;
}

// count * price, or nothing when the product exceeds Money's range.
std::optional<Money> UnitCostOf(const Money& price, std::uint64_t count) {
  int128 atto = 0;
  if (__builtin_mul_overflow(price.atto(), static_cast<int128>(count), &atto)) return std::nullopt;
  return Money::FromAtto(atto);
}

}  // namespace

std::string_view PriceOutcomeName(PriceOutcome outcome) {
  switch (outcome) {
    case PriceOutcome::kPriced: return "priced";
    case PriceOutcome::kNothingToPrice: return "nothing_to_price";
    case PriceOutcome::kUnknownVendor: return "unknown_vendor";
    case PriceOutcome::kNoVersionInForce: return "no_version_in_force";
    case PriceOutcome::kUnknownModel: return "unknown_model";
    case PriceOutcome::kUnknownServiceTier: return "unknown_service_tier";
    case PriceOutcome::kUnknownUnit: return "unknown_unit";
    case PriceOutcome::kAmbiguousVendor: return "ambiguous_vendor";
  }
  return "unknown";
}

PriceBook::PriceBook(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PriceBook::~PriceBook() = default;

const std::vector<PriceTableInfo>& PriceBook::tables() const { return impl_->tables; }

std::array<std::string_view, 2> PriceBook::VendorsKnowing(const UsageRecord& record) const {
  return impl_->Resolve(record).candidates;
}

PriceResult PriceBook::Price(const UsageRecord& record) const {
  PriceResult result;
  result.vendor = record.vendor;
  result.model = record.model;
  const bool has_tokens = record.is_llm_call();
  if (!has_tokens && record.units.empty()) return result;

  const Match match = impl_->Resolve(record);
  const VersionPrices* version = match.version;
  const ModelPrices* model = match.model;
  const PriceOutcome lookup = match.failure;
  if (match.provider != nullptr) result.vendor = match.provider->name;
  if (model != nullptr) result.model = model->name;
  std::optional<PriceOutcome> first_failure;
  if (has_tokens) {
    result.token_outcome =
        version == nullptr ? lookup : PriceTokens(model, record, &result.token_cost, &result.context_tier);
    if (result.token_outcome != PriceOutcome::kPriced) first_failure = result.token_outcome;
  }
  result.total = result.token_cost;

  if (!record.units.empty()) {
    result.units.reserve(record.units.size());
    for (const UnitCount& unit : record.units) {
      UnitCost& cost = result.units.emplace_back(UnitCost{unit.unit, unit.count, Money(), false});
      const Money* price = version == nullptr ? nullptr : UnitPrice(*version, model, unit.unit);
      const std::optional<Money> amount = price == nullptr ? std::nullopt : UnitCostOf(*price, unit.count);
      int128 total = 0;
      if (amount && !__builtin_add_overflow(result.total.atto(), amount->atto(), &total)) {
        cost.cost = *amount;
        cost.priced = true;
        result.total = Money::FromAtto(total);
      } else if (!first_failure) {
        first_failure = version == nullptr ? lookup : PriceOutcome::kUnknownUnit;
      }
    }
  }
  result.outcome = first_failure.value_or(PriceOutcome::kPriced);
  return result;
}

// Re-pricing: not the hot path (it may allocate messages).
Result<Money> PriceBook::PriceAggregate(const Aggregate& usage, std::string* table) const {
  if (table != nullptr) table->clear();
  const bool has_tokens = !usage.model.empty();
  if (!has_tokens && usage.units.empty()) return Money();
  const std::optional<std::size_t> provider = impl_->FindProvider(usage.vendor);
  if (!provider) return Status::Unprocessable("no price table for vendor \"" + std::string(usage.vendor) + "\"");
  const pricing::ProviderTable& file = impl_->providers[*provider];
  const auto in_force = [&](std::int64_t t) {
    return std::upper_bound(file.versions.begin(), file.versions.end(), t,
                            [](std::int64_t at, const VersionPrices& v) { return at < v.effective_from_unix_ns; });
  };
  const auto first = in_force(usage.from_unix_ns);
  const auto last = in_force(usage.to_unix_ns - 1);
  if (first != last) {
    return Status::Unprocessable("price version " + last[-1].effective_from + " of " + file.file +
                                 " begins inside this 15-minute bucket, whose records cannot be told apart");
  }
  if (first == file.versions.begin()) return Status::Unprocessable("no version of " + file.file + " is in force");
  const VersionPrices& version = *std::prev(first);
  const ModelPrices* model = has_tokens ? impl_->FindModelOf(*provider, version, usage.model) : nullptr;
  Money total;
  if (has_tokens) {
    if (model == nullptr) {
      return Status::Unprocessable(file.file + "@" + version.effective_from + " has no model \"" +
                                   std::string(usage.model) + "\"");
    }
    const TokenSchedule* schedule = ScheduleFor(*model, usage.service_tier);
    if (schedule == nullptr) {
      return Status::Unprocessable(file.file + "@" + version.effective_from + ": model \"" + std::string(usage.model) +
                                   "\" has no service tier \"" + std::string(usage.service_tier) + "\"");
    }
    const TokenPrices* prices = schedule->AtThreshold(usage.context_tier);
    if (prices == nullptr) {
      return Status::Unprocessable(file.file + "@" + version.effective_from + ": model \"" + std::string(usage.model) +
                                   "\" has no long-context tier above " + std::to_string(usage.context_tier) +
                                   " input tokens (the records were priced in one)");
    }
    total = TokenCost(*prices, usage.tokens);
  }
  for (const UnitCount& unit : usage.units) {
    const Money* price = UnitPrice(version, model, unit.unit);
    if (price == nullptr) {
      return Status::Unprocessable(file.file + "@" + version.effective_from + " has no price for unit \"" +
                                   std::string(unit.unit) + "\"");
    }
    const std::optional<Money> amount = UnitCostOf(*price, unit.count);
    int128 sum = 0;
    if (!amount || __builtin_add_overflow(total.atto(), amount->atto(), &sum)) {
      return Status::Unprocessable("the cost of unit \"" + std::string(unit.unit) + "\" is out of range");
    }
    total = Money::FromAtto(sum);
  }
  if (table != nullptr) *table = file.file + "@" + version.effective_from;
  return total;
}

}  // namespace lce

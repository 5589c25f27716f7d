// Pricing: versioned price tables (one YAML file per provider under pricing/)
// and exact pricing of usage records.
//
// A PriceBook is immutable once loaded and safe to share between threads; a
// reload builds a new PriceBook and swaps the shared_ptr. Prices are held as
// Money per token (or per unit), so pricing is integer multiplication only.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "llm_cost_exporter/money.h"
#include "llm_cost_exporter/status.h"
#include "llm_cost_exporter/usage_record.h"

namespace lce {

// Why (part of) a record could not be priced. kPriced means it was.
enum class PriceOutcome : std::uint8_t {
  kPriced,
  kNothingToPrice,      // no tokens and no units (e.g. a business event)
  kUnknownVendor,       // no table for the record's vendor
  kNoVersionInForce,    // the record's timestamp is before the first version
  kUnknownModel,        // the version in force does not list the model
  kUnknownServiceTier,  // the model has no multiplier for the record's service_tier
  kUnknownUnit,         // a unit in `units` has no per-unit price
  kAmbiguousVendor,     // no vendor, and several tables know the model (the record is rejected)
};
std::string_view PriceOutcomeName(PriceOutcome outcome);  // "unknown_model", ...

struct UnitCost {
  std::string_view unit;
  std::uint64_t count = 0;
  Money cost;  // zero when !priced
  bool priced = false;
};

// One per record of a batch, so its members are ordered to leave no padding
// (112 bytes): the pipeline writes a batch's worth of them per request.
struct PriceResult {
  Money token_cost;             // zero unless token_outcome == kPriced
  Money total;                  // token_cost + every priced unit cost
  std::vector<UnitCost> units;  // one per record unit, same order
  // The vendor and model as priced: the table's provider name and model name
  // when they matched (views into the PriceBook, valid while it lives), else
  // the record's own values. Metrics labels and the ledger use these.
  std::string_view vendor;
  std::string_view model;
  // The long-context tier the tokens were priced in: its above_input_tokens
  // threshold (never 0 in a table), 0 for the base prices or unpriced tokens.
  std::uint64_t context_tier = 0;
  // Outcome for the token part (kNothingToPrice when the record has no model).
  PriceOutcome token_outcome = PriceOutcome::kNothingToPrice;
  // First non-priced outcome of the record (tokens first, then units), or
  // kPriced / kNothingToPrice. A record with any unpriced part is "unpriced".
  // kAmbiguousVendor: PriceBook::VendorsKnowing names the candidates.
  PriceOutcome outcome = PriceOutcome::kNothingToPrice;

  bool unpriced() const { return outcome != PriceOutcome::kPriced && outcome != PriceOutcome::kNothingToPrice; }
};

// One loaded table version, for llm_cost_exporter_price_table_info and logs.
struct PriceTableInfo {
  std::string provider;
  std::string file;            // file name under the pricing directory
  std::string effective_from;  // as written in the file
  std::int64_t effective_from_unix_ns = 0;
  std::size_t model_count = 0;
};

// A name that records send for a model of one table, from the
// configuration's pricing.model_aliases: an Azure OpenAI deployment name
// ("prod-chat") meaning the model it deploys ("gpt-4o"). The name then
// matches like an alias written in the table, in every version that knows
// the model, and the record is priced and labelled as that model.
struct ModelAlias {
  std::string vendor;  // a provider name or alias of a table, any case
  std::string name;    // the name records send
  std::string model;   // a model name or alias of that table (prefix rules apply)
};

class PriceBook {
 public:
  // Loads every *.yaml / *.yml file of `dir`. Fails with a message naming the
  // file and the offending key on any error: unknown fields, negative or
  // malformed prices, versions out of order or duplicated, alias collisions,
  // tier thresholds not ascending, a currency other than USD, a service-tier
  // multiplier whose product with a price is not exact at Money's scale;
  // a model alias whose vendor has no table, whose model no version of the
  // table knows, or whose name the table already has.
  static Result<std::shared_ptr<const PriceBook>> LoadDirectory(const std::string& dir,
                                                                std::span<const ModelAlias> model_aliases = {});

  // Same, from in-memory documents (file name, YAML text); for tests and tools.
  static Result<std::shared_ptr<const PriceBook>> LoadDocuments(
      const std::vector<std::pair<std::string, std::string>>& documents,
      std::span<const ModelAlias> model_aliases = {});

  // Prices a validated record with the version in force at its timestamp.
  // Thread-safe; allocates only when the record has units.
  PriceResult Price(const UsageRecord& record) const;

  // For a record Price() found kAmbiguousVendor: two of the tables (provider
  // names) whose version in force knows its model. Thread-safe.
  std::array<std::string_view, 2> VendorsKnowing(const UsageRecord& record) const;

  // Re-pricing (docs/ledger.md "Re-pricing"): prices the summed counts of
  // records of one vendor, model, service tier and context tier (0: base)
  // whose timestamps lie in [from, to), with the version in force over that
  // whole range. Fails with kUnprocessable, naming why, when a version begins
  // inside the range, or the version in force has no price for the vendor,
  // model, service tier, context tier or a unit. On success `*table` (when
  // not null) names the version used, "<file>@<effective_from>" ("" when
  // there was nothing to price). Thread-safe.
  struct Aggregate {
    std::string_view vendor;
    std::string_view model;  // "" when the records had no tokens
    std::string_view service_tier;
    std::uint64_t context_tier = 0;
    TokenUsage tokens;
    std::span<const UnitCount> units;
    std::int64_t from_unix_ns = 0;
    std::int64_t to_unix_ns = 0;
  };
  Result<Money> PriceAggregate(const Aggregate& usage, std::string* table) const;

  // Every loaded version, sorted by provider then effective_from.
  const std::vector<PriceTableInfo>& tables() const;

  ~PriceBook();
  PriceBook(const PriceBook&) = delete;
  PriceBook& operator=(const PriceBook&) = delete;

  struct Impl;  // defined in src/pricing

 private:
  explicit PriceBook(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lce

// In-memory form of the price tables, built once by the loader and read-only
// afterwards (so PriceBook::Price may read it from many threads).
//
// Every price is final: service-tier multipliers are applied at load time, so
// pricing a record is a hash lookup and integer multiplications.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "llm_cost_exporter/money.h"
#include "llm_cost_exporter/pricing.h"
#include "llm_cost_exporter/string_hash.h"
#include "llm_cost_exporter/usage_record.h"
#include "name_index.h"

namespace lce::pricing {

// Maps keyed by std::string, searched with a std::string_view without
// building a string (string_hash.h).
template <typename Value>
using StringMap = std::unordered_map<std::string, Value, TransparentStringHash, std::equal_to<>>;

// Upper bounds on a final price. With counts below 2^64 a token cost then
// stays below 2^125 atto-USD, so token pricing cannot overflow.
inline constexpr int128 kMaxTokenPriceAtto = Money::kOneDollar;             // $1,000,000 per 1M tokens
inline constexpr int128 kMaxUnitPriceAtto = Money::kOneDollar * 1'000'000;  // $1,000,000 per unit

// Record service tiers that always mean the base price ("" included); tables
// cannot give them a multiplier.
inline bool IsStandardServiceTier(std::string_view tier) {
  constexpr std::array<std::string_view, 4> kNames = {"", "default", "auto", "standard"};
  return std::find(kNames.begin(), kNames.end(), tier) != kNames.end();
}

// Money per token, indexed by TokenType.
using TokenPrices = std::array<Money, kTokenTypeCount>;

// Long-context tier: prices the whole request when input > above_input_tokens.
struct ContextTier {
  std::uint64_t above_input_tokens = 0;
  TokenPrices prices;
};

// The token prices of one model under one service tier.
struct TokenSchedule {
  TokenPrices base;
  std::vector<ContextTier> tiers;  // strictly ascending above_input_tokens

  // The prices of the highest tier whose threshold is below `input_tokens`,
  // else the base prices.
  const TokenPrices& For(std::uint64_t input_tokens) const {
    for (auto tier = tiers.rbegin(); tier != tiers.rend(); ++tier) {
      if (tier->above_input_tokens < input_tokens) return tier->prices;
    }
    return base;
  }
  // The threshold of the tier For(input_tokens) picks, 0 for the base prices.
  std::uint64_t ThresholdFor(std::uint64_t input_tokens) const {
    for (auto tier = tiers.rbegin(); tier != tiers.rend(); ++tier) {
      if (tier->above_input_tokens < input_tokens) return tier->above_input_tokens;
    }
    return 0;
  }
  // The prices of the tier with this threshold (0: the base), or nullptr.
  const TokenPrices* AtThreshold(std::uint64_t threshold) const {
    if (threshold == 0) return &base;
    for (const ContextTier& tier : tiers) {
      if (tier.above_input_tokens == threshold) return &tier.prices;
    }
    return nullptr;
  }
};

struct ModelPrices {
  std::string name;
  TokenSchedule standard;                  // IsStandardServiceTier() tiers
  StringMap<TokenSchedule> service_tiers;  // other tiers, multiplier applied
  StringMap<Money> per_unit;               // Money per unit
};

// Names are 1..kMaxNameLength characters (the loader and ingest check it).
inline constexpr std::size_t kMaxNameLength = 128;

// `text` lower-cased (ASCII): the form folded_index and vendor_index keys take.
inline std::string LowerCase(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

// `text` lower-cased (ASCII) into `buffer`; nullopt when it has no upper-case
// letter (so a second lookup would find nothing new) or is too long.
std::optional<std::string_view> FoldCase(std::string_view text, std::array<char, kMaxNameLength>& buffer);

// A model prefix rule, lower-cased.
struct ModelPrefix {
  std::string prefix;
  std::size_t model = 0;  // models[i]
};

struct VersionPrices {
  std::string effective_from;  // as written in the file
  std::int64_t effective_from_unix_ns = 0;
  std::vector<ModelPrices> models;
  NameIndex model_index;              // model name or alias -> models[i]
  NameIndex folded_index;             // the same, lower-cased (the first model wins a collision)
  std::vector<ModelPrefix> prefixes;  // longest first
  StringMap<Money> per_unit;          // Money per unit, for every record of the vendor

  // The model `name` means: an exact name or alias, else one that differs
  // only in case, else the model with the longest prefix `name` starts with
  // (case-insensitive); nullptr when none. Allocates nothing.
  const ModelPrices* FindModel(std::string_view name) const;
};

// One provider file.
struct ProviderTable {
  std::string name;
  std::string file;  // file name, for messages and PriceTableInfo
  std::vector<std::string> aliases;
  // Whether a record with a model and no vendor may be priced by this table
  // (false for platforms that resell other vendors' models, such as Azure).
  bool matches_vendorless_records = true;
  std::vector<VersionPrices> versions;  // strictly ascending effective_from
};

}  // namespace lce::pricing

namespace lce {

// What a record's vendor and model resolved to.
struct Match {
  const pricing::ProviderTable* provider = nullptr;  // nullptr: no table for the vendor
  const pricing::VersionPrices* version = nullptr;   // nullptr: `failure` says why
  const pricing::ModelPrices* model = nullptr;       // nullptr: no such model (or no version)
  PriceOutcome failure = PriceOutcome::kPriced;      // when version is nullptr
  std::array<std::string_view, 2> candidates;        // kAmbiguousVendor: two tables that know the model
};

struct PriceBook::Impl {
  std::vector<pricing::ProviderTable> providers;
  pricing::NameIndex vendor_index;  // provider name or alias, as written and lower-cased -> providers[i]
  std::vector<PriceTableInfo> tables;

  // providers[i] for a vendor name or alias in any case; nullopt when none.
  std::optional<std::size_t> FindProvider(std::string_view vendor) const;
  // The table, version in force and model of a record (docs/pricing.md
  // "Matching vendors and models"). Allocates nothing.
  Match Resolve(const UsageRecord& record) const;

  // The model `model` means in providers[provider]'s `version`.
  const pricing::ModelPrices* FindModelOf(std::size_t provider, const pricing::VersionPrices& version,
                                          std::string_view model) const;

 private:
  Match InferVendor(const UsageRecord& record) const;
};

}  // namespace lce

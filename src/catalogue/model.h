// The importer's view of a model's prices, shared by the catalogue readers,
// the table reader and the writer. Prices are scale-12 integers (decimal.h).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "llm_cost_exporter/money.h"

namespace lce::catalogue {

// Token price kinds in table order; the key names are those of our tables.
enum class Field : std::size_t { kInput, kOutput, kCachedInput, kCacheWrite, kCacheWrite1h, kReasoning };
inline constexpr std::size_t kFieldCount = 6;
inline constexpr std::array<const char*, kFieldCount> kFieldNames = {"input",       "output",         "cached_input",
                                                                     "cache_write", "cache_write_1h", "reasoning"};

// One per_million_tokens map; absent fields take the table defaults.
struct Prices {
  std::array<std::optional<int128>, kFieldCount> given;

  std::optional<int128>& at(Field f) { return given[static_cast<std::size_t>(f)]; }
  const std::optional<int128>& at(Field f) const { return given[static_cast<std::size_t>(f)]; }
  // The price in force for `f`: the given one, else the table default
  // (cached_input, cache_write -> input; cache_write_1h -> cache_write;
  // reasoning -> output; input/output -> 0).
  int128 Effective(Field f) const;
  // Same effective price for every field.
  bool SameAs(const Prices& other) const;
};

struct Tier {
  std::uint64_t above_input_tokens = 0;
  Prices prices;  // every field written explicitly by the importer
};

struct Schedule {
  Prices base;
  std::vector<Tier> tiers;

  bool SameAs(const Schedule& other) const;
};

// A model's service tier: a multiplier (millionths) or absolute prices.
struct ServiceTier {
  std::optional<int128> multiplier_micro;
  Schedule absolute;  // used when there is no multiplier

  bool SameAs(const ServiceTier& other, const Schedule& base) const;
};

struct Model {
  std::string name;
  std::vector<std::string> aliases;
  std::vector<std::string> prefixes;
  Schedule schedule;
  std::map<std::string, ServiceTier> service_tiers;
  // The table's per_unit prices (unit -> decimal text), kept when the
  // importer rewrites a table model; catalogues give none.
  std::map<std::string, std::string> per_unit;
};

struct JsonNode;

// A model as one catalogue gives it: `model.schedule` is in force until the
// first dated entry (genai-prices `start_date` constraints, ascending).
struct CatalogueModel {
  Model model;
  std::vector<std::pair<std::string, Schedule>> dated;  // (YYYY-MM-DD, prices from then on)
  const JsonNode* match = nullptr;                      // genai-prices match clause (contains/regex expansion), or null
  bool has_rules = false;                               // the clause has contains/regex/ends_with rules
};

// What one catalogue gives for one of our provider files.
struct CatalogueProvider {
  std::vector<CatalogueModel> models;  // catalogue order; names unique
  std::vector<std::string> messages;   // "model: what was not imported and why"
  std::vector<std::string> refused;    // models skipped for a refused price or name
};

}  // namespace lce::catalogue

// Fuzz target: the price-table loader (PriceBook::LoadDocuments) on one YAML
// document, then PriceBook::Price on what it loaded. A table that loads must:
//   - list its versions sorted and named after the document;
//   - collide with itself when loaded twice (one provider per name);
//   - price every model, alias and service tier it lists at each version's
//     effective_from, including at the largest token counts (prices are
//     capped at load so pricing cannot overflow: UBSan checks the int128
//     arithmetic), with total == token cost + priced units;
//   - turn "input" / "output" prices per 1M tokens into exact atto-USD per
//     token (checked on models without context tiers or multipliers).
// Refused documents must say why, naming the document. yaml-cpp's exceptions
// are the loader's to catch: one escaping is a crash here.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "llm_cost_exporter/money.h"
#include "llm_cost_exporter/pricing.h"

namespace {

using lce::Money;
using lce::PriceBook;
using lce::PriceOutcome;
using lce::TokenType;
using lce::UsageRecord;

constexpr std::size_t kMaxNamesChecked = 64;  // bounds the work per input

// node[key], or an undefined node when `node` is not a mapping (yaml-cpp
// throws on most calls on the node it returns then).
YAML::Node Child(const YAML::Node& node, const char* key) {
  if (!node || !node.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  return node[key];
}

std::vector<std::string> Keys(const YAML::Node& map) {
  std::vector<std::string> keys;
  if (!map || !map.IsMap()) return keys;
  for (const auto& entry : map) keys.push_back(entry.first.Scalar());
  return keys;
}

std::vector<std::string> Items(const YAML::Node& list) {
  std::vector<std::string> items;
  if (!list || !list.IsSequence()) return items;
  for (const auto& item : list) items.push_back(item.Scalar());
  return items;
}

// An LLM call of `model` at `at`, with token_usage and no tokens yet.
UsageRecord LlmCall(std::string_view vendor, std::string_view model, std::int64_t at) {
  UsageRecord r;
  r.event = "llm.call";
  r.vendor = vendor;
  r.model = model;
  r.timestamp_unix_ns = at;
  r.has_token_usage = true;
  return r;
}

// Prices one model name of a version under every tier and checks the result.
void CheckModel(const PriceBook& book, const std::vector<std::string>& vendors, std::int64_t at,
                const std::string& name, const YAML::Node& model, const std::vector<std::string>& version_tiers,
                const std::vector<std::string>& version_units) {
  std::vector<std::string> tiers = {"", "default", "standard"};
  for (const std::string& t : version_tiers) tiers.push_back(t);
  for (const std::string& t : Keys(Child(model, "service_tiers"))) tiers.push_back(t);
  std::vector<std::string> units = version_units;
  for (const std::string& u : Keys(Child(model, "per_unit"))) units.push_back(u);

  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  for (const std::string& vendor : vendors) {
    for (const std::string& tier : tiers) {
      for (std::uint64_t count : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{1'000'000}, kMax}) {
        UsageRecord r = LlmCall(vendor, name, at);
        r.service_tier = tier;
        r.tokens.count = {count, count, count / 2, count / 2, count};
        for (const std::string& unit : units) r.units.push_back({unit, count});
        const lce::PriceResult result = book.Price(r);
        LCE_FUZZ_CHECK(result.token_outcome == PriceOutcome::kPriced);
        LCE_FUZZ_CHECK(result.token_cost.atto() >= 0);
        LCE_FUZZ_CHECK(result.units.size() == units.size());
        Money total = result.token_cost;
        for (const lce::UnitCost& unit : result.units) {
          LCE_FUZZ_CHECK(unit.cost.atto() >= 0 && (unit.priced || unit.cost.is_zero()));
          if (unit.priced) total += unit.cost;
        }
        LCE_FUZZ_CHECK(total == result.total);
        // Units can only fail on a product beyond Money's range.
        LCE_FUZZ_CHECK(result.outcome == PriceOutcome::kPriced ||
                       (result.outcome == PriceOutcome::kUnknownUnit && count == kMax));
      }
    }
  }

  // One token at the base price is the price per 1M tokens, scaled by 1e12.
  if (Child(model, "tiers")) return;
  const YAML::Node prices = Child(model, "per_million_tokens");
  for (const auto& [key, type] : {std::pair{"input", TokenType::kInput}, std::pair{"output", TokenType::kOutput}}) {
    const lce::Result<lce::int128> per_token = lce::ParseFixedPoint(Child(prices, key).Scalar(), 12);
    LCE_FUZZ_CHECK(per_token.ok());
    UsageRecord r = LlmCall(vendors.front(), name, at);
    r.tokens[type] = 1;
    const lce::PriceResult result = book.Price(r);
    LCE_FUZZ_CHECK(result.token_outcome == PriceOutcome::kPriced && result.token_cost.atto() == *per_token);
  }
}

void CheckPricing(const PriceBook& book, const std::string& text) {
  const YAML::Node root = YAML::Load(text);
  const auto& tables = book.tables();
  std::vector<std::string> vendors = {tables.front().provider};
  for (const std::string& alias : Items(Child(root, "aliases"))) vendors.push_back(alias);

  // Before the first version nothing is in force.
  if (tables.front().effective_from_unix_ns > std::numeric_limits<std::int64_t>::min()) {
    const UsageRecord r = LlmCall(vendors.front(), "m", tables.front().effective_from_unix_ns - 1);
    LCE_FUZZ_CHECK(book.Price(r).token_outcome == PriceOutcome::kNoVersionInForce);
  }

  const YAML::Node versions = Child(root, "versions");
  LCE_FUZZ_CHECK(versions.size() == tables.size());
  std::size_t checked = 0;
  for (std::size_t i = 0; i < versions.size(); ++i) {
    const YAML::Node version = versions[i];
    const std::int64_t at = tables[i].effective_from_unix_ns;
    const std::vector<std::string> tiers = Keys(Child(version, "service_tiers"));
    const std::vector<std::string> units = Keys(Child(version, "per_unit"));
    const YAML::Node models = Child(version, "models");
    if (!models) continue;
    for (const auto& entry : models) {
      std::vector<std::string> names = {entry.first.Scalar()};
      for (const std::string& alias : Items(Child(entry.second, "aliases"))) names.push_back(alias);
      for (const std::string& name : names) {
        if (++checked > kMaxNamesChecked) return;
        CheckModel(book, vendors, at, name, entry.second, tiers, units);
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto book = PriceBook::LoadDocuments({{"fuzz.yaml", text}});
  if (!book.ok()) {
    const std::string& message = book.status().message();
    LCE_FUZZ_CHECK(message.rfind("fuzz.yaml", 0) == 0);
    return 0;
  }
  const auto& tables = (*book)->tables();
  LCE_FUZZ_CHECK(!tables.empty());
  for (std::size_t i = 0; i < tables.size(); ++i) {
    LCE_FUZZ_CHECK(tables[i].file == "fuzz.yaml" && tables[i].provider == tables.front().provider);
    LCE_FUZZ_CHECK(i == 0 || tables[i - 1].effective_from_unix_ns < tables[i].effective_from_unix_ns);
  }
  LCE_FUZZ_CHECK(!PriceBook::LoadDocuments({{"a.yaml", text}, {"b.yaml", text}}).ok());
  CheckPricing(**book, text);
  return 0;
}

// LiteLLM model_prices_and_context_window.json: per-token prices, long-context
// tiers as `_above_<N>k_tokens` keys, service tiers as `_batches`/`_flex`/
// `_priority` keys, no dates.
#include <algorithm>
#include <set>

#include "decimal.h"
#include "readers.h"

namespace lce::catalogue {
namespace {

constexpr int kPerTokenShift = 6;  // USD per token -> USD per 1M tokens

constexpr std::array<std::pair<std::string_view, Field>, 7> kLitellmFields = {{
    {"input_cost_per_token", Field::kInput},
    {"output_cost_per_token", Field::kOutput},
    {"cache_read_input_token_cost", Field::kCachedInput},
    {"input_cost_per_token_cache_hit", Field::kCachedInput},
    {"cache_creation_input_token_cost", Field::kCacheWrite},
    {"cache_creation_input_token_cost_above_1hr", Field::kCacheWrite1h},
    {"output_cost_per_reasoning_token", Field::kReasoning},
}};

constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kServiceSuffixes = {{
    {"_batches", "batch"},
    {"_flex", "flex"},
    {"_priority", "priority"},
}};

// A price key split into field, long-context threshold and service tier.
struct PriceKey {
  Field field = Field::kInput;
  std::uint64_t above = 0;   // 0: base price
  std::string service_tier;  // empty: standard
};

// "input_cost_per_token_above_200k_tokens_priority" -> {input, 200000, priority}.
std::optional<PriceKey> SplitKey(std::string_view key) {
  PriceKey out;
  for (const auto& [suffix, tier] : kServiceSuffixes) {
    if (key.ends_with(suffix)) {
      out.service_tier = tier;
      key.remove_suffix(suffix.size());
      break;
    }
  }
  if (key.ends_with("k_tokens")) {
    const std::size_t at = key.rfind("_above_");
    if (at == std::string_view::npos) return std::nullopt;
    const std::string_view digits = key.substr(at + 7, key.size() - at - 7 - 8);
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    out.above = std::stoull(std::string(digits)) * 1000;
    key = key.substr(0, at);
  }
  const auto known =
      std::find_if(kLitellmFields.begin(), kLitellmFields.end(), [&](const auto& f) { return f.first == key; });
  if (known == kLitellmFields.end()) return std::nullopt;
  out.field = known->second;
  return out;
}

// Prices of one (service tier, threshold) as the catalogue gives them.
using GivenPrices = std::map<std::pair<std::string, std::uint64_t>, Prices>;

// A schedule from the standard entries plus, for `service_tier`, its own
// entries over them (a component without its own entry keeps the standard
// price at the same threshold).
Schedule Build(const GivenPrices& given, const std::string& service_tier, const std::set<std::uint64_t>& thresholds) {
  const auto overlay = [&](Prices prices, const std::string& tier, std::uint64_t above) {
    const auto it = given.find({tier, above});
    if (it == given.end()) return prices;
    for (std::size_t i = 0; i < kFieldCount; ++i) {
      if (it->second.given[i]) prices.given[i] = it->second.given[i];
    }
    return prices;
  };
  Schedule schedule;
  schedule.base = overlay({}, "", 0);
  if (!service_tier.empty()) schedule.base = overlay(schedule.base, service_tier, 0);
  for (std::uint64_t above : thresholds) {
    Prices prices = overlay(overlay({}, "", 0), "", above);
    if (!service_tier.empty()) prices = overlay(prices, service_tier, above);
    schedule.tiers.push_back({above, prices});
  }
  return schedule;
}

// Writes every field given anywhere in the schedule into each tier.
void MakeTiersExplicit(Schedule& schedule) {
  std::array<bool, kFieldCount> used{};
  for (std::size_t i = 0; i < kFieldCount; ++i) used[i] = schedule.base.given[i].has_value();
  for (const Tier& t : schedule.tiers) {
    for (std::size_t i = 0; i < kFieldCount; ++i) used[i] = used[i] || t.prices.given[i].has_value();
  }
  for (Tier& t : schedule.tiers) {
    const Prices original = t.prices;
    for (std::size_t i = 0; i < kFieldCount; ++i) {
      if (used[i]) t.prices.given[i] = original.Effective(static_cast<Field>(i));
    }
  }
}

constexpr int128 kMicro = 1'000'000;

const Prices* StandardAt(const Schedule& standard, std::uint64_t above) {
  if (above == 0) return &standard.base;
  for (const Tier& t : standard.tiers) {
    if (t.above_input_tokens == above) return &t.prices;
  }
  return nullptr;
}

// The one multiplier (millionths) that turns the standard price of every
// field the catalogue gives for `tier` into that price, and scales every
// standard price to a whole number of attodollars per token; else none.
std::optional<int128> UniformRatio(const GivenPrices& given, const std::string& tier, const Schedule& standard) {
  std::optional<int128> ratio;
  for (const auto& [at, prices] : given) {
    if (at.first != tier) continue;
    const Prices* base = StandardAt(standard, at.second);
    if (base == nullptr) return std::nullopt;
    for (std::size_t i = 0; i < kFieldCount; ++i) {
      if (!prices.given[i]) continue;
      const int128 from = base->Effective(static_cast<Field>(i));
      const int128 to = *prices.given[i];
      if (!ratio) {
        if (from == 0 || (to * kMicro) % from != 0) return std::nullopt;
        ratio = to * kMicro / from;
      }
      if (from * *ratio != to * kMicro) return std::nullopt;
    }
  }
  if (!ratio) return std::nullopt;
  const auto exact = [&](const Prices& p) {
    for (std::size_t i = 0; i < kFieldCount; ++i) {
      if ((p.Effective(static_cast<Field>(i)) * *ratio) % kMicro != 0) return false;
    }
    return true;
  };
  if (!exact(standard.base)) return std::nullopt;
  for (const Tier& t : standard.tiers) {
    if (!exact(t.prices)) return std::nullopt;
  }
  return ratio;
}

bool IsTokenMode(const JsonNode& entry) {
  const JsonNode* mode = entry.Find("mode");
  if (mode == nullptr) return true;
  return mode->text == "chat" || mode->text == "completion" || mode->text == "responses";
}

// The entry's model prices, or why they are not imported.
Result<Model> ReadEntry(const std::string& name, const JsonNode& entry, std::set<std::string>& ignored) {
  GivenPrices given;
  std::set<std::uint64_t> thresholds;
  std::set<std::string> service_tiers;
  for (const auto& [key, value] : entry.members) {
    const std::optional<PriceKey> split = SplitKey(key);
    if (!split) {
      if (key.find("cost") != std::string::npos || key.find("uplift") != std::string::npos || key == "tiered_pricing") {
        ignored.insert(key);
      }
      continue;
    }
    if (!value.is_number()) return Status::InvalidArgument(key + " is not a number");
    Result<int128> price = ParsePrice(value.text, kPerTokenShift);
    if (!price.ok()) return price.status().WithContext(key);
    given[{split->service_tier, split->above}].at(split->field) = *price;
    if (split->above != 0) thresholds.insert(split->above);
    if (!split->service_tier.empty()) service_tiers.insert(split->service_tier);
  }
  const auto base = given.find({"", 0});
  if (base == given.end() || !base->second.at(Field::kInput) || !base->second.at(Field::kOutput)) {
    return Status::NotFound("not token priced");
  }
  Model model;
  model.name = name;
  model.schedule = Build(given, "", thresholds);
  MakeTiersExplicit(model.schedule);
  for (const std::string& tier : service_tiers) {
    ServiceTier service;
    service.multiplier_micro = UniformRatio(given, tier, model.schedule);
    if (!service.multiplier_micro) {
      service.absolute = Build(given, tier, thresholds);
      MakeTiersExplicit(service.absolute);
    }
    model.service_tiers.emplace(tier, std::move(service));
  }
  return model;
}

}  // namespace

CatalogueProvider ReadLitellm(const JsonNode& root, const ProviderMapping& mapping) {
  CatalogueProvider out;
  std::set<std::string> taken;
  std::size_t not_token = 0;
  for (const LitellmSource& source : mapping.litellm) {
    for (const auto& [key, entry] : root.members) {
      const JsonNode* provider = entry.Find("litellm_provider");
      if (provider == nullptr || provider->text != source.litellm_provider) continue;
      const std::string name = key.starts_with(source.strip) ? key.substr(source.strip.size()) : key;
      if (!IsTokenMode(entry)) {
        ++not_token;
        continue;
      }
      if (!source.nested_names && name.find('/') != std::string::npos) {
        out.messages.push_back(key + ": skipped: regional or deployment variant");
        continue;
      }
      if (!IsTableName(name)) {
        out.messages.push_back(key + ": refused: '" + name + "' is not a valid table name");
        out.refused.push_back(name);
        continue;
      }
      std::set<std::string> ignored;
      Result<Model> model = ReadEntry(name, entry, ignored);
      if (!model.ok()) {
        if (model.status().code() == Status::Code::kNotFound) {
          ++not_token;
        } else {
          out.messages.push_back(key + ": refused: " + model.status().message());
          out.refused.push_back(name);
        }
        continue;
      }
      if (!taken.insert(name).second) continue;  // an earlier source (e.g. gemini/ before vertex_ai/) wins
      std::string list;
      for (const std::string& k : ignored) list += (list.empty() ? "" : ", ") + k;
      if (!list.empty()) out.messages.push_back(key + ": not imported: " + list);
      CatalogueModel imported;
      imported.model = std::move(*model);
      out.models.push_back(std::move(imported));
    }
  }
  if (not_token != 0) {
    out.messages.push_back(std::to_string(not_token) +
                           " entries skipped: not token priced (image, audio, embedding...)");
  }
  return out;
}

}  // namespace lce::catalogue

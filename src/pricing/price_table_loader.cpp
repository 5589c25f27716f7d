#include "price_table_loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <initializer_list>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "yaml_document.h"

#include "effective_time.h"

namespace lce::pricing {
namespace {

constexpr int kPerMillionScale = 12;  // USD per 1M tokens -> atto-USD per token
constexpr int kPerUnitScale = Money::kScaleDigits;
constexpr int kMultiplierScale = 6;  // multipliers in millionths
constexpr int128 kMultiplierOne = 1'000'000;

// Names (providers, aliases, models, units, service tiers): 1..128 of
// [A-Za-z0-9_.:/-], which covers vendor model ids such as "gpt-4.1" or
// "gcp.vertex_ai".
bool IsName(std::string_view text) {
  if (text.empty() || text.size() > kMaxNameLength) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == ':' || c == '/' || c == '-';
  });
}

std::string Quote(std::string_view text) { return "'" + std::string(text) + "'"; }

// One key of a mapping with its value; `key_node` locates the key for messages.
struct Entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};

const Entry* Find(const std::vector<Entry>& entries, std::string_view key) {
  const auto it = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) { return e.key == key; });
  return it == entries.end() ? nullptr : &*it;
}

// A name with the node it came from (aliases, so collisions name their line).
struct NamedNode {
  std::string name;
  YAML::Node node;
};

// A service-tier multiplier as written, kept for error messages.
struct Multiplier {
  int128 micro = 0;  // multiplier * 1e6
  YAML::Node node;
  std::string path;
};
using Multipliers = std::map<std::string, Multiplier, std::less<>>;

// The YAML a version is built from (its own keys, or for `inherit: true` the
// previous version's with its own applied), in model order.
// Parts are shared, never assigned: assigning a YAML::Node writes through
// into the document it belongs to, which a later version reads again.
struct VersionSource {
  using Part = std::shared_ptr<const Entry>;
  Part service_tiers;
  Part per_unit;
  std::vector<Part> models;
  bool has_models = false;
};

// Model fields parsed before the version indexes the model.
struct ParsedModel {
  ModelPrices prices;
  std::vector<NamedNode> aliases;
  std::vector<NamedNode> prefixes;
};

class TableParser {
 public:
  explicit TableParser(const std::string& file) : file_(file) {}

  Result<ProviderTable> Parse(const std::string& text) const;

 private:
  Status Error(const YAML::Node& at, const std::string& path, const std::string& what) const;
  Result<std::vector<Entry>> Mapping(const YAML::Node& node, const std::string& path,
                                     std::initializer_list<std::string_view> allowed) const;
  Result<std::vector<Entry>> NameMapping(const YAML::Node& node, const std::string& path) const;
  Result<std::string> Scalar(const YAML::Node& node, const std::string& path) const;
  Result<std::string> Name(const YAML::Node& node, const std::string& path) const;
  Result<std::vector<NamedNode>> NameList(const YAML::Node& node, const std::string& path) const;
  Result<int128> NonNegative(const YAML::Node& node, const std::string& path, int scale) const;
  Result<Money> Price(const YAML::Node& node, const std::string& path, int scale, int128 max_atto) const;

  Result<TokenPrices> PriceSet(const YAML::Node& node, const std::string& path) const;
  Result<std::vector<ContextTier>> Tiers(const YAML::Node& node, const std::string& path) const;
  Result<StringMap<Money>> PerUnit(const YAML::Node& node, const std::string& path) const;
  Status ServiceTiers(const YAML::Node& node, const std::string& path, Multipliers& into,
                      StringMap<TokenSchedule>* absolute) const;
  Result<TokenSchedule> Schedule(const YAML::Node& node, const std::string& path) const;
  Result<TokenSchedule> ScheduleOf(const std::vector<Entry>& entries, const YAML::Node& node,
                                   const std::string& path) const;
  Result<Money> Scale(Money price, const std::string& tier, const Multiplier& m, const std::string& model,
                      const std::string& price_name) const;
  Result<TokenSchedule> ScaleSchedule(const TokenSchedule& standard, const std::string& tier, const Multiplier& m,
                                      const std::string& model) const;
  Result<ParsedModel> Model(const std::string& name, const YAML::Node& node, const std::string& path,
                            const Multipliers& version_tiers) const;
  Status AddModel(ParsedModel model, const YAML::Node& name_node, const std::string& path,
                  VersionPrices& version) const;
  Status Inherit(const std::vector<Entry>& entries, const std::string& path, const VersionSource* previous,
                 VersionSource& source) const;
  Result<VersionSource> Source(const std::vector<Entry>& entries, const YAML::Node& node, const std::string& path,
                               const VersionSource* previous) const;
  Result<VersionPrices> Version(const YAML::Node& node, const std::string& path, const VersionSource* previous,
                                VersionSource& source) const;
  Result<std::vector<VersionPrices>> Versions(const YAML::Node& node, const std::string& path) const;

  const std::string& file_;
};

Status TableParser::Error(const YAML::Node& at, const std::string& path, const std::string& what) const {
  const YAML::Mark mark = at.Mark();
  std::string message = file_;
  if (!mark.is_null()) message += ":" + std::to_string(mark.line + 1);
  message += ": ";
  if (!path.empty()) message += path + ": ";
  return Status::InvalidArgument(message + what);
}

Result<std::vector<Entry>> TableParser::Mapping(const YAML::Node& node, const std::string& path,
                                                std::initializer_list<std::string_view> allowed) const {
  if (!node.IsMap()) return Error(node, path, "expected a mapping");
  std::vector<Entry> entries;
  for (const auto& item : node) {
    if (!item.first.IsScalar()) return Error(item.first, path, "keys must be plain strings");
    Entry entry{item.first.Scalar(), item.first, item.second};
    const std::string key_path = path.empty() ? entry.key : path + "." + entry.key;
    if (allowed.size() != 0 && std::find(allowed.begin(), allowed.end(), entry.key) == allowed.end()) {
      std::string list;
      for (std::string_view key : allowed) list += (list.empty() ? "" : ", ") + std::string(key);
      return Error(item.first, key_path, "unknown key (allowed: " + list + ")");
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

// A mapping whose keys are names (models, units, service tiers).
Result<std::vector<Entry>> TableParser::NameMapping(const YAML::Node& node, const std::string& path) const {
  Result<std::vector<Entry>> entries = Mapping(node, path, {});
  if (!entries.ok()) return entries;
  for (const Entry& entry : *entries) {
    if (!IsName(entry.key)) {
      return Error(entry.key_node, path, Quote(entry.key) + " is not a valid name (1-128 of A-Z a-z 0-9 _ . : / -)");
    }
  }
  return entries;
}

Result<std::string> TableParser::Scalar(const YAML::Node& node, const std::string& path) const {
  if (!node.IsScalar()) return Error(node, path, "expected a single value");
  return node.Scalar();
}

Result<std::string> TableParser::Name(const YAML::Node& node, const std::string& path) const {
  Result<std::string> text = Scalar(node, path);
  if (text.ok() && !IsName(*text)) {
    return Error(node, path, Quote(*text) + " is not a valid name (1-128 of A-Z a-z 0-9 _ . : / -)");
  }
  return text;
}

Result<std::vector<NamedNode>> TableParser::NameList(const YAML::Node& node, const std::string& path) const {
  if (!node.IsSequence()) return Error(node, path, "expected a list of names");
  std::vector<NamedNode> names;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string item_path = path + "[" + std::to_string(i) + "]";
    Result<std::string> name = Name(node[i], item_path);
    if (!name.ok()) return name.status();
    names.push_back({std::move(*name), node[i]});
  }
  return names;
}

Result<int128> TableParser::NonNegative(const YAML::Node& node, const std::string& path, int scale) const {
  Result<std::string> text = Scalar(node, path);
  if (!text.ok()) return text.status();
  Result<int128> value = ParseFixedPoint(*text, scale);
  if (!value.ok()) return Error(node, path, value.status().message());
  if (*value < 0) return Error(node, path, Quote(*text) + " is negative");
  return value;
}

Result<Money> TableParser::Price(const YAML::Node& node, const std::string& path, int scale, int128 max_atto) const {
  Result<int128> atto = NonNegative(node, path, scale);
  if (!atto.ok()) return atto.status();
  if (*atto > max_atto) return Error(node, path, Quote(node.Scalar()) + " is above the largest supported price");
  return Money::FromAtto(*atto);
}

// {input, output, cached_input?, cache_write?, reasoning?, cache_write_1h?} in
// USD per 1M tokens. cached_input and cache_write default to input, reasoning
// to output, cache_write_1h to cache_write.
Result<TokenPrices> TableParser::PriceSet(const YAML::Node& node, const std::string& path) const {
  Result<std::vector<Entry>> entries =
      Mapping(node, path, {"input", "output", "cached_input", "cache_write", "reasoning", "cache_write_1h"});
  if (!entries.ok()) return entries.status();
  std::array<std::optional<Money>, kTokenTypeCount> given;
  for (const Entry& entry : *entries) {
    const auto type = static_cast<std::size_t>(std::find(kTokenTypeNames.begin(), kTokenTypeNames.end(), entry.key) -
                                               kTokenTypeNames.begin());
    Result<Money> price = Price(entry.value, path + "." + entry.key, kPerMillionScale, kMaxTokenPriceAtto);
    if (!price.ok()) return price.status();
    given[type] = *price;
  }
  const auto at = [](TokenType t) { return static_cast<std::size_t>(t); };
  if (!given[at(TokenType::kInput)] || !given[at(TokenType::kOutput)]) {
    return Error(node, path, "needs both input and output prices");
  }
  const Money input = *given[at(TokenType::kInput)];
  const Money output = *given[at(TokenType::kOutput)];
  TokenPrices prices;
  prices[at(TokenType::kInput)] = input;
  prices[at(TokenType::kOutput)] = output;
  prices[at(TokenType::kCachedInput)] = given[at(TokenType::kCachedInput)].value_or(input);
  prices[at(TokenType::kCacheWrite)] = given[at(TokenType::kCacheWrite)].value_or(input);
  prices[at(TokenType::kReasoning)] = given[at(TokenType::kReasoning)].value_or(output);
  prices[at(TokenType::kCacheWrite1h)] =
      given[at(TokenType::kCacheWrite1h)].value_or(prices[at(TokenType::kCacheWrite)]);
  return prices;
}

Result<std::vector<ContextTier>> TableParser::Tiers(const YAML::Node& node, const std::string& path) const {
  if (!node.IsSequence()) return Error(node, path, "expected a list of tiers");
  std::vector<ContextTier> tiers;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string tier_path = path + "[" + std::to_string(i) + "]";
    Result<std::vector<Entry>> entries = Mapping(node[i], tier_path, {"above_input_tokens", "per_million_tokens"});
    if (!entries.ok()) return entries.status();
    const Entry* threshold = Find(*entries, "above_input_tokens");
    const Entry* prices = Find(*entries, "per_million_tokens");
    if (threshold == nullptr || prices == nullptr) {
      return Error(node[i], tier_path, "a tier needs above_input_tokens and per_million_tokens");
    }
    const std::string threshold_path = tier_path + ".above_input_tokens";
    Result<int128> above = NonNegative(threshold->value, threshold_path, 0);
    if (!above.ok()) return above.status();
    if (*above > std::numeric_limits<std::uint64_t>::max()) return Error(threshold->value, threshold_path, "too large");
    // 0 names the base prices in the ledger's re-pricing detail (PriceResult::context_tier).
    if (*above == 0) return Error(threshold->value, threshold_path, "must be above 0 (the base prices apply below it)");
    if (!tiers.empty() && static_cast<std::uint64_t>(*above) <= tiers.back().above_input_tokens) {
      return Error(threshold->value, threshold_path, "tier thresholds must be strictly ascending");
    }
    Result<TokenPrices> set = PriceSet(prices->value, tier_path + ".per_million_tokens");
    if (!set.ok()) return set.status();
    tiers.push_back({static_cast<std::uint64_t>(*above), *set});
  }
  return tiers;
}

// {unit: USD per unit}.
Result<StringMap<Money>> TableParser::PerUnit(const YAML::Node& node, const std::string& path) const {
  Result<std::vector<Entry>> entries = NameMapping(node, path);
  if (!entries.ok()) return entries.status();
  StringMap<Money> prices;
  for (const Entry& entry : *entries) {
    Result<Money> price = Price(entry.value, path + "." + entry.key, kPerUnitScale, kMaxUnitPriceAtto);
    if (!price.ok()) return price.status();
    prices.emplace(entry.key, *price);
  }
  return prices;
}

// {tier: multiplier}, merged into `into` (keys given here win). With
// `absolute` (a model's map), a tier may instead give its own prices,
// {per_million_tokens, tiers?}; those go to `absolute` and replace any
// multiplier of the same tier.
Status TableParser::ServiceTiers(const YAML::Node& node, const std::string& path, Multipliers& into,
                                 StringMap<TokenSchedule>* absolute) const {
  Result<std::vector<Entry>> entries = NameMapping(node, path);
  if (!entries.ok()) return entries.status();
  for (const Entry& entry : *entries) {
    const std::string tier_path = path + "." + entry.key;
    if (IsStandardServiceTier(entry.key)) {
      return Error(entry.key_node, tier_path, "is always the base price and cannot have a multiplier");
    }
    if (entry.value.IsMap()) {
      if (absolute == nullptr) {
        return Error(entry.value, tier_path, "a version's service tiers are multipliers (give prices per model)");
      }
      Result<TokenSchedule> schedule = Schedule(entry.value, tier_path);
      if (!schedule.ok()) return schedule.status();
      into.erase(entry.key);
      (*absolute)[entry.key] = std::move(*schedule);
      continue;
    }
    if (absolute != nullptr) absolute->erase(entry.key);
    Result<int128> micro = NonNegative(entry.value, tier_path, kMultiplierScale);
    if (!micro.ok()) return micro.status();
    into[entry.key] = Multiplier{*micro, entry.value, tier_path};
  }
  return Status::Ok();
}

// price * multiplier, which must be a whole number of attodollars per token.
Result<Money> TableParser::Scale(Money price, const std::string& tier, const Multiplier& m, const std::string& model,
                                 const std::string& price_name) const {
  int128 product = 0;
  const bool overflow = __builtin_mul_overflow(price.atto(), m.micro, &product);
  const std::string what = "multiplier " + FormatFixedPoint(m.micro, kMultiplierScale) + " of service tier " +
                           Quote(tier) + " on model " + Quote(model) + " times " + price_name + " " +
                           FormatFixedPoint(price.atto(), kPerMillionScale) + " USD per 1M tokens";
  if (overflow || product / kMultiplierOne > kMaxTokenPriceAtto) {
    return Error(m.node, m.path, what + " is above the largest supported price");
  }
  if (product % kMultiplierOne != 0) {
    return Error(m.node, m.path, what + " is not exact (not a whole number of attodollars per token)");
  }
  return Money::FromAtto(product / kMultiplierOne);
}

Result<TokenSchedule> TableParser::ScaleSchedule(const TokenSchedule& standard, const std::string& tier,
                                                 const Multiplier& m, const std::string& model) const {
  TokenSchedule scaled = standard;
  const auto scale_set = [&](TokenPrices& prices, const std::string& prefix) -> Status {
    for (std::size_t t = 0; t < kTokenTypeCount; ++t) {
      Result<Money> price = Scale(prices[t], tier, m, model, prefix + std::string(kTokenTypeNames[t]));
      if (!price.ok()) return price.status();
      prices[t] = *price;
    }
    return Status::Ok();
  };
  if (Status s = scale_set(scaled.base, "per_million_tokens."); !s.ok()) return s;
  for (std::size_t i = 0; i < scaled.tiers.size(); ++i) {
    const std::string prefix = "tiers[" + std::to_string(i) + "].per_million_tokens.";
    if (Status s = scale_set(scaled.tiers[i].prices, prefix); !s.ok()) return s;
  }
  return scaled;
}

// {per_million_tokens, tiers?}: the prices of a model, or of one of its
// service tiers given as absolute prices.
Result<TokenSchedule> TableParser::Schedule(const YAML::Node& node, const std::string& path) const {
  Result<std::vector<Entry>> entries = Mapping(node, path, {"per_million_tokens", "tiers"});
  if (!entries.ok()) return entries.status();
  return ScheduleOf(*entries, node, path);
}

Result<TokenSchedule> TableParser::ScheduleOf(const std::vector<Entry>& entries, const YAML::Node& node,
                                              const std::string& path) const {
  const Entry* prices = Find(entries, "per_million_tokens");
  if (prices == nullptr) return Error(node, path, "a service tier with its own prices needs per_million_tokens");
  TokenSchedule schedule;
  Result<TokenPrices> base = PriceSet(prices->value, path + ".per_million_tokens");
  if (!base.ok()) return base.status();
  schedule.base = *base;
  if (const Entry* tiers = Find(entries, "tiers")) {
    Result<std::vector<ContextTier>> parsed = Tiers(tiers->value, path + ".tiers");
    if (!parsed.ok()) return parsed.status();
    schedule.tiers = std::move(*parsed);
  }
  return schedule;
}

Result<ParsedModel> TableParser::Model(const std::string& name, const YAML::Node& node, const std::string& path,
                                       const Multipliers& version_tiers) const {
  Result<std::vector<Entry>> entries =
      Mapping(node, path, {"aliases", "prefixes", "per_million_tokens", "tiers", "service_tiers", "per_unit"});
  if (!entries.ok()) return entries.status();
  ParsedModel model;
  model.prices.name = name;
  if (Find(*entries, "per_million_tokens") == nullptr) return Error(node, path, "a model needs per_million_tokens");
  Result<TokenSchedule> standard = ScheduleOf(*entries, node, path);
  if (!standard.ok()) return standard.status();
  model.prices.standard = std::move(*standard);
  Multipliers merged = version_tiers;
  if (const Entry* tiers = Find(*entries, "service_tiers")) {
    if (Status s = ServiceTiers(tiers->value, path + ".service_tiers", merged, &model.prices.service_tiers); !s.ok()) {
      return s;
    }
  }
  for (const auto& [tier, multiplier] : merged) {
    Result<TokenSchedule> scaled = ScaleSchedule(model.prices.standard, tier, multiplier, name);
    if (!scaled.ok()) return scaled.status();
    model.prices.service_tiers.emplace(tier, std::move(*scaled));
  }
  if (const Entry* units = Find(*entries, "per_unit")) {
    Result<StringMap<Money>> parsed = PerUnit(units->value, path + ".per_unit");
    if (!parsed.ok()) return parsed.status();
    model.prices.per_unit = std::move(*parsed);
  }
  if (const Entry* aliases = Find(*entries, "aliases")) {
    Result<std::vector<NamedNode>> parsed = NameList(aliases->value, path + ".aliases");
    if (!parsed.ok()) return parsed.status();
    model.aliases = std::move(*parsed);
  }
  if (const Entry* prefixes = Find(*entries, "prefixes")) {
    Result<std::vector<NamedNode>> parsed = NameList(prefixes->value, path + ".prefixes");
    if (!parsed.ok()) return parsed.status();
    model.prefixes = std::move(*parsed);
  }
  return model;
}

// Indexes the model under its name and aliases; each may name one model only.
Status TableParser::AddModel(ParsedModel model, const YAML::Node& name_node, const std::string& path,
                             VersionPrices& version) const {
  const std::size_t index = version.models.size();
  // Built by appending only: shifting elements would assign YAML::Nodes, and
  // assigning a YAML::Node writes through into the document (an inheriting
  // version re-reads these nodes).
  std::vector<NamedNode> names;
  names.reserve(model.aliases.size() + 1);
  names.push_back(NamedNode{model.prices.name, name_node});
  for (NamedNode& alias : model.aliases) names.push_back(std::move(alias));
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto [holder, inserted] = version.model_index.Insert(names[i].name, index);
    if (!inserted) {
      const std::string at = i == 0 ? path : path + ".aliases[" + std::to_string(i - 1) + "]";
      const std::string& owner = holder == index ? model.prices.name : version.models[holder].name;
      return Error(names[i].node, at,
                   Quote(names[i].name) + " already names model " + Quote(owner) + " in this version");
    }
  }
  for (const NamedNode& name : names) version.folded_index.Insert(LowerCase(name.name), index);
  for (std::size_t i = 0; i < model.prefixes.size(); ++i) {
    std::string prefix = LowerCase(model.prefixes[i].name);
    const auto taken = std::find_if(version.prefixes.begin(), version.prefixes.end(),
                                    [&](const ModelPrefix& rule) { return rule.prefix == prefix; });
    if (taken != version.prefixes.end()) {
      return Error(model.prefixes[i].node, path + ".prefixes[" + std::to_string(i) + "]",
                   "prefix " + Quote(model.prefixes[i].name) + " is already a prefix of model " +
                       Quote(version.models[taken->model].name) + " in this version");
    }
    version.prefixes.push_back({std::move(prefix), index});
  }
  version.models.push_back(std::move(model.prices));
  return Status::Ok();
}

// Parses `inherit` (a boolean) and, when true, `remove`: the version then
// starts from `previous` (nullptr for the first version).
Status TableParser::Inherit(const std::vector<Entry>& entries, const std::string& path, const VersionSource* previous,
                            VersionSource& source) const {
  const Entry* inherit = Find(entries, "inherit");
  const Entry* remove = Find(entries, "remove");
  bool inherits = false;
  if (inherit != nullptr) {
    Result<std::string> text = Scalar(inherit->value, path + ".inherit");
    if (!text.ok()) return text.status();
    if (*text != "true" && *text != "false") return Error(inherit->value, path + ".inherit", "expected true or false");
    inherits = *text == "true";
  }
  if (!inherits) {
    if (remove != nullptr)
      return Error(remove->key_node, path + ".remove", "only a version with inherit: true removes");
    return Status::Ok();
  }
  if (previous == nullptr) return Error(inherit->value, path + ".inherit", "the first version has nothing to inherit");
  source = *previous;
  if (remove == nullptr) return Status::Ok();
  Result<std::vector<NamedNode>> names = NameList(remove->value, path + ".remove");
  if (!names.ok()) return names.status();
  for (std::size_t i = 0; i < names->size(); ++i) {
    const NamedNode& name = (*names)[i];
    const auto it = std::find_if(source.models.begin(), source.models.end(),
                                 [&](const VersionSource::Part& model) { return model->key == name.name; });
    if (it == source.models.end()) {
      return Error(name.node, path + ".remove[" + std::to_string(i) + "]",
                   Quote(name.name) + " is not a model of the previous version");
    }
    source.models.erase(it);
  }
  return Status::Ok();
}

// What a version is made of, as YAML nodes: its own, or for `inherit: true`
// the previous version's with this version's changes applied.
Result<VersionSource> TableParser::Source(const std::vector<Entry>& entries, const YAML::Node& node,
                                          const std::string& path, const VersionSource* previous) const {
  VersionSource source;
  if (Status s = Inherit(entries, path, previous, source); !s.ok()) return s;
  if (const Entry* tiers = Find(entries, "service_tiers")) source.service_tiers = std::make_shared<const Entry>(*tiers);
  if (const Entry* units = Find(entries, "per_unit")) source.per_unit = std::make_shared<const Entry>(*units);
  if (const Entry* models = Find(entries, "models")) {
    source.has_models = true;
    Result<std::vector<Entry>> own = NameMapping(models->value, path + ".models");
    if (!own.ok()) return own.status();
    for (const Entry& model : *own) {
      auto part = std::make_shared<const Entry>(model);
      const auto it = std::find_if(source.models.begin(), source.models.end(),
                                   [&](const VersionSource::Part& inherited) { return inherited->key == model.key; });
      if (it != source.models.end()) {
        *it = std::move(part);
      } else {
        source.models.push_back(std::move(part));
      }
    }
  }
  if (!source.has_models && !source.per_unit) return Error(node, path, "a version needs models or per_unit");
  return source;
}

Result<VersionPrices> TableParser::Version(const YAML::Node& node, const std::string& path,
                                           const VersionSource* previous, VersionSource& source) const {
  Result<std::vector<Entry>> entries =
      Mapping(node, path, {"effective_from", "inherit", "remove", "service_tiers", "per_unit", "models"});
  if (!entries.ok()) return entries.status();
  VersionPrices version;
  const Entry* effective = Find(*entries, "effective_from");
  if (effective == nullptr) return Error(node, path, "a version needs effective_from");
  Result<std::string> text = Scalar(effective->value, path + ".effective_from");
  if (!text.ok()) return text.status();
  Result<std::int64_t> unix_ns = ParseEffectiveFrom(*text);
  if (!unix_ns.ok()) return Error(effective->value, path + ".effective_from", unix_ns.status().message());
  version.effective_from = *text;
  version.effective_from_unix_ns = *unix_ns;

  Result<VersionSource> parts = Source(*entries, node, path, previous);
  if (!parts.ok()) return parts.status();
  source = std::move(*parts);
  Multipliers tiers;
  if (source.service_tiers) {
    if (Status s = ServiceTiers(source.service_tiers->value, path + ".service_tiers", tiers, nullptr); !s.ok()) {
      return s;
    }
  }
  if (source.per_unit) {
    Result<StringMap<Money>> parsed = PerUnit(source.per_unit->value, path + ".per_unit");
    if (!parsed.ok()) return parsed.status();
    version.per_unit = std::move(*parsed);
  }
  for (const VersionSource::Part& entry : source.models) {
    const std::string model_path = path + ".models[" + entry->key + "]";
    Result<ParsedModel> model = Model(entry->key, entry->value, model_path, tiers);
    if (!model.ok()) return model.status();
    if (Status s = AddModel(std::move(*model), entry->key_node, model_path, version); !s.ok()) return s;
  }
  // Longest prefix first, so the first match is the most specific rule.
  std::stable_sort(version.prefixes.begin(), version.prefixes.end(),
                   [](const ModelPrefix& a, const ModelPrefix& b) { return a.prefix.size() > b.prefix.size(); });
  return version;
}

Result<std::vector<VersionPrices>> TableParser::Versions(const YAML::Node& node, const std::string& path) const {
  if (!node.IsSequence() || node.size() == 0) return Error(node, path, "expected a non-empty list of versions");
  std::vector<VersionPrices> versions;
  VersionSource previous;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string version_path = path + "[" + std::to_string(i) + "]";
    VersionSource source;
    Result<VersionPrices> version = Version(node[i], version_path, i == 0 ? nullptr : &previous, source);
    if (!version.ok()) return version.status();
    if (!versions.empty() && version->effective_from_unix_ns <= versions.back().effective_from_unix_ns) {
      return Error(node[i], version_path + ".effective_from",
                   Quote(version->effective_from) + " is not after the previous version's " +
                       Quote(versions.back().effective_from) + " (versions must be strictly ascending)");
    }
    versions.push_back(std::move(*version));
    previous = std::move(source);
  }
  return versions;
}

Result<ProviderTable> TableParser::Parse(const std::string& text) const {
  Result<YAML::Node> loaded = yaml::LoadYamlDocument(text, file_, yaml::Empty::kRefused);
  if (!loaded.ok()) return loaded.status();
  const YAML::Node& root = *loaded;
  Result<std::vector<Entry>> entries =
      Mapping(root, "", {"provider", "currency", "aliases", "matches_vendorless_records", "versions"});
  if (!entries.ok()) return entries.status();
  const Entry* provider = Find(*entries, "provider");
  const Entry* currency = Find(*entries, "currency");
  const Entry* versions = Find(*entries, "versions");
  if (provider == nullptr || currency == nullptr || versions == nullptr) {
    return Error(root, "", "provider, currency and versions are required");
  }
  ProviderTable table;
  table.file = file_;
  Result<std::string> name = Name(provider->value, "provider");
  if (!name.ok()) return name.status();
  table.name = std::move(*name);
  Result<std::string> code = Scalar(currency->value, "currency");
  if (!code.ok()) return code.status();
  if (*code != "USD") return Error(currency->value, "currency", Quote(*code) + " is not supported (only USD)");
  if (const Entry* aliases = Find(*entries, "aliases")) {
    Result<std::vector<NamedNode>> parsed = NameList(aliases->value, "aliases");
    if (!parsed.ok()) return parsed.status();
    for (NamedNode& alias : *parsed) table.aliases.push_back(std::move(alias.name));
  }
  if (const Entry* vendorless = Find(*entries, "matches_vendorless_records")) {
    Result<std::string> flag = Scalar(vendorless->value, "matches_vendorless_records");
    if (!flag.ok()) return flag.status();
    if (*flag != "true" && *flag != "false") {
      return Error(vendorless->value, "matches_vendorless_records", "expected true or false");
    }
    table.matches_vendorless_records = *flag == "true";
  }
  Result<std::vector<VersionPrices>> parsed = Versions(versions->value, "versions");
  if (!parsed.ok()) return parsed.status();
  table.versions = std::move(*parsed);
  return table;
}

}  // namespace

Result<ProviderTable> ParsePriceTable(const std::string& file, const std::string& yaml_text) {
  try {
    return TableParser(file).Parse(yaml_text);
  } catch (const YAML::Exception& e) {
    const std::string line = e.mark.is_null() ? "" : ":" + std::to_string(e.mark.line + 1);
    return Status::InvalidArgument(file + line + ": invalid YAML: " + e.msg);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(file + ": " + e.what());
  }
}

}  // namespace lce::pricing

// genai-prices data.json: per-1M prices, {base, tiers} values, dated lists.
#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

#include "decimal.h"
#include "readers.h"

namespace lce::catalogue {
namespace {

constexpr std::array<std::pair<std::string_view, Field>, kFieldCount> kGenaiFields = {{
    {"input_mtok", Field::kInput},
    {"output_mtok", Field::kOutput},
    {"cache_read_mtok", Field::kCachedInput},
    {"cache_write_mtok", Field::kCacheWrite},
    {"cache_write_1h_mtok", Field::kCacheWrite1h},
    {"output_reasoning_mtok", Field::kReasoning},
}};

// One field's base price and its tiers (start -> price), ascending.
struct FieldPrices {
  int128 base = 0;
  std::vector<std::pair<std::uint64_t, int128>> tiers;
};

Result<std::uint64_t> WholeNumber(const JsonNode& node) {
  if (!node.is_number() || node.text.empty() ||
      !std::all_of(node.text.begin(), node.text.end(), [](unsigned char c) { return std::isdigit(c) != 0; })) {
    return Status::InvalidArgument("tier start '" + node.text + "' is not a whole number");
  }
  return static_cast<std::uint64_t>(std::stoull(node.text));
}

Result<FieldPrices> ReadField(const JsonNode& value, std::string_view key) {
  const std::string where = std::string(key) + " ";
  FieldPrices out;
  if (value.is_number()) {
    Result<int128> price = ParsePrice(value.text, 0);
    if (!price.ok()) return price.status().WithContext(std::string(key));
    out.base = *price;
    return out;
  }
  const JsonNode* base = value.Find("base");
  const JsonNode* tiers = value.Find("tiers");
  if (base == nullptr || !base->is_number() || tiers == nullptr || !tiers->is_array()) {
    return Status::InvalidArgument(where + "is neither a number nor {base, tiers}");
  }
  Result<int128> base_price = ParsePrice(base->text, 0);
  if (!base_price.ok()) return base_price.status().WithContext(std::string(key));
  out.base = *base_price;
  for (const JsonNode& tier : tiers->items) {
    const JsonNode* start = tier.Find("start");
    const JsonNode* price = tier.Find("price");
    if (start == nullptr || price == nullptr || !price->is_number()) {
      return Status::InvalidArgument(where + "has a tier without start and price");
    }
    Result<std::uint64_t> above = WholeNumber(*start);
    if (!above.ok()) return above.status().WithContext(std::string(key));
    Result<int128> tier_price = ParsePrice(price->text, 0);
    if (!tier_price.ok()) return tier_price.status().WithContext(std::string(key));
    out.tiers.emplace_back(*above, *tier_price);
  }
  std::sort(out.tiers.begin(), out.tiers.end());
  return out;
}

// The price of a field for requests above `start` input tokens.
int128 PriceAbove(const FieldPrices& field, std::uint64_t start) {
  int128 price = field.base;
  for (const auto& [tier_start, tier_price] : field.tiers) {
    if (tier_start <= start) price = tier_price;
  }
  return price;
}

// A ModelPrice object -> our schedule; other units are listed in `ignored`.
Result<Schedule> ReadPrices(const JsonNode& prices, std::set<std::string>& ignored) {
  if (!prices.is_object()) return Status::InvalidArgument("prices is not an object");
  std::array<std::optional<FieldPrices>, kFieldCount> fields;
  std::set<std::uint64_t> starts;
  for (const auto& [key, value] : prices.members) {
    const auto known =
        std::find_if(kGenaiFields.begin(), kGenaiFields.end(), [&](const auto& f) { return f.first == key; });
    if (known == kGenaiFields.end()) {
      ignored.insert(key);
      continue;
    }
    Result<FieldPrices> field = ReadField(value, key);
    if (!field.ok()) return field.status();
    for (const auto& tier : field->tiers) starts.insert(tier.first);
    fields[static_cast<std::size_t>(known->second)] = std::move(*field);
  }
  if (!fields[0] || !fields[1]) return Status::NotFound("not token priced (no input_mtok and output_mtok)");
  Schedule schedule;
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    if (fields[i]) schedule.base.given[i] = fields[i]->base;
  }
  for (std::uint64_t start : starts) {
    Tier tier{start, {}};
    for (std::size_t i = 0; i < kFieldCount; ++i) {
      if (fields[i]) tier.prices.given[i] = PriceAbove(*fields[i], start);
    }
    schedule.tiers.push_back(tier);
  }
  return schedule;
}

// equals -> names, starts_with -> prefixes, anything else -> rules.
void CollectNames(const JsonNode& clause, Model& model, bool& has_rules) {
  if (const JsonNode* any = clause.Find("or"); any != nullptr && any->is_array()) {
    for (const JsonNode& item : any->items) CollectNames(item, model, has_rules);
    return;
  }
  if (const JsonNode* equals = clause.Find("equals"); equals != nullptr && equals->is_string()) {
    model.aliases.push_back(equals->text);
  } else if (const JsonNode* starts = clause.Find("starts_with"); starts != nullptr && starts->is_string()) {
    model.prefixes.push_back(starts->text);
  } else {
    has_rules = true;
  }
}

std::string Join(const std::set<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// The genai-prices model `node` as our model, or why it is not imported.
Result<CatalogueModel> ReadModel(const JsonNode& node, std::vector<std::string>& messages) {
  const JsonNode* id = node.Find("id");
  const JsonNode* prices = node.Find("prices");
  if (id == nullptr || !id->is_string() || prices == nullptr) return Status::InvalidArgument("model without id/prices");
  CatalogueModel out;
  out.model.name = id->text;
  if (!IsTableName(id->text)) return Status::InvalidArgument("'" + id->text + "' is not a valid table name");
  if (const JsonNode* match = node.Find("match")) {
    out.match = match;
    CollectNames(*match, out.model, out.has_rules);
  }
  std::set<std::string> ignored;
  std::vector<const JsonNode*> entries;
  if (prices->is_array()) {
    for (const JsonNode& e : prices->items) entries.push_back(&e);
  } else {
    entries.push_back(prices);
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const bool conditional = prices->is_array();
    const JsonNode* set = conditional ? entries[i]->Find("prices") : entries[i];
    const JsonNode* constraint = conditional ? entries[i]->Find("constraint") : nullptr;
    if (set == nullptr) return Status::InvalidArgument("a price entry without prices");
    if (constraint != nullptr && constraint->Find("start_date") == nullptr) {
      return Status::InvalidArgument("time-of-day prices (start_time/end_time) cannot be expressed in our tables");
    }
    Result<Schedule> schedule = ReadPrices(*set, ignored);
    if (!schedule.ok()) return schedule.status();
    if (i == 0) {
      out.model.schedule = std::move(*schedule);
    } else if (constraint != nullptr) {
      out.dated.emplace_back(constraint->Find("start_date")->text, std::move(*schedule));
    }
  }
  std::stable_sort(out.dated.begin(), out.dated.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  if (!ignored.empty()) messages.push_back(out.model.name + ": not imported: " + Join(ignored));
  return out;
}

// Drops aliases that repeat the name, are no valid table names or belong to
// an earlier model (the first model in list order wins a name).
void KeepFreeNames(Model& model, std::set<std::string>& taken, std::vector<std::string>& messages) {
  std::vector<std::string> kept;
  for (std::string& alias : model.aliases) {
    if (Lowercase(alias) == Lowercase(model.name)) continue;
    if (!IsTableName(alias)) {
      messages.push_back(model.name + ": alias '" + alias + "' not imported: not a valid table name");
    } else if (taken.insert(Lowercase(alias)).second) {
      kept.push_back(std::move(alias));
    }
  }
  model.aliases = std::move(kept);
}

bool SkippedByMapping(const std::string& id, const ProviderMapping& mapping) {
  const std::string lower = Lowercase(id);
  return std::any_of(mapping.genai_skip_prefixes.begin(), mapping.genai_skip_prefixes.end(),
                     [&](std::string_view prefix) { return lower.starts_with(prefix); });
}

}  // namespace

std::string Lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsTableName(std::string_view text) {
  if (text.empty() || text.size() > 128) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == ':' || c == '/' || c == '-';
  });
}

bool ClauseMatches(const JsonNode& clause, std::string_view name) {
  const std::string lower = Lowercase(name);
  const auto text = [&](std::string_view key) -> const JsonNode* {
    const JsonNode* v = clause.Find(key);
    return v != nullptr && v->is_string() ? v : nullptr;
  };
  if (const JsonNode* any = clause.Find("or"); any != nullptr && any->is_array()) {
    return std::any_of(any->items.begin(), any->items.end(), [&](const JsonNode& c) { return ClauseMatches(c, name); });
  }
  if (const JsonNode* all = clause.Find("and"); all != nullptr && all->is_array()) {
    return std::all_of(all->items.begin(), all->items.end(), [&](const JsonNode& c) { return ClauseMatches(c, name); });
  }
  if (const JsonNode* v = text("equals")) return lower == Lowercase(v->text);
  if (const JsonNode* v = text("starts_with")) return lower.starts_with(Lowercase(v->text));
  if (const JsonNode* v = text("ends_with")) return lower.ends_with(Lowercase(v->text));
  if (const JsonNode* v = text("contains")) return lower.find(Lowercase(v->text)) != std::string::npos;
  if (const JsonNode* v = text("regex")) {
    try {
      return std::regex_search(lower, std::regex(v->text));
    } catch (const std::regex_error&) {
      return false;
    }
  }
  return false;
}

CatalogueProvider ReadGenaiPrices(const JsonNode& root, const ProviderMapping& mapping) {
  CatalogueProvider out;
  const JsonNode* provider = nullptr;
  for (const JsonNode& p : root.items) {
    const JsonNode* id = p.Find("id");
    if (id != nullptr && id->text == mapping.genai_id) provider = &p;
  }
  const JsonNode* models = provider == nullptr ? nullptr : provider->Find("models");
  if (models == nullptr) return out;
  std::set<std::string> taken;
  for (const JsonNode& node : models->items) {
    Result<CatalogueModel> model = ReadModel(node, out.messages);
    const JsonNode* id = node.Find("id");
    const std::string name = id != nullptr ? id->text : "?";
    if (SkippedByMapping(name, mapping)) {
      out.messages.push_back(name + ": skipped: not served by this provider (another table takes it)");
      continue;
    }
    if (!model.ok() && model.status().code() == Status::Code::kNotFound) {
      out.messages.push_back(name + ": skipped: " + model.status().message());
      continue;
    }
    if (!model.ok()) {
      out.messages.push_back(name + ": refused: " + model.status().message());
      out.refused.push_back(name);
      continue;
    }
    if (!taken.insert(Lowercase(model->model.name)).second) {
      out.messages.push_back(name + ": skipped: an earlier model already has this name");
      continue;
    }
    KeepFreeNames(model->model, taken, out.messages);
    out.models.push_back(std::move(*model));
  }
  return out;
}

}  // namespace lce::catalogue

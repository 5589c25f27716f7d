#include "writer.h"

#include <algorithm>

#include "decimal.h"

namespace lce::catalogue {
namespace {

bool NeedsQuotes(const std::string& name) {
  static const std::vector<std::string> kWords = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"};
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (std::find(kWords.begin(), kWords.end(), lower) != kWords.end()) return true;
  if (name.empty() || (name[0] >= '0' && name[0] <= '9') || name[0] == '-' || name[0] == '.') return true;
  return name.find(':') != std::string::npos;
}

std::string NameList(const std::vector<std::string>& names) {
  std::string out = "[";
  for (std::size_t i = 0; i < names.size(); ++i) out += (i == 0 ? "" : ", ") + YamlName(names[i]);
  return out + "]";
}

// {input: 2.5, output: 10, ...}: the given fields, in table order.
std::string PriceMap(const Prices& prices) {
  std::string out = "{";
  bool first = true;
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    if (!prices.given[i]) continue;
    out += (first ? "" : ", ") + std::string(kFieldNames[i]) + ": " + FormatPrice(*prices.given[i]);
    first = false;
  }
  return out + "}";
}

// per_million_tokens and tiers of `schedule`, each line prefixed by `indent`.
std::string ScheduleText(const Schedule& schedule, const std::string& indent) {
  std::string out = indent + "per_million_tokens: " + PriceMap(schedule.base) + "\n";
  if (schedule.tiers.empty()) return out;
  out += indent + "tiers:\n";
  for (const Tier& tier : schedule.tiers) {
    out += indent + "  - above_input_tokens: " + std::to_string(tier.above_input_tokens) + "\n";
    out += indent + "    per_million_tokens: " + PriceMap(tier.prices) + "\n";
  }
  return out;
}

std::string ModelText(const Model& model) {
  const std::string indent = "        ";
  std::string out = "      " + YamlName(model.name) + ":\n";
  if (!model.aliases.empty()) out += indent + "aliases: " + NameList(model.aliases) + "\n";
  if (!model.prefixes.empty()) out += indent + "prefixes: " + NameList(model.prefixes) + "\n";
  out += ScheduleText(model.schedule, indent);
  if (!model.service_tiers.empty()) {
    out += indent + "service_tiers:\n";
    for (const auto& [tier, service] : model.service_tiers) {
      if (service.multiplier_micro) {
        out += indent + "  " + YamlName(tier) + ": " + FormatFixedPoint(*service.multiplier_micro, 6) + "\n";
      } else {
        out += indent + "  " + YamlName(tier) + ":\n" + ScheduleText(service.absolute, indent + "    ");
      }
    }
  }
  if (!model.per_unit.empty()) {
    out += indent + "per_unit: {";
    bool first = true;
    for (const auto& [unit, price] : model.per_unit) {
      out += (first ? "" : ", ") + YamlName(unit) + ": " + price;
      first = false;
    }
    out += "}\n";
  }
  return out;
}

}  // namespace

std::string YamlName(const std::string& name) { return NeedsQuotes(name) ? "\"" + name + "\"" : name; }

std::string TableHeader(const std::string& provider, const std::string& comment) {
  return comment + "provider: " + YamlName(provider) + "\ncurrency: USD\nversions:\n";
}

std::string VersionText(const std::string& date, bool first, const std::vector<Model>& models,
                        const std::string& comment) {
  std::string out = comment.empty() ? "" : "  " + comment + "\n";
  out += "  - effective_from: " + date + "\n";
  if (!first) out += "    inherit: true\n";
  out += "    models:\n";
  for (const Model& model : models) out += ModelText(model);
  return out;
}

}  // namespace lce::catalogue

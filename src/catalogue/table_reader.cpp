#include "table_reader.h"

#include "decimal.h"
#include "yaml_document.h"

namespace lce::catalogue {
namespace {

constexpr int kMultiplierScale = 6;

Result<int128> Number(const YAML::Node& node, int scale, const std::string& path) {
  if (!node.IsScalar()) return Status::InvalidArgument(path + ": expected a number");
  Result<int128> value = ParseFixedPoint(node.Scalar(), scale);
  if (!value.ok()) return value.status().WithContext(path);
  return value;
}

Result<Prices> ReadPriceMap(const YAML::Node& node, const std::string& path) {
  if (!node.IsMap()) return Status::InvalidArgument(path + ": expected a mapping");
  Prices prices;
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    if (const YAML::Node value = node[kFieldNames[i]]) {
      Result<int128> price = Number(value, kPriceScale, path + "." + kFieldNames[i]);
      if (!price.ok()) return price.status();
      prices.given[i] = *price;
    }
  }
  return prices;
}

Result<Schedule> ReadSchedule(const YAML::Node& node, const std::string& path) {
  Schedule schedule;
  Result<Prices> base = ReadPriceMap(node["per_million_tokens"], path + ".per_million_tokens");
  if (!base.ok()) return base.status();
  schedule.base = *base;
  if (const YAML::Node tiers = node["tiers"]) {
    for (std::size_t i = 0; i < tiers.size(); ++i) {
      const std::string tier_path = path + ".tiers[" + std::to_string(i) + "]";
      Result<int128> above = Number(tiers[i]["above_input_tokens"], 0, tier_path + ".above_input_tokens");
      if (!above.ok()) return above.status();
      Result<Prices> prices = ReadPriceMap(tiers[i]["per_million_tokens"], tier_path + ".per_million_tokens");
      if (!prices.ok()) return prices.status();
      schedule.tiers.push_back({static_cast<std::uint64_t>(*above), *prices});
    }
  }
  return schedule;
}

std::vector<std::string> Names(const YAML::Node& node) {
  std::vector<std::string> names;
  if (node && node.IsSequence()) {
    for (const YAML::Node& item : node) names.push_back(item.Scalar());
  }
  return names;
}

Result<Model> ReadModel(const std::string& name, const YAML::Node& node, const std::string& path) {
  Model model;
  model.name = name;
  model.aliases = Names(node["aliases"]);
  model.prefixes = Names(node["prefixes"]);
  Result<Schedule> schedule = ReadSchedule(node, path);
  if (!schedule.ok()) return schedule.status();
  model.schedule = std::move(*schedule);
  if (const YAML::Node tiers = node["service_tiers"]) {
    for (const auto& item : tiers) {
      const std::string tier = item.first.Scalar();
      const std::string tier_path = path + ".service_tiers." + tier;
      ServiceTier service;
      if (item.second.IsScalar()) {
        Result<int128> micro = Number(item.second, kMultiplierScale, tier_path);
        if (!micro.ok()) return micro.status();
        service.multiplier_micro = *micro;
      } else {
        Result<Schedule> absolute = ReadSchedule(item.second, tier_path);
        if (!absolute.ok()) return absolute.status();
        service.absolute = std::move(*absolute);
      }
      model.service_tiers.emplace(tier, std::move(service));
    }
  }
  if (const YAML::Node units = node["per_unit"]) {
    for (const auto& item : units) model.per_unit.emplace(item.first.Scalar(), item.second.Scalar());
  }
  return model;
}

Result<TableVersion> ReadVersion(const YAML::Node& node, const TableVersion* previous, const std::string& path) {
  const bool inherit = node["inherit"] && node["inherit"].Scalar() == "true";
  if (inherit && previous == nullptr) return Status::InvalidArgument(path + ": the first version cannot inherit");
  TableVersion version = inherit ? *previous : TableVersion{};
  version.effective_from = node["effective_from"].Scalar();
  version.date = version.effective_from.substr(0, 10);
  if (const YAML::Node tiers = node["service_tiers"]) {
    version.service_tiers.clear();
    for (const auto& item : tiers) {
      Result<int128> micro = Number(item.second, kMultiplierScale, path + ".service_tiers");
      if (!micro.ok()) return micro.status();
      version.service_tiers.emplace(item.first.Scalar(), *micro);
    }
  }
  for (const std::string& removed : Names(node["remove"])) version.models.erase(removed);
  if (const YAML::Node models = node["models"]) {
    for (const auto& item : models) {
      const std::string name = item.first.Scalar();
      Result<Model> model = ReadModel(name, item.second, path + ".models[" + name + "]");
      if (!model.ok()) return model.status();
      version.models[name] = std::move(*model);
    }
  }
  return version;
}

}  // namespace

Result<ExistingTable> ReadTable(const std::string& text, const std::string& file) {
  try {
    Result<YAML::Node> root = yaml::LoadYamlDocument(text, file, yaml::Empty::kRefused);
    if (!root.ok()) return root.status();
    ExistingTable table;
    table.provider = (*root)["provider"].Scalar();
    const YAML::Node versions = (*root)["versions"];
    if (!versions || !versions.IsSequence()) return Status::InvalidArgument(file + ": no versions");
    for (std::size_t i = 0; i < versions.size(); ++i) {
      const TableVersion* previous = table.versions.empty() ? nullptr : &table.versions.back();
      Result<TableVersion> version = ReadVersion(versions[i], previous, "versions[" + std::to_string(i) + "]");
      if (!version.ok()) return version.status().WithContext(file);
      table.versions.push_back(std::move(*version));
    }
    return table;
  } catch (const std::exception& e) {
    return Status::InvalidArgument(file + ": " + e.what());
  }
}

const TableVersion* VersionAt(const ExistingTable& table, const std::string& date) {
  const TableVersion* found = nullptr;
  for (const TableVersion& v : table.versions) {
    if (v.date <= date) found = &v;
  }
  return found;
}

const Model* FindModel(const TableVersion& version, const std::string& name) {
  if (const auto it = version.models.find(name); it != version.models.end()) return &it->second;
  for (const auto& [key, model] : version.models) {
    for (const std::string& alias : model.aliases) {
      if (alias == name) return &model;
    }
  }
  return nullptr;
}

}  // namespace lce::catalogue

// Reads one of our price tables into the importer's model, resolving
// `inherit: true` versions, so catalogue prices can be compared with the
// table's state at any version. The table must be valid (the real loader
// checks the result of an import); this reader fails on what it cannot read.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "llm_cost_exporter/status.h"
#include "model.h"

namespace lce::catalogue {

struct TableVersion {
  std::string effective_from;                   // as written
  std::string date;                             // its YYYY-MM-DD part, for ordering
  std::map<std::string, int128> service_tiers;  // version-level multipliers (millionths)
  std::map<std::string, Model> models;          // by name, the whole state in force
};

struct ExistingTable {
  std::string provider;
  std::vector<TableVersion> versions;  // ascending
};

// Parses `text` (named `file` in messages).
Result<ExistingTable> ReadTable(const std::string& text, const std::string& file);

// The version in force on `date` (YYYY-MM-DD), or nullptr before the first.
const TableVersion* VersionAt(const ExistingTable& table, const std::string& date);

// The model of `version` whose name or alias is `name`, or nullptr.
const Model* FindModel(const TableVersion& version, const std::string& name);

}  // namespace lce::catalogue

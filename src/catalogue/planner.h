// Plans the import of one provider file: merges what the catalogues give,
// compares it with the table's versions and produces the text to append.
// Pure: reads nothing, writes nothing.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model.h"
#include "provider_map.h"
#include "table_reader.h"

namespace lce::catalogue {

enum class Source { kGenaiPrices, kLitellm };

struct PlanInput {
  const ProviderMapping* mapping = nullptr;
  const CatalogueProvider* genai = nullptr;    // null: not given
  const CatalogueProvider* litellm = nullptr;  // null: not given
  const ExistingTable* table = nullptr;        // null: new file
  std::string existing_text;                   // the file's bytes (empty for a new file)
  std::string default_date;                    // YYYY-MM-DD for undated prices
  std::string header_comment;                  // comment lines heading a new file
  std::string version_comment;                 // one comment line above each appended version
  Source prefer = Source::kGenaiPrices;
  bool emit_prefixes = false;
};

struct ProviderPlan {
  std::string file;
  std::string text;  // the whole new file; == existing_text when unchanged
  bool changed = false;
  std::set<std::string> added, changed_models, unchanged, refused;
  std::vector<std::string> messages;
};

ProviderPlan PlanProvider(const PlanInput& input);

}  // namespace lce::catalogue

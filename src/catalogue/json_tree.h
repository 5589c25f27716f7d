// A JSON document as a tree whose numbers keep their literal text, so prices
// are never read through a double. Built with nlohmann::json's SAX parser;
// its exceptions stop in ParseJsonTree.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "llm_cost_exporter/status.h"

namespace lce::catalogue {

struct JsonNode {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  std::string text;             // number literal ("3e-06", "2.5", "10"), string value, or "true"/"false"
  std::vector<JsonNode> items;  // kArray
  std::vector<std::pair<std::string, JsonNode>> members;  // kObject, in document order

  bool is_object() const { return kind == Kind::kObject; }
  bool is_array() const { return kind == Kind::kArray; }
  bool is_number() const { return kind == Kind::kNumber; }
  bool is_string() const { return kind == Kind::kString; }
  // The member named `key`, or nullptr (also when this is no object).
  const JsonNode* Find(std::string_view key) const;
};

// Parses `text` (named `source` in messages). Fails on malformed JSON.
Result<JsonNode> ParseJsonTree(const std::string& text, const std::string& source);

// Reads a whole file; fails with an I/O error naming it.
Result<std::string> ReadFile(const std::string& path);

}  // namespace lce::catalogue

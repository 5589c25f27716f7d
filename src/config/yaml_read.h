// YAML reading helpers shared by the config module's loaders (the exporter's
// configuration, the API keys document, the web config). Private to the
// module; every yaml-cpp exception stops at a loader's entry point.
#pragma once

#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "llm_cost_exporter/status.h"
#include "yaml_document.h"

namespace lce::config_detail {

// Thrown inside the config module only; each loader turns it into a Status.
struct ConfigError {
  std::string message;
};

// "\"path\" (line N)" for messages.
inline std::string Where(const YAML::Node& node, const std::string& path) {
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0) return "\"" + path + "\"";
  return "\"" + path + "\" (line " + std::to_string(mark.line + 1) + ")";
}

inline void RequireMap(const YAML::Node& node, const std::string& path) {
  if (!node.IsMap()) throw ConfigError{Where(node, path) + " must be a mapping"};
}

inline void RejectUnknownKeys(const YAML::Node& node, const std::string& path,
                              std::initializer_list<std::string_view> known) {
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    bool found = false;
    for (std::string_view k : known) found = found || key == k;
    if (!found) throw ConfigError{"unknown key " + Where(entry.first, path.empty() ? key : path + "." + key)};
  }
}

template <typename T>
T ReadScalar(const YAML::Node& node, const std::string& path, const char* expected) {
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    throw ConfigError{Where(node, path) + " must be " + expected};
  }
}

// Loads `yaml_text` (yaml::LoadYamlDocument: one document or none, no
// repeated key) and runs read(root) -> Result<T>; ConfigError and yaml-cpp
// exceptions become a Status naming `source` (and the line).
template <typename T, typename Read>
Result<T> ReadDocument(const std::string& yaml_text, const std::string& source, Read&& read) {
  Result<YAML::Node> root = yaml::LoadYamlDocument(yaml_text, source, yaml::Empty::kAllowed);
  if (!root.ok()) return root.status();
  try {
    return read(*root);
  } catch (const ConfigError& e) {
    return Status::InvalidArgument(source + ": " + e.message);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(source + ": line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

// The whole file as text; `what` names it in the error ("config file").
inline Result<std::string> ReadTextFile(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) return Status::IoError(std::string("cannot read ") + what + " " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace lce::config_detail

// YAML reading helpers shared by the config module's loaders (the exporter's
// configuration, the API keys document, the web config). Private to the
// module.
//
// Every reader returns a Status or a Result<T> whose message names the key
// path and line; the caller returns a failure at once. The yaml-cpp calls
// that throw on bad input (the conversions, as<T>) are made only in
// ReadScalar and KeyText, which turn the exception into a Status.
#pragma once

#include <fstream>
#include <initializer_list>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "llm_cost_exporter/status.h"
#include "yaml_document.h"

namespace lce::config_detail {

// "\"path\" (line N)" for messages.
inline std::string Where(const YAML::Node& node, const std::string& path) {
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0) return "\"" + path + "\"";
  return "\"" + path + "\" (line " + std::to_string(mark.line + 1) + ")";
}

// InvalidArgument Where(node, path) + what, e.g. what = " must be a mapping".
inline Status Invalid(const YAML::Node& node, const std::string& path, const std::string& what) {
  return Status::InvalidArgument(Where(node, path) + what);
}

// yaml-cpp's own message for what it refused: "line N: ...".
inline Status YamlError(const YAML::Exception& e) {
  return Status::InvalidArgument("line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
}

// A mapping key as text; a key that is no scalar (a list or a mapping) is
// refused with yaml-cpp's message.
inline Result<std::string> KeyText(const YAML::Node& key) {
  try {
    return key.as<std::string>();
  } catch (const YAML::Exception& e) {
    return YamlError(e);
  }
}

// `node` converted to T; `expected` names what it must be ("a number").
template <typename T>
Result<T> ReadScalar(const YAML::Node& node, const std::string& path, const char* expected) {
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    return Invalid(node, path, std::string(" must be ") + expected);
  }
}

// ReadScalar<T> with `expected` bound: a reader for ReadIf, ReadEach, ReadMapOf.
template <typename T>
auto Scalar(const char* expected) {
  return [expected](const YAML::Node& node, const std::string& path) { return ReadScalar<T>(node, path, expected); };
}

inline Status RequireMap(const YAML::Node& node, const std::string& path) {
  if (!node.IsMap()) return Invalid(node, path, " must be a mapping");
  return Status::Ok();
}

inline Status RejectUnknownKeys(const YAML::Node& node, const std::string& path,
                                std::initializer_list<std::string_view> known) {
  for (const auto& entry : node) {
    Result<std::string> key = KeyText(entry.first);
    if (!key.ok()) return key.status();
    bool found = false;
    for (std::string_view k : known) found = found || *key == k;
    if (!found)
      return Status::InvalidArgument("unknown key " + Where(entry.first, path.empty() ? *key : path + "." + *key));
  }
  return Status::Ok();
}

// A section: a mapping with no key besides `known`.
inline Status RequireSection(const YAML::Node& node, const std::string& path,
                             std::initializer_list<std::string_view> known) {
  if (Status map = RequireMap(node, path); !map.ok()) return map;
  return RejectUnknownKeys(node, path, known);
}

// Moves a read value into `out`, or passes the read's error on.
template <typename T, typename U>
Status Store(Result<T> read, U& out) {
  if (!read.ok()) return read.status();
  out = std::move(read).value();
  return Status::Ok();
}

// When mapping `node` has `key`, reads it into `out` with
// read(value, "<path>.<key>") -> Result<T>; ok (out untouched) when absent.
template <typename U, typename Read>
Status ReadIf(const YAML::Node& node, const std::string& path, const char* key, U& out, Read&& read) {
  const YAML::Node value = node[key];
  if (!value) return Status::Ok();
  return Store(read(value, path.empty() ? std::string(key) : path + "." + key), out);
}

// Each item of sequence `node` read with read(item, "<path>[i]") -> Result<T>.
template <typename T, typename Read>
Result<std::vector<T>> ReadEach(const YAML::Node& node, const std::string& path, Read&& read) {
  std::vector<T> items;
  for (std::size_t i = 0; i < node.size(); ++i) {
    Result<T> item = read(node[i], path + "[" + std::to_string(i) + "]");
    if (!item.ok()) return item.status();
    items.push_back(std::move(item).value());
  }
  return items;
}

// Mapping `node` as name -> read(value, "<path>.<name>") -> Result<T>.
template <typename T, typename Read>
Result<std::map<std::string, T>> ReadMapOf(const YAML::Node& node, const std::string& path, Read&& read) {
  if (Status map = RequireMap(node, path); !map.ok()) return map;
  std::map<std::string, T> out;
  for (const auto& entry : node) {
    Result<std::string> name = KeyText(entry.first);
    if (!name.ok()) return name.status();
    Result<T> value = read(entry.second, path + "." + *name);
    if (!value.ok()) return value.status();
    out.emplace(std::move(name).value(), std::move(value).value());
  }
  return out;
}

// Loads `yaml_text` (yaml::LoadYamlDocument: one document or none, no
// repeated key) and runs read(root) -> Result<T>; a failure is prefixed with
// `source` ("config.yml: ...").
template <typename T, typename Read>
Result<T> ReadDocument(const std::string& yaml_text, const std::string& source, Read&& read) {
  Result<YAML::Node> root = yaml::LoadYamlDocument(yaml_text, source, yaml::Empty::kAllowed);
  if (!root.ok()) return root.status();
  try {
    Result<T> read_root = read(*root);
    if (!read_root.ok()) return read_root.status().WithContext(source);
    return read_root;
  } catch (const YAML::Exception& e) {
    // A backstop, not a path: the readers convert what they can meet (see
    // the top of this file), but no yaml-cpp exception leaves the module.
    return YamlError(e).WithContext(source);
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

// The API keys document (auth.api_keys_file) and the web config
// (--web.config.file): YAML in, the auth module's plain values out. yaml-cpp
// exceptions stop at the two Parse functions.
#include <algorithm>
#include <array>
#include <filesystem>

#include "llm_cost_exporter/config.h"
#include "yaml_read.h"

namespace lce {
namespace {

using config_detail::ConfigError;
using config_detail::ReadScalar;
using config_detail::RejectUnknownKeys;
using config_detail::RequireMap;
using config_detail::Where;

std::vector<std::string> ReadPatterns(const YAML::Node& node, const std::string& path) {
  if (!node) return {};
  if (!node.IsSequence() || node.size() == 0) throw ConfigError{Where(node, path) + " must be a non-empty list of campaign patterns"};
  std::vector<std::string> patterns;
  for (const auto& item : node) patterns.push_back(ReadScalar<std::string>(item, path, "a campaign pattern"));
  return patterns;
}

ApiKeyEntry ReadKey(const YAML::Node& node, const std::string& path) {
  RequireMap(node, path);
  RejectUnknownKeys(node, path, {"id", "sha256", "campaigns"});
  if (!node["id"] || !node["sha256"]) throw ConfigError{Where(node, path) + " needs id and sha256"};
  return {ReadScalar<std::string>(node["id"], path + ".id", "a key id"),
          ReadScalar<std::string>(node["sha256"], path + ".sha256", "a SHA-256 hex digest"),
          ReadPatterns(node["campaigns"], path + ".campaigns")};
}

ApiProject ReadProject(const YAML::Node& node, const std::string& path) {
  RequireMap(node, path);
  RejectUnknownKeys(node, path, {"name", "campaigns", "keys"});
  if (!node["name"]) throw ConfigError{Where(node, path) + " needs name"};
  ApiProject project{ReadScalar<std::string>(node["name"], path + ".name", "a project name"),
                     ReadPatterns(node["campaigns"], path + ".campaigns"), {}};
  const YAML::Node keys = node["keys"];
  if (!keys || !keys.IsSequence()) throw ConfigError{Where(node, path) + " needs keys (a list)"};
  for (std::size_t k = 0; k < keys.size(); ++k) project.keys.push_back(ReadKey(keys[k], path + ".keys[" + std::to_string(k) + "]"));
  return project;
}

std::string ReadExistingFile(const YAML::Node& node, const std::string& path, const std::string& base_dir) {
  std::filesystem::path file = ReadScalar<std::string>(node, path, "a file name");
  if (file.empty()) throw ConfigError{Where(node, path) + " must be a file name"};
  if (file.is_relative() && !base_dir.empty()) file = std::filesystem::path(base_dir) / file;
  if (!std::filesystem::is_regular_file(file)) throw ConfigError{Where(node, path) + ": no such file " + file.string()};
  return file.string();
}

TlsConfig ReadTls(const YAML::Node& node, const std::string& base_dir) {
  const std::string path = "tls_server_config";
  RequireMap(node, path);
  RejectUnknownKeys(node, path, {"cert_file", "key_file", "min_version", "client_auth_type", "client_ca_file"});
  if (!node["cert_file"] || !node["key_file"]) throw ConfigError{Where(node, path) + " needs cert_file and key_file"};
  TlsConfig tls;
  tls.enabled = true;
  tls.cert_file = ReadExistingFile(node["cert_file"], path + ".cert_file", base_dir);
  tls.key_file = ReadExistingFile(node["key_file"], path + ".key_file", base_dir);
  if (const YAML::Node version = node["min_version"]) {
    tls.min_version = ReadScalar<std::string>(version, path + ".min_version", "a TLS version");
    static constexpr std::array<std::string_view, 4> kVersions = {"TLS10", "TLS11", "TLS12", "TLS13"};
    if (std::find(kVersions.begin(), kVersions.end(), tls.min_version) == kVersions.end()) {
      throw ConfigError{Where(version, path + ".min_version") + " must be TLS10, TLS11, TLS12 or TLS13"};
    }
  }
  if (const YAML::Node client = node["client_auth_type"]) {
    const auto type = ReadScalar<std::string>(client, path + ".client_auth_type", "a client auth type");
    if (type != "NoClientCert" && type != "RequireAndVerifyClientCert") {
      throw ConfigError{Where(client, path + ".client_auth_type") + " must be NoClientCert or RequireAndVerifyClientCert"};
    }
    tls.require_client_cert = type == "RequireAndVerifyClientCert";
  }
  if (node["client_ca_file"]) tls.client_ca_file = ReadExistingFile(node["client_ca_file"], path + ".client_ca_file", base_dir);
  if (tls.require_client_cert && tls.client_ca_file.empty()) {
    throw ConfigError{Where(node, path) + ": RequireAndVerifyClientCert needs client_ca_file"};
  }
  return tls;
}

bool IsBcryptHash(const std::string& hash) {
  return hash.size() == 60 && hash.compare(0, 2, "$2") == 0 && (hash[2] == 'a' || hash[2] == 'b' || hash[2] == 'y') &&
         hash[3] == '$';
}

std::map<std::string, std::string> ReadUsers(const YAML::Node& node) {
  const std::string path = "basic_auth_users";
  RequireMap(node, path);
  std::map<std::string, std::string> users;
  for (const auto& entry : node) {
    const auto user = entry.first.as<std::string>();
    if (user.empty() || user.find(':') != std::string::npos) throw ConfigError{Where(entry.first, path) + ": a user name must be non-empty, without ':'"};
    const auto hash = ReadScalar<std::string>(entry.second, path + "." + user, "a bcrypt hash");
    if (!IsBcryptHash(hash)) throw ConfigError{Where(entry.second, path + "." + user) + " must be a bcrypt hash ($2a$, $2b$ or $2y$)"};
    users.emplace(user, hash);
  }
  return users;
}

}  // namespace

Result<ApiKeys> ParseApiKeys(const std::string& yaml_text, const std::string& source) {
  Result<std::vector<ApiProject>> projects = config_detail::ReadDocument<std::vector<ApiProject>>(
      yaml_text, source, [](const YAML::Node& root) -> Result<std::vector<ApiProject>> {
        std::vector<ApiProject> read;
        if (!root || root.IsNull()) return read;
        RequireMap(root, "(document)");
        RejectUnknownKeys(root, "", {"projects"});
        if (const YAML::Node list = root["projects"]) {
          if (!list.IsSequence()) throw ConfigError{Where(list, "projects") + " must be a list"};
          for (std::size_t p = 0; p < list.size(); ++p) read.push_back(ReadProject(list[p], "projects[" + std::to_string(p) + "]"));
        }
        return read;
      });
  if (!projects.ok()) return projects.status();
  Result<ApiKeys> keys = ApiKeys::Build(*projects);
  if (!keys.ok()) return keys.status().WithContext(source);
  return keys;
}

Result<ApiKeys> LoadApiKeysFile(const std::string& path) {
  Result<std::string> text = config_detail::ReadTextFile(path, "API keys file");
  if (!text.ok()) return text.status();
  return ParseApiKeys(*text, path);
}

Result<WebConfig> ParseWebConfig(const std::string& yaml_text, const std::string& source, const std::string& base_dir) {
  return config_detail::ReadDocument<WebConfig>(yaml_text, source, [&base_dir](const YAML::Node& root) -> Result<WebConfig> {
    WebConfig config;
    if (!root || root.IsNull()) return config;
    RequireMap(root, "(document)");
    RejectUnknownKeys(root, "", {"tls_server_config", "basic_auth_users"});
    if (const YAML::Node tls = root["tls_server_config"]) config.tls = ReadTls(tls, base_dir);
    if (const YAML::Node users = root["basic_auth_users"]) config.basic_auth_users = ReadUsers(users);
    return config;
  });
}

Result<WebConfig> LoadWebConfigFile(const std::string& path) {
  Result<std::string> text = config_detail::ReadTextFile(path, "web config file");
  if (!text.ok()) return text.status();
  return ParseWebConfig(*text, path, std::filesystem::path(path).parent_path().string());
}

}  // namespace lce

// The API keys document (auth.api_keys_file) and the web config
// (--web.config.file): YAML in, the auth module's plain values out, or a
// Status naming the key path and line.
#include <algorithm>
#include <array>
#include <filesystem>

#include "llm_cost_exporter/config.h"
#include "yaml_read.h"

namespace lce {
namespace {

using config_detail::Invalid;
using config_detail::KeyText;
using config_detail::ReadEach;
using config_detail::ReadIf;
using config_detail::ReadScalar;
using config_detail::RejectUnknownKeys;
using config_detail::RequireMap;
using config_detail::RequireSection;
using config_detail::Scalar;

// A non-empty list of strings; `what` names one item ("a campaign pattern").
Result<std::vector<std::string>> ReadStrings(const YAML::Node& node, const std::string& path, const char* list,
                                             const char* what) {
  if (!node.IsSequence() || node.size() == 0)
    return Invalid(node, path, std::string(" must be a non-empty list of ") + list);
  std::vector<std::string> items;
  for (const auto& item : node) {
    Result<std::string> text = ReadScalar<std::string>(item, path, what);
    if (!text.ok()) return text.status();
    items.push_back(std::move(text).value());
  }
  return items;
}

Result<std::vector<std::string>> ReadPatterns(const YAML::Node& node, const std::string& path) {
  return ReadStrings(node, path, "campaign patterns", "a campaign pattern");
}

// A key's scopes (names checked by ApiKeys::Build).
Result<std::vector<std::string>> ReadScopes(const YAML::Node& node, const std::string& path) {
  return ReadStrings(node, path, "scopes", "a scope");
}

Result<ApiKeyEntry> ReadKey(const YAML::Node& node, const std::string& path) {
  if (Status s = RequireSection(node, path, {"id", "sha256", "campaigns", "scopes"}); !s.ok()) return s;
  if (!node["id"] || !node["sha256"]) return Invalid(node, path, " needs id and sha256");
  ApiKeyEntry key;
  if (Status s = ReadIf(node, path, "id", key.id, Scalar<std::string>("a key id")); !s.ok()) return s;
  if (Status s = ReadIf(node, path, "sha256", key.sha256_hex, Scalar<std::string>("a SHA-256 hex digest")); !s.ok()) {
    return s;
  }
  if (Status s = ReadIf(node, path, "campaigns", key.campaigns, ReadPatterns); !s.ok()) return s;
  if (Status s = ReadIf(node, path, "scopes", key.scopes, ReadScopes); !s.ok()) return s;
  return key;
}

Result<ApiProject> ReadProject(const YAML::Node& node, const std::string& path) {
  if (Status s = RequireSection(node, path, {"name", "campaigns", "keys"}); !s.ok()) return s;
  if (!node["name"]) return Invalid(node, path, " needs name");
  ApiProject project;
  if (Status s = ReadIf(node, path, "name", project.name, Scalar<std::string>("a project name")); !s.ok()) return s;
  if (Status s = ReadIf(node, path, "campaigns", project.campaigns, ReadPatterns); !s.ok()) return s;
  const YAML::Node keys = node["keys"];
  if (!keys || !keys.IsSequence()) return Invalid(node, path, " needs keys (a list)");
  if (Status s = config_detail::Store(ReadEach<ApiKeyEntry>(keys, path + ".keys", ReadKey), project.keys); !s.ok()) {
    return s;
  }
  return project;
}

Result<std::string> ReadExistingFile(const YAML::Node& node, const std::string& path, const std::string& base_dir) {
  const Result<std::string> name = ReadScalar<std::string>(node, path, "a file name");
  if (!name.ok()) return name.status();
  std::filesystem::path file = *name;
  if (file.empty()) return Invalid(node, path, " must be a file name");
  if (file.is_relative() && !base_dir.empty()) file = std::filesystem::path(base_dir) / file;
  if (!std::filesystem::is_regular_file(file)) return Invalid(node, path, ": no such file " + file.string());
  return file.string();
}

Result<std::string> ReadTlsVersion(const YAML::Node& node, const std::string& path) {
  Result<std::string> version = ReadScalar<std::string>(node, path, "a TLS version");
  if (!version.ok()) return version;
  static constexpr std::array<std::string_view, 4> kVersions = {"TLS10", "TLS11", "TLS12", "TLS13"};
  if (std::find(kVersions.begin(), kVersions.end(), *version) == kVersions.end()) {
    return Invalid(node, path, " must be TLS10, TLS11, TLS12 or TLS13");
  }
  return version;
}

// client_auth_type: whether a client certificate is required.
Result<bool> ReadRequireClientCert(const YAML::Node& node, const std::string& path) {
  const Result<std::string> type = ReadScalar<std::string>(node, path, "a client auth type");
  if (!type.ok()) return type.status();
  if (*type != "NoClientCert" && *type != "RequireAndVerifyClientCert") {
    return Invalid(node, path, " must be NoClientCert or RequireAndVerifyClientCert");
  }
  return *type == "RequireAndVerifyClientCert";
}

Result<TlsConfig> ReadTls(const YAML::Node& node, const std::string& path, const std::string& base_dir) {
  if (Status s =
          RequireSection(node, path, {"cert_file", "key_file", "min_version", "client_auth_type", "client_ca_file"});
      !s.ok()) {
    return s;
  }
  if (!node["cert_file"] || !node["key_file"]) return Invalid(node, path, " needs cert_file and key_file");
  const auto existing_file = [&base_dir](const YAML::Node& value, const std::string& at) {
    return ReadExistingFile(value, at, base_dir);
  };
  TlsConfig tls;
  tls.enabled = true;
  if (Status s = ReadIf(node, path, "cert_file", tls.cert_file, existing_file); !s.ok()) return s;
  if (Status s = ReadIf(node, path, "key_file", tls.key_file, existing_file); !s.ok()) return s;
  if (Status s = ReadIf(node, path, "min_version", tls.min_version, ReadTlsVersion); !s.ok()) return s;
  if (Status s = ReadIf(node, path, "client_auth_type", tls.require_client_cert, ReadRequireClientCert); !s.ok()) {
    return s;
  }
  if (Status s = ReadIf(node, path, "client_ca_file", tls.client_ca_file, existing_file); !s.ok()) return s;
  if (tls.require_client_cert && tls.client_ca_file.empty()) {
    return Invalid(node, path, ": RequireAndVerifyClientCert needs client_ca_file");
  }
  return tls;
}

bool IsBcryptHash(const std::string& hash) {
  return hash.size() == 60 && hash.compare(0, 2, "$2") == 0 && (hash[2] == 'a' || hash[2] == 'b' || hash[2] == 'y') &&
         hash[3] == '$';
}

Result<std::map<std::string, std::string>> ReadUsers(const YAML::Node& node, const std::string& path) {
  if (Status s = RequireMap(node, path); !s.ok()) return s;
  std::map<std::string, std::string> users;
  for (const auto& entry : node) {
    Result<std::string> user = KeyText(entry.first);
    if (!user.ok()) return user.status();
    if (user->empty() || user->find(':') != std::string::npos) {
      return Invalid(entry.first, path, ": a user name must be non-empty, without ':'");
    }
    Result<std::string> hash = ReadScalar<std::string>(entry.second, path + "." + *user, "a bcrypt hash");
    if (!hash.ok()) return hash.status();
    if (!IsBcryptHash(*hash)) {
      return Invalid(entry.second, path + "." + *user, " must be a bcrypt hash ($2a$, $2b$ or $2y$)");
    }
    users.emplace(std::move(user).value(), std::move(hash).value());
  }
  return users;
}

Result<std::vector<ApiProject>> ReadProjects(const YAML::Node& root) {
  std::vector<ApiProject> read;
  if (!root || root.IsNull()) return read;
  if (Status s = RequireMap(root, "(document)"); !s.ok()) return s;
  if (Status s = RejectUnknownKeys(root, "", {"projects"}); !s.ok()) return s;
  if (const YAML::Node list = root["projects"]) {
    if (!list.IsSequence()) return Invalid(list, "projects", " must be a list");
    return ReadEach<ApiProject>(list, "projects", ReadProject);
  }
  return read;
}

}  // namespace

Result<ApiKeys> ParseApiKeys(const std::string& yaml_text, const std::string& source) {
  Result<std::vector<ApiProject>> projects =
      config_detail::ReadDocument<std::vector<ApiProject>>(yaml_text, source, ReadProjects);
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
  return config_detail::ReadDocument<WebConfig>(
      yaml_text, source, [&base_dir](const YAML::Node& root) -> Result<WebConfig> {
        WebConfig config;
        if (!root || root.IsNull()) return config;
        if (Status s = RequireMap(root, "(document)"); !s.ok()) return s;
        if (Status s = RejectUnknownKeys(root, "", {"tls_server_config", "basic_auth_users"}); !s.ok()) return s;
        const auto tls = [&base_dir](const YAML::Node& value, const std::string& at) {
          return ReadTls(value, at, base_dir);
        };
        if (Status s = ReadIf(root, "", "tls_server_config", config.tls, tls); !s.ok()) return s;
        if (Status s = ReadIf(root, "", "basic_auth_users", config.basic_auth_users, ReadUsers); !s.ok()) return s;
        return config;
      });
}

Result<WebConfig> LoadWebConfigFile(const std::string& path) {
  Result<std::string> text = config_detail::ReadTextFile(path, "web config file");
  if (!text.ok()) return text.status();
  return ParseWebConfig(*text, path, std::filesystem::path(path).parent_path().string());
}

}  // namespace lce

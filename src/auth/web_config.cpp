// --web.config.file parsing and basic auth. yaml-cpp exceptions stop here.
#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <crypt.h>
#include <openssl/crypto.h>
#include <yaml-cpp/yaml.h>

#include "llm_cost_exporter/auth.h"
#include "llm_cost_exporter/web_config.h"

namespace lce {
namespace {

struct WebConfigError {
  std::string message;
};

std::string Where(const YAML::Node& node, const std::string& path) {
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0) return "\"" + path + "\"";
  return "\"" + path + "\" (line " + std::to_string(mark.line + 1) + ")";
}

void RequireKnownKeys(const YAML::Node& node, const std::string& path, std::initializer_list<std::string_view> known) {
  if (!node.IsMap()) throw WebConfigError{Where(node, path) + " must be a mapping"};
  for (const auto& entry : node) {
    const auto key = entry.first.as<std::string>();
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      throw WebConfigError{"unknown key " + Where(entry.first, path.empty() ? key : path + "." + key)};
    }
  }
}

std::string ReadString(const YAML::Node& node, const std::string& path) {
  if (!node.IsScalar() || node.as<std::string>().empty()) throw WebConfigError{Where(node, path) + " must be a non-empty string"};
  return node.as<std::string>();
}

std::string ReadFile(const YAML::Node& node, const std::string& path, const std::string& base_dir) {
  std::filesystem::path file = ReadString(node, path);
  if (file.is_relative() && !base_dir.empty()) file = std::filesystem::path(base_dir) / file;
  if (!std::filesystem::is_regular_file(file)) throw WebConfigError{Where(node, path) + ": no such file " + file.string()};
  return file.string();
}

TlsConfig ReadTls(const YAML::Node& node, const std::string& base_dir) {
  const std::string path = "tls_server_config";
  RequireKnownKeys(node, path, {"cert_file", "key_file", "min_version", "client_auth_type", "client_ca_file"});
  TlsConfig tls;
  tls.enabled = true;
  if (!node["cert_file"] || !node["key_file"]) throw WebConfigError{Where(node, path) + " needs cert_file and key_file"};
  tls.cert_file = ReadFile(node["cert_file"], path + ".cert_file", base_dir);
  tls.key_file = ReadFile(node["key_file"], path + ".key_file", base_dir);
  if (const YAML::Node version = node["min_version"]) {
    tls.min_version = ReadString(version, path + ".min_version");
    static constexpr std::array<std::string_view, 4> kVersions = {"TLS10", "TLS11", "TLS12", "TLS13"};
    if (std::find(kVersions.begin(), kVersions.end(), tls.min_version) == kVersions.end()) {
      throw WebConfigError{Where(version, path + ".min_version") + " must be TLS10, TLS11, TLS12 or TLS13"};
    }
  }
  if (const YAML::Node client = node["client_auth_type"]) {
    const std::string type = ReadString(client, path + ".client_auth_type");
    if (type == "RequireAndVerifyClientCert") {
      tls.require_client_cert = true;
    } else if (type != "NoClientCert") {
      throw WebConfigError{Where(client, path + ".client_auth_type") + " must be NoClientCert or RequireAndVerifyClientCert"};
    }
  }
  if (node["client_ca_file"]) tls.client_ca_file = ReadFile(node["client_ca_file"], path + ".client_ca_file", base_dir);
  if (tls.require_client_cert && tls.client_ca_file.empty()) {
    throw WebConfigError{Where(node, path) + ": RequireAndVerifyClientCert needs client_ca_file"};
  }
  return tls;
}

bool IsBcryptHash(const std::string& hash) {
  return hash.size() == 60 && hash[0] == '$' && hash[1] == '2' &&
         (hash[2] == 'a' || hash[2] == 'b' || hash[2] == 'y') && hash[3] == '$';
}

std::map<std::string, std::string> ReadUsers(const YAML::Node& node) {
  const std::string path = "basic_auth_users";
  if (!node.IsMap()) throw WebConfigError{Where(node, path) + " must map user names to bcrypt hashes"};
  std::map<std::string, std::string> users;
  for (const auto& entry : node) {
    const auto user = entry.first.as<std::string>();
    if (user.empty() || user.find(':') != std::string::npos) throw WebConfigError{Where(entry.first, path) + ": a user name must be non-empty, without ':'"};
    const std::string hash = entry.second.IsScalar() ? entry.second.as<std::string>() : "";
    if (!IsBcryptHash(hash)) throw WebConfigError{Where(entry.second, path + "." + user) + " must be a bcrypt hash ($2a$, $2b$ or $2y$)"};
    users.emplace(user, hash);
  }
  return users;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool StartsWithBasic(std::string_view header) {
  constexpr std::string_view kScheme = "basic ";
  if (header.size() < kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return false;
  }
  return true;
}

}  // namespace

Result<WebConfig> ParseWebConfig(const std::string& yaml_text, const std::string& source, const std::string& base_dir) {
  try {
    const YAML::Node root = YAML::Load(yaml_text);
    WebConfig config;
    if (!root || root.IsNull()) return config;
    RequireKnownKeys(root, "", {"tls_server_config", "basic_auth_users"});
    if (const YAML::Node tls = root["tls_server_config"]) config.tls = ReadTls(tls, base_dir);
    if (const YAML::Node users = root["basic_auth_users"]) config.basic_auth_users = ReadUsers(users);
    return config;
  } catch (const WebConfigError& e) {
    return Status::InvalidArgument(source + ": " + e.message);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(source + ": " + e.what());
  }
}

Result<WebConfig> LoadWebConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::IoError("cannot read web config file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return ParseWebConfig(text.str(), path, std::filesystem::path(path).parent_path().string());
}

bool DecodeBase64(std::string_view text, std::string* out) {
  out->clear();
  if (text.size() % 4 != 0) return false;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    std::array<int, 4> v{};
    int padding = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      const bool last_group = i + 4 == text.size();
      if (c == '=' && last_group && j >= 2) {
        ++padding;
        v[j] = 0;
        continue;
      }
      if (padding > 0) return false;  // data after padding
      v[j] = Base64Value(c);
      if (v[j] < 0) return false;
    }
    const unsigned bits = (static_cast<unsigned>(v[0]) << 18) | (static_cast<unsigned>(v[1]) << 12) |
                          (static_cast<unsigned>(v[2]) << 6) | static_cast<unsigned>(v[3]);
    out->push_back(static_cast<char>((bits >> 16) & 0xFF));
    if (padding < 2) out->push_back(static_cast<char>((bits >> 8) & 0xFF));
    if (padding < 1) out->push_back(static_cast<char>(bits & 0xFF));
  }
  return true;
}

bool BcryptMatches(std::string_view password, const std::string& hash) {
  if (password.find('\0') != std::string_view::npos) return false;
  crypt_data data{};
  const std::string phrase(password);
  const char* result = crypt_rn(phrase.c_str(), hash.c_str(), &data, sizeof data);
  if (result == nullptr || result[0] == '*') return false;
  const std::string computed(result);
  return computed.size() == hash.size() && CRYPTO_memcmp(computed.data(), hash.data(), hash.size()) == 0;
}

bool BasicAuth::Verify(std::string_view authorization, std::string* user) const {
  if (!StartsWithBasic(authorization)) return false;
  std::string decoded;
  if (!DecodeBase64(authorization.substr(6), &decoded)) return false;
  const std::size_t colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  *user = decoded.substr(0, colon);
  const auto it = users_.find(*user);
  if (it == users_.end()) return false;
  const std::string fingerprint = Sha256Hex(decoded);  // of "user:password"
  {
    std::lock_guard lock(mutex_);
    if (verified_.count(fingerprint) != 0) return true;
  }
  if (!BcryptMatches(std::string_view(decoded).substr(colon + 1), it->second)) return false;
  std::lock_guard lock(mutex_);
  if (verified_.size() < 1024) verified_.insert(fingerprint);  // bounded: a flood of new passwords cannot grow it
  return true;
}

}  // namespace lce

// The keys document (YAML) and bearer-token lookup. yaml-cpp exceptions stop
// here; lookups hash the presented token once and find its digest, so no
// token is ever compared byte by byte against a stored secret.
#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include "llm_cost_exporter/auth.h"
#include "llm_cost_exporter/glob.h"

namespace lce {
namespace {

struct KeysError {
  std::string message;
};

std::string Where(const YAML::Node& node, const std::string& path) {
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0) return "\"" + path + "\"";
  return "\"" + path + "\" (line " + std::to_string(mark.line + 1) + ")";
}

void RejectUnknownKeys(const YAML::Node& node, const std::string& path, std::initializer_list<std::string_view> known) {
  if (!node.IsMap()) throw KeysError{Where(node, path) + " must be a mapping"};
  for (const auto& entry : node) {
    const auto key = entry.first.as<std::string>();
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      throw KeysError{"unknown key " + Where(entry.first, path + "." + key)};
    }
  }
}

// Names and ids: 1..64 characters of A-Z a-z 0-9 . _ : - (they reach logs
// and metric labels).
bool IsSafeName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == ':' || c == '-';
  });
}

std::string ReadName(const YAML::Node& node, const std::string& path) {
  if (!node || !node.IsScalar()) throw KeysError{Where(node, path) + " is required"};
  auto name = node.as<std::string>();
  if (!IsSafeName(name)) throw KeysError{Where(node, path) + " must be 1 to 64 characters of A-Z a-z 0-9 . _ : -"};
  return name;
}

std::vector<std::string> ReadGlobs(const YAML::Node& node, const std::string& path) {
  std::vector<std::string> globs;
  if (!node) return globs;
  if (!node.IsSequence() || node.size() == 0) throw KeysError{Where(node, path) + " must be a non-empty list of campaign patterns"};
  for (const auto& item : node) {
    if (!item.IsScalar() || item.as<std::string>().empty()) throw KeysError{Where(item, path) + " must be a non-empty pattern"};
    globs.push_back(item.as<std::string>());
  }
  return globs;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// 64 hex digits -> 32 raw bytes.
std::string ReadDigest(const YAML::Node& node, const std::string& path) {
  const std::string hex = node && node.IsScalar() ? node.as<std::string>() : "";
  std::string raw;
  if (hex.size() == 64) {
    for (std::size_t i = 0; i < 64; i += 2) {
      const int hi = HexValue(hex[i]);
      const int lo = HexValue(hex[i + 1]);
      if (hi < 0 || lo < 0) break;
      raw.push_back(static_cast<char>(hi * 16 + lo));
    }
  }
  if (raw.size() != 32) throw KeysError{Where(node, path) + " must be the SHA-256 of the key: 64 hex digits"};
  return raw;
}

std::string RawSha256(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

bool MatchesAny(const std::vector<std::string>& globs, std::string_view campaign_id) {
  return std::any_of(globs.begin(), globs.end(), [&](const std::string& glob) { return GlobMatch(glob, campaign_id); });
}

bool StartsWithBearer(std::string_view header) {
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() < kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return false;
  }
  return true;
}

}  // namespace

bool Principal::MayUseCampaign(std::string_view campaign_id) const {
  if (Unrestricted()) return true;
  if (campaign_id.empty()) return false;
  return (project_campaigns.empty() || MatchesAny(project_campaigns, campaign_id)) &&
         (key_campaigns.empty() || MatchesAny(key_campaigns, campaign_id));
}

std::string_view AuthFailureName(AuthFailure failure) {
  switch (failure) {
    case AuthFailure::kMissing: return "missing";
    case AuthFailure::kMalformed: return "malformed";
    case AuthFailure::kUnknownKey: return "unknown_key";
  }
  return "unknown_key";
}

std::string Sha256Hex(std::string_view data) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (const char c : RawSha256(data)) {
    const auto byte = static_cast<unsigned char>(c);
    hex.push_back(kHex[byte >> 4]);
    hex.push_back(kHex[byte & 15]);
  }
  return hex;
}

Result<ApiKeys> ApiKeys::Parse(const std::string& yaml_text, const std::string& source) {
  try {
    const YAML::Node root = YAML::Load(yaml_text);
    ApiKeys keys;
    if (!root || root.IsNull()) return keys;
    RejectUnknownKeys(root, "keys", {"projects"});
    const YAML::Node projects = root["projects"];
    if (!projects) return keys;
    if (!projects.IsSequence()) throw KeysError{Where(projects, "projects") + " must be a list"};
    std::set<std::string> project_names;
    std::set<std::string> key_ids;
    for (std::size_t p = 0; p < projects.size(); ++p) {
      const YAML::Node project = projects[p];
      const std::string path = "projects[" + std::to_string(p) + "]";
      RejectUnknownKeys(project, path, {"name", "campaigns", "keys"});
      const std::string name = ReadName(project["name"], path + ".name");
      if (!project_names.insert(name).second) throw KeysError{Where(project["name"], path + ".name") + " repeats project \"" + name + "\""};
      const std::vector<std::string> project_globs = ReadGlobs(project["campaigns"], path + ".campaigns");
      const YAML::Node list = project["keys"];
      if (!list || !list.IsSequence() || list.size() == 0) throw KeysError{Where(project, path + ".keys") + " must be a non-empty list"};
      for (std::size_t k = 0; k < list.size(); ++k) {
        const YAML::Node key = list[k];
        const std::string key_path = path + ".keys[" + std::to_string(k) + "]";
        RejectUnknownKeys(key, key_path, {"id", "sha256", "campaigns"});
        auto principal = std::make_shared<Principal>();
        principal->key_id = ReadName(key["id"], key_path + ".id");
        if (!key_ids.insert(principal->key_id).second) throw KeysError{Where(key["id"], key_path + ".id") + " repeats key id \"" + principal->key_id + "\""};
        principal->project = name;
        principal->project_campaigns = project_globs;
        principal->key_campaigns = ReadGlobs(key["campaigns"], key_path + ".campaigns");
        const std::string digest = ReadDigest(key["sha256"], key_path + ".sha256");
        if (!keys.principals_.emplace(digest, std::move(principal)).second) {
          throw KeysError{Where(key["sha256"], key_path + ".sha256") + " is the digest of another key"};
        }
      }
    }
    return keys;
  } catch (const KeysError& e) {
    return Status::InvalidArgument(source + ": " + e.message);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(source + ": " + e.what());
  }
}

Result<ApiKeys> ApiKeys::LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::IoError("cannot read API keys file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path);
}

const Principal* ApiKeys::Authenticate(std::string_view authorization, AuthFailure* failure) const {
  if (authorization.empty()) {
    *failure = AuthFailure::kMissing;
    return nullptr;
  }
  if (!StartsWithBearer(authorization)) {
    *failure = AuthFailure::kMalformed;
    return nullptr;
  }
  std::string_view token = authorization.substr(7);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) {
    *failure = AuthFailure::kMalformed;
    return nullptr;
  }
  const auto it = principals_.find(RawSha256(token));
  if (it == principals_.end()) {
    *failure = AuthFailure::kUnknownKey;
    return nullptr;
  }
  return it->second.get();
}

}  // namespace lce

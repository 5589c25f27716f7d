// Key lookup: a presented token is hashed once and its digest looked up, so
// no token is ever compared byte by byte against a stored secret.
#include <algorithm>
#include <cctype>
#include <set>

#include <openssl/evp.h>

#include "llm_cost_exporter/auth.h"
#include "llm_cost_exporter/glob.h"

namespace lce {
namespace {

// Names and ids: 1..64 characters of A-Z a-z 0-9 . _ : - (they reach logs
// and metric labels).
bool IsSafeName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == ':' || c == '-';
  });
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// 64 hex digits -> 32 raw bytes; "" when malformed.
std::string RawDigest(std::string_view hex) {
  if (hex.size() != 64) return {};
  std::string raw;
  for (std::size_t i = 0; i < 64; i += 2) {
    const int hi = HexValue(hex[i]);
    const int lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) return {};
    raw.push_back(static_cast<char>(hi * 16 + lo));
  }
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

bool HasEmptyPattern(const std::vector<std::string>& globs) {
  return std::any_of(globs.begin(), globs.end(), [](const std::string& glob) { return glob.empty(); });
}

}  // namespace

bool HasAuthScheme(std::string_view authorization, std::string_view scheme) {
  if (authorization.size() <= scheme.size() || authorization[scheme.size()] != ' ') return false;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != scheme[i]) return false;
  }
  return true;
}

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

Result<ApiKeys> ApiKeys::Build(const std::vector<ApiProject>& projects) {
  ApiKeys keys;
  std::set<std::string, std::less<>> project_names;
  std::set<std::string, std::less<>> key_ids;
  for (std::size_t p = 0; p < projects.size(); ++p) {
    const ApiProject& project = projects[p];
    const std::string path = "projects[" + std::to_string(p) + "]";
    if (!IsSafeName(project.name))
      return Status::InvalidArgument(path + ".name must be 1 to 64 characters of A-Z a-z 0-9 . _ : -");
    if (!project_names.insert(project.name).second)
      return Status::InvalidArgument(path + ".name repeats project \"" + project.name + "\"");
    if (HasEmptyPattern(project.campaigns)) return Status::InvalidArgument(path + ".campaigns has an empty pattern");
    if (project.keys.empty()) return Status::InvalidArgument(path + ".keys must be a non-empty list");
    for (std::size_t k = 0; k < project.keys.size(); ++k) {
      const ApiKeyEntry& entry = project.keys[k];
      const std::string key_path = path + ".keys[" + std::to_string(k) + "]";
      if (!IsSafeName(entry.id))
        return Status::InvalidArgument(key_path + ".id must be 1 to 64 characters of A-Z a-z 0-9 . _ : -");
      if (!key_ids.insert(entry.id).second)
        return Status::InvalidArgument(key_path + ".id repeats key id \"" + entry.id + "\"");
      if (HasEmptyPattern(entry.campaigns))
        return Status::InvalidArgument(key_path + ".campaigns has an empty pattern");
      const std::string digest = RawDigest(entry.sha256_hex);
      if (digest.empty())
        return Status::InvalidArgument(key_path + ".sha256 must be the SHA-256 of the key: 64 hex digits");
      bool may_reprice = false;
      for (const std::string& scope : entry.scopes) {
        if (scope != "reprice") {
          return Status::InvalidArgument(key_path + ".scopes has unknown scope \"" + scope + "\" (known: reprice)");
        }
        may_reprice = true;
      }
      if (may_reprice && (!project.campaigns.empty() || !entry.campaigns.empty())) {
        return Status::InvalidArgument(key_path +
                                       ".scopes: a reprice key re-prices every campaign, so neither it nor its "
                                       "project may restrict campaigns");
      }
      auto principal = std::make_shared<Principal>(
          Principal{entry.id, project.name, project.campaigns, entry.campaigns, may_reprice});
      if (!keys.principals_.emplace(digest, std::move(principal)).second) {
        return Status::InvalidArgument(key_path + ".sha256 is the digest of another key");
      }
    }
  }
  return keys;
}

const Principal* ApiKeys::Authenticate(std::string_view authorization, AuthFailure* failure) const {
  if (authorization.empty()) {
    *failure = AuthFailure::kMissing;
    return nullptr;
  }
  if (!HasAuthScheme(authorization, "bearer")) {
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

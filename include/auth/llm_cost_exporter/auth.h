// API keys: who may write usage, ask for budgets and read spend.
//
// Keys are bearer tokens given to agents per project. The exporter stores only
// their SHA-256 digests (hex), in a keys document (YAML, read by the config
// module: LoadApiKeysFile) that an operator writes and may keep in a Secret:
//
//   projects:
//     - name: growth                      # label-safe project name
//       campaigns: ["cmp_2026_*"]         # optional: the project's campaigns (globs); default all
//       keys:
//         - id: growth-2026-11            # shown in logs and metrics, never the key
//           sha256: 9f86d081884c7d65...   # printf %s "$TOKEN" | sha256sum
//           campaigns: ["cmp_2026_04_*"]  # optional: narrows the project's scope
//           scopes: [reprice]             # optional: also POST /v1/admin/reprice (unrestricted keys only)
//
// Several keys per project may be live at once, so keys rotate without
// downtime: add the new key, reload, move the agents, remove the old one.
//
// Thread safety: an ApiKeys is immutable once built; Authenticate may be
// called concurrently. Principals live as long as their ApiKeys.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "llm_cost_exporter/status.h"

namespace lce {

// The caller an API key identifies.
struct Principal {
  std::string key_id;
  std::string project;
  // Campaign patterns (globs) the key may touch; empty means every campaign.
  // A key's own list narrows its project's: both must match.
  std::vector<std::string> project_campaigns;
  std::vector<std::string> key_campaigns;
  // Scope "reprice": may re-price the ledger's history (/v1/admin/reprice,
  // /v1/admin/repricings). Only a key without campaign restrictions has it.
  bool may_reprice = false;

  // Whether the key may write, check or read this campaign. A record without
  // a campaign (empty id) belongs to no budget and is allowed only for keys
  // without any campaign restriction.
  bool MayUseCampaign(std::string_view campaign_id) const;
  bool Unrestricted() const { return project_campaigns.empty() && key_campaigns.empty(); }
};

// Why a request was not authenticated.
enum class AuthFailure : std::uint8_t {
  kMissing,     // no Authorization header (401)
  kMalformed,   // not "Bearer <token>" (401)
  kUnknownKey,  // no live key has this token (401)
};
std::string_view AuthFailureName(AuthFailure failure);  // "missing", "malformed", "unknown_key"

// Whether an Authorization header value starts with `scheme` (given in lower
// case, compared case-insensitively) followed by a space.
bool HasAuthScheme(std::string_view authorization, std::string_view scheme);

// The SHA-256 digest of `data` in lower-case hex (64 characters).
std::string Sha256Hex(std::string_view data);

// The keys document as plain values.
struct ApiKeyEntry {
  std::string id;
  std::string sha256_hex;              // SHA-256 of the token, 64 hex digits
  std::vector<std::string> campaigns;  // optional narrowing of the project's scope
  std::vector<std::string> scopes;     // optional: "reprice"
};
struct ApiProject {
  std::string name;
  std::vector<std::string> campaigns;  // the project's campaigns (globs); empty: all
  std::vector<ApiKeyEntry> keys;
};

class ApiKeys {
 public:
  // Checks and indexes the keys. Errors name the place (projects[i].keys[j]):
  // names and ids that are not 1..64 of A-Z a-z 0-9 . _ : -, a project
  // without keys, empty patterns, a digest that is not 64 hex digits,
  // repeated project names, key ids or digests.
  static Result<ApiKeys> Build(const std::vector<ApiProject>& projects);

  // Authenticates an Authorization header value ("Bearer <token>"; the
  // scheme is case-insensitive). On success returns the key's principal and
  // leaves *failure alone; otherwise returns nullptr and sets *failure.
  const Principal* Authenticate(std::string_view authorization, AuthFailure* failure) const;

  std::size_t key_count() const { return principals_.size(); }

 private:
  // Keyed by the raw 32-byte digest of the token.
  std::unordered_map<std::string, std::shared_ptr<const Principal>> principals_;
};

}  // namespace lce

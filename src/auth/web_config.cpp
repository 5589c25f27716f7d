// Basic auth: base64 credentials checked against bcrypt hashes (libxcrypt).
#include <array>
#include <cctype>
#include <memory>

#include <crypt.h>
#include <openssl/crypto.h>

#include "llm_cost_exporter/auth.h"
#include "llm_cost_exporter/web_config.h"

namespace lce {
namespace {

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::optional<std::string> DecodeBase64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
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
      if (padding > 0) return std::nullopt;  // data after padding
      v[j] = Base64Value(c);
      if (v[j] < 0) return std::nullopt;
    }
    const unsigned bits = (static_cast<unsigned>(v[0]) << 18) | (static_cast<unsigned>(v[1]) << 12) |
                          (static_cast<unsigned>(v[2]) << 6) | static_cast<unsigned>(v[3]);
    out.push_back(static_cast<char>((bits >> 16) & 0xFF));
    if (padding < 2) out.push_back(static_cast<char>((bits >> 8) & 0xFF));
    if (padding < 1) out.push_back(static_cast<char>(bits & 0xFF));
  }
  return out;
}

bool BcryptMatches(std::string_view password, const std::string& hash) {
  if (password.find('\0') != std::string_view::npos) return false;
  // crypt_data is 32 KiB: on the heap, since CivetWeb's worker threads have
  // small fixed stacks.
  const auto data = std::make_unique<crypt_data>();
  const std::string phrase(password);
  const char* result = crypt_rn(phrase.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
  if (result == nullptr || result[0] == '*') return false;
  const std::string computed(result);
  return computed.size() == hash.size() && CRYPTO_memcmp(computed.data(), hash.data(), hash.size()) == 0;
}

std::optional<std::string> BasicAuth::Verify(std::string_view authorization) const {
  if (!HasAuthScheme(authorization, "basic")) return std::nullopt;
  const std::optional<std::string> decoded = DecodeBase64(authorization.substr(6));
  if (!decoded) return std::nullopt;
  const std::size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string user = decoded->substr(0, colon);
  const auto it = users_.find(user);
  if (it == users_.end()) return std::nullopt;
  const std::string fingerprint = Sha256Hex(*decoded);  // of "user:password"
  {
    std::lock_guard lock(mutex_);
    if (verified_.count(fingerprint) != 0) return user;
  }
  if (!BcryptMatches(std::string_view(*decoded).substr(colon + 1), it->second)) return std::nullopt;
  std::lock_guard lock(mutex_);
  if (verified_.size() < 1024) verified_.insert(fingerprint);  // bounded: a flood of new passwords cannot grow it
  return user;
}

}  // namespace lce

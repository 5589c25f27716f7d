// Web configuration in the style of Prometheus's exporter toolkit
// (--web.config.file): TLS for every endpoint and basic auth for the
// Prometheus and operator endpoints (/metrics, the status page, /-/reload).
//
//   tls_server_config:
//     cert_file: server.crt           # PEM certificate (chain)
//     key_file: server.key            # PEM private key
//     min_version: TLS12              # TLS10, TLS11, TLS12 (default), TLS13
//     client_auth_type: NoClientCert  # or RequireAndVerifyClientCert
//     client_ca_file: ca.crt          # required with RequireAndVerifyClientCert
//   basic_auth_users:
//     prometheus: $2y$10$...          # bcrypt hash (htpasswd -nBC 10 "" | tr -d ':\n')
//
// The config module reads the file (LoadWebConfigFile): paths are relative
// to its directory, unknown keys are errors. Thread safety: a WebConfig is a
// plain value; BasicAuth is safe for concurrent use.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "llm_cost_exporter/status.h"

namespace lce {

struct TlsConfig {
  bool enabled = false;
  std::string cert_file;
  std::string key_file;
  std::string min_version = "TLS12";
  bool require_client_cert = false;
  std::string client_ca_file;
};

struct WebConfig {
  TlsConfig tls;
  std::map<std::string, std::string> basic_auth_users;  // user -> bcrypt hash
};

// Verifies "Basic <base64(user:password)>" against bcrypt hashes. bcrypt is
// slow on purpose (tens of ms), and Prometheus sends the same credentials on
// every scrape, so a verified pair is remembered (as a SHA-256 of user and
// password, never the password) and later checks of it are a set lookup.
class BasicAuth {
 public:
  explicit BasicAuth(std::map<std::string, std::string> users) : users_(std::move(users)) {}

  bool enabled() const { return !users_.empty(); }
  // The user name when the header names a configured user with the right
  // password; nullopt otherwise.
  std::optional<std::string> Verify(std::string_view authorization) const;

 private:
  std::map<std::string, std::string> users_;
  mutable std::mutex mutex_;
  mutable std::set<std::string> verified_;
};

// Checks a password against a bcrypt hash ($2a$, $2b$, $2y$) with libxcrypt.
bool BcryptMatches(std::string_view password, const std::string& hash);

// Decodes standard base64 (with padding); nullopt on invalid input.
std::optional<std::string> DecodeBase64(std::string_view text);

}  // namespace lce

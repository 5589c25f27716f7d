#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "llm_cost_exporter/config.h"
#include "llm_cost_exporter/web_config.h"

namespace lce {
namespace {

// bcrypt (cost 4, to keep the test fast) of "s3cret".
constexpr const char* kHash = "$2b$04$lG576jm4iA3q8MP/0VmUtOL55hqE6QWnMZVRxYIVqgXNP4qP1Qqqi";

std::string Basic(const std::string& base64) { return "Basic " + base64; }

TEST_CASE("DecodeBase64: standard alphabet with padding", "[auth][web]") {
  CHECK(DecodeBase64("cHJvbTpzM2NyZXQ=") == "prom:s3cret");
  CHECK(DecodeBase64("YQ==") == "a");
  CHECK(DecodeBase64("") == "");
  CHECK_FALSE(DecodeBase64("YQ="));
  CHECK_FALSE(DecodeBase64("Y==="));
  CHECK_FALSE(DecodeBase64("YQ==YQ=="));
  CHECK_FALSE(DecodeBase64("c!=="));
}

TEST_CASE("BcryptMatches checks the password against the hash", "[auth][web]") {
  CHECK(BcryptMatches("s3cret", kHash));
  CHECK_FALSE(BcryptMatches("s3cret ", kHash));
  CHECK_FALSE(BcryptMatches("", kHash));
  CHECK_FALSE(BcryptMatches("s3cret", "not a hash"));
}

TEST_CASE("BasicAuth: right user and password only, remembered once verified", "[auth][web]") {
  const BasicAuth auth(std::map<std::string, std::string>{{"prom", kHash}});
  CHECK(auth.enabled());
  CHECK(auth.Verify(Basic("cHJvbTpzM2NyZXQ=")) == "prom");  // prom:s3cret
  CHECK(auth.Verify("basic cHJvbTpzM2NyZXQ=") == "prom");   // cached path, scheme case-insensitive
  CHECK_FALSE(auth.Verify(Basic("cHJvbTp3cm9uZw==")));      // prom:wrong
  CHECK_FALSE(auth.Verify(Basic("YWxpY2U6czNjcmV0")));      // alice:s3cret
  CHECK_FALSE(auth.Verify(Basic("cHJvbXMzY3JldA==")));      // no colon
  CHECK_FALSE(auth.Verify("Bearer cHJvbTpzM2NyZXQ="));
  CHECK_FALSE(auth.Verify(""));
  CHECK_FALSE(BasicAuth(std::map<std::string, std::string>{}).enabled());
}

TEST_CASE("ParseWebConfig: TLS files, versions, client certificates, users", "[auth][web]") {
  const auto dir = std::filesystem::temp_directory_path() / "lce_web_config_test";
  std::filesystem::create_directories(dir);
  for (const char* name : {"server.crt", "server.key", "ca.crt"}) std::ofstream(dir / name) << "pem";

  auto config = ParseWebConfig(std::string(R"(
tls_server_config:
  cert_file: server.crt
  key_file: server.key
  min_version: TLS13
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
basic_auth_users:
  prom: )") + kHash + "\n",
                               "web.yml", dir.string());
  INFO(config.status().message());
  REQUIRE(config.ok());
  CHECK(config->tls.enabled);
  CHECK(config->tls.cert_file == (dir / "server.crt").string());
  CHECK(config->tls.min_version == "TLS13");
  CHECK(config->tls.require_client_cert);
  CHECK(config->basic_auth_users.at("prom") == kHash);

  auto error = [&](const std::string& text) {
    auto parsed = ParseWebConfig(text, "web.yml", dir.string());
    REQUIRE_FALSE(parsed.ok());
    return parsed.status().message();
  };
  CHECK(error("tls_server_config: {cert_file: server.crt}").find("needs cert_file and key_file") != std::string::npos);
  CHECK(error("tls_server_config: {cert_file: nope.crt, key_file: server.key}").find("no such file") !=
        std::string::npos);
  CHECK(error("tls_server_config: {cert_file: server.crt, key_file: server.key, min_version: SSL3}")
            .find("min_version") != std::string::npos);
  CHECK(error("tls_server_config: {cert_file: server.crt, key_file: server.key, client_auth_type: "
              "RequireAndVerifyClientCert}")
            .find("needs client_ca_file") != std::string::npos);
  CHECK(error("basic_auth_users: {prom: plaintext}").find("bcrypt") != std::string::npos);
  CHECK(error("http_server_config: {}").find("unknown key \"http_server_config\"") != std::string::npos);
  CHECK(ParseWebConfig("", "web.yml", dir.string()).ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lce

#include <catch2/catch.hpp>

#include "llm_cost_exporter/auth.h"
#include "llm_cost_exporter/config.h"

namespace lce {
namespace {

// printf %s "tok_growth_1" | sha256sum
constexpr const char* kGrowthDigest = "e22932e4027fa891b7424af7759a212f5697bc315c4d0eec719fc848ddf69e99";

std::string KeysDocument() {
  return std::string(R"(
projects:
  - name: growth
    campaigns: ["cmp_2026_*"]
    keys:
      - id: growth-2026-11
        sha256: )") +
         kGrowthDigest + R"(
      - id: growth-2026-12
        sha256: )" +
         Sha256Hex("tok_growth_2") + R"(
        campaigns: ["cmp_2026_04_*"]
  - name: ops
    keys:
      - id: ops-admin
        sha256: )" +
         Sha256Hex("tok_ops") + "\n";
}

ApiKeys MustParse(const std::string& text) {
  auto keys = ParseApiKeys(text, "keys.yml");
  INFO(keys.status().message());
  REQUIRE(keys.ok());
  return std::move(keys).value();
}

std::string ParseError(const std::string& text) {
  auto keys = ParseApiKeys(text, "keys.yml");
  REQUIRE_FALSE(keys.ok());
  return keys.status().message();
}

TEST_CASE("Sha256Hex matches sha256sum", "[auth]") {
  CHECK(Sha256Hex("tok_growth_1") == kGrowthDigest);
  CHECK(Sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("ApiKeys: bearer tokens find their key, project and scope", "[auth]") {
  const ApiKeys keys = MustParse(KeysDocument());
  CHECK(keys.key_count() == 3);
  AuthFailure failure = AuthFailure::kMissing;

  const Principal* first = keys.Authenticate("Bearer tok_growth_1", &failure);
  REQUIRE(first != nullptr);
  CHECK(first->key_id == "growth-2026-11");
  CHECK(first->project == "growth");
  CHECK(first->MayUseCampaign("cmp_2026_04_springpromo"));
  CHECK(first->MayUseCampaign("cmp_2026_09_fall"));
  CHECK_FALSE(first->MayUseCampaign("cmp_2025_12_xmas"));
  CHECK_FALSE(first->MayUseCampaign(""));  // restricted keys cannot write campaign-less records

  // Two live keys for one project (rotation); the second is narrower.
  const Principal* second = keys.Authenticate("bearer  tok_growth_2 ", &failure);
  REQUIRE(second != nullptr);
  CHECK(second->project == "growth");
  CHECK(second->MayUseCampaign("cmp_2026_04_springpromo"));
  CHECK_FALSE(second->MayUseCampaign("cmp_2026_09_fall"));

  const Principal* ops = keys.Authenticate("Bearer tok_ops", &failure);
  REQUIRE(ops != nullptr);
  CHECK(ops->Unrestricted());
  CHECK(ops->MayUseCampaign(""));
  CHECK(ops->MayUseCampaign("anything"));
}

TEST_CASE("ApiKeys: scope reprice only for keys without campaign restrictions", "[auth][reprice]") {
  const std::string admin =
      "projects:\n  - name: ops\n    keys:\n      - id: ops-admin\n        sha256: " + Sha256Hex("tok_admin") +
      "\n        scopes: [reprice]\n      - id: ops-reader\n" + "        sha256: " + Sha256Hex("tok_reader") + "\n";
  const ApiKeys keys = MustParse(admin);
  AuthFailure failure{};
  const Principal* key = keys.Authenticate("Bearer tok_admin", &failure);
  REQUIRE(key != nullptr);
  CHECK(key->may_reprice);
  key = keys.Authenticate("Bearer tok_reader", &failure);
  REQUIRE(key != nullptr);
  CHECK_FALSE(key->may_reprice);
  std::string unknown = admin;
  unknown.replace(unknown.find("[reprice]"), 9, "[delete]");
  CHECK_THAT(ParseError(unknown), Catch::Contains("unknown scope \"delete\""));
  std::string restricted = admin;
  restricted.replace(restricted.find("scopes: [reprice]"), 17, "scopes: [reprice]\n        campaigns: [\"c*\"]");
  CHECK_THAT(ParseError(restricted), Catch::Contains("restrict campaigns"));
}

TEST_CASE("ApiKeys: missing, malformed and unknown credentials", "[auth]") {
  const ApiKeys keys = MustParse(KeysDocument());
  AuthFailure failure = AuthFailure::kUnknownKey;
  CHECK(keys.Authenticate("", &failure) == nullptr);
  CHECK(failure == AuthFailure::kMissing);
  CHECK(keys.Authenticate("Basic dXNlcjpwYXNz", &failure) == nullptr);
  CHECK(failure == AuthFailure::kMalformed);
  CHECK(keys.Authenticate("Bearer ", &failure) == nullptr);
  CHECK(failure == AuthFailure::kMalformed);
  CHECK(keys.Authenticate("Bearer tok_growth_3", &failure) == nullptr);
  CHECK(failure == AuthFailure::kUnknownKey);
  // The digest itself is not a key.
  CHECK(keys.Authenticate(std::string("Bearer ") + kGrowthDigest, &failure) == nullptr);
  CHECK(AuthFailureName(AuthFailure::kUnknownKey) == "unknown_key");
}

TEST_CASE("ApiKeys: documents are validated and errors name the place", "[auth]") {
  CHECK(MustParse("").key_count() == 0);
  CHECK(ParseError("projects: [{name: a, keys: [{id: k, sha256: abc}]}]").find("projects[0].keys[0].sha256") !=
        std::string::npos);
  CHECK(ParseError("projects: [{name: a, keys: [{id: k, sha256: " + Sha256Hex("x") + ", scope: all}]}]")
            .find("unknown key \"projects[0].keys[0].scope\"") != std::string::npos);
  CHECK(ParseError("projects: [{name: a, keys: [{id: k, sha256: " + Sha256Hex("x") +
                   "}, {id: k, sha256: " + Sha256Hex("y") + "}]}]")
            .find("repeats key id \"k\"") != std::string::npos);
  CHECK(ParseError("projects: [{name: a, keys: [{id: k1, sha256: " + Sha256Hex("x") +
                   "}, {id: k2, sha256: " + Sha256Hex("x") + "}]}]")
            .find("digest of another key") != std::string::npos);
  CHECK(
      ParseError("projects: [{name: a b, keys: [{id: k, sha256: " + Sha256Hex("x") + "}]}]").find("projects[0].name") !=
      std::string::npos);
  CHECK(ParseError("projects: [{name: a, keys: []}]").find("non-empty list") != std::string::npos);
  CHECK(ParseError("projects: [{name: a, campaigns: [], keys: [{id: k, sha256: " + Sha256Hex("x") + "}]}]")
            .find("campaign patterns") != std::string::npos);
  CHECK(ParseError("projects: [{name: a").find("keys.yml") == 0);
}

}  // namespace
}  // namespace lce

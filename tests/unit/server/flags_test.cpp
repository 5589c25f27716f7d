#include <catch2/catch.hpp>

#include "flags.h"

using lce::ParseFlags;

TEST_CASE("defaults work from the repository root", "[flags]") {
  auto flags = ParseFlags({});
  REQUIRE(flags.ok());
  CHECK(flags->config_file == "config/llm_cost_exporter.yml");
  CHECK(flags->pricing_dir == "pricing");
  CHECK(flags->listen_address == "127.0.0.1:9477");
  CHECK(flags->log_format == "logfmt");
  CHECK(flags->web_config_file.empty());  // plain HTTP, no basic auth
}

TEST_CASE("the web config flag names the TLS and basic auth file", "[flags]") {
  auto flags = ParseFlags({"--web.config.file=/etc/lce/web.yml"});
  REQUIRE(flags.ok());
  CHECK(flags->web_config_file == "/etc/lce/web.yml");
}

TEST_CASE("flags take --name=value and --name value", "[flags]") {
  auto flags = ParseFlags({"--web.listen-address=:9100", "--log.format", "json", "--check-config"});
  REQUIRE(flags.ok());
  CHECK(flags->listen_address == ":9100");
  CHECK(flags->log_format == "json");
  CHECK(flags->check_config);
  CHECK_FALSE(flags->migrate_only);
  CHECK(ParseFlags({"--storage.migrate-only"})->migrate_only);
}

TEST_CASE("unknown flags, missing values and values on switches are errors", "[flags]") {
  CHECK_THAT(ParseFlags({"--nope"}).status().message(), Catch::Contains("unknown flag --nope"));
  CHECK_THAT(ParseFlags({"--config.file"}).status().message(), Catch::Contains("needs a value"));
  CHECK_THAT(ParseFlags({"--version=yes"}).status().message(), Catch::Contains("takes no value"));
}

TEST_CASE("usage lists every flag with its default", "[flags]") {
  const std::string usage = lce::FlagsUsage();
  for (const char* name :
       {"--config.file=\"config/llm_cost_exporter.yml\"", "--pricing.dir=\"pricing\"", "--web.listen-address",
        "--log.level", "--log.format", "--check-config", "--storage.migrate-only", "--version"}) {
    CHECK_THAT(usage, Catch::Contains(name));
  }
}

#include <catch2/catch.hpp>

#include "llm_cost_exporter/log.h"

using namespace lce::log;

TEST_CASE("logfmt quotes values that need it", "[log]") {
  const std::string line = FormatEvent(Format::kLogfmt, Level::kWarn, "2026-01-01T00:00:00.000Z", "reload failed",
                                       {{"file", "a b.yaml"}, {"n", "3"}, {"q", "say \"hi\""}});
  CHECK(line == R"(ts=2026-01-01T00:00:00.000Z level=warn msg="reload failed" file="a b.yaml" n=3 q="say \"hi\"")");
}

TEST_CASE("json lines are one object with the fields in order", "[log]") {
  const std::string line = FormatEvent(Format::kJson, Level::kInfo, "2026-01-01T00:00:00.000Z", "listening",
                                       {{"address", "127.0.0.1:9477"}});
  CHECK(line == R"({"ts":"2026-01-01T00:00:00.000Z","level":"info","msg":"listening","address":"127.0.0.1:9477"})");
}

TEST_CASE("level and format flags are parsed strictly", "[log]") {
  CHECK(ParseLevel("debug").ok());
  CHECK_FALSE(ParseLevel("verbose").ok());
  CHECK(ParseFormat("json").ok());
  CHECK_FALSE(ParseFormat("xml").ok());
}

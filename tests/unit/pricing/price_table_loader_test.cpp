#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "llm_cost_exporter/pricing.h"

namespace lce {
namespace {

using Catch::Contains;

// A valid table; tests replace one line to break it.
constexpr const char* kValid = R"(provider: acme
currency: USD
aliases: [acme.ai]
versions:
  - effective_from: 2025-01-01
    service_tiers: {batch: 0.5}
    models:
      m:
        aliases: [m-2025]
        per_million_tokens: {input: 1.00, output: 2.00}
)";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

std::string LoadError(const std::vector<std::pair<std::string, std::string>>& documents) {
  const auto book = PriceBook::LoadDocuments(documents);
  REQUIRE_FALSE(book.ok());
  CHECK(book.status().code() == Status::Code::kInvalidArgument);
  return book.status().message();
}

std::string LoadError(const std::string& yaml) { return LoadError({{"t.yaml", yaml}}); }

TEST_CASE("the valid fixture loads", "[pricing][loader]") {
  const auto book = PriceBook::LoadDocuments({{"t.yaml", kValid}});
  INFO(book.status().message());
  CHECK(book.ok());
}

TEST_CASE("unknown keys are errors naming file, line and key path", "[pricing][loader]") {
  CHECK(LoadError(std::string(kValid) + "colour: red\n") ==
        "t.yaml:11: colour: unknown key (allowed: provider, "
        "currency, aliases, matches_vendorless_records, versions)");
  const std::string nested = LoadError(Replace(kValid, "{input: 1.00,", "{inptu: 1.00,"));
  CHECK_THAT(nested, Contains("t.yaml:10: versions[0].models[m].per_million_tokens.inptu: unknown key"));
  CHECK_THAT(LoadError(Replace(kValid, "    models:", "    model:")),
             Contains("t.yaml:7: versions[0].model: unknown key"));
  CHECK_THAT(LoadError(Replace(kValid, "        aliases: [m-2025]", "        alias: [m-2025]")),
             Contains("t.yaml:9: versions[0].models[m].alias: unknown key"));
}

TEST_CASE("duplicate keys are errors", "[pricing][loader]") {
  CHECK_THAT(LoadError(Replace(kValid, "currency: USD", "currency: USD\ncurrency: USD")),
             Contains("t.yaml:3: currency: duplicate key"));
  CHECK_THAT(LoadError(Replace(kValid, "output: 2.00}", "output: 2.00, input: 3}")),
             Contains("t.yaml:10: versions[0].models.m.per_million_tokens.input: duplicate key"));
}

TEST_CASE("negative and malformed prices are errors", "[pricing][loader]") {
  CHECK_THAT(LoadError(Replace(kValid, "input: 1.00", "input: -1.00")),
             Contains("t.yaml:10: versions[0].models[m].per_million_tokens.input: '-1.00' is negative"));
  CHECK_THAT(LoadError(Replace(kValid, "input: 1.00", "input: 1e-6")),
             Contains("per_million_tokens.input: '1e-6' is not a plain decimal"));
  CHECK_THAT(LoadError(Replace(kValid, "input: 1.00", "input: 0.0000000000001")),
             Contains("per_million_tokens.input: '0.0000000000001' has more than 12 fractional digits"));
  CHECK_THAT(LoadError(Replace(kValid, "input: 1.00", "input: [1]")),
             Contains("per_million_tokens.input: expected a single value"));
  CHECK_THAT(LoadError(Replace(kValid, "input: 1.00", "input: 2000000")),
             Contains("above the largest supported price"));
  CHECK_THAT(LoadError(Replace(kValid, "batch: 0.5", "batch: -0.5")),
             Contains("t.yaml:6: versions[0].service_tiers.batch: '-0.5' is negative"));
}

TEST_CASE("missing required fields are errors", "[pricing][loader]") {
  CHECK_THAT(LoadError(Replace(kValid, ", output: 2.00", "")),
             Contains("versions[0].models[m].per_million_tokens: needs both input and output prices"));
  CHECK_THAT(LoadError(Replace(kValid, "provider: acme\n", "")), Contains("t.yaml:1: provider, currency and "
                                                                          "versions are required"));
  CHECK_THAT(LoadError(Replace(kValid, "        per_million_tokens: {input: 1.00, output: 2.00}\n", "")),
             Contains("versions[0].models[m]: a model needs per_million_tokens"));
  CHECK_THAT(LoadError(Replace(kValid, "  - effective_from: 2025-01-01\n", "  - \n")),
             Contains("versions[0]: a version needs effective_from"));
  CHECK_THAT(LoadError("provider: acme\ncurrency: USD\nversions:\n  - effective_from: 2025-01-01\n"),
             Contains("versions[0]: a version needs models or per_unit"));
  CHECK_THAT(LoadError("provider: acme\ncurrency: USD\nversions: []\n"),
             Contains("versions: expected a non-empty list of versions"));
  CHECK_THAT(LoadError(""), Contains("t.yaml: expected exactly one YAML document, found 0"));
}

TEST_CASE("only USD is supported", "[pricing][loader]") {
  CHECK(LoadError(Replace(kValid, "USD", "EUR")) == "t.yaml:2: currency: 'EUR' is not supported (only USD)");
}

TEST_CASE("versions must be strictly ascending", "[pricing][loader]") {
  const std::string second = R"(  - effective_from: DATE
    models:
      m: {per_million_tokens: {input: 1, output: 2}}
)";
  CHECK_THAT(LoadError(std::string(kValid) + Replace(second, "DATE", "2024-12-31")),
             Contains("t.yaml:11: versions[1].effective_from: '2024-12-31' is not after the previous version's "
                      "'2025-01-01'"));
  CHECK_THAT(LoadError(std::string(kValid) + Replace(second, "DATE", "2025-01-01")),
             Contains("versions[1].effective_from: '2025-01-01' is not after"));
  CHECK_THAT(LoadError(std::string(kValid) + Replace(second, "DATE", "2025-01-01T00:00:00Z")),
             Contains("versions[1].effective_from: '2025-01-01T00:00:00Z' is not after"));
  const auto later = PriceBook::LoadDocuments(
      {{"t.yaml", std::string(kValid) + Replace(second, "DATE", "2025-01-01T00:00:00.000000001Z")}});
  CHECK(later.ok());
}

TEST_CASE("effective_from must be a date or an RFC 3339 timestamp", "[pricing][loader]") {
  for (const char* bad : {"2025-13-01", "2025-02-30", "25-01-01", "2025-01-01T25:00:00Z", "2025-01-01T00:00:00",
                          "2025-01-01 00:00:00Z", "yesterday", "1969-12-31", "2025-01-01T00:00:00+0100"}) {
    INFO(bad);
    CHECK_THAT(LoadError(Replace(kValid, "2025-01-01", bad)),
               Contains("t.yaml:5: versions[0].effective_from: '" + std::string(bad) + "' is not a date"));
  }
  const auto offset =
      PriceBook::LoadDocuments({{"t.yaml", Replace(kValid, "2025-01-01", "2025-01-01T02:00:00+02:00")}});
  REQUIRE(offset.ok());
  CHECK((*offset)->tables()[0].effective_from_unix_ns == 1'735'689'600'000'000'000);  // 2025-01-01T00:00:00Z
}

TEST_CASE("a name may belong to one model per version", "[pricing][loader]") {
  const std::string two_models = std::string(kValid) +
                                 "      n:\n        aliases: [m-2025]\n"
                                 "        per_million_tokens: {input: 1, output: 2}\n";
  CHECK(LoadError(two_models) ==
        "t.yaml:12: versions[0].models[n].aliases[0]: 'm-2025' already names model 'm' in this version");
  CHECK_THAT(LoadError(Replace(kValid, "[m-2025]", "[m-2025, m]")),
             Contains("versions[0].models[m].aliases[1]: 'm' already names model 'm'"));
  const std::string alias_is_model =
      std::string(kValid) + "      m-2025: {per_million_tokens: {input: 1, output: 2}}\n";
  CHECK_THAT(LoadError(alias_is_model), Contains("versions[0].models[m-2025]: 'm-2025' already names model 'm'"));
}

TEST_CASE("provider names and aliases are unique across files", "[pricing][loader]") {
  const std::string other =
      "provider: other\ncurrency: USD\naliases: [acme.ai]\nversions:\n"
      "  - effective_from: 2025-01-01\n    per_unit: {emails: 0.001}\n";
  CHECK(LoadError({{"acme.yaml", kValid}, {"other.yaml", other}}) ==
        "other.yaml: provider name or alias 'acme.ai' is already used by provider 'acme' (acme.yaml)");
  CHECK_THAT(LoadError({{"a.yaml", kValid}, {"b.yaml", kValid}}),
             Contains("b.yaml: provider name or alias 'acme' is already used by provider 'acme' (a.yaml)"));
  CHECK_THAT(LoadError(Replace(kValid, "[acme.ai]", "[acme.ai, acme]")),
             Contains("t.yaml: provider name or alias 'acme' is already used by provider 'acme' (t.yaml)"));
}

TEST_CASE("names must be label-safe", "[pricing][loader]") {
  CHECK_THAT(LoadError(Replace(kValid, "provider: acme", "provider: 'ac me'")),
             Contains("t.yaml:1: provider: 'ac me' is not a valid name"));
  CHECK_THAT(LoadError(Replace(kValid, "[m-2025]", "[\"m@2025\"]")),
             Contains("versions[0].models[m].aliases[0]: 'm@2025' is not a valid name"));
}

TEST_CASE("multipliers must keep every price exact", "[pricing][loader]") {
  // 0.000000000001 per 1M tokens is 1 attodollar per token; half of it is not whole.
  CHECK(LoadError(Replace(kValid, "input: 1.00", "input: 0.000000000001")) ==
        "t.yaml:6: versions[0].service_tiers.batch: multiplier 0.5 of service tier 'batch' on model 'm' times "
        "per_million_tokens.input 0.000000000001 USD per 1M tokens is not exact (not a whole number of "
        "attodollars per token)");
  // A model-level tier; the version-level batch is dropped so flex is the only multiplier.
  const std::string tiered = Replace(Replace(kValid, "    service_tiers: {batch: 0.5}\n", ""),
                                     "        per_million_tokens: {input: 1.00, output: 2.00}\n",
                                     "        per_million_tokens: {input: 1.00, output: 2.00}\n"
                                     "        tiers:\n"
                                     "          - above_input_tokens: 1000\n"
                                     "            per_million_tokens: {input: 2.00, output: 3.000000000003}\n"
                                     "        service_tiers: {flex: 0.5}\n");
  CHECK(LoadError(tiered) ==
        "t.yaml:13: versions[0].models[m].service_tiers.flex: multiplier 0.5 of service tier 'flex' on model 'm' "
        "times tiers[0].per_million_tokens.output 3.000000000003 USD per 1M tokens is not exact (not a whole "
        "number of attodollars per token)");
  CHECK_THAT(LoadError(Replace(tiered, "{flex: 0.5}", "{flex: 0.333333}")),
             Contains("multiplier 0.333333 of service tier 'flex' on model 'm' times "
                      "tiers[0].per_million_tokens.output 3.000000000003"));
  CHECK(PriceBook::LoadDocuments({{"t.yaml", Replace(tiered, "3.000000000003", "3.000000000002")}}).ok());
  CHECK_THAT(LoadError(Replace(kValid, "batch: 0.5", "batch: 0.1234567")), Contains("more than 6 fractional"));
  CHECK_THAT(LoadError(Replace(kValid, "batch: 0.5", "default: 1")),
             Contains("versions[0].service_tiers.default: is always the base price"));
}

TEST_CASE("tier thresholds are strictly ascending", "[pricing][loader]") {
  const std::string tiers =
      Replace(kValid, "        per_million_tokens: {input: 1.00, output: 2.00}\n",
              "        per_million_tokens: {input: 1.00, output: 2.00}\n"
              "        tiers:\n"
              "          - {above_input_tokens: 1000, per_million_tokens: {input: 2, output: 4}}\n"
              "          - {above_input_tokens: 1000, per_million_tokens: {input: 3, output: 6}}\n");
  CHECK_THAT(LoadError(tiers), Contains("t.yaml:13: versions[0].models[m].tiers[1].above_input_tokens: tier "
                                        "thresholds must be strictly ascending"));
  CHECK_THAT(LoadError(Replace(tiers, "above_input_tokens: 1000, per", "above_input_tokens: 1.5, per")),
             Contains("tiers[0].above_input_tokens: '1.5' has more than 0 fractional digits"));
  CHECK_THAT(LoadError(Replace(tiers, ", per_million_tokens: {input: 2, output: 4}", "")),
             Contains("tiers[0]: a tier needs above_input_tokens and per_million_tokens"));
}

TEST_CASE("malformed YAML is an error with the file and line", "[pricing][loader]") {
  const std::string broken = Replace(kValid, "{input: 1.00, output: 2.00}", "{input: 1.00, output: 2.00");
  CHECK_THAT(LoadError(broken), Contains("t.yaml:11: invalid YAML:"));
  CHECK_THAT(LoadError("provider: acme\n  currency: USD\n"), Contains("t.yaml:2: invalid YAML:"));
  CHECK_THAT(LoadError(std::string(kValid) + "---\nprovider: x\n"),
             Contains("t.yaml: expected exactly one YAML document, found 2 or more"));
  // Found by fuzz_test/price_table: on a "," outside any flow collection
  // yaml-cpp's LoadAll yields empty documents forever (it never returned,
  // allocating until memory ran out).
  CHECK_THAT(LoadError(","), Contains("t.yaml: expected exactly one YAML document, found 2 or more"));
  CHECK_THAT(LoadError(",\n" + std::string(kValid)), Contains("t.yaml: expected exactly one YAML document"));
  CHECK_THAT(LoadError("- just\n- a list\n"), Contains("t.yaml:1: expected a mapping"));
}

class TempDir {
 public:
  TempDir() : path_(std::filesystem::temp_directory_path() / ("lce_pricing_test_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }
  void Write(const std::string& name, const std::string& text) const { std::ofstream(path_ / name) << text; }

 private:
  std::filesystem::path path_;
};

TEST_CASE("LoadDirectory reads *.yaml and *.yml, skipping other and hidden files", "[pricing][loader]") {
  TempDir dir;
  dir.Write("acme.yaml", kValid);
  dir.Write("zeta.yml",
            "provider: zeta\ncurrency: USD\nversions:\n"
            "  - effective_from: 2025-01-01\n    per_unit: {credits: 0.28}\n");
  dir.Write(".acme.yaml.swp", "not yaml: [");
  dir.Write("README.md", "# not a table");
  std::filesystem::create_directory(dir.path() / "..data.yaml");

  const auto book = PriceBook::LoadDirectory(dir.path().string());
  INFO(book.status().message());
  REQUIRE(book.ok());
  REQUIRE((*book)->tables().size() == 2);
  CHECK((*book)->tables()[0].file == "acme.yaml");
  CHECK((*book)->tables()[1].file == "zeta.yml");
}

TEST_CASE("LoadDirectory errors name the directory or file", "[pricing][loader]") {
  TempDir dir;
  const auto empty = PriceBook::LoadDirectory(dir.path().string());
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.status().code() == Status::Code::kNotFound);
  CHECK_THAT(empty.status().message(), Contains("has no *.yaml or *.yml price tables"));

  const auto missing = PriceBook::LoadDirectory((dir.path() / "absent").string());
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == Status::Code::kIoError);
  CHECK_THAT(missing.status().message(), Contains("absent"));

  dir.Write("bad.yaml", Replace(kValid, "USD", "GBP"));
  const auto bad = PriceBook::LoadDirectory(dir.path().string());
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() == "bad.yaml:2: currency: 'GBP' is not supported (only USD)");
}

}  // namespace
}  // namespace lce

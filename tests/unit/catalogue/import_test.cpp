#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "llm_cost_exporter/catalogue.h"

namespace lce::catalogue {
namespace {

namespace fs = std::filesystem;
using Catch::Contains;
using Catch::StartsWith;

const std::string kFixtures = std::string(LCE_SOURCE_DIR) + "/tests/unit/catalogue/fixtures";

// The directories TempDir made, removed when the test binary exits.
class TempDirs {
 public:
  ~TempDirs() {
    for (const std::string& dir : dirs_) {
      std::error_code ignored;
      fs::remove_all(dir, ignored);
    }
  }
  void Add(std::string dir) { dirs_.push_back(std::move(dir)); }

 private:
  std::vector<std::string> dirs_;
};

// A fresh directory, optionally with the fixture tables copied in.
std::string TempDir(bool with_tables) {
  static TempDirs made;
  std::string pattern = (fs::temp_directory_path() / "lce-catalogue-XXXXXX").string();
  REQUIRE(mkdtemp(pattern.data()) != nullptr);
  made.Add(pattern);
  if (with_tables) fs::copy(kFixtures + "/tables", pattern);
  return pattern;
}

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

ImportOptions Options(const std::string& dir, std::vector<std::string> providers) {
  ImportOptions o;
  o.genai_prices_file = kFixtures + "/genai-prices.json";
  o.litellm_file = kFixtures + "/litellm.json";
  o.pricing_dir = dir;
  o.providers = std::move(providers);
  o.effective_from = "2026-12-01";
  return o;
}

ImportPlan Plan(const ImportOptions& options) {
  Result<ImportPlan> plan = PlanImport(options);
  REQUIRE(plan.ok());
  return std::move(*plan);
}

const FileChange& Change(const ImportPlan& plan, const std::string& file) {
  for (const FileChange& c : plan.changes) {
    if (c.file == file) return c;
  }
  FAIL("no change to " << file << "\n" << plan.report);
  throw std::logic_error("unreachable");
}

TEST_CASE("catalogue import: a long-context tier writes every key of the tier") {
  const ImportPlan plan = Plan(Options(TempDir(false), {"anthropic"}));
  const std::string& text = Change(plan, "anthropic.yaml").text;
  CHECK_THAT(text, Contains("      claude-sonnet-4-5:\n"
                            "        per_million_tokens: {input: 3, output: 15, cached_input: 0.3, cache_write: 3.75, "
                            "cache_write_1h: 6}\n"
                            "        tiers:\n"
                            "          - above_input_tokens: 200000\n"
                            "            per_million_tokens: {input: 6, output: 22.5, cached_input: 0.6, "
                            "cache_write: 7.5, cache_write_1h: 12}\n"));
  // LiteLLM only: 1e-07 per token is 0.1 per 1M exactly.
  CHECK_THAT(text,
             Contains("      claude-haiku-4-5:\n"
                      "        per_million_tokens: {input: 1, output: 5, cached_input: 0.1, cache_write: 1.25}\n"));
  CHECK_THAT(plan.report, Contains("claude-sonnet-4-5: not imported: web_searches_kcount"));
  CHECK_THAT(text,
             StartsWith("# anthropic prices, USD per 1M tokens, imported by `llm_cost_exporter pricing import` on "));
  CHECK_THAT(text, Contains("\n#   from genai-prices: " + kFixtures +
                            "/genai-prices.json\n#   from LiteLLM: " + kFixtures + "/litellm.json\n"));
  CHECK_THAT(text,
             Contains("provider: anthropic\ncurrency: USD\nversions:\n  # imported from genai-prices and LiteLLM on "));
}

TEST_CASE("catalogue import: starts_with rules become prefixes only with --emit-prefixes") {
  ImportOptions options = Options(TempDir(false), {"anthropic"});
  CHECK_THAT(Change(Plan(options), "anthropic.yaml").text, !Contains("prefixes:"));
  options.emit_prefixes = true;
  CHECK_THAT(Change(Plan(options), "anthropic.yaml").text,
             Contains("      claude-sonnet-4-5:\n        prefixes: [claude-sonnet-4-5, claude-sonnet-4.5]\n"));
}

TEST_CASE("catalogue import: service-tier prices become a multiplier only when one ratio fits") {
  const ImportPlan plan = Plan(Options(TempDir(false), {"openai"}));
  const std::string& text = Change(plan, "openai.yaml").text;
  CHECK_THAT(text, Contains("      gpt-4o:\n"
                            "        aliases: [gpt-4o-2024-05-13, gpt-4o-2024-08-06]\n"
                            "        per_million_tokens: {input: 2.5, output: 10, cached_input: 1.25}\n"
                            "        service_tiers:\n"
                            "          batch: 0.5\n"
                            "          priority: 1.7\n"));
  // gpt-4o-mini priority: 0.25 / 0.15 is no exact ratio, so absolute prices.
  CHECK_THAT(text, Contains("      gpt-4o-mini:\n"
                            "        aliases: [gpt-4o-mini-2024-07-18]\n"
                            "        per_million_tokens: {input: 0.15, output: 0.6, cached_input: 0.075}\n"
                            "        service_tiers:\n"
                            "          priority:\n"
                            "            per_million_tokens: {input: 0.25, output: 1, cached_input: 0.125}\n"));
}

TEST_CASE("catalogue import: float noise is rounded, an inexact price refuses its model") {
  const ImportPlan plan = Plan(Options(TempDir(false), {"openai", "xai"}));
  CHECK_THAT(Change(plan, "openai.yaml").text,
             Contains("      gpt-noise:\n        per_million_tokens: {input: 0.1, output: 0.18}\n"));
  CHECK_THAT(Change(plan, "xai.yaml").text,
             Contains("      grok-databricks:\n        per_million_tokens: {input: 2.99999, output: 15.00002}\n"));
  CHECK_THAT(plan.report, Contains("gpt-twelfth: refused: cache_write_mtok: '0.08333333333333334' is not exact"));
  CHECK_THAT(Change(plan, "openai.yaml").text, !Contains("gpt-twelfth"));
  CHECK_THAT(plan.report, Contains("xai/grok-bad@1: refused: 'grok-bad@1' is not a valid table name"));
  CHECK_THAT(plan.report, Contains("grok-4-fast: not imported: regional_processing_uplift_multiplier_us"));
}

TEST_CASE("catalogue import: a disagreement keeps the table's reviewed value") {
  const ImportPlan plan = Plan(Options(TempDir(true), {"openai"}));
  CHECK_THAT(plan.report,
             Contains("openai/gpt-4o-2024-05-13: input genai-prices 2.5, litellm 5 -> kept table value 5\n"));
  CHECK_THAT(plan.report,
             Contains("openai/gpt-4o-2024-05-13: output genai-prices 10, litellm 15 -> kept table value 15\n"));
  // The table's model stays as it is: not listed again, not made an alias of gpt-4o.
  const std::string appended = Change(plan, "openai.yaml").text.substr(Change(plan, "openai.yaml").old_size);
  CHECK_THAT(appended, !Contains("gpt-4o-2024-05-13"));
  // Models the catalogues no longer list are kept and named.
  CHECK_THAT(plan.report, Contains("  kept, not in the catalogues: gpt-3-retired\n"));
  CHECK_THAT(appended, !Contains("remove"));
}

TEST_CASE("catalogue import: a disagreement on a model the table lacks takes --prefer") {
  ImportOptions options = Options(TempDir(false), {"openai"});
  CHECK_THAT(Plan(options).report,
             Contains("openai/gpt-4o-2024-05-13: input genai-prices 2.5, litellm 5 -> took genai-prices value 2.5"));
  options.prefer_litellm = true;
  const ImportPlan plan = Plan(options);
  CHECK_THAT(plan.report, Contains("-> took litellm value 5 (not in the table)"));
  CHECK_THAT(Change(plan, "openai.yaml").text,
             Contains("      gpt-4o-2024-05-13:\n        per_million_tokens: {input: 5, output: 15}\n"));
}

TEST_CASE("catalogue import: an id a broad rule takes but priced differently is a variant of its own") {
  const ImportPlan plan = Plan(Options(TempDir(false), {"azure"}));
  const std::string& text = Change(plan, "azure.yaml").text;
  // Same prices under the rule: an alias. Different (a Data Zone): its own model at LiteLLM's prices.
  CHECK_THAT(text, Contains("      o4-mini:\n        aliases: [o4-mini-2025-04-16]\n"
                            "        per_million_tokens: {input: 1.1, output: 4.4}\n"));
  CHECK_THAT(text, Contains("      us/o4-mini-2025-04-16:\n        per_million_tokens: {input: 1.21, output: 4.84}\n"));
  CHECK_THAT(plan.report, Contains("azure.ai.openai/us/o4-mini-2025-04-16: matched by a genai-prices rule of o4-mini "
                                   "but priced differently: imported as its own model with LiteLLM's prices"));
}

TEST_CASE("catalogue import: Claude in genai-prices' google goes to vertex.yaml, not the Gemini API's table") {
  const ImportPlan plan = Plan(Options(TempDir(false), {"google", "vertex"}));
  CHECK_THAT(Change(plan, "google.yaml").text, !Contains("claude"));
  CHECK_THAT(plan.report, Contains("claude-sonnet-4-5: skipped: not served by this provider (another table takes it)"));
  CHECK_THAT(Change(plan, "vertex.yaml").text,
             Contains("      claude-sonnet-4-5:\n        per_million_tokens: {input: 3, output: 15}\n"));
  CHECK_THAT(Change(plan, "vertex.yaml").text, Contains("      gemini-2.5-pro:"));
}

TEST_CASE("catalogue import: a dated change becomes a dated version") {
  const ImportPlan plan = Plan(Options(TempDir(false), {"openai"}));
  const std::string& text = Change(plan, "openai.yaml").text;
  CHECK_THAT(text, Contains("  - effective_from: 2025-06-10\n"
                            "    models:\n"
                            "      o3:\n"
                            "        aliases: [o3-2025-04-16]\n"
                            "        per_million_tokens: {input: 2, output: 8, cached_input: 0.5}\n"));
  CHECK_THAT(text, Contains("  - effective_from: 2026-12-01\n    inherit: true\n    models:\n"));
}

TEST_CASE("catalogue import: a future-dated price becomes a future version") {
  const ImportPlan plan = Plan(Options(TempDir(false), {"google"}));
  // The future version inherits a model with three aliases (a loader regression).
  CHECK(plan.loads.ok());
  const std::string& text = Change(plan, "google.yaml").text;
  CHECK_THAT(text, Contains("        aliases: [gemini-2.5-pro-001, gemini-2.5-pro-002, gemini-2.5-pro-latest]\n"));
  CHECK_THAT(text, Contains("      gemini-3.6-flash:\n"
                            "        per_million_tokens: {input: 0.75, output: 3.75, cached_input: 0.075}\n"));
  CHECK_THAT(text, Contains("  - effective_from: 2027-01-01\n    inherit: true\n    models:\n      gemini-3.6-flash:\n"
                            "        per_million_tokens: {input: 1.5, output: 7.5, cached_input: 0.15}\n"));
}

TEST_CASE("catalogue import: a dated change before the table's newest version is refused") {
  const std::string dir = TempDir(true);
  const ImportPlan plan = Plan(Options(dir, {"openai"}));
  CHECK_THAT(plan.report, Contains("o3: price from 2025-06-10 differs from the table's version 2025-06-10: would "
                                   "rewrite history, not written"));
  const FileChange& change = Change(plan, "openai.yaml");
  const std::string before = Read(dir + "/openai.yaml");
  CHECK(change.text.substr(0, change.old_size) == before);  // existing bytes kept
  CHECK_THAT(change.text.substr(change.old_size), !Contains("effective_from: 2025-06-10"));
}

TEST_CASE("catalogue import: time-of-day prices are refused") {
  const ImportPlan plan = Plan(Options(TempDir(false), {"deepseek"}));
  CHECK_THAT(plan.report, Contains("deepseek-chat: refused: time-of-day prices"));
  CHECK(plan.changes.empty());
}

TEST_CASE("catalogue import: importing again changes nothing, byte for byte") {
  const std::string dir = TempDir(false);
  ImportOptions options = Options(dir, {"xai"});
  const ImportPlan first = Plan(options);
  REQUIRE(first.loads.ok());
  REQUIRE(ApplyImport(first, dir).ok());
  const std::string written = Read(dir + "/xai.yaml");
  CHECK_THAT(written, Contains("provider: x_ai\ncurrency: USD\n"));
  const ImportPlan second = Plan(options);
  CHECK(second.changes.empty());
  CHECK_THAT(second.report, Contains("== xai.yaml (x_ai): 0 added, 0 changed, 3 unchanged, 1 refused"));
  CHECK(Read(dir + "/xai.yaml") == written);
}

TEST_CASE("catalogue import: a result the loader refuses writes nothing") {
  const std::string dir = TempDir(false);
  const std::string other =
      "provider: acme\ncurrency: USD\naliases: [x_ai]\nversions:\n  - effective_from: 2026-01-01\n"
      "    per_unit: {calls: 0.01}\n";
  std::ofstream(dir + "/acme.yaml") << other;
  const ImportPlan plan = Plan(Options(dir, {"xai"}));
  REQUIRE_FALSE(plan.loads.ok());
  CHECK_THAT(plan.loads.message(), Contains("would not load") && Contains("x_ai"));
  CHECK_FALSE(ApplyImport(plan, dir).ok());
  std::ostringstream out, err;
  CHECK(RunPricingCommand(
            {"import", "--litellm=" + kFixtures + "/litellm.json", "--pricing.dir=" + dir, "--providers=xai"}, out,
            err) == 2);
  CHECK_FALSE(fs::exists(dir + "/xai.yaml"));
  CHECK(Read(dir + "/acme.yaml") == other);
}

TEST_CASE("catalogue import: an import into reviewed tables loads and a second one changes nothing") {
  const std::string dir = TempDir(true);
  const std::string before = Read(dir + "/openai.yaml");
  const ImportOptions options = Options(dir, {"openai", "anthropic", "google"});
  const ImportPlan first = Plan(options);
  INFO(first.loads.message());
  REQUIRE(first.loads.ok());
  REQUIRE(ApplyImport(first, dir).ok());
  const std::string after = Read(dir + "/openai.yaml");
  CHECK(after.substr(0, before.size()) == before);
  CHECK_THAT(after.substr(before.size()), Contains("\n  - effective_from: 2026-12-01\n    inherit: true\n"));
  const ImportPlan second = Plan(options);
  CHECK(second.changes.empty());
  CHECK(second.loads.ok());
  CHECK(Read(dir + "/openai.yaml") == after);
}

TEST_CASE("catalogue import: the pricing command's exit codes") {
  const std::string dir = TempDir(false);
  std::ostringstream out, err;
  const std::vector<std::string> args = {"--litellm=" + kFixtures + "/litellm.json", "--pricing.dir=" + dir,
                                         "--providers=xai", "--effective-from=2026-12-01"};
  std::vector<std::string> diff = {"diff"}, import = {"import"};
  diff.insert(diff.end(), args.begin(), args.end());
  import.insert(import.end(), args.begin(), args.end());
  CHECK(RunPricingCommand(diff, out, err) == 1);
  CHECK_FALSE(fs::exists(dir + "/xai.yaml"));
  CHECK(RunPricingCommand(import, out, err) == 0);
  CHECK(fs::exists(dir + "/xai.yaml"));
  CHECK(RunPricingCommand(diff, out, err) == 0);
  CHECK(RunPricingCommand({"diff", "--pricing.dir=" + dir}, out, err) == 2);
  CHECK(RunPricingCommand({"diff", "--bogus=1"}, out, err) == 2);
  CHECK_THAT(err.str(), Contains("unknown flag --bogus"));
}

}  // namespace
}  // namespace lce::catalogue

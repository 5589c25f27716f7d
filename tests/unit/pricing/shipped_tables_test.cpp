// The price tables shipped in pricing/ load, and a few real prices come out exact.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <map>
#include <set>
#include <string>

#include "llm_cost_exporter/pricing.h"

namespace lce {
namespace {

constexpr std::int64_t kNanosPerDay = 86'400'000'000'000;

std::int64_t UnixNs(int year, unsigned month, unsigned day) {
  const std::chrono::sys_days date{std::chrono::year{year} / std::chrono::month{month} / std::chrono::day{day}};
  return date.time_since_epoch().count() * kNanosPerDay;
}

const std::int64_t kNow = UnixNs(2026, 11, 1);

std::shared_ptr<const PriceBook> Shipped() {
  static const std::shared_ptr<const PriceBook> book = [] {
    auto loaded = PriceBook::LoadDirectory(LCE_SOURCE_DIR "/pricing");
    INFO(loaded.status().message());
    REQUIRE(loaded.ok());
    return *loaded;
  }();
  return book;
}

struct Tokens {
  std::uint64_t input = 0;
  std::uint64_t output = 0;
  std::uint64_t cached_input = 0;
  std::uint64_t cache_write = 0;
  std::uint64_t cache_write_1h = 0;
};

std::string TokenCost(std::string_view vendor, std::string_view model, const Tokens& t, std::int64_t at = kNow,
                      std::string_view service_tier = "") {
  UsageRecord record;
  record.event = "llm.call";
  record.vendor = vendor;
  record.model = model;
  record.service_tier = service_tier;
  record.timestamp_unix_ns = at;
  record.has_token_usage = true;
  record.tokens[TokenType::kInput] = t.input;
  record.tokens[TokenType::kOutput] = t.output;
  record.tokens[TokenType::kCachedInput] = t.cached_input;
  record.tokens[TokenType::kCacheWrite] = t.cache_write;
  record.tokens[TokenType::kCacheWrite1h] = t.cache_write_1h;
  const PriceResult result = Shipped()->Price(record);
  INFO(std::string(vendor) << "/" << std::string(model) << ": " << PriceOutcomeName(result.outcome));
  REQUIRE(result.outcome == PriceOutcome::kPriced);
  return result.total.ToDecimalString();
}

std::string UnitCost(std::string_view vendor, std::string_view unit, std::uint64_t count) {
  UsageRecord record;
  record.event = "vendor.call";
  record.vendor = vendor;
  record.timestamp_unix_ns = kNow;
  record.units = {{unit, count}};
  const PriceResult result = Shipped()->Price(record);
  INFO(std::string(vendor) << "/" << std::string(unit) << ": " << PriceOutcomeName(result.outcome));
  REQUIRE(result.outcome == PriceOutcome::kPriced);
  return result.total.ToDecimalString();
}

TEST_CASE("the shipped pricing directory loads", "[pricing][shipped]") {
  // Provider names are OpenTelemetry's gen_ai.provider.name where it has one.
  std::map<std::string, std::string> provider_of_file;
  for (const PriceTableInfo& table : Shipped()->tables()) provider_of_file[table.file] = table.provider;
  CHECK(provider_of_file == std::map<std::string, std::string>{{"amazon_ses.yaml", "amazon_ses"},
                                                               {"anthropic.yaml", "anthropic"},
                                                               {"azure.yaml", "azure.ai.openai"},
                                                               {"bedrock.yaml", "aws.bedrock"},
                                                               {"cohere.yaml", "cohere"},
                                                               {"deepseek.yaml", "deepseek"},
                                                               {"fireworks.yaml", "fireworks_ai"},
                                                               {"google.yaml", "google"},
                                                               {"groq.yaml", "groq"},
                                                               {"mistral.yaml", "mistral_ai"},
                                                               {"openai.yaml", "openai"},
                                                               {"openrouter.yaml", "openrouter"},
                                                               {"people_data_labs.yaml", "people_data_labs"},
                                                               {"perplexity.yaml", "perplexity"},
                                                               {"sendgrid.yaml", "sendgrid"},
                                                               {"together.yaml", "together_ai"},
                                                               {"vertex.yaml", "gcp.vertex_ai"},
                                                               {"xai.yaml", "x_ai"}});
  const auto& tables = Shipped()->tables();
  // History kept: launch, 2024-10-02, the o3 cut of 2025-06-10, 2026-07-30, the import.
  CHECK(std::count_if(tables.begin(), tables.end(), [](const PriceTableInfo& t) { return t.provider == "openai"; }) ==
        5);
}

TEST_CASE("imported tables: dated and future-dated versions, new providers", "[pricing][shipped]") {
  // genai-prices announces gemini-3.6-flash at 1.5 / 7.5 from 2027-01-01: a future version applies then.
  CHECK(TokenCost("google", "gemini-3.6-flash", {.input = 1'000'000}, UnixNs(2026, 12, 20)) == "0.75");
  CHECK(TokenCost("google", "gemini-3.6-flash", {.input = 1'000'000}, UnixNs(2027, 1, 1)) == "1.5");
  // o3's 2025-06-10 cut, kept through the import.
  CHECK(TokenCost("openai", "o3", {.output = 1'000'000}, UnixNs(2025, 6, 9)) == "40");
  CHECK(TokenCost("openai", "o3", {.output = 1'000'000}, UnixNs(2026, 12, 3)) == "8");
  // Models of the import, after it: gpt-5.4 long context above 272k (genai-prices: 5 / 22.5).
  const std::int64_t after_import = UnixNs(2026, 12, 3);
  CHECK(TokenCost("openai", "gpt-5.4", {.input = 272'000}, after_import) == "0.68");
  CHECK(TokenCost("openai", "gpt-5.4", {.input = 272'001}, after_import) == "1.360005");
  // Bedrock: the in-region id and its geo prefixes at the regional price, global at the base price.
  CHECK(TokenCost("aws.bedrock", "eu.anthropic.claude-sonnet-4-5-20250929-v1:0", {.input = 1'000'000}) == "3.3");
  CHECK(TokenCost("aws.bedrock", "global.anthropic.claude-sonnet-4-5-20250929-v1:0", {.input = 1'000'000}) == "3");
  // Reviewed: grok-4 above 128k input at 2x (LiteLLM's tier).
  CHECK(TokenCost("x_ai", "grok-4", {.input = 128'001}, after_import) == "0.768006");
}

TEST_CASE("shipped tables take vendors as OpenTelemetry and common clients spell them", "[pricing][shipped]") {
  const auto vendor_of = [](std::string_view vendor, std::string_view model) {
    UsageRecord record;
    record.event = "llm.call";
    record.vendor = vendor;
    record.model = model;
    record.timestamp_unix_ns = UnixNs(2026, 12, 3);
    record.has_token_usage = true;
    const PriceResult result = Shipped()->Price(record);
    INFO(std::string(vendor) << "/" << std::string(model) << ": " << PriceOutcomeName(result.outcome));
    CHECK(result.outcome == PriceOutcome::kPriced);
    return std::string(result.vendor) + " " + std::string(result.model);
  };
  CHECK(vendor_of("OpenAI", "openai/gpt-4o") == "openai gpt-4o");
  CHECK(vendor_of("azure.ai.openai", "GPT-4o") == "azure.ai.openai gpt-4o");
  CHECK(vendor_of("azure", "azure/us/gpt-5.4") == "azure.ai.openai us/gpt-5.4");
  CHECK(vendor_of("AZURE_OPENAI", "gpt-4o-2024-11-20") == "azure.ai.openai gpt-4o-2024-11-20");
  CHECK(vendor_of("gcp.vertex_ai", "gemini-2.5-pro") == "gcp.vertex_ai gemini-2.5-pro");
  CHECK(vendor_of("vertex_ai", "vertex_ai/claude-sonnet-4-5") == "gcp.vertex_ai claude-sonnet-4-5");
  CHECK(vendor_of("gcp.gemini", "gemini/gemini-2.5-flash") == "google gemini-2.5-flash");
  CHECK(vendor_of("vertex_ai", "gemini-2.5-flash") == "gcp.vertex_ai gemini-2.5-flash");
  CHECK(vendor_of("aws.bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0") ==
        "aws.bedrock regional.anthropic.claude-sonnet-4-5-20250929-v1:0");
  CHECK(vendor_of("bedrock", "bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0") ==
        "aws.bedrock regional.anthropic.claude-sonnet-4-5-20250929-v1:0");
  CHECK(vendor_of("mistral", "mistral-small-latest") == "mistral_ai mistral-small-latest");
  CHECK(vendor_of("xai", "xai/grok-4") == "x_ai grok-4-0709");
  CHECK(vendor_of("together", "meta-llama/Llama-3.3-70B-Instruct-Turbo") ==
        "together_ai meta-llama/Llama-3.3-70B-Instruct-Turbo");
  CHECK(vendor_of("fireworks", "fireworks_ai/accounts/fireworks/models/llama-v3p3-70b-instruct") ==
        "fireworks_ai accounts/fireworks/models/llama-v3p3-70b-instruct");
  // The operators' guide's own event: gpt-5.4 with no vendor.
  CHECK(vendor_of("", "gpt-5.4") == "openai gpt-5.4");
  CHECK(vendor_of("", "claude-sonnet-4-5-20250929") == "anthropic claude-sonnet-4-5");
  CHECK(vendor_of("", "gemini-2.5-flash") == "google gemini-2.5-flash");
  // Resellers (Azure, Vertex, OpenRouter...) list these names too but take no vendorless record.
  CHECK(vendor_of("", "claude-sonnet-4-5") == "anthropic claude-sonnet-4-5");
  CHECK(vendor_of("", "gpt-4o-mini") == "openai gpt-4o-mini");
  CHECK(vendor_of("", "claude-opus-4-5") == "anthropic claude-opus-4-5");
  CHECK(vendor_of("", "anthropic/claude-sonnet-4-5") == "anthropic claude-sonnet-4-5");
}

TEST_CASE("Vertex AI spot checks: its own Gemini prices, Claude on Vertex", "[pricing][shipped]") {
  // LiteLLM vertex_ai gemini-2.0-flash-001: 0.15 / 0.6 (the Gemini API's: 0.1 / 0.4).
  CHECK(TokenCost("gcp.vertex_ai", "gemini-2.0-flash-001", {.input = 1'000'000, .output = 1'000'000}) == "0.75");
  CHECK(TokenCost("google", "gemini-2.0-flash-001", {.input = 1'000'000, .output = 1'000'000}) == "0.5");
  // Claude Sonnet 4.5 on Vertex: Anthropic's prices, long context above 200K, 1-hour writes doubled there.
  CHECK(TokenCost("vertex_ai", "claude-sonnet-4-5", {.input = 100'000, .output = 10'000}) == "0.45");
  CHECK(TokenCost("vertex_ai", "claude-sonnet-4-5",
                  {.input = 300'000, .cache_write = 100'000, .cache_write_1h = 100'000}) == "2.4");
}

TEST_CASE("Anthropic spot checks", "[pricing][shipped]") {
  // 1M input tokens cost $3, spread over requests at the 200K threshold (a single 1M-token
  // request is long-context priced).
  const Result<Money> per_request =
      Money::ParseDollars(TokenCost("anthropic", "claude-sonnet-4-5", {.input = 200'000}));
  REQUIRE(per_request.ok());
  CHECK((*per_request * 5).ToDecimalString() == "3");
  CHECK(TokenCost("anthropic", "claude-sonnet-4-5-20250929", {.output = 1'000'000}) == "15");
  // 5-minute cache write 1.25x input, cache read 0.1x input.
  CHECK(TokenCost("anthropic", "claude-sonnet-4-5",
                  {.input = 100'000, .cached_input = 50'000, .cache_write = 50'000}) == "0.2025");
  CHECK(TokenCost("anthropic", "claude-sonnet-4-5", {.input = 1'000'000}) == "6");
  // Long context: the whole request at $6 input / $22.50 output.
  CHECK(TokenCost("anthropic", "claude-sonnet-4", {.input = 200'000}) == "0.6");
  CHECK(TokenCost("anthropic", "claude-sonnet-4", {.input = 250'000, .output = 10'000}) == "1.725");
  CHECK(TokenCost("anthropic", "claude-3-5-haiku-20241022", {.input = 1'000'000, .output = 1'000'000}) == "4.8");
  CHECK(TokenCost("anthropic", "claude-haiku-4-5", {.input = 1'000'000}, kNow, "batch") == "0.5");
  CHECK(TokenCost("anthropic", "claude-opus-4-1-20250805", {.input = 1'000'000, .output = 1'000'000}) == "90");
}

TEST_CASE("OpenAI spot checks, including real price changes", "[pricing][shipped]") {
  // gpt-4o: $5 / $15 at launch, $2.50 / $10 once "gpt-4o" moved to the 2024-08-06 snapshot.
  CHECK(TokenCost("openai", "gpt-4o", {.input = 1'000'000}, UnixNs(2024, 6, 1)) == "5");
  CHECK(TokenCost("openai", "gpt-4o", {.input = 1'000'000}, UnixNs(2024, 10, 2) - 1) == "5");
  CHECK(TokenCost("openai", "gpt-4o", {.input = 1'000'000}, UnixNs(2024, 10, 2)) == "2.5");
  CHECK(TokenCost("openai", "gpt-4o-2024-08-06", {.output = 1'000'000}) == "10");
  CHECK(TokenCost("openai", "gpt-4o-2024-05-13", {.input = 1'000'000}) == "5");
  // o3: $10 / $40 at launch, cut to $2 / $8 on 2025-06-10.
  CHECK(TokenCost("openai", "o3", {.input = 1'000'000, .output = 1'000'000}, UnixNs(2025, 5, 1)) == "50");
  CHECK(TokenCost("openai", "o3-2025-04-16", {.input = 1'000'000, .output = 1'000'000}) == "10");
  CHECK(TokenCost("openai", "gpt-5", {.input = 1'000'000, .cached_input = 1'000'000}) == "0.125");
  CHECK(TokenCost("openai", "gpt-5-2025-08-07", {.output = 1'000'000}, kNow, "batch") == "5");
  CHECK(TokenCost("openai", "gpt-5", {.output = 1'000'000}, kNow, "flex") == "5");
  CHECK(TokenCost("openai", "gpt-5", {.input = 1'000'000}, kNow, "priority") == "2.5");
  CHECK(TokenCost("openai", "gpt-4.1", {.input = 1'000'000}, kNow, "priority") == "3.5");
  CHECK(TokenCost("openai", "gpt-4o-mini", {.input = 1'000'000, .output = 1'000'000}, kNow, "default") == "0.75");
}

TEST_CASE("Azure OpenAI spot checks: Global and Data Zone deployments", "[pricing][shipped]") {
  // Azure's price page: Global and Data Zone (about 10% above) per 1M tokens.
  CHECK(TokenCost("azure.ai.openai", "gpt-4.1-mini", {.input = 1'000'000}) == "0.4");
  CHECK(TokenCost("azure.ai.openai", "gpt-4o-mini", {.input = 1'000'000, .output = 1'000'000}) == "0.75");
  CHECK(TokenCost("azure.ai.openai", "gpt-5.4", {.input = 100'000, .output = 1'000'000}) == "15.25");
  CHECK(TokenCost("azure.ai.openai", "us/gpt-5.4", {.input = 100'000, .output = 1'000'000}) == "16.775");
  CHECK(TokenCost("azure.ai.openai", "gpt-5.4", {.input = 300'000}) == "1.5");  // above 272k: 5 per 1M
  CHECK(TokenCost("azure.ai.openai", "eu/gpt-4o-2024-08-06", {.input = 1'000'000}) == "2.75");
  CHECK(TokenCost("azure.ai.openai", "o3", {.input = 1'000'000, .output = 1'000'000}) == "10");
}

TEST_CASE("Google spot checks", "[pricing][shipped]") {
  CHECK(TokenCost("google", "gemini-2.5-pro", {.input = 200'000}) == "0.25");
  CHECK(TokenCost("gcp.gemini", "gemini-2.5-pro", {.input = 300'000, .output = 10'000}) == "0.9");
  CHECK(TokenCost("gcp.vertex_ai", "gemini-2.5-flash", {.input = 1'000'000, .output = 1'000'000}) == "2.8");
  CHECK(TokenCost("google", "gemini-2.0-flash-001", {.input = 1'000'000}, kNow, "batch") == "0.05");
}

TEST_CASE("per-unit vendor spot checks", "[pricing][shipped]") {
  CHECK(UnitCost("sendgrid", "emails", 100'000) == "89.95");
  CHECK(UnitCost("amazon_ses", "emails", 1000) == "0.1");
  CHECK(UnitCost("aws.ses", "emails", 62'000) == "6.2");
  CHECK(UnitCost("people_data_labs", "person_credits", 10) == "2.8");
}

}  // namespace
}  // namespace lce

// The span -> usage record mapping (docs/otlp.md), on the neutral OtlpSpan.
#include "otlp_test_util.h"

using namespace lce;
using namespace lce::test;

namespace {

std::uint64_t Tokens(const UsageRecord& r, TokenType type) { return r.tokens[type]; }

}  // namespace

TEST_CASE("current GenAI conventions: response model, provider name, every token kind", "[otlp][mapping]") {
  SpanFixture f;
  f.attributes = {Str("gen_ai.operation.name", "chat"),
                  Str("gen_ai.provider.name", "openai"),
                  Str("gen_ai.request.model", "gpt-4o"),
                  Str("gen_ai.response.model", "gpt-4o-2024-08-06"),
                  Int("gen_ai.usage.input_tokens", 1000),
                  Int("gen_ai.usage.output_tokens", 500),
                  Int("gen_ai.usage.cache_read_input_tokens", 200),
                  Int("gen_ai.usage.cache_creation_input_tokens", 100),
                  Int("gen_ai.usage.reasoning_tokens", 50),
                  Int("http.response.status_code", 200)};
  Batch batch = MustMap(f);
  const UsageRecord& r = batch.records[0];
  CHECK(r.event == "llm.call");
  CHECK(r.service == "email_orchestrator");
  CHECK(r.operation == "chat");
  CHECK(r.vendor == "openai");
  CHECK(r.model == "gpt-4o-2024-08-06");  // the response model wins
  CHECK(r.has_token_usage);
  // OpenAI convention: cache reads and writes are parts of input, unchanged.
  CHECK(Tokens(r, TokenType::kInput) == 1000);
  CHECK(Tokens(r, TokenType::kOutput) == 500);
  CHECK(Tokens(r, TokenType::kCachedInput) == 200);
  CHECK(Tokens(r, TokenType::kCacheWrite) == 100);
  CHECK(Tokens(r, TokenType::kReasoning) == 50);
  CHECK(r.vendor_status == 200);
  CHECK(r.timestamp_given);
  CHECK(r.timestamp_unix_ns == 1'772'366'400'842'000'000);
  CHECK(r.has_latency);
  CHECK(r.latency_us == 842'000);
  CHECK(r.trace_id == kTraceId);
  CHECK(r.span_id == kSpanId);
  CHECK(r.idempotency_key == "t:4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:llm.call");
  CHECK(batch.record_index == std::vector<std::size_t>{0});
}

TEST_CASE("older GenAI conventions: gen_ai.system, prompt/completion tokens, cached_tokens", "[otlp][mapping]") {
  SpanFixture f;
  f.attributes = {Str("gen_ai.system", "OpenAI"),  // Traceloop's capitalisation
                  Str("gen_ai.request.model", "gpt-4o-mini"),
                  Int("gen_ai.usage.prompt_tokens", 300),
                  Int("gen_ai.usage.completion_tokens", 40),
                  Int("gen_ai.usage.cached_tokens", 100),
                  Int("http.status_code", 429)};
  Batch batch = MustMap(f);
  const UsageRecord& r = batch.records[0];
  CHECK(r.vendor == "openai");
  CHECK(r.model == "gpt-4o-mini");
  CHECK(r.operation == "chat_gpt-4o");  // no gen_ai.operation.name: the span name, spaces as '_'
  CHECK(Tokens(r, TokenType::kInput) == 300);
  CHECK(Tokens(r, TokenType::kOutput) == 40);
  CHECK(Tokens(r, TokenType::kCachedInput) == 100);
  CHECK(r.vendor_status == 429);
}

TEST_CASE("OpenLLMetry llm.usage.* names, Anthropic counts added up", "[otlp][mapping]") {
  SpanFixture f;
  f.attributes = {Str("gen_ai.system", "Anthropic"), Str("gen_ai.response.model", "claude-sonnet-4-5-20250929"),
                  Int("llm.usage.prompt_tokens", 2000), Int("llm.usage.completion_tokens", 800),
                  Int("llm.usage.cache_read_input_tokens", 10000)};
  Batch batch = MustMap(f);
  const UsageRecord& r = batch.records[0];
  CHECK(r.vendor == "anthropic");
  CHECK(Tokens(r, TokenType::kInput) == 12000);  // 2000 uncached + 10000 cache reads
  CHECK(Tokens(r, TokenType::kCachedInput) == 10000);
  CHECK(Tokens(r, TokenType::kOutput) == 800);
}

TEST_CASE("Anthropic disjoint counts: input + cache reads + cache writes", "[otlp][mapping]") {
  SpanFixture f;
  f.attributes = {Str("gen_ai.provider.name", "anthropic"),
                  Str("gen_ai.request.model", "claude-sonnet-4-5"),
                  Int("gen_ai.usage.input_tokens", 100),
                  Int("gen_ai.usage.output_tokens", 20),
                  Int("gen_ai.usage.cache_read_input_tokens", 1000),
                  Int("gen_ai.usage.cache_creation_input_tokens", 200)};
  SECTION("the default list adds them up") {
    Batch batch = MustMap(f);
    const UsageRecord& r = batch.records[0];
    CHECK(Tokens(r, TokenType::kInput) == 1300);
    CHECK(Tokens(r, TokenType::kCachedInput) == 1000);
    CHECK(Tokens(r, TokenType::kCacheWrite) == 200);
  }
  SECTION("an instrumentation that already sums: disjoint_cache_vendors: []") {
    OtlpOptions otlp;
    otlp.disjoint_cache_vendors.clear();
    const RecordError e = MustRejectSpan(f, otlp);  // taken as OpenAI-style, the parts exceed the whole
    CHECK(e.reason == RejectReason::kPartsExceedWhole);
    CHECK(e.field == "gen_ai.usage.cache_read_input_tokens");
    CHECK(e.message ==
          "span 0: attribute \"gen_ai.usage.cache_read_input_tokens\": cached_input + cache_write "
          "(1200) exceed input (100)");
  }
  SECTION("other vendors are not added up") {
    f.attributes[0] = Str("gen_ai.provider.name", "openai");
    CHECK(MustRejectSpan(f).reason == RejectReason::kPartsExceedWhole);
  }
}

TEST_CASE("provider values are lower-cased; the price tables resolve other spellings", "[otlp][mapping]") {
  std::string scratch;
  CHECK(NormalizeOtlpVendor("gcp.vertex_ai", &scratch) == "gcp.vertex_ai");
  CHECK(NormalizeOtlpVendor("Gemini", &scratch) == "gemini");
  CHECK(NormalizeOtlpVendor("AWS.Bedrock", &scratch) == "aws.bedrock");
  CHECK(NormalizeOtlpVendor("MistralAI", &scratch) == "mistralai");
}

TEST_CASE("campaign and audience: span first, then resource; keys are configurable", "[otlp][mapping]") {
  SpanFixture f;
  f.resource.push_back(Str("campaign_id", "cmp_resource"));
  f.resource.push_back(Str("audience_id", "aud_resource"));
  f.attributes = {Str("campaign_id", "cmp_span")};
  {
    Batch batch = MustMap(f);
    CHECK(batch.records[0].campaign_id == "cmp_span");
    CHECK(batch.records[0].audience_id == "aud_resource");
  }
  OtlpOptions otlp;
  otlp.attributes.campaign_id = {"app.campaign", "campaign_id"};
  otlp.attributes.service = {"app.service"};
  f.attributes.push_back(Str("app.campaign", "cmp_custom"));
  f.resource.push_back(Str("app.service", "lead_scorer"));
  Batch batch = MustMap(f, otlp);
  CHECK(batch.records[0].campaign_id == "cmp_custom");
  CHECK(batch.records[0].service == "lead_scorer");
}

TEST_CASE("configured attribute keys replace the defaults", "[otlp][mapping]") {
  SpanFixture f;
  f.attributes = {Str("vendor", "acme-ai"), Str("my.model", "acme-large"), Int("my.in", 7), Int("my.out", 3)};
  OtlpOptions otlp;
  otlp.attributes.vendor = {"vendor"};
  otlp.attributes.model = {"my.model"};
  otlp.attributes.input_tokens = {"my.in"};
  otlp.attributes.output_tokens = {"my.out"};
  otlp.llm_event = "genai.call";
  Batch batch = MustMap(f, otlp);
  const UsageRecord& r = batch.records[0];
  CHECK(r.event == "genai.call");
  CHECK(r.model == "acme-large");
  CHECK(Tokens(r, TokenType::kInput) == 7);
  CHECK(Tokens(r, TokenType::kOutput) == 3);
}

TEST_CASE("a span without GenAI usage is a plain span record for golden signals", "[otlp][mapping]") {
  SpanFixture f;
  f.span.name = "GET /v1/leads";
  f.span.status_code = 2;
  f.attributes = {Int("http.response.status_code", 503), Str("http.request.method", "GET")};
  Batch batch = MustMap(f);
  const UsageRecord& r = batch.records[0];
  CHECK(r.event == "span");
  CHECK(r.operation == "GET_/v1/leads");
  CHECK(r.model.empty());
  CHECK(r.vendor.empty());
  CHECK_FALSE(r.has_token_usage);
  CHECK(r.vendor_status == 503);
  CHECK(r.failed);
  CHECK(r.latency_us == 842'000);
  CHECK(r.idempotency_key == "t:4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:span");
}

TEST_CASE("failed: status ERROR, or an HTTP status >= 400 unless the status is OK", "[otlp][mapping]") {
  struct Case {
    std::int32_t status_code;  // 0 unset, 1 ok, 2 error
    std::int64_t http_status;  // 0: no attribute
    bool failed;
  };
  for (const Case& c : {Case{2, 0, true},    // ERROR without an HTTP status
                        Case{2, 200, true},  // ERROR wins over a 2xx
                        Case{0, 500, true},  // unset: the HTTP status decides
                        Case{0, 404, true}, Case{0, 399, false}, Case{0, 200, false}, Case{0, 0, false},
                        Case{1, 500, false},  // OK is the application's final word
                        Case{1, 0, false}}) {
    INFO("status.code " << c.status_code << ", HTTP " << c.http_status);
    SpanFixture f;
    f.span.name = "POST /v1/leads";
    f.span.status_code = c.status_code;
    if (c.http_status != 0) f.attributes = {Int("http.response.status_code", c.http_status)};
    Batch batch = MustMap(f);
    const UsageRecord& r = batch.records[0];
    CHECK(r.failed == c.failed);
    CHECK(r.vendor_status == c.http_status);  // kept as sent, also under OK
  }
}

TEST_CASE("failed: the same rule on GenAI spans, older HTTP attribute included", "[otlp][mapping]") {
  SpanFixture f;
  f.attributes = {Str("gen_ai.provider.name", "openai"), Str("gen_ai.request.model", "gpt-4o"),
                  Int("gen_ai.usage.input_tokens", 10), Int("http.status_code", 503)};
  CHECK(MustMap(f).records[0].failed);
  f.attributes.back() = Int("http.status_code", 200);
  CHECK_FALSE(MustMap(f).records[0].failed);
  f.span.status_code = 2;
  CHECK(MustMap(f).records[0].failed);
}

TEST_CASE("times: latency rounds to microseconds, no end time means receive time", "[otlp][mapping]") {
  SpanFixture f;
  f.span.end_time_unix_nano = f.span.start_time_unix_nano + 1'500;  // 1.5 us
  CHECK(MustMap(f).records[0].latency_us == 2);
  f.span.start_time_unix_nano = 0;
  CHECK_FALSE(MustMap(f).records[0].has_latency);
  f.span.end_time_unix_nano = 0;
  Batch batch = MustMap(f);
  CHECK(batch.records[0].timestamp_unix_ns == kReceiveTime);
  CHECK_FALSE(batch.records[0].timestamp_given);
}

TEST_CASE("bad values reject the span with index, field and reason", "[otlp][mapping]") {
  SpanFixture f;
  SECTION("an e-mail address as campaign on the span") {
    f.attributes = {Str("campaign_id", "john@example.com")};
    const RecordError e = MustRejectSpan(f);
    CHECK(e.reason == RejectReason::kLooksLikeEmail);
    CHECK(e.field == "campaign_id");
    CHECK(e.message == "span 0: attribute \"campaign_id\": looks like an e-mail address; send hash_email instead");
  }
  SECTION("a phone number as audience on the resource") {
    f.resource.push_back(Str("audience_id", "+1 (555) 123-4567"));
    const RecordError e = MustRejectSpan(f);
    CHECK(e.reason == RejectReason::kLooksLikePhone);
    CHECK(e.field == "resource.audience_id");
    CHECK_THAT(e.message, Catch::StartsWith("span 0: resource attribute \"resource.audience_id\": "));
  }
  SECTION("free text as service name") {
    f.resource[0] = Str("service.name", "my service");
    CHECK(MustRejectSpan(f).reason == RejectReason::kInvalidLabel);
  }
  SECTION("a token count as a string") {
    f.attributes = {Str("gen_ai.provider.name", "openai"), Str("gen_ai.request.model", "gpt-4o"),
                    Str("gen_ai.usage.input_tokens", "12")};
    const RecordError e = MustRejectSpan(f);
    CHECK(e.reason == RejectReason::kWrongType);
    CHECK(e.field == "gen_ai.usage.input_tokens");
    CHECK(e.message ==
          "span 0: attribute \"gen_ai.usage.input_tokens\": expected a non-negative intValue, got a "
          "stringValue");
  }
  SECTION("a token count as a double") {
    f.attributes = {Str("gen_ai.provider.name", "openai"), Str("gen_ai.request.model", "gpt-4o"),
                    Dbl("gen_ai.usage.output_tokens", 1.5)};
    CHECK(MustRejectSpan(f).reason == RejectReason::kWrongType);
  }
  SECTION("a negative token count") {
    f.attributes = {Str("gen_ai.provider.name", "openai"), Str("gen_ai.request.model", "gpt-4o"),
                    Int("gen_ai.usage.input_tokens", -1)};
    CHECK(MustRejectSpan(f).reason == RejectReason::kOutOfRange);
  }
  SECTION("a token count above the record bound") {
    f.attributes = {Str("gen_ai.provider.name", "openai"), Str("gen_ai.request.model", "gpt-4o"),
                    Int("gen_ai.usage.input_tokens", 9'223'372'036'854'775'807)};
    const RecordError e = MustRejectSpan(f);
    CHECK(e.reason == RejectReason::kOutOfRange);
    CHECK(e.field == "gen_ai.usage.input_tokens");
    CHECK(e.message == "span 0: attribute \"gen_ai.usage.input_tokens\": must be at most 1000000000 per record");
    f.attributes[2] = Int("gen_ai.usage.input_tokens", 1'000'000'000);
    CHECK(MustMap(f).records[0].tokens[TokenType::kInput] == kMaxTokensPerRecord);
  }
  SECTION("Anthropic disjoint counts adding up past the record bound") {
    f.attributes = {Str("gen_ai.provider.name", "anthropic"), Str("gen_ai.request.model", "claude-sonnet-4-5"),
                    Int("gen_ai.usage.input_tokens", 600'000'000),
                    Int("gen_ai.usage.cache_read_input_tokens", 400'000'001)};
    const RecordError e = MustRejectSpan(f);
    CHECK(e.reason == RejectReason::kOutOfRange);
    CHECK(e.field == "gen_ai.usage.input_tokens");
  }
  SECTION("a span longer than 7 days") {
    f.span.end_time_unix_nano = f.span.start_time_unix_nano + 7ULL * 24 * 3600 * 1'000'000'000 + 1'000;
    const RecordError e = MustRejectSpan(f);
    CHECK(e.reason == RejectReason::kOutOfRange);
    CHECK(e.field == "endTimeUnixNano");
    f.span.end_time_unix_nano -= 1'000;
    CHECK(MustMap(f).records[0].latency_us == kMaxLatencyUs);
  }
  SECTION("reasoning above output") {
    f.attributes = {Str("gen_ai.provider.name", "openai"), Str("gen_ai.request.model", "o3"),
                    Int("gen_ai.usage.output_tokens", 10), Int("gen_ai.usage.reasoning_tokens", 11)};
    const RecordError e = MustRejectSpan(f);
    CHECK(e.reason == RejectReason::kPartsExceedWhole);
    CHECK(e.field == "gen_ai.usage.reasoning_tokens");
  }
  SECTION("a model without a provider is kept: pricing takes the vendor from the model") {
    f.attributes = {Str("gen_ai.request.model", "gpt-4o"), Int("gen_ai.usage.input_tokens", 1)};
    const auto mapped = MustMap(f);
    REQUIRE(mapped.records.size() == 1);
    CHECK(mapped.records[0].vendor.empty());
    CHECK(mapped.records[0].model == "gpt-4o");
  }
  SECTION("token usage without a model") {
    f.attributes = {Str("gen_ai.provider.name", "openai"), Int("gen_ai.usage.input_tokens", 1)};
    const RecordError e = MustRejectSpan(f);
    CHECK(e.reason == RejectReason::kMissingField);
    CHECK(e.field == "gen_ai.response.model");
  }
  SECTION("an HTTP status out of range") {
    f.attributes = {Int("http.response.status_code", 700)};
    CHECK(MustRejectSpan(f).reason == RejectReason::kOutOfRange);
  }
  SECTION("a malformed or missing trace id") {
    f.span.trace_id = "not-hex";
    RecordError e = MustRejectSpan(f);
    CHECK(e.reason == RejectReason::kInvalidId);
    CHECK(e.field == "traceId");
    f.span.trace_id = "";
    e = MustRejectSpan(f);
    CHECK(e.reason == RejectReason::kMissingField);
  }
  SECTION("an all-zero span id") {
    f.span.span_id = "0000000000000000";
    CHECK(MustRejectSpan(f).field == "spanId");
  }
  SECTION("end before start") {
    f.span.end_time_unix_nano = f.span.start_time_unix_nano - 1;
    CHECK(MustRejectSpan(f).field == "endTimeUnixNano");
  }
  SECTION("a span name that is not a label once spaces are replaced") {
    f.span.name = "send to john@example.com";
    CHECK(MustRejectSpan(f).field == "name");
  }
}

TEST_CASE("OTLP options are validated", "[otlp][config]") {
  OtlpOptions otlp;
  CHECK(ValidateOtlpOptions(otlp, IngestOptions{}).ok());
  otlp.span_event = "not a label";
  CHECK_FALSE(ValidateOtlpOptions(otlp, IngestOptions{}).ok());
  otlp = OtlpOptions{};
  otlp.attributes.model = {"gen_ai.request.model", ""};
  CHECK_THAT(ValidateOtlpOptions(otlp, IngestOptions{}).message(), Catch::Contains("attributes.model"));
}

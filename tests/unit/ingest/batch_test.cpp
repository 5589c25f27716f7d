// Body layouts (single object, array, NDJSON), body-level errors, batch
// bookkeeping (total, record_index, errors) and buffer ownership.
#include <pthread.h>

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ingest_test_util.h"
#include "llm_cost_exporter/ingest.h"

namespace lce {
namespace {

using test::kReceiveTime;
using test::MustParse;

bool Contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// The example record of PRODUCT.md, verbatim.
constexpr std::string_view kProductExample = R"({
  "event": "llm.call",
  "event_id": "evt_01J9...",
  "timestamp": "2026-04-02T10:15:00.123Z",
  "service": "email_orchestrator",
  "operation": "llm.generate_subject_line",
  "campaign_id": "cmp_2026_04_springpromo",
  "audience_id": "aud_us_smb_01",
  "decision_id": "dec_01HZX9",
  "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
  "span_id": "00f067aa0ba902b7",
  "vendor": "openai",
  "model": "gpt-4o-2024-08-06",
  "service_tier": "default",
  "token_usage": {"input": 512, "output": 128, "cached_input": 0, "cache_write": 0, "reasoning": 0},
  "units": {"emails": 0},
  "attempt": 1,
  "reservation_id": "rsv_...",
  "latency_ms": 842,
  "vendor_status": 200,
  "hash_email": "7c4a8d09ca3762af61e59520943dc26494f8941b"
})";

TEST_CASE("the PRODUCT.md example record parses with every field", "[ingest][batch]") {
  Batch batch = MustParse(kProductExample);
  REQUIRE(batch.errors.empty());
  REQUIRE(batch.records.size() == 1);
  const UsageRecord& r = batch.records[0];
  CHECK(r.event == "llm.call");
  CHECK(r.event_id == "evt_01J9...");
  CHECK(r.idempotency_key == "evt_01J9...");
  CHECK(r.timestamp_given);
  CHECK(r.timestamp_unix_ns == 1775124900123000000);  // independently computed (Python datetime)
  CHECK(r.service == "email_orchestrator");
  CHECK(r.operation == "llm.generate_subject_line");
  CHECK(r.campaign_id == "cmp_2026_04_springpromo");
  CHECK(r.audience_id == "aud_us_smb_01");
  CHECK(r.decision_id == "dec_01HZX9");
  CHECK(r.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(r.span_id == "00f067aa0ba902b7");
  CHECK(r.vendor == "openai");
  CHECK(r.model == "gpt-4o-2024-08-06");
  CHECK(r.service_tier == "default");
  CHECK(r.has_token_usage);
  CHECK(r.tokens[TokenType::kInput] == 512);
  CHECK(r.tokens[TokenType::kOutput] == 128);
  CHECK(r.tokens[TokenType::kCachedInput] == 0);
  CHECK(r.tokens[TokenType::kCacheWrite] == 0);
  CHECK(r.tokens[TokenType::kReasoning] == 0);
  REQUIRE(r.units.size() == 1);
  CHECK(r.units[0].unit == "emails");
  CHECK(r.units[0].count == 0);
  CHECK(r.attempt == 1);
  CHECK_FALSE(r.is_retry());
  CHECK(r.is_llm_call());
  CHECK(r.reservation_id == "rsv_...");
  CHECK(r.has_latency);
  CHECK(r.latency_us == 842000);
  CHECK(r.vendor_status == 200);
  CHECK(r.hash_email == "7c4a8d09ca3762af61e59520943dc26494f8941b");
  CHECK(batch.total == 1);
  CHECK(batch.record_index == std::vector<std::size_t>{0});
}

TEST_CASE("a single object body is record 0", "[ingest][batch]") {
  Batch batch = MustParse(R"({"event":"email.sent"})");
  REQUIRE(batch.records.size() == 1);
  CHECK(batch.total == 1);
  CHECK(batch.record_index == std::vector<std::size_t>{0});
  const UsageRecord& r = batch.records[0];
  CHECK(r.event == "email.sent");
  CHECK_FALSE(r.timestamp_given);
  CHECK(r.timestamp_unix_ns == kReceiveTime);
  CHECK(r.attempt == 1);
  CHECK_FALSE(r.has_token_usage);
  CHECK_FALSE(r.has_latency);
  CHECK(r.vendor_status == 0);
  CHECK(r.idempotency_key.empty());
}

TEST_CASE("a mixed JSON array keeps good records and reports bad ones by position", "[ingest][batch]") {
  const std::string body = "[" + test::Event(R"("event_id":"a")") + ",\n" +       // 0 ok
                           R"({"event":"email.sent","service":"a b"})" + ",\n" +  // 1 free text
                           test::LlmCall(R"("event_id":"c")") + ",\n" +           // 2 ok
                           R"({"service":"svc"})" + ",\n" +                       // 3 no event
                           test::Event(R"("event_id":"e")") + "]";                // 4 ok
  Batch batch = MustParse(body);
  CHECK(batch.total == 5);
  REQUIRE(batch.records.size() == 3);
  CHECK(batch.record_index == std::vector<std::size_t>{0, 2, 4});
  CHECK(batch.records[0].event_id == "a");
  CHECK(batch.records[1].event_id == "c");
  CHECK(batch.records[2].event_id == "e");
  REQUIRE(batch.errors.size() == 2);
  CHECK(batch.errors[0].index == 1);
  CHECK(batch.errors[0].field == "service");
  CHECK(batch.errors[0].reason == RejectReason::kInvalidLabel);
  CHECK(batch.errors[0].message == R"(record 1: field "service": free text is not allowed (spaces are not allowed))");
  CHECK(batch.errors[1].index == 3);
  CHECK(batch.errors[1].field == "event");
  CHECK(batch.errors[1].reason == RejectReason::kMissingField);
  CHECK(batch.errors[1].message == R"(record 3: field "event": is required)");
}

TEST_CASE("an empty array is an empty batch", "[ingest][batch]") {
  Batch batch = MustParse(" [ ] ");
  CHECK(batch.total == 0);
  CHECK(batch.records.empty());
  CHECK(batch.errors.empty());
}

TEST_CASE("an array element that is not an object is rejected alone", "[ingest][batch]") {
  Batch batch = MustParse(R"([{"event":"a.b"}, 42, "x", [1, {"k": null}], {"event":"c.d"}])");
  CHECK(batch.total == 5);
  CHECK(batch.record_index == std::vector<std::size_t>{0, 4});
  REQUIRE(batch.errors.size() == 3);
  CHECK(batch.errors[0].index == 1);
  CHECK(batch.errors[0].reason == RejectReason::kNotAnObject);
  CHECK(batch.errors[0].field.empty());
  CHECK(batch.errors[0].message == "record 1: expected a JSON object, got a number");
  CHECK(batch.errors[1].index == 2);
  CHECK(batch.errors[1].message == "record 2: expected a JSON object, got a string");
  CHECK(batch.errors[2].index == 3);
  CHECK(batch.errors[2].message == "record 3: expected a JSON object, got an array");
}

TEST_CASE("a body that is not JSON fails as a whole with the byte position", "[ingest][batch]") {
  SECTION("bad literal") {
    Result<Batch> r = ParseBatch(R"({"event": tru})", BodyFormat::kJson, {}, kReceiveTime);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Status::Code::kInvalidArgument);
    INFO(r.status().message());
    // The offending byte is the '}' at offset 13 that ends the literal "tru".
    CHECK(Contains(r.status().message(), "invalid JSON at byte 13 (line 1, column 14): "));
    CHECK(Contains(r.status().message(), "invalid literal"));
    CHECK_FALSE(Contains(r.status().message(), "tru}"));  // the input is not quoted back
  }
  SECTION("missing comma in an array, on line 3") {
    Result<Batch> r = ParseBatch("[\n{\"event\":\"a.b\"}\n {\"event\":\"c\"}]", BodyFormat::kJson, {}, kReceiveTime);
    REQUIRE_FALSE(r.ok());
    INFO(r.status().message());
    CHECK(Contains(r.status().message(), "invalid JSON at byte 19 (line 3, column 2): "));
  }
  SECTION("an array names the record that holds the error") {
    // Commas and brackets inside strings and nested values do not count.
    const std::string body = "[{\"event\":\"a,b]\",\"x\":[1,{\"y\":2}]}, {\"event\":\"c\"},\n {\"event\":\"bad\xff\"}]";
    Result<Batch> r = ParseBatch(body, BodyFormat::kJson, {}, kReceiveTime);
    REQUIRE_FALSE(r.ok());
    INFO(r.status().message());
    CHECK(Contains(r.status().message(), "UTF-8"));
    CHECK(Contains(r.status().message(), "; in record 2 (nothing of this body was counted)"));
  }
  SECTION("truncated body") {
    Result<Batch> r = ParseBatch(R"([{"event":"a.b"})", BodyFormat::kJson, {}, kReceiveTime);
    REQUIRE_FALSE(r.ok());
    INFO(r.status().message());
    CHECK(Contains(r.status().message(), "invalid JSON at byte 16 (line 1, column 17): "));
    CHECK(Contains(r.status().message(), "unexpected end of input"));
  }
  SECTION("plain text") {
    Result<Batch> r = ParseBatch("hello", BodyFormat::kJson, {}, kReceiveTime);
    REQUIRE_FALSE(r.ok());
    CHECK(Contains(r.status().message(), "invalid JSON at byte 0 (line 1, column 1)"));
  }
  SECTION("empty body") {
    Result<Batch> r = ParseBatch("", BodyFormat::kJson, {}, kReceiveTime);
    REQUIRE_FALSE(r.ok());
    CHECK(Contains(r.status().message(), "invalid JSON at byte 0"));
  }
  SECTION("content after the root value") {
    Result<Batch> obj = ParseBatch(R"({"event":"a.b"} {"event":"c.d"})", BodyFormat::kJson, {}, kReceiveTime);
    REQUIRE_FALSE(obj.ok());
    CHECK(Contains(obj.status().message(), "invalid JSON at byte 16"));
    Result<Batch> arr = ParseBatch(R"([{"event":"a.b"}] x)", BodyFormat::kJson, {}, kReceiveTime);
    REQUIRE_FALSE(arr.ok());
    CHECK(Contains(arr.status().message(), "invalid JSON at byte 18"));
  }
  SECTION("malformed JSON after a rejected field is still a body error") {
    // Record 0 is rejected at "service"; the malformed literal after it must
    // not be skipped silently.
    Result<Batch> r = ParseBatch(R"([{"event":"a.b","service":"a b","x":tru}])", BodyFormat::kJson, {}, kReceiveTime);
    REQUIRE_FALSE(r.ok());
    // The '}' at offset 39 ends the literal "tru".
    CHECK(Contains(r.status().message(), "invalid JSON at byte 39 (line 1, column 40)"));
  }
  SECTION("malformed number and bad escape inside an unknown field") {
    CHECK_FALSE(ParseBatch(R"({"event":"a.b","x":[1, 01]})", BodyFormat::kJson, {}, kReceiveTime).ok());
    CHECK_FALSE(ParseBatch(R"({"event":"a.b","x":{"y":"\q"}})", BodyFormat::kJson, {}, kReceiveTime).ok());
    CHECK_FALSE(ParseBatch(R"({"event":"a.b","x":nul})", BodyFormat::kJson, {}, kReceiveTime).ok());
  }
  SECTION("raw control character inside a string") {
    Result<Batch> r = ParseBatch("{\"event\":\"a\tb\"}", BodyFormat::kJson, {}, kReceiveTime);
    REQUIRE_FALSE(r.ok());
    CHECK(Contains(r.status().message(), "invalid JSON at byte 11"));
  }
}

// Found by fuzz_test/usage_json: nlohmann's message quotes the text it last
// read, which may itself contain "'; expected "; the reason kept the input
// after it (here an invalid UTF-8 byte, which the JSON answer cannot hold).
TEST_CASE("error messages never quote the input, even text that looks like nlohmann's", "[ingest][batch]") {
  const auto is_printable_ascii = [](const std::string& text) {
    for (char c : text) {
      if (c < 0x20 || c > 0x7e) return false;
    }
    return true;
  };
  const std::string forged = "[\"'; expected \xCD\xC5 secret\"]";
  Result<Batch> body = ParseBatch(forged, BodyFormat::kJson, {}, kReceiveTime);
  REQUIRE_FALSE(body.ok());
  INFO(body.status().message());
  CHECK(body.status().message() ==
        "invalid JSON at byte 15 (line 1, column 16): syntax error while parsing value - invalid string: "
        "ill-formed UTF-8 byte; in record 0 (nothing of this body was counted)");
  CHECK(is_printable_ascii(body.status().message()));

  Batch nd = MustParse(forged + "\n" + R"({"event":"a.b")", BodyFormat::kNdjson);
  REQUIRE(nd.errors.size() == 2);
  CHECK(nd.errors[0].message ==
        "record 0: invalid JSON at column 16: syntax error while parsing value - invalid string: "
        "ill-formed UTF-8 byte");
  // nlohmann's own "expected" hint is kept.
  CHECK(nd.errors[1].message ==
        "record 1: invalid JSON at column 15: syntax error while parsing object - unexpected end of input; "
        "expected '}'");
}

TEST_CASE("a JSON body that is neither object nor array fails as a whole", "[ingest][batch]") {
  Result<Batch> r = ParseBatch(R"("llm.call")", BodyFormat::kJson, {}, kReceiveTime);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() == "invalid body: expected a JSON object or an array of objects, got a string");
}

TEST_CASE("nesting deeper than the limit fails instead of recursing", "[ingest][batch]") {
  const std::string deep = std::string(100, '[') + std::string(100, ']');
  Result<Batch> r = ParseBatch(R"({"event":"a.b","x":)" + deep + "}", BodyFormat::kJson, {}, kReceiveTime);
  REQUIRE_FALSE(r.ok());
  CHECK(Contains(r.status().message(), "nesting deeper than 64 levels"));

  Batch nd = MustParse(R"({"event":"a.b","x":)" + deep + "}\n" + R"({"event":"c.d"})", BodyFormat::kNdjson);
  CHECK(nd.record_index == std::vector<std::size_t>{1});
  REQUIRE(nd.errors.size() == 1);
  CHECK(nd.errors[0].reason == RejectReason::kMalformedJson);
}

namespace {

// ParseBatch on a thread with a 32 KiB stack. HTTP handlers run on
// CivetWeb's fixed 100 KiB stacks: checking nested values must not take a
// frame per nesting level in any build (sanitizer frames are kilobytes).
Result<Batch> ParseOnSmallStack(const std::string& body) {
  struct Job {
    const std::string* body;
    std::optional<Result<Batch>> parsed;
  } job{&body, std::nullopt};
  pthread_attr_t attributes;
  REQUIRE(pthread_attr_init(&attributes) == 0);
  REQUIRE(pthread_attr_setstacksize(&attributes, 32 * 1024) == 0);
  pthread_t thread;
  REQUIRE(pthread_create(
              &thread, &attributes,
              [](void* arg) -> void* {
                auto* j = static_cast<Job*>(arg);
                j->parsed.emplace(ParseBatch(*j->body, BodyFormat::kJson, {}, kReceiveTime));
                return nullptr;
              },
              &job) == 0);
  REQUIRE(pthread_join(thread, nullptr) == 0);
  pthread_attr_destroy(&attributes);
  REQUIRE(job.parsed.has_value());
  return std::move(*job.parsed);
}

std::string Nested(int levels) {
  return std::string(static_cast<std::size_t>(levels), '[') + R"({"k":[1,"s",true,null]})" +
         std::string(static_cast<std::size_t>(levels), ']');
}

}  // namespace

TEST_CASE("values nested up to the limit are checked in constant stack", "[ingest][batch]") {
  // The unknown fields are checked to their end, then reject their records.
  Result<Batch> within =
      ParseOnSmallStack(R"([{"event":"a.b","x":)" + Nested(58) + R"(},{"event":"c.d","y":{"z":)" + Nested(57) + "}}]");
  REQUIRE(within.ok());
  REQUIRE(within->errors.size() == 2);
  CHECK(within->errors[0].reason == RejectReason::kUnknownField);
  CHECK(within->errors[1].reason == RejectReason::kUnknownField);

  Result<Batch> beyond = ParseOnSmallStack(R"([{"event":"a.b","x":)" + Nested(70) + "}]");
  REQUIRE_FALSE(beyond.ok());
  CHECK(Contains(beyond.status().message(), "nesting deeper than 64 levels"));
}

TEST_CASE("NDJSON: one record per line, blank lines and CRLF ignored", "[ingest][batch]") {
  const std::string body = test::Event(R"("event_id":"a")") + "\r\n" +  // 0 ok
                           "\n" +                                       // blank
                           "   \t\r\n" +                                // blank
                           R"({"event":"x","attempt":0})" + "\n" +      // 1 out of range
                           test::LlmCall(R"("event_id":"c")") + "\n" +  // 2 ok
                           R"({"event":"x", "attempt": })" + "\n" +     // 3 malformed
                           "[1,2]\n" +                                  // 4 not an object
                           test::Event(R"("event_id":"f")") + "\n";     // 5 ok, trailing newline
  Batch batch = MustParse(body, BodyFormat::kNdjson);
  CHECK(batch.total == 6);
  REQUIRE(batch.records.size() == 3);
  CHECK(batch.record_index == std::vector<std::size_t>{0, 2, 5});
  CHECK(batch.records[0].event_id == "a");
  CHECK(batch.records[1].event_id == "c");
  CHECK(batch.records[2].event_id == "f");
  REQUIRE(batch.errors.size() == 3);
  CHECK(batch.errors[0].index == 1);
  CHECK(batch.errors[0].reason == RejectReason::kOutOfRange);
  CHECK(batch.errors[0].field == "attempt");
  CHECK(batch.errors[1].index == 3);
  CHECK(batch.errors[1].reason == RejectReason::kMalformedJson);
  CHECK(batch.errors[1].field.empty());
  INFO(batch.errors[1].message);
  // '}' at 0-based offset 25 of the line is where a value was expected.
  CHECK(Contains(batch.errors[1].message, "record 3: invalid JSON at column 26: "));
  CHECK(batch.errors[2].index == 4);
  CHECK(batch.errors[2].reason == RejectReason::kNotAnObject);
}

TEST_CASE("NDJSON: malformed lines do not stop the others", "[ingest][batch]") {
  const std::string body = "{\"event\":\"a.b\"}\n{\"event\":\"unterminated}\nnot json\n{\"event\":\"c.d\"}";
  Batch batch = MustParse(body, BodyFormat::kNdjson);
  CHECK(batch.total == 4);
  CHECK(batch.record_index == std::vector<std::size_t>{0, 3});
  REQUIRE(batch.errors.size() == 2);
  CHECK(batch.errors[0].index == 1);
  CHECK(batch.errors[0].reason == RejectReason::kMalformedJson);
  CHECK(Contains(batch.errors[0].message, "column"));
  CHECK(batch.errors[1].index == 2);
  CHECK(batch.errors[1].reason == RejectReason::kMalformedJson);
  // "not json": the literal parser fails at the 'o' (it expected "null").
  CHECK(Contains(batch.errors[1].message, "record 2: invalid JSON at column 2: "));
}

TEST_CASE("NDJSON: two values on one line are malformed", "[ingest][batch]") {
  Batch batch = MustParse("{\"event\":\"a.b\"} {\"event\":\"c.d\"}\n", BodyFormat::kNdjson);
  REQUIRE(batch.errors.size() == 1);
  CHECK(batch.errors[0].reason == RejectReason::kMalformedJson);
  CHECK(Contains(batch.errors[0].message, "column 17"));
}

TEST_CASE("NDJSON: empty and blank bodies are empty batches", "[ingest][batch]") {
  CHECK(MustParse("", BodyFormat::kNdjson).total == 0);
  CHECK(MustParse("\n\r\n  \n", BodyFormat::kNdjson).total == 0);
}

TEST_CASE("records stay valid when the batch moves and the input is gone", "[ingest][batch]") {
  auto body = std::make_unique<std::string>(
      R"([{"event":"llm.call","vendor":"anthropic","model":"claude-sonnet-4-5","token_usage":{"input":3},)"
      R"("units":{"pages":2},"campaign_id":"cmp_1"},{"event":"email.sent","campaign_id":"cmp_2"}])");
  Batch original = MustParse(*body);
  REQUIRE(original.records.size() == 2);
  const char* campaign_data = original.records[0].campaign_id.data();
  body->assign(body->size(), 'X');  // the caller's buffer is overwritten, then freed
  body.reset();

  Batch moved(std::move(original));
  std::vector<Batch> holder;
  holder.push_back(std::move(moved));
  for (int i = 0; i < 20; ++i) holder.push_back(Batch{});  // reallocations move the Batch again
  Batch assigned;
  assigned = std::move(holder.front());

  REQUIRE(assigned.records.size() == 2);
  const UsageRecord& r = assigned.records[0];
  CHECK(r.campaign_id.data() == campaign_data);  // same bytes, never copied
  CHECK(r.event == "llm.call");
  CHECK(r.vendor == "anthropic");
  CHECK(r.model == "claude-sonnet-4-5");
  CHECK(r.campaign_id == "cmp_1");
  REQUIRE(r.units.size() == 1);
  CHECK(r.units[0].unit == "pages");
  CHECK(assigned.records[1].campaign_id == "cmp_2");
}

TEST_CASE("a large batch keeps every record and its position", "[ingest][batch]") {
  std::string json = "[";
  std::string ndjson;
  constexpr std::size_t kCount = 2000;
  for (std::size_t i = 0; i < kCount; ++i) {
    // Every 7th record is bad (attempt 0).
    const std::string rec =
        test::LlmCall("\"event_id\":\"evt-" + std::to_string(i) + "\",\"attempt\":" + (i % 7 == 0 ? "0" : "1"));
    json += (i ? "," : "") + rec;
    ndjson += rec + "\n";
  }
  json += "]";
  for (BodyFormat format : {BodyFormat::kJson, BodyFormat::kNdjson}) {
    Batch batch = MustParse(format == BodyFormat::kJson ? json : ndjson, format);
    CHECK(batch.total == kCount);
    REQUIRE(batch.records.size() + batch.errors.size() == kCount);
    REQUIRE(batch.record_index.size() == batch.records.size());
    for (std::size_t i = 0; i < batch.records.size(); ++i) {
      CHECK(batch.records[i].event_id == "evt-" + std::to_string(batch.record_index[i]));
    }
    for (const RecordError& e : batch.errors) CHECK(e.index % 7 == 0);
    CHECK(batch.errors.size() == (kCount + 6) / 7);
  }
}

}  // namespace
}  // namespace lce

TEST_CASE("Batch::Keep copies text into memory that moves with the batch", "[ingest][batch]") {
  lce::Batch batch;
  std::string source = "gpt-4o-2024-08-06";
  const std::string_view kept = batch.Keep(source);
  source.assign(source.size(), 'x');   // the original may change or die
  const std::string large(5000, 'a');  // larger than an arena block's small-text limit
  const std::string_view kept_large = batch.Keep(large);
  std::vector<std::string_view> many;
  for (int i = 0; i < 1000; ++i) many.push_back(batch.Keep("value_" + std::to_string(i)));
  lce::Batch moved = std::move(batch);
  CHECK(kept == "gpt-4o-2024-08-06");
  CHECK(kept_large == large);
  for (int i = 0; i < 1000; ++i) CHECK(many[static_cast<std::size_t>(i)] == "value_" + std::to_string(i));
  CHECK(moved.Keep("").empty());
}

namespace lce {
namespace {

TEST_CASE("RejectRecords moves chosen records into errors, in body order", "[ingest][batch]") {
  // Record 1 is malformed; records 0, 2 and 3 are valid; the filter refuses 0 and 3.
  Result<Batch> parsed = ParseBatch(R"({"event":"a.b","campaign_id":"cmp_x"})"
                                    "\n{\"event\":1}\n"
                                    R"({"event":"a.b","campaign_id":"cmp_ok"})"
                                    "\n"
                                    R"({"event":"a.b","campaign_id":"cmp_y"})",
                                    BodyFormat::kNdjson, IngestOptions{}, 0);
  REQUIRE(parsed.ok());
  Batch batch = std::move(parsed).value();
  REQUIRE(batch.records.size() == 3);
  RejectRecords(&batch, RejectReason::kForbiddenCampaign, "campaign_id",
                [](const UsageRecord& r) -> std::optional<std::string> {
                  if (r.campaign_id == "cmp_ok") return std::nullopt;
                  return "not yours";
                });
  REQUIRE(batch.records.size() == 1);
  CHECK(batch.records[0].campaign_id == "cmp_ok");
  CHECK(batch.record_index == std::vector<std::size_t>{2});
  REQUIRE(batch.errors.size() == 3);
  CHECK(batch.errors[0].index == 0);
  CHECK(batch.errors[0].reason == RejectReason::kForbiddenCampaign);
  CHECK(batch.errors[0].field == "campaign_id");
  CHECK(batch.errors[0].message == R"(record 0: field "campaign_id": not yours)");
  CHECK(batch.errors[1].index == 1);
  CHECK(batch.errors[1].reason == RejectReason::kWrongType);
  CHECK(batch.errors[2].index == 3);
  CHECK(batch.total == 4);
  CHECK(RejectReasonName(RejectReason::kForbiddenCampaign) == "forbidden_campaign");
}

}  // namespace
}  // namespace lce

namespace lce {
namespace {

TEST_CASE("SplitNdjson cuts after newlines only, and the parts hold the body's records in order",
          "[ingest][batch][parts]") {
  std::string body;
  for (int i = 0; i < 50; ++i) {
    body += R"({"event":"email.sent","event_id":"e)" + std::to_string(i) + "\"}\n";
    if (i % 7 == 0) body += "  \r\n";  // blank lines are no records
  }
  body += R"({"event":"email.sent","event_id":"last"})";  // no final newline
  for (const std::size_t part_bytes : {std::size_t{0}, std::size_t{1}, std::size_t{100}, body.size()}) {
    const std::vector<std::string_view> parts = SplitNdjson(body, part_bytes);
    std::string joined;
    std::size_t records = 0;
    for (std::size_t p = 0; p < parts.size(); ++p) {
      joined += parts[p];
      if (p + 1 < parts.size()) CHECK(parts[p].back() == '\n');
      CHECK(!parts[p].empty());
      records += CountNdjsonRecords(parts[p]);
    }
    CHECK(joined == body);
    CHECK(records == 51);
    if (part_bytes == body.size()) CHECK(parts.size() == 1);
  }
  CHECK(CountNdjsonRecords(body) == 51);
  CHECK(CountNdjsonRecords("") == 0);
  CHECK(CountNdjsonRecords("\n \n{}") == 1);
  CHECK(SplitNdjson("", 10).empty());
}

TEST_CASE("ParseBatch numbers a part's records and errors from first_index", "[ingest][batch][parts]") {
  const std::string part = R"({"event":"email.sent","event_id":"a"})"
                           "\n"
                           R"({"event":"llm.call","token_usage":{"input":-1}})"
                           "\n";
  Result<Batch> batch = ParseBatch(part, BodyFormat::kNdjson, IngestOptions{}, kReceiveTime, 40);
  REQUIRE(batch.ok());
  CHECK(batch->total == 2);
  REQUIRE(batch->record_index.size() == 1);
  CHECK(batch->record_index[0] == 40);
  REQUIRE(batch->errors.size() == 1);
  CHECK(batch->errors[0].index == 41);
  CHECK(batch->errors[0].message.rfind("record 41: ", 0) == 0);
}

TEST_CASE("ParseBatchInPlace: malformed bodies fail as ParseBatch's copy does", "[ingest][batch][in_place]") {
  // Errors at the very end of the text matter most: there the parser reads
  // the padding, not the next record.
  const std::vector<std::string> json_bodies = {R"({"event": tru})",
                                                "[\n{\"event\":\"a.b\"}\n {\"event\":\"c\"}]",
                                                R"([{"event":"a.b"})",
                                                "hello",
                                                "",
                                                R"({"event":"a.b"} {"event":"c.d"})",
                                                R"([{"event":"a.b"}] x)",
                                                R"({"event":"a.b","x":[1, 01]})",
                                                R"({"event":"a.b","n":12)",
                                                R"({"event":"a.b","n":1e)",
                                                "{\"event\":\"a.b\",\"s\":\"abc",
                                                "[1,2",
                                                "123",
                                                "\"x\""};
  for (const std::string& body : json_bodies) {
    test::CheckInPlaceAgrees(body, BodyFormat::kJson, {}, ParseBatch(body, BodyFormat::kJson, {}, kReceiveTime));
  }
  const std::vector<std::string> ndjson_bodies = {
      "{\"event\":\"a.b\"}\n{\"event\":", "{\"event\":\"a.b\"}\n{\"event\":\"c.d\",\"n\":12",
      "{\"event\":\"a.b\"}\r\n\n  \n{\"event\":\"c.d\"}", "{\"event\":\"a.b\"}\ntrue", "{\"event\":\"a.b\"}\n17"};
  for (const std::string& body : ndjson_bodies) {
    test::CheckInPlaceAgrees(body, BodyFormat::kNdjson, {}, ParseBatch(body, BodyFormat::kNdjson, {}, kReceiveTime));
  }
}

TEST_CASE("ParseBatchInPlace copies a body without room for the padding", "[ingest][batch][in_place]") {
  std::string body = test::LlmCall(R"("event_id":"evt_unpadded_0001")");
  body.shrink_to_fit();
  REQUIRE(body.capacity() - body.size() < kBodyPadding);
  Result<Batch> batch = ParseBatchInPlace(body, body, BodyFormat::kJson, {}, kReceiveTime);
  REQUIRE(batch.ok());
  REQUIRE(batch->records.size() == 1);
  const std::string_view event_id = batch->records[0].event_id;
  CHECK(event_id == "evt_unpadded_0001");
  // A view into the batch's own copy, not into `body`.
  const bool inside_body = event_id.data() >= body.data() && event_id.data() < body.data() + body.size();
  CHECK_FALSE(inside_body);
  // Once padded, the same body is parsed where it lies.
  PadBody(body);
  CHECK(body.capacity() - body.size() >= kBodyPadding);
  Result<Batch> in_place = ParseBatchInPlace(body, body, BodyFormat::kJson, {}, kReceiveTime);
  REQUIRE(in_place.ok());
  REQUIRE(in_place->records.size() == 1);
  CHECK(in_place->records[0].event_id.data() == body.data() + body.find("evt_unpadded_0001"));
}

TEST_CASE("ParseBatchInPlace parses the parts of a body where they lie", "[ingest][batch][in_place][parts]") {
  std::string body;
  for (int i = 0; i < 300; ++i) {
    body += i % 7 == 3 ? R"({"event":"llm.call","token_usage":{"input":-1}})"
                       : test::LlmCall(R"("event_id":"evt_part_)" + std::to_string(i) + "\"");
    body += "\n";
  }
  PadBody(body);
  const Result<Batch> whole = ParseBatch(body, BodyFormat::kNdjson, {}, kReceiveTime);
  REQUIRE(whole.ok());
  // The parts' records and errors, numbered on from the parts before.
  Batch joined;
  for (std::string_view part : SplitNdjson(body, 1000)) {
    Result<Batch> batch = ParseBatchInPlace(body, part, BodyFormat::kNdjson, {}, kReceiveTime, joined.total);
    REQUIRE(batch.ok());
    for (std::size_t i = 0; i < batch->records.size(); ++i) {
      const char* at = batch->records[i].event.data();
      CHECK((at >= part.data() && at < part.data() + part.size()));
      joined.records.push_back(std::move(batch->records[i]));
      joined.record_index.push_back(batch->record_index[i]);
    }
    for (RecordError& error : batch->errors) joined.errors.push_back(std::move(error));
    joined.total += batch->total;
  }
  CHECK(test::Describe(Result<Batch>(std::move(joined))) == test::Describe(whole));
}

}  // namespace
}  // namespace lce

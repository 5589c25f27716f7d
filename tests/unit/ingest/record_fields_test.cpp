// Field rules of the usage record, through ParseBatch: every RejectReason,
// field paths, messages, cross-field rules, numbers, ids and derived keys.
#include <catch2/catch.hpp>

#include <string>

#include "ingest_test_util.h"
#include "llm_cost_exporter/ingest.h"

namespace lce {
namespace {

using test::Event;
using test::LlmCall;
using test::MustAccept;
using test::MustReject;

bool Contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

void CheckRejected(const std::string& body, RejectReason reason, std::string_view field) {
  INFO("body: " << body);
  const RecordError e = MustReject(body);
  INFO("message: " << e.message);
  CHECK(e.index == 0);
  CHECK(e.reason == reason);
  CHECK(e.field == field);
  CHECK(Contains(e.message, "record 0: "));
}

// ---- required and cross-field rules ------------------------------------------------

TEST_CASE("missing_field: event is required", "[ingest][fields]") {
  CheckRejected(R"({"service":"svc"})", RejectReason::kMissingField, "event");
  CheckRejected(R"({})", RejectReason::kMissingField, "event");
  CheckRejected(R"({"event":null})", RejectReason::kMissingField, "event");
}

TEST_CASE("missing_field: cross-field rules", "[ingest][fields]") {
  CheckRejected(R"({"event":"llm.call","vendor":"openai","model":"gpt-4o"})", RejectReason::kMissingField,
                "token_usage");
  // An LLM call may omit its vendor: pricing takes it from the model.
  CHECK(MustAccept(R"({"event":"llm.call","model":"gpt-4o","token_usage":{"input":1}})").records[0].vendor.empty());
  CheckRejected(R"({"event":"llm.call","vendor":"openai","token_usage":{"input":1}})", RejectReason::kMissingField,
                "model");
  CheckRejected(R"({"event":"email.sent","units":{"emails":1}})", RejectReason::kMissingField, "vendor");
  const RecordError e = MustReject(R"({"event":"llm.call","vendor":"openai","model":"gpt-4o"})");
  CHECK(e.message == R"(record 0: field "token_usage": is required when "model" is set)");
  // A vendor call with units and no model is fine.
  Batch ok = MustAccept(R"({"event":"email.sent","vendor":"sendgrid","units":{"emails":3}})");
  CHECK_FALSE(ok.records[0].is_llm_call());
}

// ---- wrong_type, unknown_field, out_of_range -----------------------------------------------

TEST_CASE("wrong_type names the field and the expected type", "[ingest][fields]") {
  CheckRejected(R"({"event":42})", RejectReason::kWrongType, "event");
  CHECK(MustReject(R"({"event":42})").message == R"(record 0: field "event": expected a string, got a number)");
  CheckRejected(LlmCall(R"("service":["a"])"), RejectReason::kWrongType, "service");
  CheckRejected(R"({"event":"llm.call","vendor":"v","model":"m","token_usage":"10"})", RejectReason::kWrongType,
                "token_usage");
  CheckRejected(R"({"event":"llm.call","vendor":"v","model":"m","token_usage":{"input":1.5}})",
                RejectReason::kWrongType, "token_usage.input");
  CheckRejected(R"({"event":"llm.call","vendor":"v","model":"m","token_usage":{"output":"5"}})",
                RejectReason::kWrongType, "token_usage.output");
  CheckRejected(R"({"event":"llm.call","vendor":"v","model":"m","token_usage":{"input":1e3}})",
                RejectReason::kWrongType, "token_usage.input");
  CheckRejected(Event(R"("attempt":"2")"), RejectReason::kWrongType, "attempt");
  CheckRejected(Event(R"("attempt":true)"), RejectReason::kWrongType, "attempt");
  CheckRejected(Event(R"("latency_ms":"842")"), RejectReason::kWrongType, "latency_ms");
  CheckRejected(Event(R"("vendor_status":200.0)"), RejectReason::kWrongType, "vendor_status");
  CheckRejected(Event(R"("units":[1])"), RejectReason::kWrongType, "units");
  CheckRejected(Event(R"("vendor":"v","units":{"emails":{"n":1}})"), RejectReason::kWrongType, "units.emails");
  CheckRejected(Event(R"("timestamp":1775124900)"), RejectReason::kWrongType, "timestamp");
}

TEST_CASE("unknown_field names the field", "[ingest][fields]") {
  CheckRejected(Event(R"("foo":1)"), RejectReason::kUnknownField, "foo");
  CHECK(MustReject(Event(R"("foo":{"a":[1,2]})")).message == R"(record 0: field "foo": unknown field)");
  CheckRejected(R"({"event":"llm.call","vendor":"v","model":"m","token_usage":{"input":1,"foo":2}})",
                RejectReason::kUnknownField, "token_usage.foo");
  // A key that may be personal data (or uses escapes) is not echoed.
  const RecordError email_key = MustReject(Event(R"("jane@example.com":1)"));
  CHECK(email_key.reason == RejectReason::kUnknownField);
  CHECK(email_key.field.empty());
  CHECK_FALSE(Contains(email_key.message, "jane"));
  const RecordError escaped_key = MustReject(R"({"\u0065vent":"a.b"})");
  CHECK(escaped_key.reason == RejectReason::kUnknownField);
  CHECK(escaped_key.field.empty());
}

TEST_CASE("out_of_range: negative counts, attempt, status, huge numbers", "[ingest][fields]") {
  CheckRejected(R"({"event":"llm.call","vendor":"v","model":"m","token_usage":{"input":-1}})",
                RejectReason::kOutOfRange, "token_usage.input");
  CheckRejected(R"({"event":"llm.call","vendor":"v","model":"m","token_usage":{"input":18446744073709551616}})",
                RejectReason::kOutOfRange, "token_usage.input");
  CheckRejected(
      R"({"event":"llm.call","vendor":"v","model":"m","token_usage":{"input":123456789012345678901234567890}})",
      RejectReason::kOutOfRange, "token_usage.input");
  CheckRejected(Event(R"("vendor":"v","units":{"emails":-3})"), RejectReason::kOutOfRange, "units.emails");
  CheckRejected(Event(R"("attempt":0)"), RejectReason::kOutOfRange, "attempt");
  CheckRejected(Event(R"("attempt":-2)"), RejectReason::kOutOfRange, "attempt");
  CheckRejected(Event(R"("attempt":4294967296)"), RejectReason::kOutOfRange, "attempt");
  CheckRejected(Event(R"("vendor_status":99)"), RejectReason::kOutOfRange, "vendor_status");
  CheckRejected(Event(R"("vendor_status":600)"), RejectReason::kOutOfRange, "vendor_status");
  CheckRejected(Event(R"("latency_ms":-0.5)"), RejectReason::kOutOfRange, "latency_ms");
  CheckRejected(Event(R"("latency_ms":1e300)"), RejectReason::kOutOfRange, "latency_ms");
  CheckRejected(Event(R"("latency_ms":9223372036854776)"), RejectReason::kOutOfRange, "latency_ms");
  CHECK(MustReject(Event(R"("vendor_status":600)")).message ==
        R"(record 0: field "vendor_status": must be an HTTP status code from 100 to 599 (got 600))");
}

TEST_CASE("the largest counts are accepted exactly", "[ingest][fields]") {
  Batch b = MustAccept(
      R"({"event":"llm.call","vendor":"v","model":"m","token_usage":{"input":1000000000,"output":1000000000,)"
      R"("cached_input":1000000000,"reasoning":1000000000},"units":{"emails":1000000000}})");
  CHECK(b.records[0].tokens[TokenType::kInput] == kMaxTokensPerRecord);
  CHECK(b.records[0].tokens[TokenType::kReasoning] == kMaxTokensPerRecord);
  CHECK(b.records[0].units.at(0).count == kMaxUnitsPerRecord);
  Batch a = MustAccept(Event(R"("attempt":4294967295,"vendor_status":599)"));
  CHECK(a.records[0].attempt == 4294967295u);
  CHECK(a.records[0].is_retry());
  CHECK(a.records[0].vendor_status == 599);
}

TEST_CASE("out_of_range: counts above a record's bounds, each field named", "[ingest][fields][bounds]") {
  for (const char* type : {"input", "output", "cached_input", "cache_write", "reasoning"}) {
    for (const char* count : {"1000000001", "9223372036854775807", "18446744073709551615"}) {
      INFO(type << " = " << count);
      const std::string body =
          std::string(R"({"event":"llm.call","vendor":"v","model":"m","token_usage":{")") + type + "\":" + count + "}}";
      CheckRejected(body, RejectReason::kOutOfRange, std::string("token_usage.") + type);
      CHECK(MustReject(body).message ==
            "record 0: field \"token_usage." + std::string(type) + "\": must be at most 1000000000 per record");
    }
  }
  const std::string units = R"({"event":"email.sent","vendor":"sendgrid","units":{"emails":1000000001}})";
  CheckRejected(units, RejectReason::kOutOfRange, "units.emails");
  CHECK(MustReject(units).message == R"(record 0: field "units.emails": must be at most 1000000000 per record)");
}

TEST_CASE("out_of_range: a latency above 7 days", "[ingest][fields][bounds]") {
  Batch at_bound = MustAccept(Event(R"("latency_ms":604800000)"));
  CHECK(at_bound.records[0].latency_us == kMaxLatencyUs);
  for (const char* latency : {"604800000.001", "604800001", "1e12", "9223372036854775.807", "1e400"}) {
    INFO("latency_ms: " << latency);
    const std::string body = Event(std::string("\"latency_ms\":") + latency);
    CheckRejected(body, RejectReason::kOutOfRange, "latency_ms");
    CHECK(MustReject(body).message == R"(record 0: field "latency_ms": must be at most 604800000 (7 days))");
  }
}

TEST_CASE("out_of_range: a timestamp before the ledger's first bucket", "[ingest][fields][bounds]") {
  Batch first = MustAccept(Event(R"("timestamp":"1677-09-21T00:15:00Z")"));
  CHECK(first.records[0].timestamp_unix_ns == kMinTimestampUnixNs);
  for (const char* ts : {"1677-09-21T00:14:59.999999999Z", "1677-09-21T00:13:00Z", "1677-09-21T00:12:43.145224192Z"}) {
    INFO("timestamp: " << ts);
    const std::string body = Event(std::string("\"timestamp\":\"") + ts + "\"");
    CheckRejected(body, RejectReason::kOutOfRange, "timestamp");
    CHECK(
        MustReject(body).message ==
        R"(record 0: field "timestamp": must not be before 1677-09-21T00:15:00Z (the earliest time the ledger holds))");
  }
}

TEST_CASE("a record beyond a bound is rejected alone; the rest of the batch is kept", "[ingest][fields][bounds]") {
  Result<Batch> batch = ParseBatch(
      R"([{"event":"llm.call","event_id":"a","vendor":"v","model":"m","token_usage":{"input":10}},)"
      R"({"event":"llm.call","event_id":"b","vendor":"v","model":"m","token_usage":{"input":9223372036854775807}},)"
      R"({"event":"llm.call","event_id":"c","vendor":"v","model":"m","token_usage":{"output":5}}])",
      BodyFormat::kJson, IngestOptions{}, 0);
  REQUIRE(batch.ok());
  REQUIRE(batch->records.size() == 2);
  CHECK(batch->records[0].event_id == "a");
  CHECK(batch->records[1].event_id == "c");
  REQUIRE(batch->errors.size() == 1);
  CHECK(batch->errors[0].index == 1);
  CHECK(batch->errors[0].field == "token_usage.input");
}

// ---- token usage ------------------------------------------------------------------------------

TEST_CASE("parts_exceed_whole: cached_input + cache_write > input", "[ingest][fields]") {
  const std::string body =
      R"({"event":"llm.call","vendor":"v","model":"m","token_usage":{"input":512,"cached_input":500,"cache_write":200}})";
  CheckRejected(body, RejectReason::kPartsExceedWhole, "token_usage.cached_input");
  CHECK(MustReject(body).message ==
        R"(record 0: field "token_usage.cached_input": cached_input + cache_write (700) exceed input (512))");
  // Equal is fine, and sums of parts at their bound are compared exactly.
  MustAccept(
      R"({"event":"llm.call","vendor":"v","model":"m","token_usage":{"input":700,"cached_input":500,"cache_write":200}})");
  CheckRejected(
      R"({"event":"llm.call","vendor":"v","model":"m","token_usage":{"input":1000000000,"cached_input":1000000000,"cache_write":1}})",
      RejectReason::kPartsExceedWhole, "token_usage.cached_input");
}

TEST_CASE("parts_exceed_whole: reasoning > output", "[ingest][fields]") {
  const std::string body =
      R"({"event":"llm.call","vendor":"v","model":"m","token_usage":{"output":128,"reasoning":200}})";
  CheckRejected(body, RejectReason::kPartsExceedWhole, "token_usage.reasoning");
  CHECK(MustReject(body).message == R"(record 0: field "token_usage.reasoning": reasoning (200) exceeds output (128))");
}

TEST_CASE("parts_exceed_whole: cache_write_1h > cache_write", "[ingest][fields]") {
  const std::string body =
      R"({"event":"llm.call","vendor":"v","model":"m","token_usage":{"input":900,"cache_write":300,"cache_write_1h":301}})";
  CheckRejected(body, RejectReason::kPartsExceedWhole, "token_usage.cache_write_1h");
  CHECK(MustReject(body).message ==
        R"(record 0: field "token_usage.cache_write_1h": cache_write_1h (301) exceeds cache_write (300))");
  Batch b = MustAccept(
      R"({"event":"llm.call","vendor":"v","model":"m","token_usage":{"input":900,"cache_write":300,"cache_write_1h":300}})");
  CHECK(b.records[0].tokens[TokenType::kCacheWrite] == 300);
  CHECK(b.records[0].tokens[TokenType::kCacheWrite1h] == 300);
}

TEST_CASE("token_usage fields are optional and default to zero", "[ingest][fields]") {
  Batch b = MustAccept(R"({"event":"llm.call","vendor":"v","model":"m","token_usage":{"output":7}})");
  const UsageRecord& r = b.records[0];
  CHECK(r.has_token_usage);
  CHECK(r.tokens[TokenType::kInput] == 0);
  CHECK(r.tokens[TokenType::kOutput] == 7);
  Batch empty = MustAccept(R"({"event":"llm.call","vendor":"v","model":"m","token_usage":{}})");
  CHECK(empty.records[0].has_token_usage);
}

// ---- labels -------------------------------------------------------------------------------------

TEST_CASE("label fields: e-mail, phone, free text, escapes are rejected without echo", "[ingest][fields]") {
  for (const char* field : {"service", "operation", "campaign_id", "audience_id", "vendor", "service_tier",
                            "decision_id", "prompt_version"}) {
    const std::string name = field;
    CheckRejected(Event("\"" + name + "\":\"jane.doe@example.com\""), RejectReason::kLooksLikeEmail, name);
    CheckRejected(Event("\"" + name + "\":\"+1 (555) 123-4567\""), RejectReason::kLooksLikePhone, name);
    CheckRejected(Event("\"" + name + "\":\"spring promo\""), RejectReason::kInvalidLabel, name);
    CheckRejected(Event("\"" + name + "\":\"a\\u0020b\""), RejectReason::kInvalidLabel, name);
  }
  CheckRejected(R"({"event":"jane@example.com"})", RejectReason::kLooksLikeEmail, "event");
  CheckRejected(R"({"event":"llm.call","vendor":"v","model":"gpt 4o","token_usage":{}})", RejectReason::kInvalidLabel,
                "model");

  const RecordError email = MustReject(Event(R"("campaign_id":"jane.doe@example.com")"));
  CHECK(email.message == R"(record 0: field "campaign_id": looks like an e-mail address; send hash_email instead)");
  CHECK_FALSE(Contains(email.message, "jane"));
  const RecordError phone = MustReject(Event(R"("audience_id":"+1 (555) 123-4567")"));
  CHECK_FALSE(Contains(phone.message, "555"));
  const RecordError text = MustReject(Event(R"("operation":"write a subject line")"));
  CHECK(text.message == R"(record 0: field "operation": free text is not allowed (spaces are not allowed))");
  const RecordError escape = MustReject(Event(R"("service":"svc\/x")"));
  CHECK(escape.message == R"(record 0: field "service": escape sequences (backslash) are not allowed)");
}

TEST_CASE("label fields: API keys and tokens are rejected without echo", "[ingest][fields]") {
  for (const char* secret :
       {"sk-proj-Q2x9LmT4vB7nR1sK8wZ3yH6d", "sk_live_51HqLyjWDarjtT1zdp7dcXZ", "AKIAIOSFODNN7EXAMPLEKEY",
        "ghp_1a2B3c4D5e6F7g8H9i0JkLmNoPqRsTuV", "xoxb-1234567890-abcdefghijklmnop",
        "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY", "Q2x9LmT4vB7nR1sK8wZ3yH6dP0aE5cF1"}) {
    INFO(secret);
    CheckRejected(Event(std::string(R"("campaign_id":")") + secret + "\""), RejectReason::kLooksLikeSecret,
                  "campaign_id");
    const RecordError e = MustReject(Event(std::string(R"("operation":")") + secret + "\""));
    CHECK(e.reason == RejectReason::kLooksLikeSecret);
    CHECK_FALSE(Contains(e.message, secret));
  }
  // Model names, dates, slugs, hex digests and long lower-case ids stay labels.
  for (const char* fine : {"claude-sonnet-4-5-20250929", "gpt-4o-2024-08-06", "cmp_2026_04_springpromo_retargeting",
                           "7c4a8d09ca3762af61e59520943dc26494f8941b", "aud_us_smb_01_newsletter_subscribers_2026",
                           "sk-winter-campaign", "skill_builder_newsletter_2026"}) {
    INFO(fine);
    MustAccept(Event(std::string(R"("campaign_id":")") + fine + "\""));
  }
  CHECK(RejectReasonName(RejectReason::kLooksLikeSecret) == "looks_like_secret");
}

TEST_CASE("label fields: length, empty, reserved prefix, max_label_length option", "[ingest][fields]") {
  CheckRejected(Event(R"("service":"")"), RejectReason::kInvalidLabel, "service");
  CheckRejected(Event(R"("service":"__internal")"), RejectReason::kInvalidLabel, "service");
  CheckRejected(Event("\"service\":\"" + std::string(129, 'a') + "\""), RejectReason::kInvalidLabel, "service");
  MustAccept(Event("\"service\":\"" + std::string(128, 'a') + "\""));

  IngestOptions narrow;
  narrow.max_label_length = 8;
  Batch batch = test::MustParse(R"([{"event":"a.b","service":"abcdefgh"},{"event":"a.b","service":"abcdefghi"}])",
                                BodyFormat::kJson, narrow);
  CHECK(batch.record_index == std::vector<std::size_t>{0});
  REQUIRE(batch.errors.size() == 1);
  CHECK(batch.errors[0].message == R"(record 1: field "service": longer than 8 characters (9))");
}

TEST_CASE("prompt_version is an optional label-bound field", "[ingest][fields]") {
  Batch with =
      MustAccept(R"({"event":"llm.call","vendor":"v","model":"m","token_usage":{},"prompt_version":"subject-v12"})");
  CHECK(with.records[0].prompt_version == "subject-v12");
  Batch without = MustAccept(R"({"event":"llm.call","vendor":"v","model":"m","token_usage":{}})");
  CHECK(without.records[0].prompt_version.empty());
  CheckRejected(Event(R"("prompt_version":"")"), RejectReason::kInvalidLabel, "prompt_version");
}

TEST_CASE("units: label-safe names, integer counts, repeated keys", "[ingest][fields]") {
  Batch b =
      MustAccept(Event(R"("vendor":"sendgrid","units":{"emails":3,"sms.segments":2,"emails":5,"gone":1,"gone":null})"));
  const UsageRecord& r = b.records[0];
  REQUIRE(r.units.size() == 2);
  CHECK(r.units[0].unit == "emails");
  CHECK(r.units[0].count == 5);
  CHECK(r.units[1].unit == "sms.segments");
  CHECK(r.units[1].count == 2);

  const RecordError bad_name = MustReject(Event(R"("vendor":"v","units":{"jane@example.com":1})"));
  CHECK(bad_name.reason == RejectReason::kLooksLikeEmail);
  CHECK(bad_name.field == "units");
  CHECK_FALSE(Contains(bad_name.message, "jane"));
  CheckRejected(Event(R"("vendor":"v","units":{"e mails":1})"), RejectReason::kInvalidLabel, "units");
  CheckRejected(Event(R"("vendor":"v","units":{"emails":1.5})"), RejectReason::kWrongType, "units.emails");
}

// ---- ids, hashes, timestamps ------------------------------------------------------------------------

TEST_CASE("invalid_id: event_id and reservation_id", "[ingest][fields]") {
  MustAccept(Event("\"event_id\":\"" + std::string(128, 'e') + "\""));
  MustAccept(Event(R"("event_id":"A-z_0.9:x","reservation_id":"rsv_01:2")"));
  CheckRejected(Event("\"event_id\":\"" + std::string(129, 'e') + "\""), RejectReason::kInvalidId, "event_id");
  CheckRejected(Event(R"("event_id":"")"), RejectReason::kInvalidId, "event_id");
  CheckRejected(Event(R"("event_id":"evt/1")"), RejectReason::kInvalidId, "event_id");
  CheckRejected(Event(R"("event_id":"evt 1")"), RejectReason::kInvalidId, "event_id");
  CheckRejected(Event(R"("reservation_id":"rsv#1")"), RejectReason::kInvalidId, "reservation_id");
  CHECK(MustReject(Event(R"("event_id":"evt 1")")).message ==
        R"(record 0: field "event_id": must be 1 to 128 characters of A-Z a-z 0-9 . _ : -)");
}

TEST_CASE("invalid_id: trace_id and span_id", "[ingest][fields]") {
  CheckRejected(Event(R"("trace_id":"00000000000000000000000000000000")"), RejectReason::kInvalidId, "trace_id");
  CheckRejected(Event(R"("trace_id":"4bf92f3577b34da6a3ce929d0e0e473")"), RejectReason::kInvalidId, "trace_id");
  CheckRejected(Event(R"("trace_id":"4bf92f3577b34da6a3ce929d0e0e473g")"), RejectReason::kInvalidId, "trace_id");
  CheckRejected(Event(R"("span_id":"0000000000000000")"), RejectReason::kInvalidId, "span_id");
  CheckRejected(Event(R"("span_id":"00f067aa0ba902b")"), RejectReason::kInvalidId, "span_id");
  CheckRejected(Event(R"("span_id":"00f067aa0ba902b7a")"), RejectReason::kInvalidId, "span_id");
  CHECK(MustReject(Event(R"("span_id":"0000000000000000")")).message ==
        R"(record 0: field "span_id": must be 16 hex characters, not all zero)");
}

TEST_CASE("idempotency key: event_id, else derived from trace and span, else empty", "[ingest][fields]") {
  const std::string ids = R"("trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7")";
  Batch with_id = MustAccept(Event(ids + R"(,"event_id":"evt_1")"));
  CHECK(with_id.records[0].idempotency_key == "evt_1");
  Batch derived = MustAccept(Event(ids));
  CHECK(derived.records[0].idempotency_key == "t:4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:email.sent");
  Batch upper = MustAccept(Event(R"("trace_id":"4BF92F3577B34DA6A3CE929D0E0E4736","span_id":"00F067AA0BA902B7")"));
  CHECK(upper.records[0].trace_id == "4BF92F3577B34DA6A3CE929D0E0E4736");
  CHECK(upper.records[0].idempotency_key == derived.records[0].idempotency_key);
  Batch trace_only = MustAccept(Event(R"("trace_id":"4bf92f3577b34da6a3ce929d0e0e4736")"));
  CHECK(trace_only.records[0].idempotency_key.empty());
  Batch none = MustAccept(Event());
  CHECK(none.records[0].idempotency_key.empty());

  Batch keeper;
  UsageRecord direct;
  direct.event = "llm.call";
  direct.trace_id = "abc";
  direct.span_id = "DEF";
  const std::string_view derived_key = IdempotencyKey(direct, keeper);
  CHECK(derived_key == "t:abc:def:llm.call");
  direct.event_id = "e1";
  const std::string_view given = IdempotencyKey(direct, keeper);
  CHECK(given == "e1");
  CHECK(given.data() == direct.event_id.data());  // a view of event_id, not a copy
  // A derived key lives in the batch: still there after the batch moves,
  // and longer than a stack buffer when the event is long.
  direct.event_id = {};
  const std::string long_event(300, 'e');
  direct.event = long_event;
  const std::string_view long_key = IdempotencyKey(direct, keeper);
  Batch moved = std::move(keeper);
  CHECK(derived_key == "t:abc:def:llm.call");
  CHECK(long_key == "t:abc:def:" + long_event);
}

TEST_CASE("invalid_hash: hash_email must be an MD5/SHA hex digest", "[ingest][fields]") {
  for (std::size_t n : {32u, 40u, 64u, 128u}) {
    Batch ok = MustAccept(Event("\"hash_email\":\"" + std::string(n, 'a') + "\""));
    CHECK(ok.records[0].hash_email.size() == n);
  }
  MustAccept(Event("\"hash_email\":\"" + std::string(32, 'F') + "\""));
  for (std::size_t n : {0u, 31u, 33u, 39u, 41u, 63u, 65u, 127u, 129u}) {
    CheckRejected(Event("\"hash_email\":\"" + std::string(n, 'a') + "\""), RejectReason::kInvalidHash, "hash_email");
  }
  CheckRejected(Event("\"hash_email\":\"" + std::string(39, 'a') + "g\""), RejectReason::kInvalidHash, "hash_email");
  const RecordError raw = MustReject(Event(R"("hash_email":"jane.doe@example.com")"));
  CHECK(raw.reason == RejectReason::kInvalidHash);
  CHECK(Contains(raw.message, "looks like a raw e-mail address"));
  CHECK_FALSE(Contains(raw.message, "jane"));
}

TEST_CASE("invalid_timestamp and timestamp defaults", "[ingest][fields]") {
  Batch given = MustAccept(Event(R"("timestamp":"2024-02-29T00:00:00Z")"));
  CHECK(given.records[0].timestamp_given);
  CHECK(given.records[0].timestamp_unix_ns == 1709164800000000000);
  CheckRejected(Event(R"("timestamp":"2025-02-29T00:00:00Z")"), RejectReason::kInvalidTimestamp, "timestamp");
  CheckRejected(Event(R"("timestamp":"yesterday")"), RejectReason::kInvalidTimestamp, "timestamp");
  CheckRejected(Event(R"("timestamp":"2026-04-02 10:15:00Z")"), RejectReason::kInvalidTimestamp, "timestamp");
  Batch absent = MustAccept(Event(R"("timestamp":null)"));
  CHECK_FALSE(absent.records[0].timestamp_given);
  CHECK(absent.records[0].timestamp_unix_ns == test::kReceiveTime);
}

// ---- numbers ---------------------------------------------------------------------------------------

TEST_CASE("latency_ms is stored as microseconds, rounded half up", "[ingest][fields]") {
  struct Case {
    const char* json;
    std::int64_t micros;
  };
  for (const Case& c :
       {Case{"842", 842000}, Case{"842.5", 842500}, Case{"0", 0}, Case{"-0", 0}, Case{"0.0004", 0}, Case{"0.0005", 1},
        Case{"1.2345", 1235}, Case{"1.23449999", 1234}, Case{"0.001", 1}, Case{"842.0005", 842001},
        Case{"1e3", 1000000}, Case{"2.5E-3", 3}, Case{"1e-400", 0}, Case{"604799999.9995", 604800000000}}) {
    INFO("latency_ms: " << c.json);
    Batch b = MustAccept(Event(std::string("\"latency_ms\":") + c.json));
    CHECK(b.records[0].has_latency);
    CHECK(b.records[0].latency_us == c.micros);
  }
}

TEST_CASE("failed: set by a vendor_status of 400 or more, from no other field", "[ingest][fields]") {
  struct Case {
    const char* extra;
    bool failed;
  };
  for (const Case& c : {Case{R"("vendor_status":503)", true}, Case{R"("vendor_status":400)", true},
                        Case{R"("vendor_status":429)", true}, Case{R"("vendor_status":599)", true},
                        Case{R"("vendor_status":200)", false}, Case{R"("vendor_status":399)", false},
                        Case{R"("vendor_status":null)", false}, Case{R"("latency_ms":5)", false},
                        // A repeated key: the last value decides the status and the flag.
                        Case{R"("vendor_status":503,"vendor_status":200)", false},
                        Case{R"("vendor_status":200,"vendor_status":502)", true}}) {
    INFO(c.extra);
    Batch b = MustAccept(Event(c.extra));
    CHECK(b.records[0].failed == c.failed);
  }
  Batch call = MustAccept(LlmCall(R"("vendor_status":503)"));
  CHECK(call.records[0].failed);
  CHECK(call.records[0].vendor_status == 503);
}

// ---- string scanning ----------------------------------------------------------------------------

TEST_CASE("string values are found exactly, whatever their length and escapes", "[ingest][fields]") {
  // Plain values of every length come back byte for byte (the scanner reads
  // eight bytes at a time, so lengths around multiples of 8 matter).
  for (std::size_t n = 1; n <= 40; ++n) {
    std::string value;
    for (std::size_t i = 0; i < n; ++i) value.push_back("abcdefghij"[i % 10]);
    Batch b = MustAccept(Event("\"service\":\"" + value + "\",\"operation\":\"op\""));
    CHECK(b.records[0].service == value);
    CHECK(b.records[0].operation == "op");
  }
  // An escaped quote or an escaped backslash at any position is a rejected
  // field, never a misplaced string end (which would be a body error).
  for (std::size_t pos = 0; pos <= 24; ++pos) {
    for (const char* escape : {"\\\"", "\\\\", "\\u0041"}) {
      const std::string value = std::string(pos, 'a') + escape + "z";
      INFO("value: " << value);
      const RecordError e = MustReject(Event("\"service\":\"" + value + "\",\"operation\":\"op\""));
      CHECK(e.field == "service");
      CHECK(e.message == R"(record 0: field "service": escape sequences (backslash) are not allowed)");
    }
  }
  // A value ending in an escaped backslash ends at the following quote.
  const RecordError tail = MustReject(Event(R"("service":"abcdefg\\","operation":"op")"));
  CHECK(tail.field == "service");
}

// ---- misc --------------------------------------------------------------------------------------------

TEST_CASE("null means absent for optional fields", "[ingest][fields]") {
  Batch b = MustAccept(
      R"({"event":"email.sent","service":null,"attempt":null,"latency_ms":null,"units":null,"token_usage":null})");
  const UsageRecord& r = b.records[0];
  CHECK(r.service.empty());
  CHECK(r.attempt == 1);
  CHECK_FALSE(r.has_latency);
  CHECK_FALSE(r.has_token_usage);
  CHECK(r.units.empty());
}

TEST_CASE("a repeated key takes the last value", "[ingest][fields]") {
  Batch b = MustAccept(R"({"event":"a.b","service":"first","service":"second","event":"c.d",)"
                       R"("vendor":"v","model":"m","token_usage":{"input":9,"output":9},"token_usage":{"input":1}})");
  const UsageRecord& r = b.records[0];
  CHECK(r.event == "c.d");
  CHECK(r.service == "second");
  CHECK(r.tokens[TokenType::kInput] == 1);
  CHECK(r.tokens[TokenType::kOutput] == 0);  // the second object replaced the first as a whole
}

TEST_CASE("only the first problem of a record is reported", "[ingest][fields]") {
  const RecordError e = MustReject(R"({"event":"a b","service":"jane@example.com","attempt":0})");
  CHECK(e.field == "event");
  CHECK(e.reason == RejectReason::kInvalidLabel);
}

TEST_CASE("whitespace anywhere in a record is fine", "[ingest][fields]") {
  Batch b = MustAccept(
      "{ \"event\" : \"llm.call\" ,\n\t\"vendor\":\"v\" , \"model\" : \"m\" , \"token_usage\" : { \"input\" : 3 , "
      "\"output\" : 2 } , \"latency_ms\" : 1.5 \r\n }");
  const UsageRecord& r = b.records[0];
  CHECK(r.event == "llm.call");
  CHECK(r.tokens[TokenType::kInput] == 3);
  CHECK(r.latency_us == 1500);
}

}  // namespace
}  // namespace lce

// ---- deferred string validation --------------------------------------------------------------
// Keys and string values are delimited from simdjson's token positions and
// validated only when their field rule refuses them; malformed string text
// must still be a body error (never a rejection), and valid escapes a rejection.

namespace lce {
namespace {

bool IsBodyError(const std::string& body) { return !ParseBatch(body, BodyFormat::kJson, {}, test::kReceiveTime).ok(); }

TEST_CASE("a bad escape in any string field is a body error", "[ingest][fields][strings]") {
  const std::vector<std::string> bodies = {
      test::Event(R"("service":"a\qb")"),
      test::Event(R"("event_id":"evt\q")"),
      test::Event(R"("trace_id":"\q")"),
      test::Event(R"("hash_email":"\q")"),
      test::Event(R"("timestamp":"2026-04-02T10:15:00Z\q")"),
      test::Event(R"("vendor":"v","units":{"emails\q":1})"),
      test::Event(R"("vendor":"v","units":{"emails":1,"\u00zz":1})"),
      test::Event(R"("unknown\q":1)"),
      R"({"event":"llm.call","vendor":"v","model":"m","token_usage":{"input":1,"out\qput":2}})",
  };
  for (const std::string& body : bodies) {
    INFO("body: " << body);
    CHECK(IsBodyError(body));
  }
}

TEST_CASE("valid escapes in string fields are rejections", "[ingest][fields][strings]") {
  CHECK(test::MustReject(test::Event(R"("event_id":"evt\u0041")")).reason == RejectReason::kInvalidId);
  CHECK(test::MustReject(test::Event(R"("timestamp":"2026-04-02T10:15:00\u005a")")).reason ==
        RejectReason::kInvalidTimestamp);
  CHECK(test::MustReject(test::Event(R"("hash_email":"\u0041")")).reason == RejectReason::kInvalidHash);
  const RecordError unit = test::MustReject(test::Event(R"("vendor":"v","units":{"e\"mails":1})"));
  CHECK(unit.reason == RejectReason::kInvalidLabel);
  CHECK(unit.field == "units");
  const RecordError token =
      test::MustReject(R"({"event":"llm.call","vendor":"v","model":"m","token_usage":{"input":1,"in\u0070ut":2}})");
  CHECK(token.reason == RejectReason::kUnknownField);
  CHECK(token.field == "token_usage");
}

TEST_CASE("keys are found exactly whatever the whitespace around the colon", "[ingest][fields][strings]") {
  Batch b = test::MustAccept(
      "{\"event\" \t\r\n: \"email.sent\",\"vendor\"\n:\"v\" ,\"units\":{ \"emails\"  :  2 },"
      "\"campaign_id\"   :\"c1\"}");
  const UsageRecord& r = b.records[0];
  CHECK(r.event == "email.sent");
  CHECK(r.vendor == "v");
  CHECK(r.campaign_id == "c1");
  REQUIRE(r.units.size() == 1);
  CHECK(r.units[0].unit == "emails");
  CHECK(r.units[0].count == 2);
}

}  // namespace
}  // namespace lce

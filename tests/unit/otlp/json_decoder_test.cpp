// OTLP/HTTP JSON decoding, and whole bodies through ParseOtlpTraces.
#include <limits>
#include <new>
#include <string>
#include <vector>

#include "otlp_test_util.h"

using namespace lce;
using namespace lce::test;

namespace {

// Shaped exactly like @opentelemetry/exporter-trace-otlp-http sends it:
// resourceSpans / scopeSpans, hex ids, nanosecond times as strings,
// intValue as a string, plus fields the mapping ignores.
constexpr std::string_view kJsExporterBody = R"({"resourceSpans":[{
  "resource":{"attributes":[
    {"key":"service.name","value":{"stringValue":"email_orchestrator"}},
    {"key":"telemetry.sdk.language","value":{"stringValue":"nodejs"}},
    {"key":"process.pid","value":{"intValue":4242}}],
    "droppedAttributesCount":0},
  "scopeSpans":[{"scope":{"name":"agent","version":"1.0.0"},"spans":[
    {"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","parentSpanId":"",
     "name":"chat gpt-4o","kind":3,
     "startTimeUnixNano":"1772366400000000000","endTimeUnixNano":"1772366400842000000",
     "attributes":[
       {"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},
       {"key":"gen_ai.provider.name","value":{"stringValue":"openai"}},
       {"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},
       {"key":"gen_ai.usage.input_tokens","value":{"intValue":"512"}},
       {"key":"gen_ai.usage.output_tokens","value":{"intValue":128}},
       {"key":"gen_ai.request.temperature","value":{"doubleValue":0.7}},
       {"key":"gen_ai.request.stream","value":{"boolValue":false}},
       {"key":"gen_ai.response.finish_reasons","value":{"arrayValue":{"values":[{"stringValue":"stop"}]}}},
       {"key":"campaign_id","value":{"stringValue":"cmp_spring"}}],
     "droppedAttributesCount":0,"events":[],"droppedEventsCount":0,
     "status":{"code":0},"links":[],"droppedLinksCount":0}]}]}]})";

struct Collected {
  std::vector<std::string> names;
  std::vector<std::size_t> attribute_counts;
  std::vector<std::int32_t> status_codes;
  std::vector<std::uint64_t> ends;
};

Status Decode(std::string_view body, Collected* out) {
  return DecodeOtlpJson(body, [out](const OtlpSpan& span) {
    out->names.emplace_back(span.name);
    out->attribute_counts.push_back(span.attributes.size());
    out->status_codes.push_back(span.status_code);
    out->ends.push_back(span.end_time_unix_nano);
    return Status::Ok();
  });
}

Result<Batch> Parse(std::string_view body) {
  return ParseOtlpTraces(body, OtlpEncoding::kJson, OtlpOptions{}, IngestOptions{}, kReceiveTime);
}

std::string SpanWith(std::string_view span_id, std::string_view attributes) {
  return std::string(R"({"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":")") + std::string(span_id) +
         R"(","name":"chat","startTimeUnixNano":1772366400000000000,"endTimeUnixNano":1772366401000000000,)" +
         R"("attributes":[)" + std::string(attributes) + "]}";
}

}  // namespace

TEST_CASE("the JS exporter's body decodes and maps to one priced-ready record", "[otlp][json]") {
  Result<Batch> batch = Parse(kJsExporterBody);
  REQUIRE(batch.ok());
  REQUIRE(batch->errors.empty());
  REQUIRE(batch->records.size() == 1);
  const UsageRecord& r = batch->records[0];
  // The decoder's DOM is gone: every view points into the batch's arena.
  CheckJsExporterChatRecord(r);
  // ...and the views survive moving the batch.
  Batch moved = std::move(batch).value();
  Batch again = std::move(moved);
  CHECK(again.records[0].model == "gpt-4o");
  CHECK(again.records[0].trace_id == kTraceId);
}

TEST_CASE("numbers and strings are both accepted for 64-bit fields; status names too", "[otlp][json]") {
  Collected c;
  REQUIRE(Decode(R"({"resourceSpans":[{"scopeSpans":[{"spans":[
      {"name":"a","endTimeUnixNano":"18446744073709551615","status":{"code":2}},
      {"name":"b","endTimeUnixNano":5,"status":{"code":"STATUS_CODE_OK"}},
      {"name":"c","attributes":[{"key":"k","value":{"intValue":"-7"}},{"key":"e"}],"status":{}}]}]}]})",
                 &c)
              .ok());
  CHECK(c.names == std::vector<std::string>{"a", "b", "c"});
  CHECK(c.ends == std::vector<std::uint64_t>{18446744073709551615ULL, 5, 0});
  CHECK(c.status_codes == std::vector<std::int32_t>{2, 1, 0});
  CHECK(c.attribute_counts == std::vector<std::size_t>{0, 0, 2});
}

TEST_CASE("an empty request and unknown fields are fine", "[otlp][json]") {
  Collected c;
  CHECK(Decode("{}", &c).ok());
  CHECK(Decode(R"({"resourceSpans":[],"somethingNew":{"x":[1,2]}})", &c).ok());
  CHECK(Decode(R"({"resourceSpans":[{"scopeSpans":null}]})", &c).ok());
  CHECK(c.names.empty());
}

TEST_CASE("bad JSON is refused as a whole without echoing the input", "[otlp][json]") {
  Collected c;
  const Status status = Decode(R"({"resourceSpans":[{"secret_value_here)", &c);
  REQUIRE_FALSE(status.ok());
  CHECK(status.code() == Status::Code::kInvalidArgument);
  CHECK_THAT(status.message(), Catch::StartsWith("invalid JSON: parse error at line 1"));
  CHECK_THAT(status.message(), !Catch::Contains("secret"));
  CHECK_FALSE(Decode("", &c).ok());
  CHECK_FALSE(Decode("{} {}", &c).ok());
  // Input that imitates nlohmann's own "; expected" wording, with bytes that
  // are not UTF-8: still nothing of it in the message.
  const Status forged = Decode("[\"'; expected \xCD\xC5 secret\"]", &c);
  REQUIRE_FALSE(forged.ok());
  CHECK(forged.message() ==
        "invalid JSON: parse error at line 1, column 16: syntax error while parsing value - invalid string: "
        "ill-formed UTF-8 byte");
}

// Regression (fuzz_otlp_json): nlohmann throws a number beyond double's
// range as out_of_range, not parse_error; it was answered as an internal
// error (500) quoting the number.
TEST_CASE("a number beyond double's range is bad JSON, not an internal error", "[otlp][json]") {
  Collected c;
  for (
      const std::string_view body :
      {R"({"a":1e400})",
       R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"d","value":{"doubleValue":-123456e999}}]}]}]}]})"}) {
    const Status status = Decode(body, &c);
    REQUIRE_FALSE(status.ok());
    CHECK(status.code() == Status::Code::kInvalidArgument);
    CHECK(status.message() == "invalid JSON: a number is beyond the range of a double");
  }
  CHECK(c.names.empty());
  const Result<Batch> batch = ParseOtlpTraces(R"({"resourceSpans":[],"x":[1e400]})", OtlpEncoding::kJson, OtlpOptions{},
                                              IngestOptions{}, kReceiveTime);
  REQUIRE_FALSE(batch.ok());
  CHECK(batch.status().code() == Status::Code::kInvalidArgument);
}

TEST_CASE("a body that is not an ExportTraceServiceRequest names the JSON path", "[otlp][json]") {
  Collected c;
  auto message = [&c](std::string_view body) {
    const Status status = Decode(body, &c);
    REQUIRE_FALSE(status.ok());
    CHECK(status.code() == Status::Code::kInvalidArgument);
    return status.message();
  };
  CHECK(message("[]") ==
        "invalid ExportTraceServiceRequest: (body): expected an ExportTraceServiceRequest object, "
        "got an array");
  CHECK(message(R"({"resourceSpans":{}})") ==
        "invalid ExportTraceServiceRequest: (body).resourceSpans: expected an array, got an object");
  CHECK(message(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":7}]}]}]})") ==
        "invalid ExportTraceServiceRequest: resourceSpans[0].scopeSpans[0].spans[0].spanId: expected a string, "
        "got a number");
  CHECK(
      message(
          R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"a","value":{"intValue":"12x"}}]}]}]}]})") ==
      "invalid ExportTraceServiceRequest: resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.intValue: "
      "expected a decimal int64 string");
  CHECK(message(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":-1}]}]}]})") ==
        "invalid ExportTraceServiceRequest: resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: must not be "
        "negative");
  CHECK(message(R"({"resourceSpans":[{"resource":{"attributes":[{"value":{}}]}}]})") ==
        "invalid ExportTraceServiceRequest: resourceSpans[0].resource.attributes[0]: key is required");
  CHECK_THAT(message(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"status":{"code":7}}]}]}]})"),
             Catch::EndsWith("status.code: must be 0 (unset), 1 (ok) or 2 (error)"));
}

TEST_CASE("a bad span is rejected alone; indexes count spans across the request", "[otlp][json]") {
  const std::string good = SpanWith("00f067aa0ba902b1", R"({"key":"campaign_id","value":{"stringValue":"cmp_a"}})");
  const std::string bad =
      SpanWith("00f067aa0ba902b2", R"({"key":"campaign_id","value":{"stringValue":"jane@example.com"}})");
  const std::string other = SpanWith("00f067aa0ba902b3", "");
  const std::string body = R"({"resourceSpans":[{"scopeSpans":[{"spans":[)" + good + "]},{\"spans\":[" + bad +
                           "]}]},{\"scopeSpans\":[{\"spans\":[" + other + "]}]}]}";
  Result<Batch> batch = Parse(body);
  REQUIRE(batch.ok());
  CHECK(batch->total == 3);
  CHECK(batch->record_index == std::vector<std::size_t>{0, 2});
  REQUIRE(batch->errors.size() == 1);
  CHECK(batch->errors[0].index == 1);
  CHECK(batch->errors[0].field == "campaign_id");
  CHECK(batch->errors[0].reason == RejectReason::kLooksLikeEmail);
}

TEST_CASE("fields come in any order; the resource may follow its spans", "[otlp][json]") {
  // Every object's members reversed against the usual order.
  const std::string_view body = R"({"somethingNew":1,"resourceSpans":[{
    "scopeSpans":[{"spans":[
      {"status":{"code":"STATUS_CODE_ERROR"},
       "attributes":[{"value":{"intValue":"12"},"key":"gen_ai.usage.input_tokens"}],
       "endTimeUnixNano":"20","startTimeUnixNano":10,"name":"chat","spanId":"00f067aa0ba902b7",
       "traceId":"4bf92f3577b34da6a3ce929d0e0e4736"}],"scope":{"name":"x"}}],
    "resource":{"droppedAttributesCount":0,"attributes":[{"value":{"stringValue":"svc"},"key":"service.name"}]}}]})";
  std::vector<std::string> seen;
  const Status status = DecodeOtlpJson(body, [&seen](const OtlpSpan& span) {
    REQUIRE(span.resource_attributes.size() == 1);
    REQUIRE(span.attributes.size() == 1);
    seen.push_back(std::string(span.trace_id) + " " + std::string(span.span_id) + " " + std::string(span.name) + " " +
                   std::to_string(span.start_time_unix_nano) + " " + std::to_string(span.end_time_unix_nano) + " " +
                   std::to_string(span.status_code) + " " + std::string(span.attributes[0].key) + "=" +
                   std::to_string(span.attributes[0].value.int_value) + " " +
                   std::string(span.resource_attributes[0].key) + "=" +
                   std::string(span.resource_attributes[0].value.string));
    return Status::Ok();
  });
  REQUIRE(status.ok());
  CHECK(seen == std::vector<std::string>{"4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7 chat 10 20 2 "
                                         "gen_ai.usage.input_tokens=12 service.name=svc"});
}

TEST_CASE("a key given twice: the last one counts; null is absent", "[otlp][json]") {
  Collected c;
  REQUIRE(Decode(R"({"resourceSpans":[{"scopeSpans":[{"spans":[
      {"name":"first","name":"second","endTimeUnixNano":"x","endTimeUnixNano":7,
       "status":{"code":2},"status":null}]}]}]})",
                 &c)
              .ok());
  CHECK(c.names == std::vector<std::string>{"second"});
  CHECK(c.ends == std::vector<std::uint64_t>{7});
  CHECK(c.status_codes == std::vector<std::int32_t>{0});
}

TEST_CASE("AnyValue: the first of string, int, double, bool wins; numbers keep their JSON type", "[otlp][json]") {
  std::vector<OtlpValue::Kind> kinds;
  std::vector<double> doubles;
  REQUIRE(DecodeOtlpJson(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[
      {"key":"a","value":{"boolValue":true,"intValue":3}},
      {"key":"b","value":{"doubleValue":"-Infinity","arrayValue":{}}},
      {"key":"c","value":{"doubleValue":18446744073709551615}},
      {"key":"d","value":{"kvlistValue":{}}},
      {"key":"e","value":{"stringValue":null,"boolValue":false}},
      {"key":"f","value":null}]}]}]}]})",
                         [&](const OtlpSpan& span) {
                           for (const OtlpAttribute& a : span.attributes) {
                             kinds.push_back(a.value.kind);
                             doubles.push_back(a.value.double_value);
                           }
                           return Status::Ok();
                         })
              .ok());
  using K = OtlpValue::Kind;
  CHECK(kinds == std::vector<K>{K::kInt, K::kDouble, K::kDouble, K::kOther, K::kBool, K::kEmpty});
  CHECK(doubles[1] == -std::numeric_limits<double>::infinity());
  CHECK(doubles[2] == 18446744073709551615.0);

  Collected c;
  auto message = [&c](std::string_view value) {
    const std::string body = R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"k","value":)" +
                             std::string(value) + "}]}]}]}]}";
    const Status status = Decode(body, &c);
    REQUIRE_FALSE(status.ok());
    return status.message();
  };
  const std::string at =
      "invalid ExportTraceServiceRequest: resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value";
  CHECK(message(R"({"intValue":5.0})") == at + ".intValue: expected an int64 (number or decimal string), got a number");
  CHECK(message(R"({"intValue":9223372036854775808})") == at + ".intValue: out of the int64 range");
  CHECK(message(R"({"doubleValue":"1.5x"})") == at + ".doubleValue: expected a number");
  CHECK(message(R"({"boolValue":1})") == at + ".boolValue: expected a boolean, got a number");
  CHECK(message(R"({"stringValue":[]})") == at + ".stringValue: expected a string, got an array");
  CHECK(message(R"("x")") == at + ": expected an AnyValue object, got a string");
}

TEST_CASE("every element of a list is checked before the first is read", "[otlp][json]") {
  Collected c;
  const Status status = Decode(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a"}]},true]}]})", &c);
  REQUIRE_FALSE(status.ok());
  CHECK(status.message() ==
        "invalid ExportTraceServiceRequest: resourceSpans[0].scopeSpans[1]: expected an object, got a boolean");
  CHECK(c.names.empty());
  const Status resource = Decode(R"({"resourceSpans":[{"scopeSpans":[],"resource":{"attributes":{}}}]})", &c);
  CHECK(resource.message() ==
        "invalid ExportTraceServiceRequest: resourceSpans[0].resource.attributes: expected an array, got an object");
}

// simdjson refuses these bodies; nlohmann::json, which decoded OTLP JSON
// before, accepts them: they still decode as they did.
TEST_CASE("bodies only nlohmann accepts decode as before", "[otlp][json]") {
  const std::string span = R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"s","endTimeUnixNano":"9",)"
                           R"("attributes":[{"key":"big","value":{"doubleValue":100000000000000000000000}},)"
                           R"({"key":"t","value":{"stringValue":"tab\tquote\"\u0001\u00e9"}}]}]}]}]})";
  std::string deep;
  for (int i = 0; i < 3000; ++i) deep += "[";
  deep += "1";
  for (int i = 0; i < 3000; ++i) deep += "]";
  const std::string deep_body = span.substr(0, span.size() - 1) + R"(,"x":)" + deep + "}";
  for (const std::string& body : {span, "\xEF\xBB\xBF" + span, span + std::string(1, '\0') + "} trailing", deep_body}) {
    std::vector<std::string> seen;
    const Status status = DecodeOtlpJson(body, [&seen](const OtlpSpan& s) {
      REQUIRE(s.attributes.size() == 2);
      CHECK(s.attributes[0].value.kind == OtlpValue::Kind::kDouble);
      CHECK(s.attributes[0].value.double_value == 1e23);
      seen.push_back(std::string(s.name) + " " + std::to_string(s.end_time_unix_nano) + " " +
                     std::string(s.attributes[1].value.string));
      return Status::Ok();
    });
    REQUIRE(status.ok());
    CHECK(seen == std::vector<std::string>{"s 9 tab\tquote\"\x01\xC3\xA9"});
  }
  Collected c;
  const Status big_time =
      Decode(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"endTimeUnixNano":18446744073709551616}]}]}]})", &c);
  CHECK(big_time.message() ==
        "invalid ExportTraceServiceRequest: resourceSpans[0].scopeSpans[0].spans[0]."
        "endTimeUnixNano: expected a uint64 (number or decimal string), got a number");
  const Status after_nul = Decode(std::string("{\"resourceSpans\":[\0]}", 21), &c);
  CHECK_THAT(after_nul.message(), Catch::StartsWith("invalid JSON: parse error at line 1, column 19"));
  CHECK(c.names.empty());
}

TEST_CASE("a decode inside the callback leaves the outer spans' views intact", "[otlp][json]") {
  const std::string inner_body = R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"inner-span-name"}]}]}]})";
  std::vector<std::string> names;
  const Status status =
      DecodeOtlpJson(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"outer"},{"name":"outer2"}]}]}]})",
                     [&](const OtlpSpan& outer) {
                       REQUIRE(DecodeOtlpJson(inner_body, [&](const OtlpSpan& inner) {
                                 names.emplace_back(inner.name);
                                 return Status::Ok();
                               }).ok());
                       names.emplace_back(outer.name);
                       return Status::Ok();
                     });
  REQUIRE(status.ok());
  CHECK(names == std::vector<std::string>{"inner-span-name", "outer", "inner-span-name", "outer2"});
}

TEST_CASE("an exception from the callback: std::exception is internal, any other passes through", "[otlp][json]") {
  const std::string_view body = R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a"}]}]}]})";
  const Status status = DecodeOtlpJson(body, [](const OtlpSpan&) -> Status { throw std::bad_alloc(); });
  CHECK(status.code() == Status::Code::kInternal);
  struct Stop {};
  CHECK_THROWS_AS(DecodeOtlpJson(body, [](const OtlpSpan&) -> Status { throw Stop{}; }), Stop);
  // The thread's parser is usable again after that.
  Collected c;
  CHECK(Decode(body, &c).ok());
  CHECK(c.names == std::vector<std::string>{"a"});
}

TEST_CASE("a callback's Status stops decoding and is returned; the span limit is ResourceExhausted", "[otlp][json]") {
  const std::string_view body =
      R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a"},{"name":"b"},{"name":"c"}]}]}]})";
  std::vector<std::string> names;
  const Status stopped = DecodeOtlpJson(body, [&names](const OtlpSpan& span) {
    names.emplace_back(span.name);
    return names.size() == 2 ? Status::NotFound("enough") : Status::Ok();
  });
  CHECK(stopped.code() == Status::Code::kNotFound);
  CHECK(stopped.message() == "enough");
  CHECK(names == std::vector<std::string>{"a", "b"});
  IngestOptions ingest;
  ingest.max_records_per_batch = 2;
  const Result<Batch> batch = ParseOtlpTraces(body, OtlpEncoding::kJson, OtlpOptions{}, ingest, kReceiveTime);
  CHECK(batch.status().code() == Status::Code::kResourceExhausted);
  CHECK(batch.status().message() ==
        "the request holds more than 2 spans (ingest.max_records_per_batch): split it, nothing was counted");
  ingest.max_records_per_batch = 3;
  CHECK(ParseOtlpTraces(body, OtlpEncoding::kJson, OtlpOptions{}, ingest, kReceiveTime).ok());
}

// simdjson reads the integer -0 as 0 (nlohmann read it as a negative
// integer, so a time of -0 was refused as negative).
TEST_CASE("JSON minus zero (-0) is zero", "[otlp][json]") {
  Collected c;
  REQUIRE(Decode(R"({"resourceSpans":[{"scopeSpans":[{"spans":[
      {"name":"z","endTimeUnixNano":-0,"status":{"code":-0}}]}]}]})",
                 &c)
              .ok());
  CHECK(c.ends == std::vector<std::uint64_t>{0});
  CHECK(c.status_codes == std::vector<std::int32_t>{0});
}

// OTLP/HTTP protobuf decoding, gzip bodies and the answers' encodings.
//
// Request bodies are encoded here by hand from the OTLP specification's
// field numbers (a few lines of wire format below), not with the module's
// own .proto: a wrong field number there would fail these tests.
#include <zlib.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "otlp_test_util.h"

// Global operator new is replaced in this binary: the largest single
// allocation is the memory a zip bomb may cost.
#include "../allocation_tracking.h"

using namespace lce;
using namespace lce::test;

namespace {

// --- protobuf wire format (varint, fixed64, length-delimited) ---------------
void Varint(std::uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}
std::string Tag(int field, int wire_type) {
  std::string out;
  Varint(static_cast<std::uint64_t>(field) << 3 | static_cast<std::uint64_t>(wire_type), &out);
  return out;
}
std::string Len(int field, std::string_view payload) {
  std::string out = Tag(field, 2);
  Varint(payload.size(), &out);
  out.append(payload);
  return out;
}
std::string VarintField(int field, std::uint64_t value) {
  std::string out = Tag(field, 0);
  Varint(value, &out);
  return out;
}
std::string Fixed64(int field, std::uint64_t value) {
  std::string out = Tag(field, 1);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  return out;
}
std::string Fixed32(int field, std::uint32_t value) {
  std::string out = Tag(field, 5);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  return out;
}
std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

// common.v1: KeyValue {key = 1, value = 2}; AnyValue {string 1, bool 2, int 3, double 4, array 5, kvlist 6, bytes 7}.
std::string KvString(std::string_view key, std::string_view value) { return Len(1, key) + Len(2, Len(1, value)); }
std::string KvInt(std::string_view key, std::int64_t value) {
  return Len(1, key) + Len(2, VarintField(3, static_cast<std::uint64_t>(value)));
}
std::string KvDouble(std::string_view key, double value) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  return Len(1, key) + Len(2, Fixed64(4, bits));
}

const std::string kTraceBytes =
    Bytes({0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36});
const std::string kSpanBytes = Bytes({0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7});

// trace.v1.Span: trace_id 1, span_id 2, trace_state 3, parent_span_id 4,
// name 5, kind 6, start 7, end 8, attributes 9, dropped 10, events 11,
// dropped 12, links 13, dropped 14, status 15, flags 16.
std::string JsSpan(const std::string& attributes, const std::string& span_id = kSpanBytes) {
  return Len(1, kTraceBytes) + Len(2, span_id) + Len(3, "rojo=00f067aa0ba902b7") + Len(4, "") + Len(5, "chat gpt-4o") +
         VarintField(6, 3) + Fixed64(7, 1'772'366'400'000'000'000) + Fixed64(8, 1'772'366'400'842'000'000) +
         attributes + VarintField(10, 0) +
         Len(11, Fixed64(1, 1'772'366'400'100'000'000) + Len(2, "gen_ai.content.prompt")) + VarintField(12, 0) +
         Len(13, Len(1, kTraceBytes) + Len(2, kSpanBytes)) + Len(15, Len(2, "") + VarintField(3, 0)) +
         Fixed32(16, 0x100);
}

std::string GenAiAttributes() {
  return Len(9, KvString("gen_ai.operation.name", "chat")) + Len(9, KvString("gen_ai.provider.name", "openai")) +
         Len(9, KvString("gen_ai.request.model", "gpt-4o")) + Len(9, KvInt("gen_ai.usage.input_tokens", 512)) +
         Len(9, KvInt("gen_ai.usage.output_tokens", 128)) + Len(9, KvDouble("gen_ai.request.temperature", 0.7)) +
         Len(9, Len(1, "gen_ai.request.stream") + Len(2, VarintField(2, 0))) +
         Len(9, Len(1, "gen_ai.response.finish_reasons") + Len(2, Len(5, Len(1, Len(1, "stop"))))) +
         Len(9, KvString("campaign_id", "cmp_spring"));
}

// ExportTraceServiceRequest {resource_spans 1}; ResourceSpans {resource 1,
// scope_spans 2, schema_url 3}; Resource {attributes 1, dropped 2};
// ScopeSpans {scope 1, spans 2, schema_url 3}; InstrumentationScope {name 1,
// version 2, attributes 3}.
std::string Request(const std::string& spans) {
  const std::string resource = Len(1, KvString("service.name", "email_orchestrator")) +
                               Len(1, KvString("telemetry.sdk.language", "nodejs")) +
                               Len(1, KvInt("process.pid", 4242)) + VarintField(2, 0);
  const std::string scope = Len(1, "agent") + Len(2, "1.0.0") + Len(3, KvString("k", "v"));
  return Len(1, Len(1, resource) + Len(2, Len(1, scope) + spans + Len(3, "https://opentelemetry.io/schemas/1.26")) +
                    Len(3, "https://opentelemetry.io/schemas/1.26"));
}

Result<Batch> ParseProto(std::string_view body) {
  return ParseOtlpTraces(body, OtlpEncoding::kProtobuf, OtlpOptions{}, IngestOptions{}, kReceiveTime);
}

std::string Gzip(std::string_view data, int level = Z_DEFAULT_COMPRESSION) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace

TEST_CASE("a protobuf body from the specification's field numbers maps like its JSON twin", "[otlp][protobuf]") {
  Result<Batch> batch = ParseProto(Request(Len(2, JsSpan(GenAiAttributes()))));
  REQUIRE(batch.ok());
  INFO("first error: " << (batch->errors.empty() ? std::string("none") : batch->errors.front().message));
  REQUIRE(batch->errors.empty());
  REQUIRE(batch->records.size() == 1);
  const UsageRecord& r = batch->records[0];
  CHECK(r.trace_id == kTraceId);  // bytes on the wire, lower-case hex in the record
  CHECK(r.span_id == kSpanId);
  CheckJsExporterChatRecord(r);
  CHECK(r.idempotency_key == "t:4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:llm.call");
  Batch moved = std::move(batch).value();  // views live in the batch's arena
  CHECK(moved.records[0].model == "gpt-4o");

  const std::string json = R"({"resourceSpans":[{"resource":{"attributes":[
    {"key":"service.name","value":{"stringValue":"email_orchestrator"}}]},
    "scopeSpans":[{"spans":[{"traceId":"4BF92F3577B34DA6A3CE929D0E0E4736","spanId":"00f067aa0ba902b7",
     "name":"chat gpt-4o","startTimeUnixNano":"1772366400000000000","endTimeUnixNano":"1772366400842000000",
     "attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},
       {"key":"gen_ai.provider.name","value":{"stringValue":"openai"}},
       {"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},
       {"key":"gen_ai.usage.input_tokens","value":{"intValue":"512"}},
       {"key":"gen_ai.usage.output_tokens","value":{"intValue":"128"}},
       {"key":"campaign_id","value":{"stringValue":"cmp_spring"}}]}]}]}]})";
  Result<Batch> twin = ParseOtlpTraces(json, OtlpEncoding::kJson, OtlpOptions{}, IngestOptions{}, kReceiveTime);
  REQUIRE(twin.ok());
  REQUIRE(twin->records.size() == 1);
  // Ids are compared lower-cased in the key, so both encodings dedupe as one span.
  CHECK(twin->records[0].idempotency_key == moved.records[0].idempotency_key);
}

TEST_CASE("protobuf spans arrive in body order across resources and scopes, with their values", "[otlp][protobuf]") {
  const std::string spans =
      Len(2, Len(5, "a") + Fixed64(8, 18446744073709551615ULL) + Len(15, VarintField(3, 2))) +
      Len(2, Len(5, "b") + Len(9, KvInt("k", -7)) + Len(9, Len(1, "e")) + Len(9, Len(1, "x") + Len(2, Len(7, "raw"))));
  const std::string body = Request(spans) + Len(1, Len(2, Len(2, Len(5, "c") + Len(9, KvDouble("d", 1.5)) +
                                                                     Len(9, Len(1, "t") + Len(2, VarintField(2, 1))))));
  std::vector<std::string> names;
  std::vector<OtlpSpan> copies;
  std::vector<std::vector<OtlpAttribute>> attributes;
  std::vector<std::size_t> resource_sizes;
  const Status status = DecodeOtlpProtobuf(body, [&](const OtlpSpan& span) {
    names.emplace_back(span.name);
    copies.push_back(span);
    attributes.emplace_back(span.attributes.begin(), span.attributes.end());
    resource_sizes.push_back(span.resource_attributes.size());
    return Status::Ok();
  });
  REQUIRE(status.ok());
  CHECK(names == std::vector<std::string>{"a", "b", "c"});
  CHECK(copies[0].end_time_unix_nano == 18446744073709551615ULL);
  CHECK(copies[0].status_code == 2);
  CHECK(copies[1].status_code == 0);
  CHECK(copies[0].trace_id.empty());  // absent ids stay "" (missing_field in the mapping)
  CHECK(resource_sizes == std::vector<std::size_t>{3, 3, 0});
  REQUIRE(attributes[1].size() == 3);
  CHECK(attributes[1][0].value.kind == OtlpValue::Kind::kInt);
  CHECK(attributes[1][0].value.int_value == -7);
  CHECK(attributes[1][1].value.kind == OtlpValue::Kind::kEmpty);
  CHECK(attributes[1][2].value.kind == OtlpValue::Kind::kOther);
  REQUIRE(attributes[2].size() == 2);
  CHECK(attributes[2][0].value.kind == OtlpValue::Kind::kDouble);
  CHECK(attributes[2][0].value.double_value == 1.5);
  CHECK(attributes[2][1].value.kind == OtlpValue::Kind::kBool);
  CHECK(attributes[2][1].value.bool_value);
}

TEST_CASE("an empty protobuf request, and fields from the future, are fine", "[otlp][protobuf]") {
  int spans = 0;
  const auto count = [&spans](const OtlpSpan&) {
    ++spans;
    return Status::Ok();
  };
  CHECK(DecodeOtlpProtobuf("", count).ok());
  CHECK(DecodeOtlpProtobuf(Len(1, "") + Len(99, "new") + VarintField(100, 5) + Fixed32(101, 1), count).ok());
  CHECK(spans == 0);
  CHECK(DecodeOtlpProtobuf(Request(Len(2, Len(5, "n") + Len(77, Len(1, "x")) + Fixed64(78, 1))), count).ok());
  CHECK(spans == 1);
}

TEST_CASE("malformed or truncated protobuf is refused as a whole, never a crash", "[otlp][protobuf]") {
  const std::string good =
      Request(Len(2, JsSpan(GenAiAttributes())) + Len(2, JsSpan("", Bytes({1, 2, 3, 4, 5, 6, 7, 8}))));
  REQUIRE(ParseProto(good).ok());
  // Every proper prefix: either a valid message (cut at a field boundary of
  // the outermost message) or a 400; spans are passed on only for valid ones.
  std::size_t refused = 0;
  for (std::size_t n = 1; n < good.size(); ++n) {
    int spans = 0;
    const Status status = DecodeOtlpProtobuf(std::string_view(good).substr(0, n), [&spans](const OtlpSpan&) {
      ++spans;
      return Status::Ok();
    });
    if (!status.ok()) {
      CHECK(status.code() == Status::Code::kInvalidArgument);
      CHECK(spans == 0);
      ++refused;
    }
  }
  CHECK(refused >= good.size() - 3);
  const auto refuses = [](std::string_view body) {
    const Status status = DecodeOtlpProtobuf(body, [](const OtlpSpan&) { return Status::Ok(); });
    return !status.ok() && status.code() == Status::Code::kInvalidArgument;
  };
  CHECK(refuses(good.substr(0, good.size() - 1)));
  CHECK(refuses("{\"resourceSpans\":[]}"));                     // JSON sent as protobuf
  CHECK(refuses(Bytes({0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f})));  // a length far past the end
  // A known field number with another wire type is an unknown field to
  // protobuf (skipped), not an error.
  CHECK_FALSE(refuses(VarintField(1, 5)));
  CHECK(refuses(Bytes({0x0f})));  // wire type 7 does not exist
  CHECK(refuses(Bytes({0x00})));  // field number 0
  CHECK(refuses(Bytes({0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01})));  // 11-byte varint
  // AnyValue nested past protobuf's recursion limit (100).
  std::string deep = Len(1, "leaf");
  for (int i = 0; i < 200; ++i) deep = Len(5, Len(1, deep));
  CHECK(refuses(Request(Len(2, Len(9, Len(1, "k") + Len(2, deep))))));
  // status.code outside the enum, as in the JSON decoder.
  const Status bad =
      DecodeOtlpProtobuf(Request(Len(2, Len(15, VarintField(3, 7)))), [](const OtlpSpan&) { return Status::Ok(); });
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.message() ==
        "invalid ExportTraceServiceRequest: resource_spans[0].scope_spans[0].spans[0].status.code: "
        "must be 0 (unset), 1 (ok) or 2 (error)");
}

TEST_CASE("mutated protobuf and gzip bodies are answered, never a crash", "[otlp][protobuf][gzip]") {
  const std::string good =
      Request(Len(2, JsSpan(GenAiAttributes())) + Len(2, JsSpan(GenAiAttributes(), kTraceBytes.substr(0, 8))));
  const std::string zipped = Gzip(good);
  std::mt19937 random(20261201);  // fixed seed: the same bodies every run
  std::size_t decoded = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string body = round % 2 == 0 ? good : zipped;
    const int flips = 1 + static_cast<int>(random() % 4);
    for (int f = 0; f < flips; ++f) {
      body[random() % body.size()] = static_cast<char>(random() & 0xff);
    }
    if (round % 7 == 0) body.resize(random() % body.size());
    if (round % 2 == 1) {
      Result<std::string> inflated = InflateOtlpGzip(body, 1 << 16);
      if (!inflated.ok()) {
        CHECK(inflated.status().code() == Status::Code::kInvalidArgument);
        continue;
      }
      body = std::move(inflated).value();
    }
    Result<Batch> batch = ParseProto(body);
    if (!batch.ok()) {
      CHECK(batch.status().code() == Status::Code::kInvalidArgument);
      continue;
    }
    ++decoded;
    CHECK(batch->records.size() + batch->errors.size() == batch->total);
  }
  CHECK(decoded > 0);
}

TEST_CASE("protobuf ids of the wrong length reject the span alone", "[otlp][protobuf]") {
  const std::string body =
      Request(Len(2, JsSpan(GenAiAttributes(), Bytes({1, 2, 3}))) + Len(2, JsSpan(GenAiAttributes())));
  Result<Batch> batch = ParseProto(body);
  REQUIRE(batch.ok());
  CHECK(batch->total == 2);
  REQUIRE(batch->errors.size() == 1);
  CHECK(batch->errors[0].index == 0);
  CHECK(batch->errors[0].field == "spanId");
  CHECK(batch->errors[0].reason == RejectReason::kInvalidId);
  CHECK(batch->record_index == std::vector<std::size_t>{1});
}

TEST_CASE("gzip bodies inflate up to the limit; a bomb stops at the limit", "[otlp][gzip]") {
  const std::string plain = Request(Len(2, JsSpan(GenAiAttributes())));
  Result<std::string> out = InflateOtlpGzip(Gzip(plain), 1 << 20);
  REQUIRE(out.ok());
  CHECK(*out == plain);
  // Two members back to back are one body (RFC 1952).
  out = InflateOtlpGzip(Gzip("ab") + Gzip("cd"), 100);
  REQUIRE(out.ok());
  CHECK(*out == "abcd");
  // Exactly the limit passes; one byte more is too large.
  out = InflateOtlpGzip(Gzip(std::string(1000, 'x')), 1000);
  REQUIRE(out.ok());
  CHECK(out->size() == 1000);
  out = InflateOtlpGzip(Gzip(std::string(1001, 'x')), 1000);
  CHECK(out.status().code() == Status::Code::kPayloadTooLarge);
  // 64 MiB of zeros compress to about 64 KiB; with a 1 MiB limit it stops there.
  const std::string bomb = Gzip(std::string(64 << 20, '\0'), Z_BEST_COMPRESSION);
  CHECK(bomb.size() < 128 * 1024);
  g_largest_allocation = 0;
  out = InflateOtlpGzip(bomb, 1 << 20);
  const std::size_t largest = g_largest_allocation;
  CHECK(out.status().code() == Status::Code::kPayloadTooLarge);
  CHECK(largest <= (2u << 20));
  // Not gzip, truncated, trailing garbage, empty: 400s.
  const std::string gz = Gzip(plain);
  for (const std::string& bad : {plain, gz.substr(0, gz.size() - 1), gz.substr(0, 10), gz + "x", std::string()}) {
    const Result<std::string> refused = InflateOtlpGzip(bad, 1 << 20);
    CHECK_FALSE(refused.ok());
    CHECK(refused.status().code() == Status::Code::kInvalidArgument);
  }
}

TEST_CASE("answers are encoded in the request's encoding", "[otlp][protobuf][json]") {
  CHECK(EncodeOtlpTraceResponse(OtlpEncoding::kJson, 0, "") == "{}");
  CHECK(EncodeOtlpTraceResponse(OtlpEncoding::kProtobuf, 0, "").empty());
  CHECK(EncodeOtlpTraceResponse(OtlpEncoding::kJson, 2, "span 1: x") ==
        R"({"partialSuccess":{"rejectedSpans":2,"errorMessage":"span 1: x"}})");
  // ExportTraceServiceResponse {partial_success 1 {rejected_spans 1, error_message 2}}.
  CHECK(EncodeOtlpTraceResponse(OtlpEncoding::kProtobuf, 2, "span 1: x") ==
        Len(1, VarintField(1, 2) + Len(2, "span 1: x")));
  // google.rpc.Status {code 1, message 2}.
  CHECK(EncodeOtlpStatus(OtlpEncoding::kProtobuf, 3, "bad") == VarintField(1, 3) + Len(2, "bad"));
  CHECK(EncodeOtlpStatus(OtlpEncoding::kJson, 3, "bad") == R"({"code":3,"message":"bad"})");
}

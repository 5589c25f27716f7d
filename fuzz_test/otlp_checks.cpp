// The checks declared in otlp_checks.h. The JSON side of the cross-encoding
// check is written with nlohmann::json; the protobuf side by hand from the
// specification's field numbers (as tests/unit/otlp does), so that a wrong
// field number in src/otlp/otlp_trace.proto shows up as a disagreement.
#include "otlp_checks.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <string>

#include "usage_checks.h"

namespace lce::fuzz {
namespace {

// --- a decoded span, copied out of the decoder's callback -------------------

struct ValueCopy {
  OtlpValue::Kind kind = OtlpValue::Kind::kEmpty;
  std::string string;
  std::int64_t int_value = 0;
  double double_value = 0;
  bool bool_value = false;
};

struct AttributeCopy {
  std::string key;
  ValueCopy value;
};

struct SpanCopy {
  std::string trace_id;
  std::string span_id;
  std::string name;
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  std::int32_t status_code = 0;
  std::vector<AttributeCopy> attributes;
  std::vector<AttributeCopy> resource;
};

struct Decoded {
  Status status;
  std::vector<SpanCopy> spans;
};

std::vector<AttributeCopy> CopyAttributes(std::span<const OtlpAttribute> attributes) {
  std::vector<AttributeCopy> out;
  for (const OtlpAttribute& a : attributes) {
    AttributeCopy copy{std::string(a.key), {a.value.kind, {}, 0, 0, false}};
    switch (a.value.kind) {
      case OtlpValue::Kind::kString: copy.value.string = a.value.string; break;
      case OtlpValue::Kind::kInt: copy.value.int_value = a.value.int_value; break;
      case OtlpValue::Kind::kDouble: copy.value.double_value = a.value.double_value; break;
      case OtlpValue::Kind::kBool: copy.value.bool_value = a.value.bool_value; break;
      case OtlpValue::Kind::kOther:
      case OtlpValue::Kind::kEmpty: break;
    }
    out.push_back(std::move(copy));
  }
  return out;
}

// Decodes a heap copy of `body` (freed before returning: a span view into it
// that outlived the callback would be read after free by the checks).
Decoded Decode(std::string_view body, OtlpEncoding encoding) {
  auto input = std::make_unique<char[]>(body.size() + 1);
  std::memcpy(input.get(), body.data(), body.size());
  const std::string_view input_view(input.get(), body.size());
  Decoded decoded;
  const auto copy = [&decoded](const OtlpSpan& span) {
    LCE_FUZZ_CHECK(span.status_code >= 0 && span.status_code <= 2);
    decoded.spans.push_back(SpanCopy{std::string(span.trace_id), std::string(span.span_id), std::string(span.name),
                                     span.start_time_unix_nano, span.end_time_unix_nano, span.status_code,
                                     CopyAttributes(span.attributes), CopyAttributes(span.resource_attributes)});
    return Status::Ok();
  };
  decoded.status =
      encoding == OtlpEncoding::kJson ? DecodeOtlpJson(input_view, copy) : DecodeOtlpProtobuf(input_view, copy);
  return decoded;
}

bool SameValue(const ValueCopy& a, const ValueCopy& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case OtlpValue::Kind::kString: return a.string == b.string;
    case OtlpValue::Kind::kInt: return a.int_value == b.int_value;
    case OtlpValue::Kind::kDouble:  // bit for bit (-0.0 too); any NaN is "NaN" in JSON
      return (std::isnan(a.double_value) && std::isnan(b.double_value)) ||
             std::memcmp(&a.double_value, &b.double_value, sizeof(double)) == 0;
    case OtlpValue::Kind::kBool: return a.bool_value == b.bool_value;
    case OtlpValue::Kind::kOther:
    case OtlpValue::Kind::kEmpty: return true;
  }
  return false;
}

bool SameAttributes(const std::vector<AttributeCopy>& a, const std::vector<AttributeCopy>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].key != b[i].key || !SameValue(a[i].value, b[i].value)) return false;
  }
  return true;
}

bool SameSpans(const std::vector<SpanCopy>& a, const std::vector<SpanCopy>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const SpanCopy& x = a[i];
    const SpanCopy& y = b[i];
    if (x.trace_id != y.trace_id || x.span_id != y.span_id || x.name != y.name || x.start != y.start ||
        x.end != y.end || x.status_code != y.status_code || !SameAttributes(x.attributes, y.attributes) ||
        !SameAttributes(x.resource, y.resource)) {
      return false;
    }
  }
  return true;
}

// --- the spans written as the other encoding --------------------------------

nlohmann::json JsonAttributes(const std::vector<AttributeCopy>& attributes) {
  nlohmann::json list = nlohmann::json::array();
  for (const AttributeCopy& a : attributes) {
    nlohmann::json item = {{"key", a.key}};
    const ValueCopy& v = a.value;
    switch (v.kind) {
      case OtlpValue::Kind::kString: item["value"] = {{"stringValue", v.string}}; break;
      case OtlpValue::Kind::kInt: item["value"] = {{"intValue", std::to_string(v.int_value)}}; break;
      case OtlpValue::Kind::kDouble:
        if (std::isnan(v.double_value)) {
          item["value"] = {{"doubleValue", "NaN"}};
        } else if (std::isinf(v.double_value)) {
          item["value"] = {{"doubleValue", v.double_value > 0 ? "Infinity" : "-Infinity"}};
        } else {
          item["value"] = {{"doubleValue", v.double_value}};
        }
        break;
      case OtlpValue::Kind::kBool: item["value"] = {{"boolValue", v.bool_value}}; break;
      case OtlpValue::Kind::kOther: item["value"] = {{"kvlistValue", nlohmann::json::object()}}; break;
      case OtlpValue::Kind::kEmpty: break;  // no value
    }
    list.push_back(std::move(item));
  }
  return list;
}

// OTLP/HTTP JSON, one resourceSpans per span; false when a string is not
// UTF-8 (protobuf carries bytes; JSON cannot).
bool EncodeJson(const std::vector<SpanCopy>& spans, std::string* out) {
  nlohmann::json resource_spans = nlohmann::json::array();
  for (const SpanCopy& s : spans) {
    nlohmann::json span = {{"traceId", s.trace_id},
                           {"spanId", s.span_id},
                           {"name", s.name},
                           {"startTimeUnixNano", s.start},
                           {"endTimeUnixNano", s.end},
                           {"status", {{"code", s.status_code}}},
                           {"attributes", JsonAttributes(s.attributes)}};
    resource_spans.push_back(
        {{"resource", {{"attributes", JsonAttributes(s.resource)}}}, {"scopeSpans", {{{"spans", {std::move(span)}}}}}});
  }
  try {
    *out = nlohmann::json{{"resourceSpans", std::move(resource_spans)}}.dump();
  } catch (const nlohmann::json::type_error&) {  // 316: invalid UTF-8
    return false;
  }
  return true;
}

void Varint(std::uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}
void Tag(int field, int wire_type, std::string* out) {
  Varint(static_cast<std::uint64_t>(field) << 3 | static_cast<std::uint64_t>(wire_type), out);
}
void Len(int field, std::string_view payload, std::string* out) {
  Tag(field, 2, out);
  Varint(payload.size(), out);
  out->append(payload);
}
void VarintField(int field, std::uint64_t value, std::string* out) {
  Tag(field, 0, out);
  Varint(value, out);
}
void Fixed64(int field, std::uint64_t value, std::string* out) {
  Tag(field, 1, out);
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

// Lower-case even-length hex -> bytes; false for anything else (the
// protobuf decoder writes ids as lower-case hex, so only those round-trip).
bool Unhex(std::string_view hex, std::string* out) {
  if (hex.size() % 2 != 0) return false;
  const auto digit = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; };
  out->clear();
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = digit(hex[i]);
    const int lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi << 4 | lo));
  }
  return true;
}

// common.v1 KeyValue {key 1, value 2}; AnyValue {string 1, bool 2, int 3,
// double 4, array 5, kvlist 6, bytes 7}.
void ProtobufAttributes(int field, const std::vector<AttributeCopy>& attributes, std::string* out) {
  for (const AttributeCopy& a : attributes) {
    std::string kv;
    Len(1, a.key, &kv);
    const ValueCopy& v = a.value;
    std::string any;
    switch (v.kind) {
      case OtlpValue::Kind::kString: Len(1, v.string, &any); break;
      case OtlpValue::Kind::kBool: VarintField(2, v.bool_value ? 1 : 0, &any); break;
      case OtlpValue::Kind::kInt: VarintField(3, static_cast<std::uint64_t>(v.int_value), &any); break;
      case OtlpValue::Kind::kDouble: {
        std::uint64_t bits = 0;
        std::memcpy(&bits, &v.double_value, sizeof bits);
        Fixed64(4, bits, &any);
        break;
      }
      case OtlpValue::Kind::kOther: Len(5, "", &any); break;
      case OtlpValue::Kind::kEmpty: break;
    }
    if (v.kind != OtlpValue::Kind::kEmpty) Len(2, any, &kv);
    Len(field, kv, out);
  }
}

// ExportTraceServiceRequest {resource_spans 1}; ResourceSpans {resource 1,
// scope_spans 2}; Resource {attributes 1}; ScopeSpans {spans 2}; Span
// {trace_id 1, span_id 2, name 5, start 7, end 8, attributes 9, status 15};
// Status {code 3}. False when an id is not lower-case hex.
bool EncodeProtobuf(const std::vector<SpanCopy>& spans, std::string* out) {
  out->clear();
  std::string trace_id;
  std::string span_id;
  for (const SpanCopy& s : spans) {
    if (!Unhex(s.trace_id, &trace_id) || !Unhex(s.span_id, &span_id)) return false;
    std::string span;
    if (!trace_id.empty()) Len(1, trace_id, &span);
    if (!span_id.empty()) Len(2, span_id, &span);
    if (!s.name.empty()) Len(5, s.name, &span);
    if (s.start != 0) Fixed64(7, s.start, &span);
    if (s.end != 0) Fixed64(8, s.end, &span);
    ProtobufAttributes(9, s.attributes, &span);
    if (s.status_code != 0) {
      std::string status;
      VarintField(3, static_cast<std::uint64_t>(static_cast<std::int64_t>(s.status_code)), &status);
      Len(15, status, &span);
    }
    std::string resource;
    ProtobufAttributes(1, s.resource, &resource);
    std::string scope_spans;
    Len(2, span, &scope_spans);
    std::string resource_spans;
    Len(1, resource, &resource_spans);
    Len(2, scope_spans, &resource_spans);
    Len(1, resource_spans, out);
  }
  return true;
}

// --- the batch ---------------------------------------------------------------

constexpr std::int64_t kMaxTime = std::numeric_limits<std::int64_t>::max();

// ingest.max_records_per_batch: small, so that the fuzzer reaches the limit.
constexpr std::size_t kMaxSpans = 16;

// A record's mapping from its span (the rules of docs/otlp.md that can be
// stated without repeating the mapping).
void CheckRecordFromSpan(const UsageRecord& r, const SpanCopy& span, const OtlpOptions& otlp) {
  LCE_FUZZ_CHECK(r.trace_id == span.trace_id && r.span_id == span.span_id);
  LCE_FUZZ_CHECK(r.event_id.empty() && r.units.empty() && r.attempt == 1);
  LCE_FUZZ_CHECK(r.event == (r.model.empty() ? otlp.span_event : otlp.llm_event));
  if (span.end == 0) {
    LCE_FUZZ_CHECK(!r.timestamp_given && !r.has_latency);
  } else {
    LCE_FUZZ_CHECK(span.end <= static_cast<std::uint64_t>(kMaxTime));
    LCE_FUZZ_CHECK(r.timestamp_given && r.timestamp_unix_ns == static_cast<std::int64_t>(span.end));
  }
  LCE_FUZZ_CHECK(r.has_latency == (span.start != 0 && span.end != 0));
  if (r.has_latency) {
    LCE_FUZZ_CHECK(span.start <= span.end);
    const std::uint64_t ns = span.end - span.start;
    LCE_FUZZ_CHECK(static_cast<std::uint64_t>(r.latency_us) * 1000 + 500 >= ns &&
                   static_cast<std::uint64_t>(r.latency_us) * 1000 <= ns + 500);
  }
  const bool failed = span.status_code == 2 || (span.status_code != 1 && r.vendor_status >= 400);
  LCE_FUZZ_CHECK(r.failed == failed);
}

// A rejected span's error: a field named, the message in its form.
void CheckSpanError(const RecordError& e, std::size_t index, const SpanCopy& span) {
  LCE_FUZZ_CHECK(!e.field.empty() && IsPrintableAscii(e.field) && IsPrintableAscii(e.message));
  const std::string prefix = "span " + std::to_string(index) + ": ";
  LCE_FUZZ_CHECK(e.message.compare(0, prefix.size(), prefix) == 0);
  const std::string rest = e.message.substr(prefix.size());
  const std::string named = "\"" + e.field + "\": ";
  const std::size_t named_at = rest.find(named);
  LCE_FUZZ_CHECK(named_at != std::string::npos && rest.size() > named_at + named.size());  // a detail follows
  const std::string kind = rest.substr(0, named_at);
  LCE_FUZZ_CHECK(kind == "field " || kind == "attribute " ||
                 (kind == "resource attribute " && e.field.starts_with("resource.")));
  // The ids are read first: a span with a bad one is rejected for one of
  // them, and only a bad one is named.
  const bool trace_ok = IsValidTraceId(span.trace_id);
  const bool span_ok = IsValidSpanId(span.span_id);
  if (!trace_ok || !span_ok) LCE_FUZZ_CHECK(e.field == "traceId" || e.field == "spanId");
  if (e.field == "traceId") LCE_FUZZ_CHECK(!trace_ok);
  if (e.field == "spanId") LCE_FUZZ_CHECK(!span_ok);
}

// Decoder messages are fixed text and JSON paths, plus the quoted tokens of
// nlohmann's fixed syntax error texts ("expected '[', '{', or a literal",
// "expected digit after '.'"); any other quoted text is echoed input (e.g.
// "last read: '...'").
bool QuotesInput(std::string message) {
  for (const std::string_view token :
       {"'['", "'{'", "']'", "'}'", "':'", "','", "'+'", "'-'", "'.'", "'\\u'", "'/'", "'*'", "'*/'"}) {
    for (std::size_t at = message.find(token); at != std::string::npos; at = message.find(token, at)) {
      message.erase(at, token.size());
    }
  }
  return message.find('\'') != std::string::npos;
}

// Text identifying a result (encoding-neutral: it holds nothing a decoder
// writes, only the mapping's output).
std::string Summary(const Result<Batch>& result) {
  if (!result.ok()) return "status: " + result.status().message();
  const Batch& batch = *result;
  std::string text = "total " + std::to_string(batch.total) + "\n";
  for (std::size_t i = 0; i < batch.records.size(); ++i) {
    const UsageRecord& r = batch.records[i];
    text += std::to_string(batch.record_index[i]) + " ok " + std::string(r.idempotency_key) + " " +
            std::string(r.event) + " " + std::string(r.service) + " " + std::string(r.operation) + " " +
            std::string(r.campaign_id) + " " + std::string(r.audience_id) + " " + std::string(r.vendor) + " " +
            std::string(r.model) + " " + std::to_string(r.timestamp_unix_ns) + " " + std::to_string(r.latency_us) +
            " " + std::to_string(r.vendor_status) + (r.failed ? " failed" : "");
    for (std::uint64_t count : r.tokens.count) text += " " + std::to_string(count);
    text += "\n";
  }
  for (const RecordError& e : batch.errors) text += std::to_string(e.index) + " error " + e.message + "\n";
  return text;
}

// Every check of otlp_checks.h but the cross-encoding one; returns the
// decoded spans and the result's summary.
std::string CheckOne(std::string_view body, OtlpEncoding encoding, Decoded* decoded) {
  const OtlpOptions otlp;
  IngestOptions ingest;
  ingest.max_records_per_batch = kMaxSpans;
  *decoded = Decode(body, encoding);

  auto input = std::make_unique<char[]>(body.size() + 1);
  std::memcpy(input.get(), body.data(), body.size());
  const std::string_view input_view(input.get(), body.size());
  Result<Batch> result = ParseOtlpTraces(input_view, encoding, otlp, ingest, kReceiveTimeUnixNs);
  const std::string summary = Summary(result);
  if (!result.ok() && result.status().code() == Status::Code::kResourceExhausted) {
    // The span limit: refused as soon as the decoder reported one span more
    // (a JSON body may still have failed further on).
    LCE_FUZZ_CHECK(decoded->spans.size() > kMaxSpans);
    LCE_FUZZ_CHECK(IsPrintableAscii(result.status().message()));
  } else if (!result.ok()) {
    LCE_FUZZ_CHECK(!decoded->status.ok());
    const Status& status = result.status();
    LCE_FUZZ_CHECK(status.code() == Status::Code::kInvalidArgument);
    LCE_FUZZ_CHECK(status.message() == decoded->status.message());
    LCE_FUZZ_CHECK(!status.message().empty() && IsPrintableAscii(status.message()));
    LCE_FUZZ_CHECK(!QuotesInput(status.message()));
    if (encoding == OtlpEncoding::kProtobuf) LCE_FUZZ_CHECK(decoded->spans.empty());
  } else {
    LCE_FUZZ_CHECK(decoded->status.ok());
    const std::vector<SpanCopy>& spans = decoded->spans;
    LCE_FUZZ_CHECK(spans.size() <= kMaxSpans && result->total == spans.size());
    WalkBatch(
        *result,
        [&](std::size_t i, const UsageRecord& r) {
          CheckRecord(r, ingest);
          CheckRecordFromSpan(r, spans[i], otlp);
          const auto outside_input = [&input_view](std::string_view v) {  // copies, never views into the body
            const std::less<const char*> before;
            LCE_FUZZ_CHECK(v.empty() || before(v.data() + v.size() - 1, input_view.data()) ||
                           !before(v.data(), input_view.data() + input_view.size()));
          };
          ForEachView(r, outside_input);
          outside_input(r.idempotency_key);  // derived, kept in the batch
        },
        [&](std::size_t i, const RecordError& e) { CheckSpanError(e, i, spans[i]); });
  }
  input.reset();

  LCE_FUZZ_CHECK(Summary(ParseOtlpTraces(std::string(body), encoding, otlp, ingest, kReceiveTimeUnixNs)) == summary);
  if (result.ok()) {  // the strings outlive the body and a move of the batch
    const Batch moved = std::move(*result);
    static volatile std::size_t sink = 0;
    for (const UsageRecord& r : moved.records) {
      const auto read = [](std::string_view v) {
        for (char c : v) sink = sink + static_cast<unsigned char>(c);
      };
      ForEachView(r, read);
      read(r.idempotency_key);
    }
  }
  return summary;
}

}  // namespace

void CheckOtlpBody(std::string_view body, OtlpEncoding encoding) {
  Decoded decoded;
  const std::string summary = CheckOne(body, encoding, &decoded);
  if (!decoded.status.ok()) return;

  std::string other_body;
  const OtlpEncoding other = encoding == OtlpEncoding::kJson ? OtlpEncoding::kProtobuf : OtlpEncoding::kJson;
  const bool written = other == OtlpEncoding::kJson ? EncodeJson(decoded.spans, &other_body)
                                                    : EncodeProtobuf(decoded.spans, &other_body);
  if (!written) return;
  Decoded again;
  const std::string other_summary = CheckOne(other_body, other, &again);
  LCE_FUZZ_CHECK(again.status.ok());
  LCE_FUZZ_CHECK(SameSpans(decoded.spans, again.spans));
  LCE_FUZZ_CHECK(other_summary == summary);
}

}  // namespace lce::fuzz

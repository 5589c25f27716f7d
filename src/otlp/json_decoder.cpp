// DecodeOtlpJson: OTLP/HTTP JSON ExportTraceServiceRequest -> OtlpSpans.
//
// Parser choice: nlohmann::json (a DOM), not simdjson On-Demand. OTLP JSON
// is deeply nested with fields in any order (a span's attributes may come
// before or after its ids, a resource after its spans), and the whole body
// must be validated before a single span is ingested (a malformed request
// is refused as a whole, 400). A DOM gives both with little code; On-Demand
// would need a validating pre-pass plus a second walk. The volume path of
// OTLP is protobuf (the next decoder), which feeds the same OtlpSpan.
// nlohmann's parser is iterative and its destructor too, so deep nesting
// cannot overflow the stack; values the mapping never reads (arrayValue,
// kvlistValue, bytesValue, unknown fields) are not walked.
//
// Encoding rules (OTLP spec, "JSON Protobuf Encoding"): lowerCamelCase keys;
// traceId / spanId as hex strings; 64-bit integers as decimal strings or
// numbers; enums as integers (names accepted too); null means absent;
// unknown fields are ignored.
//
// Exceptions: nlohmann's parse_error and out_of_range (a number overflowing
// double) and this file's DecodeError are caught in DecodeOtlpJson and become
// an InvalidArgument Status; a std::exception from the callback (bad_alloc)
// becomes an Internal Status, any other exception passes through (otlp.h).
#include <charconv>
#include <exception>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "llm_cost_exporter/otlp.h"

namespace lce {
namespace {

using Json = nlohmann::json;

struct DecodeError {
  std::string message;
};

[[noreturn]] void Fail(const std::string& path, const char* what) { throw DecodeError{path + ": " + what}; }

const char* TypeName(const Json& value) {
  switch (value.type()) {
    case Json::value_t::object: return "an object";
    case Json::value_t::array: return "an array";
    case Json::value_t::string: return "a string";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::null: return "null";
    default: return "a number";
  }
}

[[noreturn]] void FailType(const std::string& path, const char* expected, const Json& got) {
  throw DecodeError{path + ": expected " + expected + ", got " + TypeName(got)};
}

// The member `key` of object `object`, or nullptr when absent or null.
const Json* Member(const Json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

const Json* MemberOfType(const Json& object, const char* key, Json::value_t type, const std::string& path,
                         const char* expected) {
  const Json* member = Member(object, key);
  if (member != nullptr && member->type() != type) FailType(path + "." + key, expected, *member);
  return member;
}

// A decimal integer string (optional leading '-') -> T; false otherwise.
template <typename T>
bool ParseDecimal(const std::string& text, T* out) {
  const char* first = text.data();
  const char* last = first + text.size();
  const auto [end, error] = std::from_chars(first, last, *out);
  return error == std::errc() && end == last && !text.empty();
}

std::int64_t ReadInt64(const Json& value, const std::string& path) {
  if (value.is_number_integer() && !value.is_number_unsigned()) return value.get<std::int64_t>();
  if (value.is_number_unsigned()) {
    const auto u = value.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) Fail(path, "out of the int64 range");
    return static_cast<std::int64_t>(u);
  }
  if (value.is_string()) {
    std::int64_t parsed = 0;
    if (!ParseDecimal(value.get_ref<const std::string&>(), &parsed)) Fail(path, "expected a decimal int64 string");
    return parsed;
  }
  FailType(path, "an int64 (number or decimal string)", value);
}

std::uint64_t ReadUint64(const Json& value, const std::string& path) {
  if (value.is_number_unsigned()) return value.get<std::uint64_t>();
  if (value.is_number_integer()) Fail(path, "must not be negative");
  if (value.is_string()) {
    std::uint64_t parsed = 0;
    if (!ParseDecimal(value.get_ref<const std::string&>(), &parsed)) Fail(path, "expected a decimal uint64 string");
    return parsed;
  }
  FailType(path, "a uint64 (number or decimal string)", value);
}

double ReadDouble(const Json& value, const std::string& path) {
  if (value.is_number()) return value.get<double>();
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (text == "Infinity") return std::numeric_limits<double>::infinity();
    if (text == "-Infinity") return -std::numeric_limits<double>::infinity();
    double parsed = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (error == std::errc() && end == text.data() + text.size() && !text.empty()) return parsed;
    Fail(path, "expected a number");
  }
  FailType(path, "a number", value);
}

OtlpValue ReadAnyValue(const Json& value, const std::string& path) {
  OtlpValue out;
  if (value.is_null()) return out;
  if (!value.is_object()) FailType(path, "an AnyValue object", value);
  if (const Json* s = Member(value, "stringValue")) {
    if (!s->is_string()) FailType(path + ".stringValue", "a string", *s);
    out.kind = OtlpValue::Kind::kString;
    out.string = s->get_ref<const std::string&>();
  } else if (const Json* i = Member(value, "intValue")) {
    out.kind = OtlpValue::Kind::kInt;
    out.int_value = ReadInt64(*i, path + ".intValue");
  } else if (const Json* d = Member(value, "doubleValue")) {
    out.kind = OtlpValue::Kind::kDouble;
    out.double_value = ReadDouble(*d, path + ".doubleValue");
  } else if (const Json* b = Member(value, "boolValue")) {
    if (!b->is_boolean()) FailType(path + ".boolValue", "a boolean", *b);
    out.kind = OtlpValue::Kind::kBool;
    out.bool_value = b->get<bool>();
  } else if (Member(value, "arrayValue") || Member(value, "kvlistValue") || Member(value, "bytesValue")) {
    out.kind = OtlpValue::Kind::kOther;
  }
  return out;
}

// attributes: [{key, value}] -> *out (cleared first).
void ReadAttributes(const Json& owner, const std::string& path, std::vector<OtlpAttribute>* out) {
  out->clear();
  const Json* list = MemberOfType(owner, "attributes", Json::value_t::array, path, "an array");
  if (list == nullptr) return;
  out->reserve(list->size());
  for (std::size_t i = 0; i < list->size(); ++i) {
    const Json& item = (*list)[i];
    const std::string item_path = path + ".attributes[" + std::to_string(i) + "]";
    if (!item.is_object()) FailType(item_path, "an object", item);
    const Json* key = MemberOfType(item, "key", Json::value_t::string, item_path, "a string");
    if (key == nullptr) Fail(item_path, "key is required");
    const Json* value = Member(item, "value");
    out->push_back(OtlpAttribute{key->get_ref<const std::string&>(),
                                 value == nullptr ? OtlpValue{} : ReadAnyValue(*value, item_path + ".value")});
  }
}

std::string_view ReadString(const Json& object, const char* key, const std::string& path) {
  const Json* member = MemberOfType(object, key, Json::value_t::string, path, "a string");
  return member == nullptr ? std::string_view() : std::string_view(member->get_ref<const std::string&>());
}

std::uint64_t ReadTime(const Json& object, const char* key, const std::string& path) {
  const Json* member = Member(object, key);
  return member == nullptr ? 0 : ReadUint64(*member, path + "." + key);
}

std::int32_t ReadStatusCode(const Json& span, const std::string& path) {
  const Json* status = MemberOfType(span, "status", Json::value_t::object, path, "an object");
  if (status == nullptr) return 0;
  const Json* code = Member(*status, "code");
  if (code == nullptr) return 0;
  const std::string code_path = path + ".status.code";
  if (code->is_string()) {
    const std::string& name = code->get_ref<const std::string&>();
    if (name == "STATUS_CODE_UNSET") return 0;
    if (name == "STATUS_CODE_OK") return 1;
    if (name == "STATUS_CODE_ERROR") return 2;
  }
  const std::int64_t value = ReadInt64(*code, code_path);
  if (value < 0 || value > 2) Fail(code_path, "must be 0 (unset), 1 (ok) or 2 (error)");
  return static_cast<std::int32_t>(value);
}

// The array member `key` of `object` (absent: empty), each element an object.
const Json& ObjectList(const Json& object, const char* key, const std::string& path) {
  static const Json kEmpty = Json::array();
  const Json* list = MemberOfType(object, key, Json::value_t::array, path, "an array");
  if (list == nullptr) return kEmpty;
  for (std::size_t i = 0; i < list->size(); ++i) {
    if (!(*list)[i].is_object()) FailType(path + "." + key + "[" + std::to_string(i) + "]", "an object", (*list)[i]);
  }
  return *list;
}

void DecodeRequest(const Json& root, const std::function<void(const OtlpSpan&)>& on_span) {
  if (!root.is_object()) FailType("(body)", "an ExportTraceServiceRequest object", root);
  std::vector<OtlpAttribute> resource_attributes;
  std::vector<OtlpAttribute> span_attributes;
  const Json& resource_spans = ObjectList(root, "resourceSpans", "(body)");
  for (std::size_t r = 0; r < resource_spans.size(); ++r) {
    const Json& rs = resource_spans[r];
    const std::string rs_path = "resourceSpans[" + std::to_string(r) + "]";
    resource_attributes.clear();
    if (const Json* resource = MemberOfType(rs, "resource", Json::value_t::object, rs_path, "an object")) {
      ReadAttributes(*resource, rs_path + ".resource", &resource_attributes);
    }
    const Json& scope_spans = ObjectList(rs, "scopeSpans", rs_path);
    for (std::size_t s = 0; s < scope_spans.size(); ++s) {
      const std::string ss_path = rs_path + ".scopeSpans[" + std::to_string(s) + "]";
      const Json& spans = ObjectList(scope_spans[s], "spans", ss_path);
      for (std::size_t p = 0; p < spans.size(); ++p) {
        const Json& span = spans[p];
        const std::string path = ss_path + ".spans[" + std::to_string(p) + "]";
        OtlpSpan out;
        out.trace_id = ReadString(span, "traceId", path);
        out.span_id = ReadString(span, "spanId", path);
        out.name = ReadString(span, "name", path);
        out.start_time_unix_nano = ReadTime(span, "startTimeUnixNano", path);
        out.end_time_unix_nano = ReadTime(span, "endTimeUnixNano", path);
        out.status_code = ReadStatusCode(span, path);
        ReadAttributes(span, path, &span_attributes);
        out.attributes = span_attributes;
        out.resource_attributes = resource_attributes;
        on_span(out);
      }
    }
  }
}

// nlohmann's message without its "[json.exception...] " prefix and without
// the "; last read: '...'" part, which would echo the input.
std::string ParseErrorText(const Json::parse_error& e) {
  std::string text = e.what();
  if (const std::size_t bracket = text.find("] "); text.starts_with("[json.exception") && bracket != std::string::npos) {
    text.erase(0, bracket + 2);
  }
  if (const std::size_t echo = text.find("; last read"); echo != std::string::npos) text.erase(echo);
  return text;
}

}  // namespace

Status DecodeOtlpJson(std::string_view body, const std::function<void(const OtlpSpan&)>& on_span) {
  try {
    const Json root = Json::parse(body.begin(), body.end());
    DecodeRequest(root, on_span);
    return Status::Ok();
  } catch (const Json::parse_error& e) {
    return Status::InvalidArgument("invalid JSON: " + ParseErrorText(e));
  } catch (const Json::out_of_range&) {
    // 406, thrown by parse() (not as a parse_error) for a number beyond
    // double's range; its text quotes the number, so it is not passed on.
    return Status::InvalidArgument("invalid JSON: a number is beyond the range of a double");
  } catch (const DecodeError& e) {
    return Status::InvalidArgument("invalid ExportTraceServiceRequest: " + e.message);
  } catch (const std::exception& e) {  // std::bad_alloc
    return Status::Internal(std::string("decoding OTLP JSON failed: ") + e.what());
  }
}

}  // namespace lce

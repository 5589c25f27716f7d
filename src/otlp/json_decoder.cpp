// DecodeOtlpJson: OTLP/HTTP JSON ExportTraceServiceRequest -> OtlpSpans.
//
// Parser choice: simdjson's DOM (dom::parser, one per thread, reused), not
// its On-Demand API. OTLP JSON is deeply nested with fields in any order (a
// span's attributes may come before or after its ids, a resource after its
// spans), and the whole body must be validated before a single span is
// ingested (a malformed request is refused as a whole, 400). A DOM gives
// both in one parse; On-Demand would need a validating pre-pass plus a
// second walk. simdjson's stage 2 is iterative and its tape needs no
// destructor walk, so deep nesting cannot overflow the stack; values the
// mapping never reads (arrayValue, kvlistValue, bytesValue, unknown fields)
// are not walked. Each object is read in one pass over its members; for a
// key given twice the last one counts, as it did with nlohmann::json.
//
// Cold path: a body simdjson refuses is parsed again with nlohmann::json's
// SAX parser (no DOM), which gives the exact message of a malformed body
// ("parse error at line 1, column 5: ...", never quoting input). A body
// nlohmann accepts although simdjson did not (an integer beyond 64 bits,
// which nlohmann reads as a double; a UTF-8 byte order mark; text after a
// NUL byte, which nlohmann takes as the end; nesting deeper than 1024) is
// written out again by that SAX pass in a form simdjson reads the same way
// and decoded from there, so both parsers accept exactly the same bodies.
//
// Encoding rules (OTLP spec, "JSON Protobuf Encoding"): lowerCamelCase keys;
// traceId / spanId as hex strings; 64-bit integers as decimal strings or
// numbers; enums as integers (names accepted too); null means absent;
// unknown fields are ignored.
//
// Exceptions: this file's DecodeError is caught in DecodeOtlpJson and becomes
// an InvalidArgument Status (simdjson is used with error codes); a
// std::exception from the callback (bad_alloc) becomes an Internal Status,
// any other exception passes through (otlp.h). The callback stops decoding
// with a returned Status, not an exception.
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <exception>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "llm_cost_exporter/otlp.h"

namespace lce {
namespace {

using Element = simdjson::dom::element;
using Type = simdjson::dom::element_type;
using Json = nlohmann::json;

struct DecodeError {
  std::string message;
};

// A JSON path, built on the stack as the walk goes and written out only for
// an error message: "<parent>.<name>" or "<parent>.<name>[<index>]".
struct Path {
  static constexpr std::size_t kNoIndex = std::numeric_limits<std::size_t>::max();
  const Path* parent = nullptr;
  std::string_view name;
  std::size_t index = kNoIndex;

  std::string Text() const {
    std::string out = parent == nullptr ? std::string() : parent->Text() + ".";
    out.append(name);
    if (index != kNoIndex) out.append("[").append(std::to_string(index)).append("]");
    return out;
  }
};

[[noreturn]] void Fail(const Path& path, const char* what) { throw DecodeError{path.Text() + ": " + what}; }

const char* TypeName(Element value) {
  switch (value.type()) {
    case Type::OBJECT: return "an object";
    case Type::ARRAY: return "an array";
    case Type::STRING: return "a string";
    case Type::BOOL: return "a boolean";
    case Type::NULL_VALUE: return "null";
    default: return "a number";
  }
}

[[noreturn]] void FailType(const Path& path, const char* expected, Element got) {
  throw DecodeError{path.Text() + ": expected " + expected + ", got " + TypeName(got)};
}

// The members named in `keys` of one object, read in one pass. A key given
// twice: the last one counts. A null member is absent.
template <std::size_t N>
class Members {
 public:
  Members(Element object, const std::array<std::string_view, N>& keys) {
    simdjson::dom::object members;
    if (object.get_object().get(members) != simdjson::SUCCESS) return;  // the callers check the type
    for (const simdjson::dom::key_value_pair field : members) {
      for (std::size_t i = 0; i < N; ++i) {
        if (field.key == keys[i]) {
          value_[i] = field.value;
          present_[i] = !field.value.is_null();
          break;
        }
      }
    }
  }
  const Element* operator[](std::size_t i) const { return present_[i] ? &value_[i] : nullptr; }

 private:
  std::array<Element, N> value_{};
  std::array<bool, N> present_{};
};

// The member `name` of the object at `owner` when present, checked to be of
// `type` ("<owner>.<name>: expected ..." otherwise).
const Element* OfType(const Element* member, Type type, const Path& owner, std::string_view name,
                      const char* expected) {
  if (member != nullptr && member->type() != type) FailType(Path{&owner, name}, expected, *member);
  return member;
}

std::string_view Text(Element string) { return string.get_string().value_unsafe(); }

// A decimal integer string (optional leading '-') -> T; false otherwise.
template <typename T>
bool ParseDecimal(std::string_view text, T* out) {
  const char* first = text.data();
  const char* last = first + text.size();
  const auto [end, error] = std::from_chars(first, last, *out);
  return error == std::errc() && end == last && !text.empty();
}

// simdjson types a JSON integer INT64 when it fits, else UINT64 (up to
// 2^64 - 1); any other number is DOUBLE.
std::int64_t ReadInt64(Element value, const Path& path) {
  switch (value.type()) {
    case Type::INT64: return value.get_int64().value_unsafe();
    case Type::UINT64: Fail(path, "out of the int64 range");
    case Type::STRING: {
      std::int64_t parsed = 0;
      if (!ParseDecimal(Text(value), &parsed)) Fail(path, "expected a decimal int64 string");
      return parsed;
    }
    default: FailType(path, "an int64 (number or decimal string)", value);
  }
}

std::uint64_t ReadUint64(Element value, const Path& path) {
  switch (value.type()) {
    case Type::UINT64: return value.get_uint64().value_unsafe();
    case Type::INT64: {
      const std::int64_t signed_value = value.get_int64().value_unsafe();
      if (signed_value < 0) Fail(path, "must not be negative");
      return static_cast<std::uint64_t>(signed_value);
    }
    case Type::STRING: {
      std::uint64_t parsed = 0;
      if (!ParseDecimal(Text(value), &parsed)) Fail(path, "expected a decimal uint64 string");
      return parsed;
    }
    default: FailType(path, "a uint64 (number or decimal string)", value);
  }
}

double ReadDouble(Element value, const Path& path) {
  switch (value.type()) {
    case Type::INT64:
    case Type::UINT64:
    case Type::DOUBLE: return value.get_double().value_unsafe();
    case Type::STRING: {
      const std::string_view text = Text(value);
      if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
      if (text == "Infinity") return std::numeric_limits<double>::infinity();
      if (text == "-Infinity") return -std::numeric_limits<double>::infinity();
      double parsed = 0;
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), parsed);
      if (error == std::errc() && end == text.data() + text.size() && !text.empty()) return parsed;
      Fail(path, "expected a number");
    }
    default: FailType(path, "a number", value);
  }
}

constexpr std::array<std::string_view, 7> kAnyValueKeys = {"stringValue", "intValue",    "doubleValue", "boolValue",
                                                           "arrayValue",  "kvlistValue", "bytesValue"};

// The first of stringValue, intValue, doubleValue, boolValue present wins;
// else arrayValue / kvlistValue / bytesValue make it kOther.
OtlpValue ReadAnyValue(Element value, const Path& path) {
  OtlpValue out;
  if (value.is_null()) return out;
  if (!value.is_object()) FailType(path, "an AnyValue object", value);
  const Members<kAnyValueKeys.size()> m(value, kAnyValueKeys);
  if (const Element* s = OfType(m[0], Type::STRING, path, kAnyValueKeys[0], "a string")) {
    out.kind = OtlpValue::Kind::kString;
    out.string = Text(*s);
  } else if (const Element* i = m[1]) {
    out.kind = OtlpValue::Kind::kInt;
    out.int_value = ReadInt64(*i, Path{&path, kAnyValueKeys[1]});
  } else if (const Element* d = m[2]) {
    out.kind = OtlpValue::Kind::kDouble;
    out.double_value = ReadDouble(*d, Path{&path, kAnyValueKeys[2]});
  } else if (const Element* b = OfType(m[3], Type::BOOL, path, kAnyValueKeys[3], "a boolean")) {
    out.kind = OtlpValue::Kind::kBool;
    out.bool_value = b->get_bool().value_unsafe();
  } else if (m[4] != nullptr || m[5] != nullptr || m[6] != nullptr) {
    out.kind = OtlpValue::Kind::kOther;
  }
  return out;
}

constexpr std::array<std::string_view, 2> kKeyValueKeys = {"key", "value"};

// `list`, the attributes member of the object at `owner`: [{key, value}] ->
// *out (cleared first).
void ReadAttributes(const Element* list, const Path& owner, std::vector<OtlpAttribute>* out) {
  out->clear();
  if (OfType(list, Type::ARRAY, owner, "attributes", "an array") == nullptr) return;
  simdjson::dom::array items;
  if (list->get_array().get(items) != simdjson::SUCCESS) return;  // checked above
  out->reserve(items.size());
  std::size_t i = 0;
  for (const Element item : items) {
    const Path item_path{&owner, "attributes", i++};
    if (!item.is_object()) FailType(item_path, "an object", item);
    const Members<kKeyValueKeys.size()> m(item, kKeyValueKeys);
    const Element* key = OfType(m[0], Type::STRING, item_path, "key", "a string");
    if (key == nullptr) Fail(item_path, "key is required");
    out->push_back(
        OtlpAttribute{Text(*key), m[1] == nullptr ? OtlpValue{} : ReadAnyValue(*m[1], Path{&item_path, "value"})});
  }
}

std::string_view ReadString(const Element* member, const Path& owner, std::string_view name) {
  return OfType(member, Type::STRING, owner, name, "a string") == nullptr ? std::string_view() : Text(*member);
}

std::uint64_t ReadTime(const Element* member, const Path& owner, std::string_view name) {
  return member == nullptr ? 0 : ReadUint64(*member, Path{&owner, name});
}

std::int32_t ReadStatusCode(const Element* status, const Path& span) {
  if (OfType(status, Type::OBJECT, span, "status", "an object") == nullptr) return 0;
  const Path status_path{&span, "status"};
  const Members<1> m(*status, {"code"});
  const Element* code = m[0];
  if (code == nullptr) return 0;
  const Path code_path{&status_path, "code"};
  if (code->is_string()) {
    const std::string_view name = Text(*code);
    if (name == "STATUS_CODE_UNSET") return 0;
    if (name == "STATUS_CODE_OK") return 1;
    if (name == "STATUS_CODE_ERROR") return 2;
  }
  const std::int64_t value = ReadInt64(*code, code_path);
  if (value < 0 || value > 2) Fail(code_path, "must be 0 (unset), 1 (ok) or 2 (error)");
  return static_cast<std::int32_t>(value);
}

// `member`, the array member `name` of the object at `owner`, each element
// checked to be an object (all of them before any is read) -> *out; false
// when absent.
bool ObjectList(const Element* member, const Path& owner, std::string_view name, simdjson::dom::array* out) {
  if (OfType(member, Type::ARRAY, owner, name, "an array") == nullptr) return false;
  if (member->get_array().get(*out) != simdjson::SUCCESS) return false;  // checked above
  std::size_t i = 0;
  for (const Element item : *out) {
    if (!item.is_object()) FailType(Path{&owner, name, i}, "an object", item);
    ++i;
  }
  return true;
}

constexpr std::array<std::string_view, 7> kSpanKeys = {"traceId",         "spanId", "name",      "startTimeUnixNano",
                                                       "endTimeUnixNano", "status", "attributes"};

Status DecodeRequest(Element root, const OtlpSpanCallback& on_span) {
  const Path body{nullptr, "(body)"};
  if (!root.is_object()) FailType(body, "an ExportTraceServiceRequest object", root);
  std::vector<OtlpAttribute> resource_attributes;
  std::vector<OtlpAttribute> span_attributes;
  simdjson::dom::array resource_spans;
  if (!ObjectList(Members<1>(root, {"resourceSpans"})[0], body, "resourceSpans", &resource_spans)) return Status::Ok();
  std::size_t r = 0;
  for (const Element rs : resource_spans) {
    const Path rs_path{nullptr, "resourceSpans", r++};
    const Members<2> rs_members(rs, {"resource", "scopeSpans"});
    resource_attributes.clear();
    if (const Element* resource = OfType(rs_members[0], Type::OBJECT, rs_path, "resource", "an object")) {
      ReadAttributes(Members<1>(*resource, {"attributes"})[0], Path{&rs_path, "resource"}, &resource_attributes);
    }
    simdjson::dom::array scope_spans;
    if (!ObjectList(rs_members[1], rs_path, "scopeSpans", &scope_spans)) continue;
    std::size_t s = 0;
    for (const Element ss : scope_spans) {
      const Path ss_path{&rs_path, "scopeSpans", s++};
      simdjson::dom::array spans;
      if (!ObjectList(Members<1>(ss, {"spans"})[0], ss_path, "spans", &spans)) continue;
      std::size_t p = 0;
      for (const Element span : spans) {
        const Path path{&ss_path, "spans", p++};
        const Members<kSpanKeys.size()> m(span, kSpanKeys);
        OtlpSpan out;
        out.trace_id = ReadString(m[0], path, kSpanKeys[0]);
        out.span_id = ReadString(m[1], path, kSpanKeys[1]);
        out.name = ReadString(m[2], path, kSpanKeys[2]);
        out.start_time_unix_nano = ReadTime(m[3], path, kSpanKeys[3]);
        out.end_time_unix_nano = ReadTime(m[4], path, kSpanKeys[4]);
        out.status_code = ReadStatusCode(m[5], path);
        ReadAttributes(m[6], path, &span_attributes);
        out.attributes = span_attributes;
        out.resource_attributes = resource_attributes;
        if (Status taken = on_span(out); !taken.ok()) return taken;
      }
    }
  }
  return Status::Ok();
}

// --- the thread's parser -------------------------------------------------

// A parser keeps buffers sized for the largest body it has parsed; past this
// size they are released after the call instead of kept per thread.
// Every HTTP worker thread (server.worker_threads, 128 by default) keeps one,
// and simdjson needs roughly ten bytes of buffers per byte of capacity, so
// 1 MiB bounds what idle workers hold (typical batches are well below it).
constexpr std::size_t kKeepParserCapacity = std::size_t{1} << 20;

struct ThreadParser {
  simdjson::dom::parser parser;
  bool in_use = false;
};

// The thread's parser for one call; a call made from inside a callback (the
// outer call's spans still point into the thread's parser) gets its own.
class ParserLease {
 public:
  ParserLease() : shared_(Shared()) {
    if (shared_.in_use) {
      own_ = std::make_unique<simdjson::dom::parser>();
    } else {
      shared_.in_use = true;
    }
  }
  ParserLease(const ParserLease&) = delete;
  ParserLease& operator=(const ParserLease&) = delete;
  ~ParserLease() {
    if (own_ != nullptr) return;
    shared_.in_use = false;
    if (shared_.parser.capacity() > kKeepParserCapacity) shared_.parser = simdjson::dom::parser{};
  }
  simdjson::dom::parser& get() { return own_ != nullptr ? *own_ : shared_.parser; }

 private:
  static ThreadParser& Shared() {
    thread_local ThreadParser parser;
    return parser;
  }
  ThreadParser& shared_;
  std::unique_ptr<simdjson::dom::parser> own_;
};

// --- cold path: bodies simdjson refused ------------------------------------

// nlohmann's message without its "[json.exception...] " prefix and without
// the "; last read: '...'" part, which would echo the input.
std::string ParseErrorText(std::string text) {
  if (const std::size_t bracket = text.find("] ");
      text.starts_with("[json.exception") && bracket != std::string::npos) {
    text.erase(0, bracket + 2);
  }
  if (const std::size_t echo = text.find("; last read"); echo != std::string::npos) text.erase(echo);
  return text;
}

// A SAX consumer of nlohmann's parser that writes the document out again as
// JSON simdjson reads as nlohmann did (every number nlohmann reads as a
// double is written as one), or keeps the message of the first error.
class Rewriter final : public nlohmann::json_sax<Json> {
 public:
  bool null() override { return Literal("null"); }
  bool boolean(bool value) override { return Literal(value ? "true" : "false"); }
  bool number_integer(number_integer_t value) override { return Literal(std::to_string(value)); }
  bool number_unsigned(number_unsigned_t value) override { return Literal(std::to_string(value)); }
  bool number_float(number_float_t value, const string_t&) override {
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);  // shortest round trip
    std::string_view written(buffer, static_cast<std::size_t>(result.ptr - buffer));
    Separate();
    text.append(written);
    if (written.find_first_of(".e") == std::string_view::npos) text.append(".0");  // still a double
    return true;
  }
  bool string(string_t& value) override {
    Separate();
    Quote(value);
    return true;
  }
  bool binary(binary_t&) override { return false; }  // not in JSON
  bool start_object(std::size_t) override { return Open('{'); }
  bool key(string_t& value) override {
    Separate();
    Quote(value);
    text.push_back(':');
    return true;
  }
  bool end_object() override { return Close('}'); }
  bool start_array(std::size_t) override { return Open('['); }
  bool end_array() override { return Close(']'); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    // out_of_range 406: a number beyond double's range; its text quotes the
    // number, so it is not passed on.
    error = dynamic_cast<const Json::out_of_range*>(&e) != nullptr
                ? "invalid JSON: a number is beyond the range of a double"
                : "invalid JSON: " + ParseErrorText(e.what());
    return false;
  }

  std::string text;
  std::size_t max_depth = 0;
  std::string error;  // empty: nlohmann accepted the body

 private:
  // A comma before a value or key unless it is the first in its container.
  void Separate() {
    if (!text.empty() && text.back() != '[' && text.back() != '{' && text.back() != ':') text.push_back(',');
  }
  bool Literal(std::string_view literal) {
    Separate();
    text.append(literal);
    return true;
  }
  bool Open(char bracket) {
    Separate();
    text.push_back(bracket);
    max_depth = std::max(max_depth, ++depth_);
    return true;
  }
  bool Close(char bracket) {
    text.push_back(bracket);
    --depth_;
    return true;
  }
  void Quote(const std::string& value) {
    static constexpr char kHex[] = "0123456789abcdef";
    text.push_back('"');
    for (const char c : value) {
      const auto byte = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        text.push_back('\\');
        text.push_back(c);
      } else if (byte < 0x20) {
        text.append("\\u00");
        text.push_back(kHex[byte >> 4]);
        text.push_back(kHex[byte & 0xf]);
      } else {
        text.push_back(c);
      }
    }
    text.push_back('"');
  }

  std::size_t depth_ = 0;
};

// Decodes `body` that `parser` refused: the precise message of a malformed
// body, else the body as nlohmann read it (see the top of this file).
Status DecodeRefused(std::string_view body, const OtlpSpanCallback& on_span) {
  Rewriter rewriter;
  Json::sax_parse(body.begin(), body.end(), &rewriter);
  if (!rewriter.error.empty()) return Status::InvalidArgument(rewriter.error);
  simdjson::dom::parser parser;
  Element root;
  const std::size_t max_depth = std::max<std::size_t>(simdjson::DEFAULT_MAX_DEPTH, rewriter.max_depth + 2);
  simdjson::error_code error = parser.allocate(rewriter.text.size(), max_depth);
  if (error == simdjson::SUCCESS) error = parser.parse(rewriter.text).get(root);
  if (error != simdjson::SUCCESS) {
    return Status::Internal(std::string("decoding OTLP JSON failed: ") + simdjson::error_message(error));
  }
  return DecodeRequest(root, on_span);
}

}  // namespace

Status DecodeOtlpJson(std::string_view body, const OtlpSpanCallback& on_span) {
  try {
    ParserLease parser;
    Element root;
    if (parser.get().parse(body.data(), body.size()).get(root) != simdjson::SUCCESS) {
      return DecodeRefused(body, on_span);
    }
    return DecodeRequest(root, on_span);
  } catch (const DecodeError& e) {
    return Status::InvalidArgument("invalid ExportTraceServiceRequest: " + e.message);
  } catch (const std::exception& e) {  // std::bad_alloc
    return Status::Internal(std::string("decoding OTLP JSON failed: ") + e.what());
  }
}

}  // namespace lce

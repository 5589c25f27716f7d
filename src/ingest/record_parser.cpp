// The usage record schema (docs/usage-record.md) on simdjson On-Demand.
//
// Hot-path rules: each object's fields are visited once, in body order, and
// dispatched on the key; strings are taken raw (no unescaping, no copy);
// numbers are read from their token text; std::string is only built when a
// record is rejected. Errors use simdjson's error codes, never exceptions.
//
// Deferred string validation: keys and string values are delimited from
// simdjson's token positions, not scanned. Every field rule excludes
// backslashes and control characters, so text that passes its rule (or a key
// equal to a schema name) is valid JSON string text; only text that fails is
// checked (IsValidJsonStringText), so that malformed JSON is still reported
// as a fault rather than as a rejection.
#include "record_parser.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <utility>

#include "field_rules.h"
#include "llm_cost_exporter/small_bytes.h"

namespace lce::ingest_detail {
namespace od = simdjson::ondemand;

namespace {

constexpr const char* kInvalidString = "invalid JSON: invalid string (bad escape or unescaped control character)";
constexpr const char* kInvalidNumber = "invalid JSON: invalid number";
constexpr const char* kInvalidLiteral = "invalid JSON: invalid literal";
constexpr const char* kTooDeep = "JSON nesting deeper than 64 levels";

// A key of 4 to 16 bytes as two words read from its two ends (overlapping
// when shorter than 16): two keys of one length are equal exactly when their
// words are, and no read leaves the key. Schema keys are compared this way,
// two integer compares instead of a memcmp call each.
struct KeyWords {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  constexpr bool operator==(const KeyWords&) const = default;
};

constexpr std::size_t kMinWordsKey = 4;
constexpr std::size_t kMaxWordsKey = 16;

// Bytes p[0..n) as a little-endian word, at compile time.
constexpr std::uint64_t PackLittle(const char* p, std::size_t n) {
  std::uint64_t word = 0;
  for (std::size_t i = 0; i < n; ++i) word |= std::uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return word;
}

// The words of a schema name (4 to 16 bytes).
consteval KeyWords WordsOf(std::string_view name) {
  const std::size_t n = name.size() >= 8 ? 8 : 4;
  return {PackLittle(name.data(), n), PackLittle(name.data() + name.size() - n, n)};
}

// The words of a key of kMinWordsKey to kMaxWordsKey bytes: at run time one
// load each (LoadWord; the module's loads are little-endian, see
// ScanRawString in json_text.h).
KeyWords LoadWords(std::string_view key) {
  if (key.size() >= 8) {
    return {LoadWord<std::uint64_t>(key.data()), LoadWord<std::uint64_t>(key.data() + key.size() - 8)};
  }
  return {LoadWord<std::uint32_t>(key.data()), LoadWord<std::uint32_t>(key.data() + key.size() - 4)};
}

// Index into TokenUsage::count of a token_usage key, or -1.
int TokenKeyIndex(std::string_view key) {
  // The six keys have six different lengths.
  static constexpr std::array<KeyWords, kTokenTypeCount> kWords = {
      WordsOf(kTokenTypeNames[0]), WordsOf(kTokenTypeNames[1]), WordsOf(kTokenTypeNames[2]),
      WordsOf(kTokenTypeNames[3]), WordsOf(kTokenTypeNames[4]), WordsOf(kTokenTypeNames[5])};
  std::size_t index = 0;
  switch (key.size()) {
    case 5: index = static_cast<std::size_t>(TokenType::kInput); break;
    case 6: index = static_cast<std::size_t>(TokenType::kOutput); break;
    case 12: index = static_cast<std::size_t>(TokenType::kCachedInput); break;
    case 11: index = static_cast<std::size_t>(TokenType::kCacheWrite); break;
    case 9: index = static_cast<std::size_t>(TokenType::kReasoning); break;
    case 14: index = static_cast<std::size_t>(TokenType::kCacheWrite1h); break;
    default: return -1;
  }
  return LoadWords(key) == kWords[index] ? static_cast<int>(index) : -1;
}

constexpr std::array<std::string_view, kTokenTypeCount> kTokenFieldPaths = {
    "token_usage.input",       "token_usage.output",    "token_usage.cached_input",
    "token_usage.cache_write", "token_usage.reasoning", "token_usage.cache_write_1h"};

// A name that can be shown in an error without leaking data: label-safe
// (so not an e-mail or phone number) and short.
bool IsShowableName(const RawString& key) { return key.plain && IsValidLabelValue(key.text, 64); }

std::string LatencyTooLarge() { return "must be at most " + std::to_string(kMaxLatencyMs) + " (7 days)"; }

}  // namespace

// ---- schema ------------------------------------------------------------------

RecordField LookupRecordField(std::string_view key) noexcept {
  using F = RecordField;
  struct Name {
    KeyWords words;
    RecordField field;
  };
  if (key.size() < kMinWordsKey || key.size() > kMaxWordsKey) return F::kUnknown;
  const KeyWords words = LoadWords(key);
  // Keys grouped by length, so a lookup compares at most four.
  auto pick = [&words](std::initializer_list<Name> names) {
    for (const Name& n : names) {
      if (n.words == words) return n.field;
    }
    return F::kUnknown;
  };
  switch (key.size()) {
    case 5: return pick({{WordsOf("event"), F::kEvent}, {WordsOf("model"), F::kModel}, {WordsOf("units"), F::kUnits}});
    case 6: return pick({{WordsOf("vendor"), F::kVendor}});
    case 7:
      return pick(
          {{WordsOf("service"), F::kService}, {WordsOf("span_id"), F::kSpanId}, {WordsOf("attempt"), F::kAttempt}});
    case 8: return pick({{WordsOf("event_id"), F::kEventId}, {WordsOf("trace_id"), F::kTraceId}});
    case 9: return pick({{WordsOf("timestamp"), F::kTimestamp}, {WordsOf("operation"), F::kOperation}});
    case 10: return pick({{WordsOf("latency_ms"), F::kLatencyMs}, {WordsOf("hash_email"), F::kHashEmail}});
    case 11:
      return pick({{WordsOf("campaign_id"), F::kCampaignId},
                   {WordsOf("audience_id"), F::kAudienceId},
                   {WordsOf("decision_id"), F::kDecisionId},
                   {WordsOf("token_usage"), F::kTokenUsage}});
    case 12: return pick({{WordsOf("service_tier"), F::kServiceTier}});
    case 13: return pick({{WordsOf("vendor_status"), F::kVendorStatus}});
    case 14:
      return pick({{WordsOf("reservation_id"), F::kReservationId}, {WordsOf("prompt_version"), F::kPromptVersion}});
    default: return F::kUnknown;
  }
}

// ---- entry points --------------------------------------------------------------

const char* JsonTypeName(od::json_type type) {
  switch (type) {
    case od::json_type::array: return "an array";
    case od::json_type::object: return "an object";
    case od::json_type::number: return "a number";
    case od::json_type::string: return "a string";
    case od::json_type::boolean: return "a boolean";
    case od::json_type::null: return "null";
  }
  return "an unknown value";
}

std::string JsonFault::Describe() const {
  if (detail != nullptr) return detail;
  return std::string("invalid JSON: ") + simdjson::error_message(code);
}

bool RecordParser::Fault(simdjson::error_code code) {
  fault_.code = code;
  fault_.detail = nullptr;
  return false;
}

bool RecordParser::Fault(const char* detail) {
  fault_.detail = detail;
  return false;
}

bool RecordParser::ParseRootRecord(od::document& doc, UsageRecord* record, Problem* problem) {
  record_ = record;
  problem_ = problem;
  od::object object;
  if (auto error = doc.get_object().get(object)) return Fault(error);
  if (!ParseObject(object)) return false;
  // After the root object the iterator must be at the end of the input.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) return Fault(simdjson::TRAILING_CONTENT);
  return true;
}

bool RecordParser::ParseRecordValue(od::value& value, UsageRecord* record, Problem* problem) {
  record_ = record;
  problem_ = problem;
  od::object object;
  if (auto error = value.get_object().get(object)) return Fault(error);
  return ParseObject(object);
}

bool RecordParser::ParseObject(od::object& object) {
  has_units_ = false;
  const bool json_ok =
      ForEachField(object, 0, [this](std::string_view key, od::value& value) { return HandleField(key, value); });
  if (!json_ok) return false;
  if (!Rejected()) CheckRecord();
  if (!Rejected()) FinishRecord();
  return true;
}

// Calls handle(key text, value) for each field until the record is
// rejected, then only checks the remaining fields are well-formed. The key
// text is not validated (see KeyTextBefore): a handler that does not find it
// among its names, or whose rule refuses it, validates it (CheckedKey,
// RejectString) before reporting anything. Returns false on a fault.
template <typename Handler>
bool RecordParser::ForEachField(od::object& object, int depth, Handler&& handle) {
  for (auto field_result : object) {
    if (auto error = field_result.error()) return Fault(error);
    od::field&& field = std::move(field_result).value_unsafe();  // in place: no copy
    if (Rejected()) {
      RawString key;
      if (!ReadKey(field, &key) || !SkipValue(field.value(), depth + 1)) return false;
      continue;
    }
    od::value& value = field.value();
    const std::string_view key = KeyTextBefore(field.key().raw(), value.raw_json_token().data());
    if (!handle(key, value)) return false;
  }
  return true;
}

bool RecordParser::ReadKey(od::field& field, RawString* key) {
  *key = ScanRawString(field.key().raw());
  if (!key->plain && !IsValidJsonStringText(key->text)) return Fault(kInvalidString);
  return true;
}

bool RecordParser::CheckedKey(std::string_view key, RawString* out) {
  *out = RawString{key, key.find('\\') == std::string_view::npos};
  if (!IsValidJsonStringText(key)) return Fault(kInvalidString);
  return true;
}

bool RecordParser::HandleField(std::string_view key, od::value& value) {
  const RecordField id = LookupRecordField(key);
  if (id == RecordField::kUnknown) return RejectUnknownField("", key, value);
  od::json_type type;
  if (auto error = value.type().get(type)) return Fault(error);
  if (type == od::json_type::null) return ConsumeNull(value);  // null means absent
  return Dispatch(id, value, type);
}

bool RecordParser::Dispatch(RecordField field, od::value& value, od::json_type type) {
  UsageRecord& r = *record_;
  switch (field) {
    case RecordField::kEvent: return ReadLabel(value, type, "event", &r.event);
    case RecordField::kEventId: return ReadRecordId(value, type, "event_id", &r.event_id);
    case RecordField::kTimestamp: return ReadTimestamp(value, type);
    case RecordField::kService: return ReadLabel(value, type, "service", &r.service);
    case RecordField::kOperation: return ReadLabel(value, type, "operation", &r.operation);
    case RecordField::kCampaignId: return ReadLabel(value, type, "campaign_id", &r.campaign_id);
    case RecordField::kAudienceId: return ReadLabel(value, type, "audience_id", &r.audience_id);
    case RecordField::kDecisionId: return ReadLabel(value, type, "decision_id", &r.decision_id);
    case RecordField::kTraceId: return ReadHexId(value, type, "trace_id", 32, &r.trace_id);
    case RecordField::kSpanId: return ReadHexId(value, type, "span_id", 16, &r.span_id);
    case RecordField::kVendor: return ReadLabel(value, type, "vendor", &r.vendor);
    case RecordField::kModel: return ReadLabel(value, type, "model", &r.model);
    case RecordField::kServiceTier: return ReadLabel(value, type, "service_tier", &r.service_tier);
    case RecordField::kTokenUsage: return ReadTokenUsage(value, type);
    case RecordField::kUnits: return ReadUnits(value, type);
    case RecordField::kAttempt: return ReadAttempt(value, type);
    case RecordField::kReservationId: return ReadRecordId(value, type, "reservation_id", &r.reservation_id);
    case RecordField::kLatencyMs: return ReadLatency(value, type);
    case RecordField::kVendorStatus: return ReadVendorStatus(value, type);
    case RecordField::kHashEmail: return ReadHashEmail(value, type);
    case RecordField::kPromptVersion: return ReadLabel(value, type, "prompt_version", &r.prompt_version);
    case RecordField::kUnknown: break;
  }
  return Fault("internal error: unhandled field");
}

// ---- field kinds -------------------------------------------------------------------

bool RecordParser::ReadLabel(od::value& value, od::json_type type, std::string_view name, std::string_view* out) {
  const FieldPath path{"", name};
  std::string_view text;
  if (!ReadString(value, type, path, &text)) return false;
  if (Rejected()) return true;
  if (std::optional<FieldError> error = ValidateLabelValue(text, options_.max_label_length)) {
    return RejectString(text, error->reason, path, std::move(error->message));
  }
  *out = text;
  return true;
}

bool RecordParser::ReadRecordId(od::value& value, od::json_type type, std::string_view name, std::string_view* out) {
  const FieldPath path{"", name};
  std::string_view text;
  if (!ReadString(value, type, path, &text)) return false;
  if (Rejected()) return true;
  if (!IsValidRecordId(text)) {
    return RejectString(text, RejectReason::kInvalidId, path, "must be 1 to 128 characters of A-Z a-z 0-9 . _ : -");
  }
  *out = text;
  return true;
}

bool RecordParser::ReadHexId(od::value& value, od::json_type type, std::string_view name, std::size_t hex_length,
                             std::string_view* out) {
  const FieldPath path{"", name};
  std::string_view text;
  if (!ReadString(value, type, path, &text)) return false;
  if (Rejected()) return true;
  if (!IsValidHexId(text, hex_length)) {
    return RejectString(text, RejectReason::kInvalidId, path,
                        "must be " + std::to_string(hex_length) + " hex characters, not all zero");
  }
  *out = text;
  return true;
}

bool RecordParser::ReadHashEmail(od::value& value, od::json_type type) {
  const FieldPath path{"", "hash_email"};
  std::string_view text;
  if (!ReadString(value, type, path, &text)) return false;
  if (Rejected()) return true;
  if (!IsValidHashDigest(text)) {
    std::string detail = "must be a hex digest of 32, 40, 64 or 128 characters (MD5, SHA-1, SHA-256, SHA-512)";
    if (LooksLikeEmail(text)) detail = "looks like a raw e-mail address; " + detail;
    return RejectString(text, RejectReason::kInvalidHash, path, std::move(detail));
  }
  record_->hash_email = text;
  return true;
}

bool RecordParser::ReadTimestamp(od::value& value, od::json_type type) {
  const FieldPath path{"", "timestamp"};
  std::string_view text;
  if (!ReadString(value, type, path, &text)) return false;
  if (Rejected()) return true;
  if (!ParseRfc3339(text, &record_->timestamp_unix_ns)) {
    return RejectString(text, RejectReason::kInvalidTimestamp, path,
                        "must be an RFC 3339 timestamp such as 2026-04-02T10:15:00.123Z "
                        "(up to 9 fraction digits, Z or +hh:mm offset, valid date and time)");
  }
  if (record_->timestamp_unix_ns < kMinTimestampUnixNs) {
    return Reject(RejectReason::kOutOfRange, path,
                  "must not be before 1677-09-21T00:15:00Z (the earliest time the ledger holds)");
  }
  record_->timestamp_given = true;
  return true;
}

bool RecordParser::ReadTokenUsage(od::value& value, od::json_type type) {
  const FieldPath path{"", "token_usage"};
  if (type != od::json_type::object) return RejectWrongType(value, type, path, "an object");
  od::object object;
  if (auto error = value.get_object().get(object)) return Fault(error);
  record_->has_token_usage = true;
  record_->tokens = TokenUsage{};  // a repeated key replaces the earlier one
  const bool json_ok = ForEachField(object, 1, [this](std::string_view key, od::value& count) {
    const int index = TokenKeyIndex(key);
    if (index < 0) return RejectUnknownField("token_usage.", key, count);
    const auto slot = static_cast<std::size_t>(index);
    const FieldPath count_path{"", kTokenFieldPaths[slot]};
    od::json_type count_type;
    if (auto error = count.type().get(count_type)) return Fault(error);
    if (count_type == od::json_type::null) {
      record_->tokens.count[slot] = 0;
      return ConsumeNull(count);
    }
    return ReadBoundedCount(count, count_type, count_path, kMaxTokensPerRecord, &record_->tokens.count[slot]);
  });
  if (!json_ok) return false;
  if (!Rejected()) CheckParts();
  return true;
}

bool RecordParser::ReadUnits(od::value& value, od::json_type type) {
  const FieldPath path{"", "units"};
  if (type != od::json_type::object) return RejectWrongType(value, type, path, "an object");
  od::object object;
  if (auto error = value.get_object().get(object)) return Fault(error);
  has_units_ = true;
  record_->units.clear();  // a repeated key replaces the earlier one
  return ForEachField(object, 1, [this, &path](std::string_view key, od::value& count) {
    if (std::optional<FieldError> error = ValidateLabelValue(key, options_.max_label_length)) {
      return RejectString(key, error->reason, path, "unit name " + error->message) && SkipValue(count, 2);
    }
    od::json_type count_type;
    if (auto error = count.type().get(count_type)) return Fault(error);
    std::vector<UnitCount>& units = record_->units;
    auto existing = std::find_if(units.begin(), units.end(), [&key](const UnitCount& u) { return u.unit == key; });
    if (count_type == od::json_type::null) {  // absent
      if (existing != units.end()) units.erase(existing);
      return ConsumeNull(count);
    }
    std::uint64_t n = 0;
    if (!ReadBoundedCount(count, count_type, FieldPath{"units.", key}, kMaxUnitsPerRecord, &n)) return false;
    if (Rejected()) return true;
    if (existing != units.end()) {
      existing->count = n;
    } else {
      units.push_back(UnitCount{key, n});
    }
    return true;
  });
}

bool RecordParser::ReadAttempt(od::value& value, od::json_type type) {
  const FieldPath path{"", "attempt"};
  std::uint64_t n = 0;
  if (!ReadUint64(value, type, path, &n)) return false;
  if (Rejected()) return true;
  if (n < 1) return Reject(RejectReason::kOutOfRange, path, "must be at least 1 (got 0)");
  if (n > std::numeric_limits<std::uint32_t>::max()) {
    return Reject(RejectReason::kOutOfRange, path, "must be at most 4294967295 (got " + std::to_string(n) + ")");
  }
  record_->attempt = static_cast<std::uint32_t>(n);
  return true;
}

bool RecordParser::ReadLatency(od::value& value, od::json_type type) {
  const FieldPath path{"", "latency_ms"};
  JsonNumber number;
  if (!ReadNumber(value, type, path, "a non-negative number", &number)) return false;
  if (Rejected()) return true;
  switch (MillisToMicros(number, &record_->latency_us)) {
    case NumberFit::kOk: break;
    case NumberFit::kNegative: return Reject(RejectReason::kOutOfRange, path, "must not be negative");
    case NumberFit::kNotInteger:
    case NumberFit::kTooLarge: return Reject(RejectReason::kOutOfRange, path, LatencyTooLarge());
  }
  if (record_->latency_us > kMaxLatencyUs) return Reject(RejectReason::kOutOfRange, path, LatencyTooLarge());
  record_->has_latency = true;
  return true;
}

bool RecordParser::ReadVendorStatus(od::value& value, od::json_type type) {
  const FieldPath path{"", "vendor_status"};
  std::uint64_t n = 0;
  if (!ReadUint64(value, type, path, &n)) return false;
  if (Rejected()) return true;
  if (n < 100 || n > 599) {
    return Reject(RejectReason::kOutOfRange, path,
                  "must be an HTTP status code from 100 to 599 (got " + std::to_string(n) + ")");
  }
  record_->vendor_status = static_cast<std::uint16_t>(n);
  record_->failed = n >= 400;  // a repeated field: the last value decides both
  return true;
}

// ---- JSON value kinds ----------------------------------------------------------------

// Raw string contents; escapes are kept (and then refused by every field
// rule, since no accepted character set contains a backslash). Not validated
// here: a rule that refuses the text calls RejectString, which checks it.
bool RecordParser::ReadString(od::value& value, od::json_type type, const FieldPath& path, std::string_view* out) {
  if (type != od::json_type::string) return RejectWrongType(value, type, path, "a string");
  const std::string_view token = value.raw_json_token();
  od::raw_json_string raw;
  if (auto error = value.get_raw_json_string().get(raw)) return Fault(error);  // consumes the value
  *out = StringTokenText(token);
  return true;
}

bool RecordParser::ReadNumber(od::value& value, od::json_type type, const FieldPath& path, const char* expected,
                              JsonNumber* out) {
  if (type != od::json_type::number) return RejectWrongType(value, type, path, expected);
  if (!ParseJsonNumber(value.raw_json_token(), out)) return Fault(kInvalidNumber);
  return true;
}

bool RecordParser::ReadUint64(od::value& value, od::json_type type, const FieldPath& path, std::uint64_t* out) {
  if (type == od::json_type::number && !Rejected() && ReadPlainUint64(value.raw_json_token(), out)) return true;
  JsonNumber number;
  if (!ReadNumber(value, type, path, "a non-negative integer", &number)) return false;
  if (Rejected()) return true;
  switch (ToUint64(number, out)) {
    case NumberFit::kOk: return true;
    case NumberFit::kNegative: return Reject(RejectReason::kOutOfRange, path, "must not be negative");
    case NumberFit::kNotInteger:
      return Reject(RejectReason::kWrongType, path, "expected a non-negative integer, got a decimal number");
    case NumberFit::kTooLarge:
      return Reject(RejectReason::kOutOfRange, path, "too large (maximum 18446744073709551615)");
  }
  return true;
}

bool RecordParser::ReadBoundedCount(od::value& value, od::json_type type, const FieldPath& path, std::uint64_t max,
                                    std::uint64_t* out) {
  std::uint64_t n = 0;
  if (!ReadUint64(value, type, path, &n)) return false;
  if (Rejected()) return true;
  if (n > max) return Reject(RejectReason::kOutOfRange, path, CountAboveBoundMessage(max));
  *out = n;
  return true;
}

bool RecordParser::ConsumeNull(od::value& value) {
  if (TrimTrailingSpace(value.raw_json_token()) != "null") return Fault(kInvalidLiteral);
  return true;
}

// One container SkipValue is walking: its iterator and whether the element
// last taken from it has been checked (only then may the iterator advance:
// On-Demand skips an element it advances past unread).
struct RecordParser::SkipLevel {
  bool is_object = false;
  bool taken = false;
  od::object_iterator field;
  od::object_iterator fields_end;
  od::array_iterator element;
  od::array_iterator elements_end;
};

// Iterative, with the open containers on the heap: a body may nest up to
// kMaxNestingDepth levels, and CivetWeb runs handlers on fixed 100 KiB
// stacks, where one recursive frame per level (kilobytes in sanitizer
// builds) would not fit.
bool RecordParser::SkipValue(od::value& root, int depth) {
  std::vector<SkipLevel> open;
  od::value value = root;
  for (;;) {
    if (depth + static_cast<int>(open.size()) > kMaxNestingDepth) return Fault(kTooDeep);
    od::json_type type;
    if (auto error = value.type().get(type)) return Fault(error);
    if (type == od::json_type::object || type == od::json_type::array) {
      if (!OpenContainer(value, type, &open)) return false;
    } else if (!CheckScalar(value, type)) {
      return false;
    }
    switch (NextValue(&open, &value)) {
      case Next::kValue: continue;
      case Next::kDone: return true;
      case Next::kFault: return false;
    }
  }
}

bool RecordParser::OpenContainer(od::value& value, od::json_type type, std::vector<SkipLevel>* open) {
  SkipLevel level;
  level.is_object = type == od::json_type::object;
  if (level.is_object) {
    od::object object;
    if (auto error = value.get_object().get(object)) return Fault(error);
    if (auto error = object.begin().get(level.field)) return Fault(error);
    if (auto error = object.end().get(level.fields_end)) return Fault(error);
  } else {
    od::array array;
    if (auto error = value.get_array().get(array)) return Fault(error);
    if (auto error = array.begin().get(level.element)) return Fault(error);
    if (auto error = array.end().get(level.elements_end)) return Fault(error);
  }
  open->push_back(level);
  return true;
}

// The next value to check: the next element of the innermost open
// container, closing the containers that are exhausted.
RecordParser::Next RecordParser::NextValue(std::vector<SkipLevel>* open, od::value* value) {
  while (!open->empty()) {
    SkipLevel& level = open->back();
    if (level.is_object) {
      if (level.taken) ++level.field;
      if (level.field != level.fields_end) {
        od::field field;
        if (auto error = (*level.field).get(field)) {
          Fault(error);
          return Next::kFault;
        }
        RawString key;
        if (!ReadKey(field, &key)) return Next::kFault;
        *value = field.value();
        level.taken = true;
        return Next::kValue;
      }
    } else {
      if (level.taken) ++level.element;
      if (level.element != level.elements_end) {
        if (auto error = (*level.element).get(*value)) {
          Fault(error);
          return Next::kFault;
        }
        level.taken = true;
        return Next::kValue;
      }
    }
    open->pop_back();
  }
  return Next::kDone;
}

bool RecordParser::CheckScalar(od::value& value, od::json_type type) {
  switch (type) {
    case od::json_type::string: {
      od::raw_json_string raw;
      if (auto error = value.get_raw_json_string().get(raw)) return Fault(error);
      const RawString text = ScanRawString(raw.raw());
      return text.plain || IsValidJsonStringText(text.text) ? true : Fault(kInvalidString);
    }
    case od::json_type::number: {
      JsonNumber number;
      return ParseJsonNumber(value.raw_json_token(), &number) ? true : Fault(kInvalidNumber);
    }
    case od::json_type::boolean: {
      const std::string_view token = TrimTrailingSpace(value.raw_json_token());
      return token == "true" || token == "false" ? true : Fault(kInvalidLiteral);
    }
    case od::json_type::null: return ConsumeNull(value);
    default: return Fault(simdjson::INCORRECT_TYPE);
  }
}

// ---- problems and record-level rules ---------------------------------------------------

bool RecordParser::Reject(RejectReason reason, const FieldPath& path, std::string detail) {
  problem_->found = true;
  problem_->reason = reason;
  problem_->field = path.str();
  problem_->detail = std::move(detail);
  return true;
}

bool RecordParser::RejectString(std::string_view raw, RejectReason reason, const FieldPath& path, std::string detail) {
  if (!IsValidJsonStringText(raw)) return Fault(kInvalidString);
  return Reject(reason, path, std::move(detail));
}

bool RecordParser::RejectWrongType(od::value& value, od::json_type type, const FieldPath& path, const char* expected) {
  Reject(RejectReason::kWrongType, path, std::string("expected ") + expected + ", got " + JsonTypeName(type));
  return SkipValue(value, 1);
}

bool RecordParser::RejectUnknownField(std::string_view prefix, std::string_view key_text, od::value& value) {
  RawString key;
  if (!CheckedKey(key_text, &key)) return false;
  if (IsShowableName(key)) {
    Reject(RejectReason::kUnknownField, FieldPath{prefix, key.text}, "unknown field");
  } else {
    // Strip the trailing '.' so the path names the enclosing object.
    const std::string_view parent = prefix.empty() ? prefix : prefix.substr(0, prefix.size() - 1);
    Reject(RejectReason::kUnknownField, FieldPath{"", parent},
           "unknown field (name not shown: field names use only A-Z a-z 0-9 _ . : / - without escapes)");
  }
  return SkipValue(value, 1);
}

void RecordParser::CheckParts() {
  if (std::optional<TokenPartsError> error = ValidateTokenParts(record_->tokens)) {
    Reject(RejectReason::kPartsExceedWhole,
           FieldPath{"token_usage.", kTokenTypeNames[static_cast<std::size_t>(error->part)]},
           std::move(error->message));
  }
}

// Required and cross-field rules, checked after every field was read. An LLM
// call may omit `vendor`: pricing takes it from the one table that knows the
// model (docs/pricing.md).
void RecordParser::CheckRecord() {
  const UsageRecord& r = *record_;
  if (r.event.empty()) {
    Reject(RejectReason::kMissingField, FieldPath{"", "event"}, "is required");
  } else if (!r.model.empty() && !r.has_token_usage) {
    Reject(RejectReason::kMissingField, FieldPath{"", "token_usage"}, "is required when \"model\" is set");
  } else if (r.has_token_usage && r.model.empty()) {
    Reject(RejectReason::kMissingField, FieldPath{"", "model"}, "is required when \"token_usage\" is set");
  } else if (has_units_ && r.vendor.empty()) {
    Reject(RejectReason::kMissingField, FieldPath{"", "vendor"}, "is required when \"units\" is set");
  }
}

void RecordParser::FinishRecord() {
  UsageRecord& r = *record_;
  if (!r.timestamp_given) r.timestamp_unix_ns = receive_time_unix_ns_;
  r.idempotency_key = IdempotencyKey(r, batch_);
}

}  // namespace lce::ingest_detail

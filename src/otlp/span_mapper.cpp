// AppendOtlpSpan: one decoded span -> a validated UsageRecord or a per-span
// error (the mapping of docs/otlp.md). Every value goes through the usage
// record's own rules (ValidateLabelValue, the id rules, the parts rule), so
// an OTLP record is exactly as trustworthy as a /v1/usage record. Strings
// the record keeps are copied into the batch's arena: the span's views die
// with the decoder's callback.
#include <algorithm>
#include <array>
#include <limits>
#include <string>
#include <utility>

#include "llm_cost_exporter/otlp.h"

namespace lce {
namespace {

// An attribute found for a record field, and where.
struct Found {
  const OtlpAttribute* attribute = nullptr;
  bool on_resource = false;

  explicit operator bool() const { return attribute != nullptr; }
  const OtlpValue& value() const { return attribute->value; }
  // The error field: the attribute key, "resource." + key on the resource.
  std::string field() const {
    return on_resource ? "resource." + std::string(attribute->key) : std::string(attribute->key);
  }
};

// The last attribute named `key` with a value (OTLP keys are unique; if one
// repeats, the last wins, as for usage record fields).
const OtlpAttribute* FindAttribute(std::span<const OtlpAttribute> attributes, std::string_view key) {
  const OtlpAttribute* found = nullptr;
  for (const OtlpAttribute& attribute : attributes) {
    if (attribute.key == key && attribute.value.kind != OtlpValue::Kind::kEmpty) found = &attribute;
  }
  return found;
}

// The first of `keys` present in `attributes`.
Found FindFirst(std::span<const OtlpAttribute> attributes, const std::vector<std::string>& keys, bool on_resource) {
  for (const std::string& key : keys) {
    if (const OtlpAttribute* attribute = FindAttribute(attributes, key)) return Found{attribute, on_resource};
  }
  return {};
}

const char* KindName(OtlpValue::Kind kind) {
  switch (kind) {
    case OtlpValue::Kind::kString: return "a stringValue";
    case OtlpValue::Kind::kInt: return "an intValue";
    case OtlpValue::Kind::kDouble: return "a doubleValue";
    case OtlpValue::Kind::kBool: return "a boolValue";
    case OtlpValue::Kind::kOther: return "an array, kvlist or bytes value";
    case OtlpValue::Kind::kEmpty: break;
  }
  return "an empty value";
}

// The name used in messages for the first key of a list ("" lists: `fallback`).
std::string FirstKey(const std::vector<std::string>& keys, const char* fallback) {
  return keys.empty() ? std::string(fallback) : keys.front();
}

bool Contains(const std::vector<std::string>& values, std::string_view value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

// Span status codes (OtlpSpan::status_code).
constexpr std::int32_t kStatusOk = 1;
constexpr std::int32_t kStatusError = 2;

// Whether the span failed: status ERROR, or an HTTP status >= 400 unless the
// status is OK. OK is the application's explicit final word (the
// specification lets only the application or operator set it), so it
// overrides the HTTP status: e.g. a 404 the application expects.
bool Failed(std::int32_t status_code, std::uint16_t http_status) {
  if (status_code == kStatusError) return true;
  return status_code != kStatusOk && http_status >= 400;
}

// Maps one span; the first problem found rejects it.
class SpanMapper {
 public:
  SpanMapper(const OtlpSpan& span, const OtlpOptions& otlp, const IngestOptions& ingest, Batch* batch)
      : span_(span), keys_(otlp.attributes), otlp_(otlp), ingest_(ingest), batch_(*batch) {}

  // Fills *record; false when the span is rejected (see error()).
  bool Map(UsageRecord* record, std::int64_t receive_time_unix_ns) {
    UsageRecord& r = *record;
    if (!ReadIds(&r) || !ReadTimes(&r, receive_time_unix_ns)) return false;
    if (!ReadLabel(FindFirst(span_.resource_attributes, keys_.service, true), &r.service) ||
        !ReadLabel(SpanOrResource(keys_.campaign_id), &r.campaign_id) ||
        !ReadLabel(SpanOrResource(keys_.audience_id), &r.audience_id) || !ReadOperation(&r) || !ReadStatus(&r) ||
        !ReadGenAi(&r)) {
      return false;
    }
    r.failed = Failed(span_.status_code, r.vendor_status);
    r.idempotency_key = IdempotencyKey(r, batch_);
    return true;
  }

  RejectReason reason() const { return reason_; }
  std::string& field() { return field_; }
  // "span 3: attribute \"campaign_id\": looks like ...".
  std::string Message(std::size_t index) const {
    std::string message = "span " + std::to_string(index) + ": ";
    message.append(field_kind_).append(" \"").append(field_).append("\": ").append(detail_);
    return message;
  }

 private:
  bool Reject(RejectReason reason, std::string field, std::string detail, const char* field_kind) {
    reason_ = reason;
    field_ = std::move(field);
    detail_ = std::move(detail);
    field_kind_ = field_kind;
    return false;
  }
  bool RejectSpanField(RejectReason reason, const char* field, std::string detail) {
    return Reject(reason, field, std::move(detail), "field");
  }
  bool RejectAttribute(RejectReason reason, const Found& found, std::string detail) {
    return Reject(reason, found.field(), std::move(detail), found.on_resource ? "resource attribute" : "attribute");
  }

  Found SpanOrResource(const std::vector<std::string>& keys) const {
    if (Found found = FindFirst(span_.attributes, keys, false)) return found;
    return FindFirst(span_.resource_attributes, keys, true);
  }

  bool ReadIds(UsageRecord* r) {
    if (span_.trace_id.empty()) return RejectSpanField(RejectReason::kMissingField, "traceId", "is required");
    if (span_.span_id.empty()) return RejectSpanField(RejectReason::kMissingField, "spanId", "is required");
    if (!IsValidTraceId(span_.trace_id)) {
      return RejectSpanField(RejectReason::kInvalidId, "traceId", "must be 32 hex characters, not all zero");
    }
    if (!IsValidSpanId(span_.span_id)) {
      return RejectSpanField(RejectReason::kInvalidId, "spanId", "must be 16 hex characters, not all zero");
    }
    r->trace_id = batch_.Keep(span_.trace_id);
    r->span_id = batch_.Keep(span_.span_id);
    return true;
  }

  // timestamp = end time (else receive time); latency = end - start when both are set.
  bool ReadTimes(UsageRecord* r, std::int64_t receive_time_unix_ns) {
    const std::uint64_t start = span_.start_time_unix_nano;
    const std::uint64_t end = span_.end_time_unix_nano;
    constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (end > kMax) return RejectSpanField(RejectReason::kOutOfRange, "endTimeUnixNano", "is after the year 2262");
    if (end == 0) {
      r->timestamp_unix_ns = receive_time_unix_ns;
      return true;
    }
    r->timestamp_unix_ns = static_cast<std::int64_t>(end);
    r->timestamp_given = true;
    if (start == 0) return true;
    if (end < start) {
      return RejectSpanField(RejectReason::kOutOfRange, "endTimeUnixNano", "is before startTimeUnixNano");
    }
    const auto latency_us = static_cast<std::int64_t>((end - start) / 1000 + ((end - start) % 1000 >= 500 ? 1 : 0));
    if (latency_us > kMaxLatencyUs) {
      return RejectSpanField(RejectReason::kOutOfRange, "endTimeUnixNano",
                             "is more than 7 days after startTimeUnixNano (the longest latency a record may have)");
    }
    r->has_latency = true;
    r->latency_us = latency_us;
    return true;
  }

  // A label-bound string attribute (absent: *out stays empty).
  bool ReadLabel(const Found& found, std::string_view* out) {
    if (!found) return true;
    if (found.value().kind != OtlpValue::Kind::kString) {
      return RejectAttribute(RejectReason::kWrongType, found,
                             std::string("expected a stringValue, got ") + KindName(found.value().kind));
    }
    return KeepLabel(found.value().string, found, out);
  }

  bool KeepLabel(std::string_view value, const Found& found, std::string_view* out) {
    if (std::optional<FieldError> error = ValidateLabelValue(value, ingest_.max_label_length)) {
      return RejectAttribute(error->reason, found, std::move(error->message));
    }
    *out = batch_.Keep(value);
    return true;
  }

  // gen_ai.operation.name, else the span name with spaces as '_'
  // ("chat gpt-4o" -> "chat_gpt-4o"), else none.
  bool ReadOperation(UsageRecord* r) {
    if (const Found found = FindFirst(span_.attributes, keys_.operation, false)) return ReadLabel(found, &r->operation);
    if (span_.name.empty()) return true;
    std::string name(span_.name);
    std::replace(name.begin(), name.end(), ' ', '_');
    if (std::optional<FieldError> error = ValidateLabelValue(name, ingest_.max_label_length)) {
      return RejectSpanField(error->reason, "name", std::move(error->message));
    }
    r->operation = batch_.Keep(name);
    return true;
  }

  bool ReadStatus(UsageRecord* r) {
    const Found found = FindFirst(span_.attributes, keys_.vendor_status, false);
    if (!found) return true;
    if (found.value().kind != OtlpValue::Kind::kInt) {
      return RejectAttribute(RejectReason::kWrongType, found,
                             std::string("expected an intValue, got ") + KindName(found.value().kind));
    }
    const std::int64_t code = found.value().int_value;
    if (code < 100 || code > 599) {
      return RejectAttribute(RejectReason::kOutOfRange, found,
                             "must be an HTTP status code from 100 to 599 (got " + std::to_string(code) + ")");
    }
    r->vendor_status = static_cast<std::uint16_t>(code);
    return true;
  }

  // A token count attribute; *found_out is set when present.
  bool ReadCount(const std::vector<std::string>& keys, std::uint64_t* out, Found* found_out) {
    const Found found = FindFirst(span_.attributes, keys, false);
    *found_out = found;
    if (!found) return true;
    if (found.value().kind != OtlpValue::Kind::kInt) {
      return RejectAttribute(RejectReason::kWrongType, found,
                             std::string("expected a non-negative intValue, got ") + KindName(found.value().kind));
    }
    if (found.value().int_value < 0) return RejectAttribute(RejectReason::kOutOfRange, found, "must not be negative");
    if (static_cast<std::uint64_t>(found.value().int_value) > kMaxTokensPerRecord) {
      return RejectAttribute(RejectReason::kOutOfRange, found, CountAboveBoundMessage(kMaxTokensPerRecord));
    }
    *out = static_cast<std::uint64_t>(found.value().int_value);
    return true;
  }

  bool ReadGenAi(UsageRecord* r) {
    TokenUsage& t = r->tokens;
    std::array<Found, kTokenTypeCount> counts;
    const std::array<const std::vector<std::string>*, kTokenTypeCount> keys = {
        &keys_.input_tokens,       &keys_.output_tokens,    &keys_.cached_input_tokens,
        &keys_.cache_write_tokens, &keys_.reasoning_tokens, &keys_.cache_write_1h_tokens};
    bool any_count = false;
    for (std::size_t i = 0; i < kTokenTypeCount; ++i) {
      if (!ReadCount(*keys[i], &t.count[i], &counts[i])) return false;
      any_count = any_count || static_cast<bool>(counts[i]);
    }
    const Found model = FindFirst(span_.attributes, keys_.model, false);
    if (!model && !any_count) {  // not a GenAI call: a plain span
      r->event = batch_.Keep(otlp_.span_event);
      return true;
    }
    r->event = batch_.Keep(otlp_.llm_event);
    if (!model) {
      return Reject(RejectReason::kMissingField, FirstKey(keys_.model, "model"), "is required when token usage is set",
                    "attribute");
    }
    if (!ReadLabel(model, &r->model)) return false;
    // Without a vendor attribute, pricing takes the vendor from the model.
    if (const Found vendor = FindFirst(span_.attributes, keys_.vendor, false)) {
      if (vendor.value().kind != OtlpValue::Kind::kString) {
        return RejectAttribute(RejectReason::kWrongType, vendor,
                               std::string("expected a stringValue, got ") + KindName(vendor.value().kind));
      }
      std::string normalized;
      if (!KeepLabel(NormalizeOtlpVendor(vendor.value().string, &normalized), vendor, &r->vendor)) return false;
    }
    r->has_token_usage = true;
    if (Contains(otlp_.disjoint_cache_vendors, r->vendor)) {
      // Each part is within the bound, so the sum cannot overflow.
      const std::uint64_t input = t[TokenType::kInput] + t[TokenType::kCachedInput] + t[TokenType::kCacheWrite];
      if (input > kMaxTokensPerRecord) {
        return Reject(RejectReason::kOutOfRange, FirstKey(keys_.input_tokens, "input_tokens"),
                      "input + cache read + cache write tokens " + CountAboveBoundMessage(kMaxTokensPerRecord),
                      "attribute");
      }
      t[TokenType::kInput] = input;
    }
    if (std::optional<TokenPartsError> error = ValidateTokenParts(t)) {
      const auto part = static_cast<std::size_t>(error->part);
      const Found& reported = counts[part];
      return reported ? RejectAttribute(RejectReason::kPartsExceedWhole, reported, std::move(error->message))
                      : Reject(RejectReason::kPartsExceedWhole, FirstKey(*keys[part], "tokens"),
                               std::move(error->message), "attribute");
    }
    return true;
  }

  const OtlpSpan& span_;
  const OtlpAttributeKeys& keys_;
  const OtlpOptions& otlp_;
  const IngestOptions& ingest_;
  Batch& batch_;
  RejectReason reason_ = RejectReason::kMissingField;
  std::string field_;
  std::string detail_;
  const char* field_kind_ = "field";
};

}  // namespace

void AppendOtlpSpan(const OtlpSpan& span, const OtlpOptions& otlp, const IngestOptions& ingest,
                    std::int64_t receive_time_unix_ns, Batch* batch) {
  const std::size_t index = batch->total++;
  SpanMapper mapper(span, otlp, ingest, batch);
  UsageRecord record;
  if (mapper.Map(&record, receive_time_unix_ns)) {
    batch->records.push_back(std::move(record));
    batch->record_index.push_back(index);
    return;
  }
  std::string message = mapper.Message(index);
  batch->errors.push_back(RecordError{index, std::move(mapper.field()), mapper.reason(), std::move(message)});
}

}  // namespace lce

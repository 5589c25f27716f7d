// RecordParser: one usage record from a simdjson On-Demand object into a
// UsageRecord, zero-copy, without exceptions.
//
// Outcomes of every Parse* / Skip* call:
//   - returns false: the JSON itself is malformed (fault() says why); the
//     caller turns that into a body error (kJson) or a kMalformedJson record
//     (kNdjson). The record is garbage.
//   - returns true and problem->found: the record is rejected; problem holds
//     the first problem found. The rest of the record was still walked and
//     checked to be valid JSON, so a rejection never hides a malformed body.
//   - returns true and !problem->found: the record is accepted and complete
//     (timestamp defaulted, idempotency key built).
//
// String fields are views into the buffer simdjson iterates over, which the
// caller keeps alive (Batch::Buffer). Internal to the ingest module.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "json_text.h"
#include "llm_cost_exporter/ingest.h"
#include "llm_cost_exporter/usage_record.h"

namespace lce::ingest_detail {

// Values nested deeper than this (counted from the record object) are a
// fault: records are at most 2 levels deep, and walking is recursive.
inline constexpr int kMaxNestingDepth = 64;

// The top-level fields of a usage record.
enum class RecordField : std::uint8_t {
  kUnknown,
  kEvent,
  kEventId,
  kTimestamp,
  kService,
  kOperation,
  kCampaignId,
  kAudienceId,
  kDecisionId,
  kTraceId,
  kSpanId,
  kVendor,
  kModel,
  kServiceTier,
  kTokenUsage,
  kUnits,
  kAttempt,
  kReservationId,
  kLatencyMs,
  kVendorStatus,
  kHashEmail,
  kPromptVersion,
};

// The field a key names; kUnknown for anything else (including keys written
// with escapes, which are never decoded).
RecordField LookupRecordField(std::string_view key) noexcept;

// "an object", "a string", ... for messages.
const char* JsonTypeName(simdjson::ondemand::json_type type);

// Why a text is not readable JSON.
struct JsonFault {
  simdjson::error_code code = simdjson::SUCCESS;
  const char* detail = nullptr;  // our own finding (static text), else code

  // A full sentence, e.g. "invalid JSON: invalid number".
  std::string Describe() const;
};

// The first problem of a rejected record.
struct Problem {
  bool found = false;
  RejectReason reason = RejectReason::kMalformedJson;
  std::string field;   // dotted path, "" for the record itself
  std::string detail;  // never contains a string value from the record
};

// A field path built lazily (only when a problem is reported):
// prefix "token_usage." + name "cached_input".
struct FieldPath {
  std::string_view prefix;
  std::string_view name;
  std::string str() const { return std::string(prefix).append(name); }
};

class RecordParser {
 public:
  // Records are parsed for `batch`, which keeps a record's derived
  // idempotency key (IdempotencyKey).
  RecordParser(const IngestOptions& options, std::int64_t receive_time_unix_ns, Batch& batch) noexcept
      : options_(options), receive_time_unix_ns_(receive_time_unix_ns), batch_(batch) {}

  // A record that is the document root (a single-object body, an NDJSON
  // line). Also faults on content after the object.
  [[nodiscard]] bool ParseRootRecord(simdjson::ondemand::document& doc, UsageRecord* record, Problem* problem);
  // A record that is an object value (an element of a body array).
  [[nodiscard]] bool ParseRecordValue(simdjson::ondemand::value& value, UsageRecord* record, Problem* problem);
  // Checks that a value is well-formed JSON and discards it.
  [[nodiscard]] bool SkipValue(simdjson::ondemand::value& value, int depth);
  // Records a fault found by the caller (e.g. trailing content).
  bool Fault(simdjson::error_code code);
  bool Fault(const char* detail);

  const JsonFault& fault() const { return fault_; }

 private:
  // SkipValue's parts (see record_parser.cpp).
  struct SkipLevel;
  enum class Next { kValue, kDone, kFault };
  bool OpenContainer(simdjson::ondemand::value& value, simdjson::ondemand::json_type type,
                     std::vector<SkipLevel>* open);
  Next NextValue(std::vector<SkipLevel>* open, simdjson::ondemand::value* value);
  bool CheckScalar(simdjson::ondemand::value& value, simdjson::ondemand::json_type type);
  bool ParseObject(simdjson::ondemand::object& object);
  bool HandleField(std::string_view key, simdjson::ondemand::value& value);
  bool Dispatch(RecordField field, simdjson::ondemand::value& value, simdjson::ondemand::json_type type);
  template <typename Handler>
  bool ForEachField(simdjson::ondemand::object& object, int depth, Handler&& handle);
  // Scans and validates a key (cold: fields of an already rejected record).
  bool ReadKey(simdjson::ondemand::field& field, RawString* key);
  // Validates a key text from ForEachField that matched no schema name.
  bool CheckedKey(std::string_view key, RawString* out);

  // Field kinds.
  bool ReadLabel(simdjson::ondemand::value& value, simdjson::ondemand::json_type type, std::string_view name,
                 std::string_view* out);
  bool ReadRecordId(simdjson::ondemand::value& value, simdjson::ondemand::json_type type, std::string_view name,
                    std::string_view* out);
  bool ReadHexId(simdjson::ondemand::value& value, simdjson::ondemand::json_type type, std::string_view name,
                 std::size_t hex_length, std::string_view* out);
  bool ReadHashEmail(simdjson::ondemand::value& value, simdjson::ondemand::json_type type);
  bool ReadTimestamp(simdjson::ondemand::value& value, simdjson::ondemand::json_type type);
  bool ReadTokenUsage(simdjson::ondemand::value& value, simdjson::ondemand::json_type type);
  bool ReadUnits(simdjson::ondemand::value& value, simdjson::ondemand::json_type type);
  bool ReadAttempt(simdjson::ondemand::value& value, simdjson::ondemand::json_type type);
  bool ReadLatency(simdjson::ondemand::value& value, simdjson::ondemand::json_type type);
  bool ReadVendorStatus(simdjson::ondemand::value& value, simdjson::ondemand::json_type type);

  // JSON value kinds.
  bool ReadString(simdjson::ondemand::value& value, simdjson::ondemand::json_type type, const FieldPath& path,
                  std::string_view* out);
  bool ReadNumber(simdjson::ondemand::value& value, simdjson::ondemand::json_type type, const FieldPath& path,
                  const char* expected, JsonNumber* out);
  // ReadUint64, then out_of_range above `max` (a record bound of usage_record.h).
  bool ReadBoundedCount(simdjson::ondemand::value& value, simdjson::ondemand::json_type type, const FieldPath& path,
                        std::uint64_t max, std::uint64_t* out);
  bool ReadUint64(simdjson::ondemand::value& value, simdjson::ondemand::json_type type, const FieldPath& path,
                  std::uint64_t* out);
  bool ConsumeNull(simdjson::ondemand::value& value);

  // Problems.
  bool Reject(RejectReason reason, const FieldPath& path, std::string detail);
  bool RejectWrongType(simdjson::ondemand::value& value, simdjson::ondemand::json_type type, const FieldPath& path,
                       const char* expected);
  // For a string (key or value) its field rule refused: a fault when the text
  // is not valid JSON string text (malformed JSON outranks a rejection),
  // else the rejection. Returns like Reject / Fault.
  bool RejectString(std::string_view raw, RejectReason reason, const FieldPath& path, std::string detail);
  bool RejectUnknownField(std::string_view prefix, std::string_view key_text, simdjson::ondemand::value& value);
  bool Rejected() const { return problem_->found; }
  void CheckParts();
  void CheckRecord();
  void FinishRecord();

  const IngestOptions& options_;
  std::int64_t receive_time_unix_ns_;
  Batch& batch_;
  UsageRecord* record_ = nullptr;
  Problem* problem_ = nullptr;
  bool has_units_ = false;
  JsonFault fault_;
};

}  // namespace lce::ingest_detail

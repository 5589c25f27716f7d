// Ingest: turns a request body (one JSON record, a JSON array, or NDJSON) into
// validated UsageRecords plus precise per-record errors.
//
// The hot path uses simdjson (On-Demand) and keeps string fields as views into
// the batch's own padded copy of the body (ParseBatch) or into the caller's
// body itself (ParseBatchInPlace), so parsing allocates little.
// Functions here are thread-safe; a Batch is a plain value owned by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llm_cost_exporter/status.h"
#include "llm_cost_exporter/timestamp.h"
#include "llm_cost_exporter/usage_record.h"

namespace lce {

// Machine-readable reason of a rejection; also the `reason` label of
// llm_cost_exporter_records_rejected_total, so the set is small and fixed.
enum class RejectReason : std::uint8_t {
  kMalformedJson,  // an NDJSON line that is not JSON
  kNotAnObject,    // the record is not a JSON object
  kMissingField,   // a required field is absent
  kWrongType,      // e.g. a string where a number belongs
  kOutOfRange,    // negative or too large a count, attempt < 1, status outside 100..599, cost beyond the ledger's range
  kUnknownField,  // a field the schema does not define
  kInvalidLabel,  // label-bound value with forbidden characters or too long
  kLooksLikeEmail,     // label-bound value that looks like an e-mail address
  kLooksLikePhone,     // label-bound value that looks like a phone number
  kInvalidHash,        // hash_email is not a hex digest
  kInvalidId,          // trace_id / span_id / event_id malformed
  kInvalidTimestamp,   // timestamp is not RFC 3339
  kPartsExceedWhole,   // cached_input + cache_write > input, or reasoning > output
  kForbiddenCampaign,  // the caller's API key may not write this campaign
  kLooksLikeSecret,    // label-bound value that looks like an API key or token
  kConflict,           // the idempotency key was already used for a record with other content
};
inline constexpr std::size_t kRejectReasonCount = 16;
std::string_view RejectReasonName(RejectReason reason);  // "missing_field", ...

struct RecordError {
  std::size_t index = 0;  // 0-based position of the record in the batch
  std::string field;      // dotted path, e.g. "token_usage.cached_input"; "" for the record itself
  RejectReason reason = RejectReason::kMalformedJson;
  std::string message;  // human readable, never echoes the offending value
};

enum class BodyFormat { kJson, kNdjson };

struct IngestOptions {
  std::size_t max_label_length = 128;
  // Records (or OTLP spans) in one request; a larger request is refused
  // whole with 413 (nothing counted), so the client can split it.
  std::size_t max_records_per_batch = 10000;
};

// The parsed body. Records reference memory owned by the batch (and, when
// parsed in place, the caller's body): keep both alive while its records
// are used. Move-only; a Batch belongs to one
// thread at a time (no member is thread-safe).
class Batch {
 public:
  Batch();
  Batch(Batch&&) noexcept;
  Batch& operator=(Batch&&) noexcept;
  ~Batch();

  // Copies `text` into memory owned by the batch (its Buffer's arena) and
  // returns a view of the copy. The copy never moves: it stays valid as long
  // as the batch, through moves of the batch, like the views into the body.
  // For record sources that build or decode strings instead of viewing the
  // body (the OTLP mapping). Throws std::bad_alloc like any allocation.
  std::string_view Keep(std::string_view text);

  std::vector<UsageRecord> records;       // the valid records, in body order
  std::vector<std::size_t> record_index;  // record_index[i] = batch position of records[i]
  std::vector<RecordError> errors;        // one per rejected record, in body order
  std::size_t total = 0;                  // records seen (valid + rejected)

  struct Buffer;  // owns the padded body and the Keep() arena
  std::unique_ptr<Buffer> buffer;
};

// Parses and validates a body. Records without a timestamp get
// `receive_time_unix_ns`. Returns a non-ok Status only when the body as a
// whole cannot be read (for kJson: not JSON, or neither an object nor an array
// of objects), with the parser's byte position in the message; otherwise
// every record is either in `records` or described in `errors`.
// `first_index` is the body position of the first record: a part of a
// larger NDJSON body (SplitNdjson) numbers its records, in record_index and
// in errors, from the records of the parts before it.
Result<Batch> ParseBatch(std::string_view body, BodyFormat format, const IngestOptions& options,
                         std::int64_t receive_time_unix_ns, std::size_t first_index = 0);

// The bytes past the end of a text that the parser may read (it never
// interprets them): what ParseBatchInPlace needs beyond the text.
inline constexpr std::size_t kBodyPadding = 64;

// ParseBatch without copying the body: the records are views into `body`,
// which the caller keeps alive and unchanged for as long as the Batch's
// records are used. `part` is the text to parse: all of `body`, or a piece
// of it (an NDJSON part from SplitNdjson). The parser reads up to
// kBodyPadding bytes past the end of `part`, within `body`'s capacity; when
// `body` has less room than that past `part` (a body not padded with
// PadBody), the part is copied as ParseBatch does. Results are the same as
// ParseBatch's.
Result<Batch> ParseBatchInPlace(const std::string& body, std::string_view part, BodyFormat format,
                                const IngestOptions& options, std::int64_t receive_time_unix_ns,
                                std::size_t first_index = 0);

// Gives `body` kBodyPadding bytes of initialized capacity past its end, as
// ParseBatchInPlace wants; reallocates only when its capacity is short (a
// reader that reserves size + kBodyPadding up front never pays a copy).
void PadBody(std::string& body);

// An NDJSON body cut into parts of about `part_bytes` (at least one line
// each), every cut just after a newline, so each part is whole lines and
// parsing the parts in order sees exactly the records of the body.
std::vector<std::string_view> SplitNdjson(std::string_view body, std::size_t part_bytes);

// The records an NDJSON body holds (its lines that are not blank), as
// ParseBatch counts them in Batch::total.
std::size_t CountNdjsonRecords(std::string_view body);

// Moves every valid record for which `why` returns a message into
// batch->errors (reason `reason`, field `field`), keeping body order in both
// lists; used for checks that need the caller (API key scopes).
void RejectRecords(Batch* batch, RejectReason reason, std::string_view field,
                   const std::function<std::optional<std::string>(const UsageRecord&)>& why);

// A value that breaks a field rule: why (the `reason` label) and a message
// that never echoes the value.
struct FieldError {
  RejectReason reason = RejectReason::kInvalidLabel;
  std::string message;
};

// Validation building blocks, shared with other record sources (OTLP). Each
// returns nullopt when the value passes (allocating nothing), else the error.
//
// The label rule.
std::optional<FieldError> ValidateLabelValue(std::string_view value, std::size_t max_length);
inline bool IsValidLabelValue(std::string_view value, std::size_t max_length) {
  return !ValidateLabelValue(value, max_length).has_value();
}
// trace_id rule: exactly 32 hex digits (either case), not all zero.
bool IsValidTraceId(std::string_view value) noexcept;
// span_id rule: exactly 16 hex digits (either case), not all zero.
bool IsValidSpanId(std::string_view value) noexcept;
// The parts rule of token counts broken (reason kPartsExceedWhole): the part
// reported (kCachedInput or kReasoning) and the message.
struct TokenPartsError {
  TokenType part = TokenType::kCachedInput;
  std::string message;
};
// The parts rule: cached_input + cache_write <= input and reasoning <= output.
std::optional<TokenPartsError> ValidateTokenParts(const TokenUsage& tokens);
// The out_of_range message for a count above its record bound
// (kMaxTokensPerRecord, kMaxUnitsPerRecord): "must be at most N per record".
std::string CountAboveBoundMessage(std::uint64_t max);
// The content fingerprint stored with a record's idempotency key: the same
// key with a different fingerprint is a conflict, not a duplicate. Covers
// every field that changes price, budgets or metrics: event, timestamp (when
// given), service, operation, campaign_id, audience_id, vendor, model,
// service_tier, prompt_version, reservation_id, token_usage, units (in any
// order), attempt, latency, vendor_status and the failed flag; not the ids
// (event_id, trace_id, span_id, decision_id) nor hash_email. Stable across
// versions and restarts (XXH3-64 of a fixed encoding); never 0.
std::uint64_t RecordFingerprint(const UsageRecord& record);
// The idempotency key: event_id (a view of it), else "t:<trace>:<span>:<event>"
// when trace_id and span_id are set (built and kept in `batch`, Batch::Keep),
// else "" (also when that copy cannot be allocated: the record is then not
// deduplicated). Valid as long as the record's other views.
std::string_view IdempotencyKey(const UsageRecord& record, Batch& batch);

}  // namespace lce

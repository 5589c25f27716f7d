// Invariants of ParseBatch shared by the usage_json and usage_ndjson fuzz
// targets (docs/usage-record.md is the contract they check; the record and
// batch checks below serve the OTLP targets too, see otlp_checks.h):
//   - every record seen ends up in exactly one of records / errors, in body
//     order, and record_index / error indices partition 0 .. total-1;
//   - every accepted record satisfies the schema's rules (labels, ids,
//     token parts, cross-field rules, idempotency key) and the record
//     bounds (token and unit counts, latency);
//   - record strings are views into the batch's own copy of the body: never
//     into the caller's buffer, at the same relative positions as in the
//     body, and still readable after the caller's buffer is freed and the
//     batch is moved (AddressSanitizer reports the read otherwise);
//   - parsing a padded copy in place (ParseBatchInPlace) gives the same batch;
//   - messages are printable ASCII ("error messages never quote the input")
//     and start with "record <index>: ";
//   - JSON validity agrees with nlohmann::json (an independent parser):
//     nothing malformed is accepted or rejected as a record ("a rejection
//     never hides a malformed body"), and valid JSON within the nesting
//     limit is never refused as malformed;
//   - parsing is deterministic (the per-thread parser keeps no state that
//     changes a result).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "llm_cost_exporter/ingest.h"

namespace lce::fuzz {

inline constexpr std::int64_t kReceiveTimeUnixNs = 1'764'000'000'000'000'000;

// Depth (objects and arrays, counted from the root) up to which valid JSON
// must be read: the parser's limit is 64 levels below the record object.
inline constexpr int kSafeDepth = 60;

// What nlohmann::json (SAX, no DOM) sees in a text.
struct JsonShape {
  bool valid = false;
  // nlohmann refused the text for a rule stricter than RFC 8259's grammar,
  // which the ingest parser follows: a number beyond double's range, or an
  // unpaired UTF-16 surrogate escape (the parser never decodes escapes).
  bool stricter = false;
  char root = 0;                        // '{', '[', or 's' for a scalar
  int max_depth = 0;                    // deepest object / array nesting
  std::vector<bool> element_is_object;  // root array: one per element
};

JsonShape InspectJson(std::string_view text);

// Texts on which nlohmann::json and RFC 8259's grammar differ before any
// parse: a leading byte order mark (nlohmann skips it) and NUL bytes
// (nlohmann reads a NUL as the end of the input).
bool ComparableWithNlohmann(std::string_view text);

// Printable ASCII only (0x20 .. 0x7e): what error messages and fields may hold.
bool IsPrintableAscii(std::string_view text);

// Calls `visit` with every string view of a record.
void ForEachView(const UsageRecord& r, const std::function<void(std::string_view)>& visit);

// The schema's rules for an accepted record (labels, ids, token parts,
// cross-field rules, idempotency key); a record without a timestamp must
// carry kReceiveTimeUnixNs. Shared with the OTLP targets (otlp_checks.h).
void CheckRecord(const UsageRecord& r, const IngestOptions& options);

// Walks a batch in body order, checking that its records and errors
// partition 0 .. total-1 (each index exactly once, record_index and error
// indices ascending) and that every reason is known; calls on_record or
// on_error with each item's index.
void WalkBatch(const Batch& batch, const std::function<void(std::size_t, const UsageRecord&)>& on_record,
               const std::function<void(std::size_t, const RecordError&)>& on_error);

// The outcome of each record of a batch, by index: kAccepted or the
// rejection's reason.
inline constexpr int kAccepted = -1;
std::vector<int> Outcomes(const Batch& batch);

// Parses `data` as `format` from a heap copy, checks the batch, frees the
// copy, moves the batch and reads every view (a view into the freed copy is
// a heap-use-after-free), then parses again and compares; returns the result.
Result<Batch> ParseAndCheck(std::string_view data, BodyFormat format, const IngestOptions& options);

}  // namespace lce::fuzz

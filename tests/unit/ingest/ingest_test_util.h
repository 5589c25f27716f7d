// Helpers shared by the ingest tests.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

#include "llm_cost_exporter/ingest.h"

namespace lce::test {

inline constexpr std::int64_t kReceiveTime = 1'700'000'000'000'000'000;

// Every field of a record, as text, to compare two parses of one body.
inline std::string Describe(const UsageRecord& r) {
  std::ostringstream out;
  for (std::string_view text : {r.event, r.event_id, std::string_view(r.idempotency_key), r.service, r.operation,
                                r.campaign_id, r.audience_id, r.vendor, r.model, r.service_tier, r.prompt_version,
                                r.decision_id, r.trace_id, r.span_id, r.reservation_id, r.hash_email}) {
    out << '[' << text << ']';
  }
  out << r.timestamp_unix_ns << '/' << r.timestamp_given << '/' << r.has_token_usage;
  for (std::uint64_t count : r.tokens.count) out << ',' << count;
  for (const UnitCount& unit : r.units) out << ';' << unit.unit << '=' << unit.count;
  out << '/' << r.attempt << '/' << r.has_latency << '/' << r.latency_us << '/' << r.vendor_status << '/' << r.failed;
  return out.str();
}

inline std::string Describe(const Result<Batch>& result) {
  if (!result.ok()) return "status: " + result.status().message();
  std::ostringstream out;
  out << "total " << result->total << '\n';
  for (std::size_t i = 0; i < result->records.size(); ++i) {
    out << result->record_index[i] << ": " << Describe(result->records[i]) << '\n';
  }
  for (const RecordError& e : result->errors) {
    out << e.index << " [" << e.field << "] " << RejectReasonName(e.reason) << ' ' << e.message << '\n';
  }
  return out.str();
}

// ParseBatchInPlace of `body` (in a padded string of its own) must give
// what ParseBatch gave, and its records must point into that string.
inline void CheckInPlaceAgrees(std::string_view body, BodyFormat format, const IngestOptions& options,
                               const Result<Batch>& copied) {
  std::string padded(body);
  PadBody(padded);
  const Result<Batch> in_place = ParseBatchInPlace(padded, padded, format, options, kReceiveTime);
  INFO("body: " << body);
  CHECK(Describe(in_place) == Describe(copied));
  if (!in_place.ok()) return;
  for (const UsageRecord& r : in_place->records) {
    CHECK(r.event.data() >= padded.data());
    CHECK(r.event.data() + r.event.size() <= padded.data() + padded.size());
  }
}

// Parses a body that must be readable as a whole (and checks that parsing
// it in place gives the same batch).
inline Batch MustParse(std::string_view body, BodyFormat format = BodyFormat::kJson,
                       const IngestOptions& options = IngestOptions{}) {
  Result<Batch> result = ParseBatch(body, format, options, kReceiveTime);
  INFO("body: " << body);
  INFO("status: " << result.status().message());
  REQUIRE(result.ok());
  CheckInPlaceAgrees(body, format, options, result);
  return std::move(result).value();
}

// Parses a single-record body that must be accepted; the record is
// batch.records[0] (its views live as long as the returned batch).
inline Batch MustAccept(std::string_view body) {
  Batch batch = MustParse(body);
  INFO("body: " << body);
  INFO("first error: " << (batch.errors.empty() ? std::string("none") : batch.errors.front().message));
  REQUIRE(batch.errors.empty());
  REQUIRE(batch.records.size() == 1);
  return batch;
}

// A single-record body that must be rejected; returns its error.
inline RecordError MustReject(std::string_view body) {
  Batch batch = MustParse(body);
  INFO("body: " << body);
  REQUIRE(batch.records.empty());
  REQUIRE(batch.errors.size() == 1);
  REQUIRE(batch.total == 1);
  return batch.errors.front();
}

// An LLM call record with `extra` (a JSON fragment of fields) appended.
inline std::string LlmCall(std::string_view extra = {}) {
  std::string body = R"({"event":"llm.call","vendor":"openai","model":"gpt-4o","token_usage":{"input":10,"output":5})";
  if (!extra.empty()) body.append(",").append(extra);
  return body + "}";
}

// A business event record with `extra` appended.
inline std::string Event(std::string_view extra = {}) {
  std::string body = R"({"event":"email.sent")";
  if (!extra.empty()) body.append(",").append(extra);
  return body + "}";
}

}  // namespace lce::test

// Helpers shared by the ingest tests.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "llm_cost_exporter/ingest.h"

namespace lce::test {

inline constexpr std::int64_t kReceiveTime = 1'700'000'000'000'000'000;

// Parses a body that must be readable as a whole.
inline Batch MustParse(std::string_view body, BodyFormat format = BodyFormat::kJson,
                       const IngestOptions& options = IngestOptions{}) {
  Result<Batch> result = ParseBatch(body, format, options, kReceiveTime);
  INFO("body: " << body);
  INFO("status: " << result.status().message());
  REQUIRE(result.ok());
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

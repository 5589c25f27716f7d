// Helpers shared by the otlp tests: spans built in C++ (the neutral struct a
// JSON or protobuf decoder produces) and mapped one at a time.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "llm_cost_exporter/otlp.h"

namespace lce::test {

inline constexpr std::int64_t kReceiveTime = 1'700'000'000'000'000'000;
inline constexpr std::string_view kTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
inline constexpr std::string_view kSpanId = "00f067aa0ba902b7";

inline OtlpAttribute Str(std::string_view key, std::string_view value) {
  OtlpAttribute a{key, {}};
  a.value.kind = OtlpValue::Kind::kString;
  a.value.string = value;
  return a;
}

inline OtlpAttribute Int(std::string_view key, std::int64_t value) {
  OtlpAttribute a{key, {}};
  a.value.kind = OtlpValue::Kind::kInt;
  a.value.int_value = value;
  return a;
}

inline OtlpAttribute Dbl(std::string_view key, double value) {
  OtlpAttribute a{key, {}};
  a.value.kind = OtlpValue::Kind::kDouble;
  a.value.double_value = value;
  return a;
}

// A span and the attribute vectors its views point to.
struct SpanFixture {
  std::vector<OtlpAttribute> attributes;
  std::vector<OtlpAttribute> resource{Str("service.name", "email_orchestrator")};
  OtlpSpan span;

  SpanFixture() {
    span.trace_id = kTraceId;
    span.span_id = kSpanId;
    span.name = "chat gpt-4o";
    span.start_time_unix_nano = 1'772'366'400'000'000'000;
    span.end_time_unix_nano = 1'772'366'400'842'000'000;
  }

  const OtlpSpan& Get() {
    span.attributes = attributes;
    span.resource_attributes = resource;
    return span;
  }
};

// Maps one span into a fresh batch.
inline Batch MapOne(SpanFixture& fixture, const OtlpOptions& otlp = OtlpOptions{}) {
  Batch batch;
  AppendOtlpSpan(fixture.Get(), otlp, IngestOptions{}, kReceiveTime, &batch);
  REQUIRE(batch.total == 1);
  return batch;
}

// Maps one span that must be accepted; the record is batch.records[0].
inline Batch MustMap(SpanFixture& fixture, const OtlpOptions& otlp = OtlpOptions{}) {
  Batch batch = MapOne(fixture, otlp);
  INFO("first error: " << (batch.errors.empty() ? std::string("none") : batch.errors.front().message));
  REQUIRE(batch.errors.empty());
  REQUIRE(batch.records.size() == 1);
  return batch;
}

// Maps one span that must be rejected; returns its error.
inline RecordError MustRejectSpan(SpanFixture& fixture, const OtlpOptions& otlp = OtlpOptions{}) {
  Batch batch = MapOne(fixture, otlp);
  REQUIRE(batch.records.empty());
  REQUIRE(batch.errors.size() == 1);
  return batch.errors.front();
}

// The record of the JS exporter's sample chat span (the same span in the
// JSON and protobuf decoder tests): gpt-4o, 512 in / 128 out, 842 ms.
inline void CheckJsExporterChatRecord(const UsageRecord& r) {
  CHECK(r.service == "email_orchestrator");
  CHECK(r.campaign_id == "cmp_spring");
  CHECK(r.operation == "chat");
  CHECK(r.vendor == "openai");
  CHECK(r.model == "gpt-4o");
  CHECK(r.tokens[TokenType::kInput] == 512);
  CHECK(r.tokens[TokenType::kOutput] == 128);
  CHECK(r.timestamp_unix_ns == 1'772'366'400'842'000'000);
  CHECK(r.latency_us == 842'000);
}

}  // namespace lce::test

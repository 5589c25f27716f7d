// Schema key lookup (LookupRecordField, and token_usage keys through
// ParseBatch): every name found, every near miss refused.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "ingest_test_util.h"
#include "record_parser.h"

namespace lce::ingest_detail {
namespace {

const std::map<std::string, RecordField>& SchemaKeys() {
  using F = RecordField;
  static const std::map<std::string, RecordField> keys = {
      {"event", F::kEvent},
      {"event_id", F::kEventId},
      {"timestamp", F::kTimestamp},
      {"service", F::kService},
      {"operation", F::kOperation},
      {"campaign_id", F::kCampaignId},
      {"audience_id", F::kAudienceId},
      {"decision_id", F::kDecisionId},
      {"trace_id", F::kTraceId},
      {"span_id", F::kSpanId},
      {"vendor", F::kVendor},
      {"model", F::kModel},
      {"service_tier", F::kServiceTier},
      {"token_usage", F::kTokenUsage},
      {"units", F::kUnits},
      {"attempt", F::kAttempt},
      {"reservation_id", F::kReservationId},
      {"latency_ms", F::kLatencyMs},
      {"vendor_status", F::kVendorStatus},
      {"hash_email", F::kHashEmail},
      {"prompt_version", F::kPromptVersion},
  };
  return keys;
}

RecordField Expected(const std::string& key) {
  const auto it = SchemaKeys().find(key);
  return it == SchemaKeys().end() ? RecordField::kUnknown : it->second;
}

TEST_CASE("every schema key is found, and every one-byte change of it is not", "[ingest][fields][lookup]") {
  for (const auto& [name, field] : SchemaKeys()) {
    INFO("key " << name);
    CHECK(LookupRecordField(name) == field);
    for (std::size_t at = 0; at < name.size(); ++at) {
      for (int byte : {0x00, 0x20, 0x5f, 0x61, 0x7a, 0x41, 0x7f, 0x80, 0xff}) {
        std::string changed = name;
        changed[at] = static_cast<char>(byte);
        INFO("changed at " << at << " to " << byte);
        CHECK(LookupRecordField(changed) == Expected(changed));
      }
    }
    // A prefix or an extension of a name is another key.
    CHECK(LookupRecordField(name.substr(0, name.size() - 1)) == Expected(name.substr(0, name.size() - 1)));
    CHECK(LookupRecordField(name + "_") == RecordField::kUnknown);
  }
  for (std::size_t length = 0; length <= 40; ++length) {
    CHECK(LookupRecordField(std::string(length, 'e')) == RecordField::kUnknown);
  }
}

TEST_CASE("token_usage keys: each name counts, near misses are unknown fields", "[ingest][fields][lookup]") {
  const Batch batch = test::MustAccept(test::LlmCall(
      R"("token_usage":{"input":9,"output":8,"cached_input":3,"cache_write":2,"reasoning":1,"cache_write_1h":1})"));
  const TokenUsage& tokens = batch.records[0].tokens;
  CHECK(tokens[TokenType::kInput] == 9);
  CHECK(tokens[TokenType::kOutput] == 8);
  CHECK(tokens[TokenType::kCachedInput] == 3);
  CHECK(tokens[TokenType::kCacheWrite] == 2);
  CHECK(tokens[TokenType::kReasoning] == 1);
  CHECK(tokens[TokenType::kCacheWrite1h] == 1);
  for (const char* near : {"inpuT", "outpux", "cached_inpu_", "cache_writ3", "reasoninG", "cache_write_1H", "in"}) {
    const std::string body = test::LlmCall(std::string(R"("token_usage":{"input":9,")") + near + "\":1}");
    const RecordError error = test::MustReject(body);
    CHECK(error.reason == RejectReason::kUnknownField);
    CHECK(error.field == std::string("token_usage.") + near);
  }
}

}  // namespace
}  // namespace lce::ingest_detail

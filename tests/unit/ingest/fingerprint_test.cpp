// RecordFingerprint: equal for the same content, different when any field
// that changes price, budgets or metrics differs, blind to the ids.
#include <catch2/catch.hpp>

#include <string>

#include "ingest_test_util.h"
#include "llm_cost_exporter/ingest.h"

namespace lce {
namespace {

using test::MustAccept;

constexpr const char* kBase =
    R"("event":"llm.call","event_id":"evt_1","timestamp":"2026-04-02T10:15:00Z","service":"svc",)"
    R"("operation":"op","campaign_id":"cmp_a","audience_id":"aud_a","vendor":"openai","model":"gpt-4o",)"
    R"("service_tier":"default","prompt_version":"v1","reservation_id":"rsv_1",)"
    R"("token_usage":{"input":100,"output":20,"cached_input":10,"cache_write":5,"reasoning":3},)"
    R"("units":{"emails":1,"sms":2},"attempt":1,"latency_ms":842,"vendor_status":200)";

std::uint64_t FingerprintOf(const std::string& fields) {
  Batch batch = MustAccept("{" + fields + "}");
  return RecordFingerprint(batch.records[0]);
}

// kBase with the first occurrence of `from` replaced by `to`.
std::string With(std::string_view from, std::string_view to) {
  std::string fields = kBase;
  const std::size_t at = fields.find(from);
  REQUIRE(at != std::string::npos);
  fields.replace(at, from.size(), to);
  return fields;
}

TEST_CASE("the same content has the same fingerprint, whatever its ids or field order", "[ingest][fingerprint]") {
  const std::uint64_t base = FingerprintOf(kBase);
  CHECK(base != 0);
  CHECK(FingerprintOf(kBase) == base);
  // Not content: the ids and the e-mail digest.
  CHECK(FingerprintOf(With(R"("event_id":"evt_1")", R"("event_id":"evt_2")")) == base);
  CHECK(FingerprintOf(std::string(kBase) + R"(,"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736")"
                                           R"(,"span_id":"00f067aa0ba902b7","decision_id":"dec_1")"
                                           R"(,"hash_email":"7c4a8d09ca3762af61e59520943dc26494f8941b")") == base);
  // Field order and unit order are not content.
  CHECK(FingerprintOf(With(R"("units":{"emails":1,"sms":2})", R"("units":{"sms":2,"emails":1})")) == base);
  CHECK(FingerprintOf(R"("vendor_status":200,)" + With(R"(,"vendor_status":200)", "")) == base);
}

TEST_CASE("every field that changes what a record counts changes the fingerprint", "[ingest][fingerprint]") {
  const std::uint64_t base = FingerprintOf(kBase);
  struct Change {
    const char* from;
    const char* to;
  };
  for (const Change& c : {
           Change{R"("event":"llm.call")", R"("event":"llm.chat")"},
           Change{R"(10:15:00Z")", R"(10:15:01Z")"},
           Change{R"("service":"svc")", R"("service":"svc2")"},
           Change{R"("operation":"op")", R"("operation":"op2")"},
           Change{R"("campaign_id":"cmp_a")", R"("campaign_id":"cmp_b")"},
           Change{R"("audience_id":"aud_a")", R"("audience_id":"aud_b")"},
           Change{R"("vendor":"openai")", R"("vendor":"azure")"},
           Change{R"("model":"gpt-4o")", R"("model":"gpt-4o-mini")"},
           Change{R"("service_tier":"default")", R"("service_tier":"batch")"},
           Change{R"("prompt_version":"v1")", R"("prompt_version":"v2")"},
           Change{R"("reservation_id":"rsv_1")", R"("reservation_id":"rsv_2")"},
           Change{R"("input":100)", R"("input":101)"},
           Change{R"("output":20)", R"("output":21)"},
           Change{R"("cached_input":10)", R"("cached_input":11)"},
           Change{R"("cache_write":5)", R"("cache_write":6)"},
           Change{R"("reasoning":3)", R"("reasoning":4)"},
           Change{R"("emails":1)", R"("emails":3)"},
           Change{R"("emails":1)", R"("email":1)"},
           Change{R"("attempt":1)", R"("attempt":2)"},
           Change{R"("latency_ms":842)", R"("latency_ms":842.001)"},
           Change{R"("vendor_status":200)", R"("vendor_status":201)"},
           Change{R"(,"prompt_version":"v1")", ""},
       }) {
    INFO(c.from << " -> " << c.to);
    CHECK(FingerprintOf(With(c.from, c.to)) != base);
  }
}

TEST_CASE("absent and empty optional values are told apart only where they count", "[ingest][fingerprint]") {
  // No timestamp: the receive time is not content (a retry would differ).
  const std::string untimed = With(R"("timestamp":"2026-04-02T10:15:00Z",)", "");
  Batch first = test::MustParse("{" + untimed + "}");
  Result<Batch> later = ParseBatch("{" + untimed + "}", BodyFormat::kJson, IngestOptions{}, test::kReceiveTime + 1);
  REQUIRE(later.ok());
  CHECK(RecordFingerprint(first.records[0]) == RecordFingerprint(later->records[0]));
  CHECK(RecordFingerprint(first.records[0]) != FingerprintOf(kBase));
  // An absent latency differs from a latency of 0.
  CHECK(FingerprintOf(With(R"(,"latency_ms":842)", "")) !=
        FingerprintOf(With(R"("latency_ms":842)", R"("latency_ms":0)")));
}

TEST_CASE("long records are fingerprinted whole", "[ingest][fingerprint]") {
  // Units past the encoder's stack buffer: a change in the last one still counts.
  std::string units;
  for (int i = 0; i < 60; ++i)
    units += (i ? "," : "") + ("\"unit_number_" + std::to_string(i) + "\":" + std::to_string(i));
  const std::string record = R"("event":"crm.sync","vendor":"acme","units":{)" + units + "}";
  const std::uint64_t base = FingerprintOf(record);
  CHECK(FingerprintOf(record) == base);
  std::string changed = record;
  changed.replace(changed.rfind("59"), 2, "58");
  CHECK(FingerprintOf(changed) != base);
}

}  // namespace
}  // namespace lce

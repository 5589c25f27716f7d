// Fuzz target: budget decision bodies (ParseDecisionBody for each action,
// ParseDecisionBatch) and the JsonWriter that answers them. Whatever the
// bytes: no crash; a batch never holds more items than allowed; every
// campaign read passes the label rule; every string read (labels, unit
// names, reservation ids, error messages) comes back unchanged through
// JsonWriter and nlohmann's parser, so an answer is always valid JSON that
// says what was read.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "decision_request.h"
#include "fuzz_check.h"
#include "json_writer.h"
#include "llm_cost_exporter/ingest.h"

namespace {

constexpr std::size_t kMaxLabel = 128;
constexpr std::size_t kMaxItems = 16;

// `text` written as a JSON string member reads back as itself.
void CheckRoundTrip(std::string_view text) {
  std::string out;
  {
    lce::http::JsonWriter writer(out);
    writer.BeginObject().Member("v", text).EndObject();
  }
  const nlohmann::json parsed = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
  LCE_FUZZ_CHECK(!parsed.is_discarded());
  LCE_FUZZ_CHECK(parsed["v"].get<std::string>() == text);
}

void CheckDecision(const lce::Result<lce::DecisionRequest>& decision) {
  if (!decision.ok()) {
    CheckRoundTrip(decision.status().message());
    return;
  }
  if (decision->action == lce::DecisionAction::kRelease) {
    CheckRoundTrip(decision->reservation_id);
    return;
  }
  LCE_FUZZ_CHECK(!lce::ValidateLabelValue(decision->campaign_id, kMaxLabel).has_value());
  CheckRoundTrip(decision->campaign_id);
  if (!decision->estimate.ok()) {
    CheckRoundTrip(decision->estimate.status().message());
    return;
  }
  const lce::BudgetEstimate& estimate = *decision->estimate;
  LCE_FUZZ_CHECK(!estimate.usd || estimate.usd->atto() >= 0);
  for (const std::string* label : {&estimate.vendor, &estimate.model, &estimate.service_tier}) {
    LCE_FUZZ_CHECK(label->empty() || !lce::ValidateLabelValue(*label, kMaxLabel).has_value());
    CheckRoundTrip(*label);
  }
  for (const auto& [unit, count] : estimate.units) CheckRoundTrip(unit);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  for (const lce::DecisionAction action :
       {lce::DecisionAction::kCheck, lce::DecisionAction::kReserve, lce::DecisionAction::kRelease}) {
    CheckDecision(lce::ParseDecisionBody(body, action, kMaxLabel));
  }
  const auto batch = lce::ParseDecisionBatch(body, kMaxLabel, kMaxItems);
  if (!batch.ok()) {
    CheckRoundTrip(batch.status().message());
    return 0;
  }
  LCE_FUZZ_CHECK(batch->size() <= kMaxItems);
  for (const lce::Result<lce::DecisionRequest>& item : *batch) CheckDecision(item);
  return 0;
}

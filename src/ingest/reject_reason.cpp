// Stable names of RejectReason: the `reason` label of
// llm_cost_exporter_records_rejected_total and the `reason` of API errors.
#include <array>

#include "llm_cost_exporter/ingest.h"

namespace lce {
namespace {

constexpr std::array<std::string_view, kRejectReasonCount> kNames = {
    "malformed_json",     "not_an_object",      "missing_field",     "wrong_type",
    "out_of_range",       "unknown_field",      "invalid_label",     "looks_like_email",
    "looks_like_phone",   "invalid_hash",       "invalid_id",        "invalid_timestamp",
    "parts_exceed_whole", "forbidden_campaign", "looks_like_secret", "conflict",
};
static_assert(static_cast<std::size_t>(RejectReason::kConflict) + 1 == kRejectReasonCount,
              "kNames must list every RejectReason in declaration order");

}  // namespace

std::string_view RejectReasonName(RejectReason reason) {
  const auto index = static_cast<std::size_t>(reason);
  return index < kNames.size() ? kNames[index] : std::string_view("unknown");
}

}  // namespace lce

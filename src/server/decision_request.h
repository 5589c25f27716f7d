// Budget decision requests: the JSON of a check, reserve or release (a
// whole body, or one item of a batch) read into what the budgets module
// decides on. Private to the server module; pure and thread-safe (each
// thread parses with its own simdjson parser).
//
// Fields (unknown ones are ignored; a key given twice: the last counts, as
// with nlohmann::json before):
//   check / reserve: "campaign_id" (required) and an estimate: "estimate_usd"
//     (a decimal string), or "model" (+ "vendor") + "input_tokens" +
//     "max_output_tokens" (+ "service_tier"), or "vendor" + "units".
//   release: "reservation_id".
//   batch items also: "action": "check" | "reserve" | "release" (required).
// Labels are validated as record labels are (ValidateLabelValue, at most
// `max_label_length` bytes).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "llm_cost_exporter/budgets.h"
#include "llm_cost_exporter/status.h"

namespace lce {

enum class DecisionAction { kCheck, kReserve, kRelease };

struct DecisionRequest {
  DecisionAction action = DecisionAction::kCheck;
  std::string campaign_id;     // check, reserve: validated
  std::string reservation_id;  // release
  // The estimate, or why it cannot be read. Apart from the campaign, so a
  // campaign outside the caller's key is refused (403) before the estimate
  // is judged (400), as each single endpoint always did.
  Result<BudgetEstimate> estimate = Status::InvalidArgument("no estimate");
};

// A single request's body; the action is the route's. kInvalidArgument names
// what is wrong: a body that is not a JSON object, the first bad field.
Result<DecisionRequest> ParseDecisionBody(std::string_view body, DecisionAction action, std::size_t max_label_length);

// A batch body {"requests": [item, ...]}: each item read on its own (a bad
// item is its own error, the others are kept). kInvalidArgument when the
// body is not such an object; kResourceExhausted when it holds more than
// `max_items` items.
Result<std::vector<Result<DecisionRequest>>> ParseDecisionBatch(std::string_view body, std::size_t max_label_length,
                                                                std::size_t max_items);

}  // namespace lce

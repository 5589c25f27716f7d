// Parser choice: simdjson's DOM with one parser per thread, reused. A
// decision body is small and read whole. The nlohmann DOM it replaces cost
// about 15,000 instructions per check, more than the decision itself
// (docs/benchmarks.md, "Budget decisions"). Each object is read in one pass
// over its members into views of the known fields; values are then checked
// in a fixed order, so a body with several faults is always refused for the
// same one.
#include "decision_request.h"

#include <optional>

#include <simdjson.h>

#include "llm_cost_exporter/ingest.h"

namespace lce {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

// A parser's buffers are about ten bytes per byte of input; a thread keeps
// them only up to a single request's limit (a batch may need more, once).
constexpr std::size_t kKeepParserCapacity = 64 * 1024;

simdjson::dom::parser& ThreadParser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

void TrimThreadParser() {
  simdjson::dom::parser& parser = ThreadParser();
  if (parser.capacity() > kKeepParserCapacity) parser = simdjson::dom::parser{};
}

// The members a decision reads; absent ones stay empty.
struct Fields {
  std::optional<element> action, campaign_id, reservation_id, estimate_usd, vendor, model, service_tier, input_tokens,
      max_output_tokens, units;
};

std::optional<element>* Slot(Fields& fields, std::string_view key) {
  if (key == "campaign_id") return &fields.campaign_id;
  if (key == "model") return &fields.model;
  if (key == "vendor") return &fields.vendor;
  if (key == "input_tokens") return &fields.input_tokens;
  if (key == "max_output_tokens") return &fields.max_output_tokens;
  if (key == "estimate_usd") return &fields.estimate_usd;
  if (key == "service_tier") return &fields.service_tier;
  if (key == "units") return &fields.units;
  if (key == "reservation_id") return &fields.reservation_id;
  if (key == "action") return &fields.action;
  return nullptr;
}

Fields Collect(object members) {
  Fields fields;
  for (const simdjson::dom::key_value_pair member : members) {
    if (std::optional<element>* slot = Slot(fields, member.key)) *slot = member.value;
  }
  return fields;
}

std::string Field(const char* name) { return std::string("field \"") + name + "\""; }

Result<std::string> ReadString(const std::optional<element>& value, const char* name, bool required) {
  if (!value) {
    if (required) return Status::InvalidArgument(Field(name) + " is required");
    return std::string();
  }
  std::string_view text;
  if (value->get_string().get(text) != simdjson::SUCCESS) {
    return Status::InvalidArgument(Field(name) + " must be a string");
  }
  return std::string(text);
}

Result<std::string> ReadLabel(const std::optional<element>& value, const char* name, bool required,
                              std::size_t max_length) {
  Result<std::string> text = ReadString(value, name, required);
  if (!text.ok() || !value) return text;  // an optional label left out is empty, not judged
  if (std::optional<FieldError> error = ValidateLabelValue(*text, max_length)) {
    return Status::InvalidArgument(Field(name) + ": " + error->message);
  }
  return text;
}

// A non-negative integer (absent: 0).
Result<std::uint64_t> ReadCount(const std::optional<element>& value, const char* name) {
  if (!value) return std::uint64_t{0};
  std::uint64_t count = 0;
  if (!value->is_uint64() || value->get_uint64().get(count) != simdjson::SUCCESS) {
    return Status::InvalidArgument(Field(name) + " must be a non-negative integer");
  }
  return count;
}

Result<std::vector<std::pair<std::string, std::uint64_t>>> ReadUnits(const std::optional<element>& value) {
  std::vector<std::pair<std::string, std::uint64_t>> units;
  if (!value) return units;
  object counts;
  if (value->get_object().get(counts) != simdjson::SUCCESS) {
    return Status::InvalidArgument(Field("units") + " must be an object");
  }
  units.reserve(counts.size());
  for (const simdjson::dom::key_value_pair unit : counts) {
    std::uint64_t count = 0;
    if (!unit.value.is_uint64() || unit.value.get_uint64().get(count) != simdjson::SUCCESS) {
      return Status::InvalidArgument("units." + std::string(unit.key) + " must be a non-negative integer");
    }
    units.emplace_back(std::string(unit.key), count);
  }
  return units;
}

Result<BudgetEstimate> ReadEstimate(const Fields& fields, std::size_t max_length) {
  BudgetEstimate estimate;
  if (fields.estimate_usd) {
    std::string_view text;
    if (fields.estimate_usd->get_string().get(text) != simdjson::SUCCESS) {
      return Status::InvalidArgument(Field("estimate_usd") + " must be a decimal string");
    }
    Result<Money> money = Money::ParseDollars(text);
    if (!money.ok() || money->atto() < 0) {
      return Status::InvalidArgument(Field("estimate_usd") + " must be a non-negative decimal");
    }
    estimate.usd = *money;
    return estimate;
  }
  Result<std::string> model = ReadLabel(fields.model, "model", false, max_length);
  // A model alone names its vendor when one table knows it (as for records);
  // units are priced per vendor, so without a model the vendor is required.
  Result<std::string> vendor = ReadLabel(fields.vendor, "vendor", !model.ok() || model->empty(), max_length);
  Result<std::string> tier = ReadLabel(fields.service_tier, "service_tier", false, max_length);
  Result<std::uint64_t> input = ReadCount(fields.input_tokens, "input_tokens");
  Result<std::uint64_t> output = ReadCount(fields.max_output_tokens, "max_output_tokens");
  for (const Status& s : {vendor.status(), model.status(), tier.status(), input.status(), output.status()}) {
    if (!s.ok()) return s;
  }
  Result<std::vector<std::pair<std::string, std::uint64_t>>> units = ReadUnits(fields.units);
  if (!units.ok()) return units.status();
  estimate.vendor = std::move(vendor).value();
  estimate.model = std::move(model).value();
  estimate.service_tier = std::move(tier).value();
  estimate.input_tokens = *input;
  estimate.max_output_tokens = *output;
  estimate.units = std::move(units).value();
  return estimate;
}

Result<DecisionAction> ReadAction(const std::optional<element>& value) {
  Result<std::string> name = ReadString(value, "action", true);
  if (!name.ok()) return name.status();
  if (*name == "check") return DecisionAction::kCheck;
  if (*name == "reserve") return DecisionAction::kReserve;
  if (*name == "release") return DecisionAction::kRelease;
  return Status::InvalidArgument(Field("action") + " must be \"check\", \"reserve\" or \"release\"");
}

Result<DecisionRequest> ReadDecision(const Fields& fields, DecisionAction action, std::size_t max_label_length) {
  DecisionRequest request;
  request.action = action;
  if (action == DecisionAction::kRelease) {
    Result<std::string> id = ReadString(fields.reservation_id, "reservation_id", true);
    if (!id.ok()) return id.status();
    request.reservation_id = std::move(id).value();
    return request;
  }
  Result<std::string> campaign = ReadLabel(fields.campaign_id, "campaign_id", true, max_label_length);
  if (!campaign.ok()) return campaign.status();
  request.campaign_id = std::move(campaign).value();
  request.estimate = ReadEstimate(fields, max_label_length);
  return request;
}

Result<DecisionRequest> ReadBatchItem(element item, std::size_t index, std::size_t max_label_length) {
  const std::string where = "requests[" + std::to_string(index) + "]";
  object members;
  if (item.get_object().get(members) != simdjson::SUCCESS) {
    return Status::InvalidArgument(where + " must be an object");
  }
  const Fields fields = Collect(members);
  const auto prefixed = [&where](const Status& status) {
    return Status::InvalidArgument(where + ": " + status.message());
  };
  Result<DecisionAction> action = ReadAction(fields.action);
  if (!action.ok()) return prefixed(action.status());
  Result<DecisionRequest> request = ReadDecision(fields, *action, max_label_length);
  if (!request.ok()) return prefixed(request.status());
  if (!request->estimate.ok()) request->estimate = prefixed(request->estimate.status());
  return request;
}

// The body as a JSON object, parsed by the thread's parser (valid until its
// next parse).
Result<object> ParseObject(std::string_view body) {
  element root;
  if (const simdjson::error_code error = ThreadParser().parse(body.data(), body.size()).get(root)) {
    return Status::InvalidArgument(std::string("the body is not valid JSON (") + simdjson::error_message(error) + ")");
  }
  object members;
  if (root.get_object().get(members) != simdjson::SUCCESS) {
    return Status::InvalidArgument("the body must be a JSON object");
  }
  return members;
}

}  // namespace

Result<DecisionRequest> ParseDecisionBody(std::string_view body, DecisionAction action, std::size_t max_label_length) {
  Result<object> members = ParseObject(body);
  if (!members.ok()) return members.status();
  return ReadDecision(Collect(*members), action, max_label_length);
}

Result<std::vector<Result<DecisionRequest>>> ParseDecisionBatch(std::string_view body, std::size_t max_label_length,
                                                                std::size_t max_items) {
  Result<object> members = ParseObject(body);
  std::optional<element> requests_member;  // the last "requests", as for every key
  if (members.ok()) {
    for (const simdjson::dom::key_value_pair member : *members) {
      if (member.key == "requests") requests_member = member.value;
    }
  }
  simdjson::dom::array items;
  const bool has_items = requests_member && requests_member->get_array().get(items) == simdjson::SUCCESS;
  if (!has_items) {
    TrimThreadParser();
    if (!members.ok()) return members.status();
    return Status::InvalidArgument("the body must be {\"requests\": [...]}, an array of decisions");
  }
  if (items.size() > max_items) {
    TrimThreadParser();
    return Status::ResourceExhausted("a batch holds at most " + std::to_string(max_items) + " decisions");
  }
  std::vector<Result<DecisionRequest>> requests;
  requests.reserve(items.size());
  std::size_t index = 0;
  for (const element item : items) requests.push_back(ReadBatchItem(item, index++, max_label_length));
  TrimThreadParser();
  return requests;
}

}  // namespace lce

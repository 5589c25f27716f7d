// POST /v1/budget/check, /v1/budget/reserve, /v1/budget/release.
//
// check / reserve take {"campaign_id": ..., and an estimate}: either
//   "model" (+ "vendor") + "input_tokens" + "max_output_tokens" (+ "service_tier"),
//   "vendor" + "units": {"emails": 1000}, or "estimate_usd": "0.25".
// The estimate is priced now with the tables in force, every input token
// uncached and every output token used: the most the call can cost
// (PriceBudgetEstimate, budgets module; this file only translates JSON). They
// answer 200 with the decision (allow / warn / deny), the estimate, limit,
// spend, holds, remaining budget and the period's bounds; 400 for a malformed
// request, 413 for a body over 64 KiB. An estimate the price tables cannot
// price is denied by a `deny` budget (budgets.on_unpriced_estimate: deny, the
// default) or decided as $0, and the answer's unpriced_estimate says why.
// release takes {"reservation_id": ...}: 200 when freed, 404 when unknown,
// settled or expired.
#include <nlohmann/json.hpp>

#include "handlers.h"
#include "llm_cost_exporter/log.h"
#include "scope.h"
#include "llm_cost_exporter/timestamp.h"

namespace lce {
namespace {

constexpr std::size_t kMaxRequestBytes = 64 * 1024;

// Parses the JSON body; a Status names what is wrong.
Result<nlohmann::json> ParseJsonBody(const std::string& body) {
  nlohmann::json json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return Status::InvalidArgument("the body must be a JSON object");
  return json;
}

Result<std::string> ReadLabel(const nlohmann::json& json, const char* field, bool required, std::size_t max_length) {
  const auto it = json.find(field);
  if (it == json.end()) {
    if (required) return Status::InvalidArgument(std::string("field \"") + field + "\" is required");
    return std::string();
  }
  if (!it->is_string()) return Status::InvalidArgument(std::string("field \"") + field + "\" must be a string");
  std::string value = it->get<std::string>();
  if (std::optional<FieldError> error = ValidateLabelValue(value, max_length)) {
    return Status::InvalidArgument(std::string("field \"") + field + "\": " + error->message);
  }
  return value;
}

Result<std::uint64_t> ReadCount(const nlohmann::json& json, const char* field) {
  const auto it = json.find(field);
  if (it == json.end()) return std::uint64_t{0};
  if (!it->is_number_unsigned()) {
    return Status::InvalidArgument(std::string("field \"") + field + "\" must be a non-negative integer");
  }
  return it->get<std::uint64_t>();
}

// Reads the estimate fields of a check / reserve body (PriceBudgetEstimate
// prices them).
Result<BudgetEstimate> ReadEstimate(const nlohmann::json& json, std::size_t max_length) {
  BudgetEstimate estimate;
  if (const auto direct = json.find("estimate_usd"); direct != json.end()) {
    if (!direct->is_string()) return Status::InvalidArgument("field \"estimate_usd\" must be a decimal string");
    auto money = Money::ParseDollars(direct->get<std::string>());
    if (!money.ok() || money->atto() < 0)
      return Status::InvalidArgument("field \"estimate_usd\" must be a non-negative decimal");
    estimate.usd = *money;
    return estimate;
  }
  auto model = ReadLabel(json, "model", false, max_length);
  // A model alone names its vendor when one table knows it (as for records);
  // units are priced per vendor, so without a model the vendor is required.
  auto vendor = ReadLabel(json, "vendor", !model.ok() || model->empty(), max_length);
  auto tier = ReadLabel(json, "service_tier", false, max_length);
  auto input = ReadCount(json, "input_tokens");
  auto output = ReadCount(json, "max_output_tokens");
  for (const Status& s : {vendor.status(), model.status(), tier.status(), input.status(), output.status()}) {
    if (!s.ok()) return s;
  }
  estimate.vendor = std::move(*vendor);
  estimate.model = std::move(*model);
  estimate.service_tier = std::move(*tier);
  estimate.input_tokens = *input;
  estimate.max_output_tokens = *output;
  if (const auto units = json.find("units"); units != json.end()) {
    if (!units->is_object()) return Status::InvalidArgument("field \"units\" must be an object");
    estimate.units.reserve(units->size());
    for (const auto& [name, count] : units->items()) {
      if (!count.is_number_unsigned())
        return Status::InvalidArgument("units." + name + " must be a non-negative integer");
      estimate.units.emplace_back(name, count.get<std::uint64_t>());
    }
  }
  return estimate;
}

nlohmann::ordered_json AnswerJson(std::string_view campaign_id, const BudgetAnswer& a) {
  nlohmann::ordered_json json = {{"decision", BudgetDecisionName(a.decision)},
                                 {"campaign_id", campaign_id},
                                 {"has_budget", a.has_budget},
                                 {"estimate_usd", a.estimate.ToDecimalString()}};
  if (a.has_budget) {
    json["limit_usd"] = a.limit.ToDecimalString();
    json["spent_usd"] = a.spent.ToDecimalString();
    json["reserved_usd"] = a.reserved.ToDecimalString();
    json["remaining_usd"] = a.remaining.ToDecimalString();
    json["period"] = BudgetPeriodName(a.period);
    if (a.period != BudgetPeriod::kTotal) {
      json["period_start"] = FormatRfc3339(a.period_start_unix_ns);
      json["period_end"] = FormatRfc3339(a.period_end_unix_ns);
    }
  }
  if (!a.reservation_id.empty()) {
    json["reservation_id"] = a.reservation_id;
    json["reservation_expires"] = FormatRfc3339(a.reservation_expires_unix_ns);
  }
  return json;
}

class DecisionHandler final : public Handler {
 public:
  DecisionHandler(Budgets& budgets, BudgetCollector& decisions, SelfMetrics& self, bool reserve)
      : Handler(Route{reserve ? "budget_reserve" : "budget_check", reserve ? "/v1/budget/reserve" : "/v1/budget/check",
                      "POST", Access::kApiKey, kMaxRequestBytes}),
        budgets_(budgets),
        decisions_(decisions),
        self_(self),
        reserve_(reserve) {}

  Response Serve(const Request& request) override {
    const std::int64_t now = NowUnixNs();
    const Snapshot& snapshot = *request.snapshot;
    Result<nlohmann::json> json = ParseJsonBody(request.body);
    Result<std::string> campaign = json.ok()
                                       ? ReadLabel(*json, "campaign_id", true, snapshot.config.ingest.max_label_length)
                                       : Result<std::string>(json.status());
    if (!campaign.ok()) return Response::FromStatus(campaign.status());
    if (!request.caller.MayUseCampaign(*campaign)) return Forbid(request.caller, route().name, *campaign, self_);
    Result<BudgetEstimate> described = ReadEstimate(*json, snapshot.config.ingest.max_label_length);
    if (!described.ok()) return Response::FromStatus(described.status());
    Result<Money> estimate = PriceBudgetEstimate(*described, *snapshot.prices, now);
    const bool unpriced = !estimate.ok() && estimate.status().code() == Status::Code::kUnprocessable;
    if (!estimate.ok() && !unpriced) return Response::FromStatus(estimate.status());
    const BudgetAnswer answer =
        unpriced ? (reserve_ ? budgets_.ReserveUnpriced(*campaign, now) : budgets_.CheckUnpriced(*campaign, now))
                 : (reserve_ ? budgets_.Reserve(*campaign, *estimate, now) : budgets_.Check(*campaign, *estimate, now));
    decisions_.CountDecision(*campaign, answer.decision);
    if (reserve_) log::Audit(request.caller.Actor(), "reserve", *campaign, BudgetDecisionName(answer.decision));
    nlohmann::ordered_json reply = AnswerJson(*campaign, answer);
    // Why the estimate could not be priced ("cannot price the estimate: unknown_model").
    if (unpriced) reply["unpriced_estimate"] = estimate.status().message();
    return Response::Json(200, reply.dump());
  }

 private:
  Budgets& budgets_;
  BudgetCollector& decisions_;
  SelfMetrics& self_;
  const bool reserve_;
};

class ReleaseHandler final : public Handler {
 public:
  ReleaseHandler(Budgets& budgets, SelfMetrics& self)
      : Handler(Route{"budget_release", "/v1/budget/release", "POST", Access::kApiKey, kMaxRequestBytes}),
        budgets_(budgets),
        self_(self) {}

  Response Serve(const Request& request) override {
    Result<nlohmann::json> json = ParseJsonBody(request.body);
    if (!json.ok() || !json->contains("reservation_id") || !(*json)["reservation_id"].is_string()) {
      return Response::Error(400, "the body must be {\"reservation_id\": \"rsv_...\"}");
    }
    const std::string reservation_id = (*json)["reservation_id"].get<std::string>();
    const std::optional<std::string> campaign = budgets_.ReservationCampaign(reservation_id);
    if (campaign && !request.caller.MayUseCampaign(*campaign)) {
      return Forbid(request.caller, route().name, *campaign, self_);
    }
    const bool released = budgets_.Release(reservation_id, NowUnixNs());
    log::Audit(request.caller.Actor(), "release", campaign.value_or(""), released ? "released" : "not_found");
    return Response::Json(released ? 200 : 404, nlohmann::json{{"released", released}}.dump());
  }

 private:
  Budgets& budgets_;
  SelfMetrics& self_;
};

}  // namespace

std::unique_ptr<Handler> MakeBudgetCheckHandler(Budgets& budgets, BudgetCollector& decisions, SelfMetrics& self) {
  return std::make_unique<DecisionHandler>(budgets, decisions, self, false);
}
std::unique_ptr<Handler> MakeBudgetReserveHandler(Budgets& budgets, BudgetCollector& decisions, SelfMetrics& self) {
  return std::make_unique<DecisionHandler>(budgets, decisions, self, true);
}
std::unique_ptr<Handler> MakeBudgetReleaseHandler(Budgets& budgets, SelfMetrics& self) {
  return std::make_unique<ReleaseHandler>(budgets, self);
}

}  // namespace lce

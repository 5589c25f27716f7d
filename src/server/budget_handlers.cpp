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
// POST /v1/budget/batch takes {"requests": [...]}, up to 1,000 of the above,
// each with its "action", and answers 200 with {"answers": [...]}: one per
// item, in order, each with the "status" its single endpoint would have
// answered and that endpoint's members. Items are decided one after another,
// each atomically: a reservation is held before the next item is decided,
// and a bad item is refused alone.
//
// Requests are read by decision_request.h and answers written with
// JsonWriter: on this path both cost more than the decision (see
// docs/benchmarks.md, "Budget decisions").
#include "decision_request.h"
#include "handlers.h"
#include "json_writer.h"
#include "llm_cost_exporter/log.h"
#include "llm_cost_exporter/timestamp.h"
#include "scope.h"

namespace lce {
namespace {

constexpr std::size_t kMaxRequestBytes = 64 * 1024;
constexpr std::size_t kMaxBatchBytes = 1024 * 1024;
constexpr std::size_t kMaxBatchDecisions = 1000;

// Amounts and instants are formatted on the stack: an answer allocates
// nothing beyond its body.
void WriteMoney(http::JsonWriter& out, std::string_view key, Money amount) {
  char text[Money::kMaxDecimalChars];
  out.Key(key).PlainString(std::string_view(text, amount.WriteDecimal(text)));
}

void WriteInstant(http::JsonWriter& out, std::string_view key, std::int64_t unix_ns) {
  char text[kRfc3339Chars];
  WriteRfc3339(unix_ns, text);
  out.Key(key).PlainString(std::string_view(text, sizeof text));
}

// The members of a check / reserve answer, in the order they always had.
void WriteAnswer(http::JsonWriter& out, std::string_view campaign_id, const BudgetAnswer& a) {
  out.Key("decision").PlainString(BudgetDecisionName(a.decision)).Member("campaign_id", campaign_id);
  out.Member("has_budget", a.has_budget);
  WriteMoney(out, "estimate_usd", a.estimate);
  if (a.has_budget) {
    WriteMoney(out, "limit_usd", a.limit);
    WriteMoney(out, "spent_usd", a.spent);
    WriteMoney(out, "reserved_usd", a.reserved);
    WriteMoney(out, "remaining_usd", a.remaining);
    out.Key("period").PlainString(BudgetPeriodName(a.period));
    if (a.period != BudgetPeriod::kTotal) {
      WriteInstant(out, "period_start", a.period_start_unix_ns);
      WriteInstant(out, "period_end", a.period_end_unix_ns);
    }
  }
  if (!a.reservation_id.empty()) {
    out.Member("reservation_id", a.reservation_id);
    WriteInstant(out, "reservation_expires", a.reservation_expires_unix_ns);
  }
  // The shared store could not be reached: decided by budgets.on_store_error.
  if (a.store_error) out.Member("store_error", true);
}

int WriteError(http::JsonWriter& out, int status, std::string_view message) {
  out.Member("error", message);
  return status;
}

// Decides parsed requests for the caller, writing each answer's members;
// shared by the single endpoints and the batch. Thread-safe (Budgets,
// BudgetCollector and SelfMetrics are).
class Decider {
 public:
  Decider(Budgets& budgets, BudgetCollector& decisions, SelfMetrics& self)
      : budgets_(budgets), decisions_(decisions), self_(self) {}

  // The HTTP status of the answer, whose members are written to `out`.
  // `handler` names the route in audit events and refusal counts.
  int Decide(const DecisionRequest& decision, const Request& request, std::string_view handler, std::int64_t now,
             http::JsonWriter& out) {
    if (decision.action == DecisionAction::kRelease) return Release(decision, request, handler, now, out);
    const std::string& campaign = decision.campaign_id;
    if (!request.caller.MayUseCampaign(campaign)) {
      return WriteError(out, 403, RefuseCampaign(request.caller, handler, campaign, self_));
    }
    if (!decision.estimate.ok()) return WriteError(out, 400, decision.estimate.status().message());
    const Result<Money> estimate = PriceBudgetEstimate(*decision.estimate, *request.snapshot->prices, now);
    const bool unpriced = !estimate.ok() && estimate.status().code() == Status::Code::kUnprocessable;
    if (!estimate.ok() && !unpriced) {
      return WriteError(out, HttpStatusFor(estimate.status().code()), estimate.status().message());
    }
    const bool reserve = decision.action == DecisionAction::kReserve;
    const BudgetAnswer answer =
        unpriced ? (reserve ? budgets_.ReserveUnpriced(campaign, now) : budgets_.CheckUnpriced(campaign, now))
                 : (reserve ? budgets_.Reserve(campaign, *estimate, now) : budgets_.Check(campaign, *estimate, now));
    decisions_.CountDecision(campaign, answer.decision);
    // Counted, not logged per decision: an outage would flood the log (the alert reads the counter).
    if (answer.store_error) decisions_.CountStoreError(answer.decision);
    if (reserve) log::Audit(request.caller.Actor(), "reserve", campaign, BudgetDecisionName(answer.decision));
    WriteAnswer(out, campaign, answer);
    // Why the estimate could not be priced ("cannot price the estimate: unknown_model").
    if (unpriced) out.Member("unpriced_estimate", estimate.status().message());
    return 200;
  }

 private:
  int Release(const DecisionRequest& decision, const Request& request, std::string_view handler, std::int64_t now,
              http::JsonWriter& out) {
    const std::optional<std::string> campaign = budgets_.ReservationCampaign(decision.reservation_id, now);
    if (campaign && !request.caller.MayUseCampaign(*campaign)) {
      return WriteError(out, 403, RefuseCampaign(request.caller, handler, *campaign, self_));
    }
    const bool released = budgets_.Release(decision.reservation_id, now);
    log::Audit(request.caller.Actor(), "release", campaign.value_or(""), released ? "released" : "not_found");
    out.Member("released", released);
    return released ? 200 : 404;
  }

  Budgets& budgets_;
  BudgetCollector& decisions_;
  SelfMetrics& self_;
};

Route SingleRoute(DecisionAction action) {
  switch (action) {
    case DecisionAction::kCheck: return {"budget_check", "/v1/budget/check", "POST", Access::kApiKey, kMaxRequestBytes};
    case DecisionAction::kReserve:
      return {"budget_reserve", "/v1/budget/reserve", "POST", Access::kApiKey, kMaxRequestBytes};
    case DecisionAction::kRelease:
      return {"budget_release", "/v1/budget/release", "POST", Access::kApiKey, kMaxRequestBytes};
  }
  return {};
}

// POST /v1/budget/check, /reserve, /release: one decision per request.
class DecisionHandler final : public Handler {
 public:
  DecisionHandler(Budgets& budgets, BudgetCollector& decisions, SelfMetrics& self, DecisionAction action)
      : Handler(SingleRoute(action)), decider_(budgets, decisions, self), action_(action) {}

  Response Serve(const Request& request) override {
    const std::int64_t now = NowUnixNs();
    Result<DecisionRequest> decision =
        ParseDecisionBody(request.body, action_, request.snapshot->config.ingest.max_label_length);
    if (!decision.ok()) {
      if (action_ == DecisionAction::kRelease) {
        return Response::Error(400, "the body must be {\"reservation_id\": \"rsv_...\"}");
      }
      return Response::FromStatus(decision.status());
    }
    std::string body;
    body.reserve(512);
    http::JsonWriter out(body);
    out.BeginObject();
    const int status = decider_.Decide(*decision, request, route().name, now, out);
    out.EndObject().Finish();
    return Response::Json(status, std::move(body));
  }

 private:
  Decider decider_;
  const DecisionAction action_;
};

// POST /v1/budget/batch: several decisions in one request.
class BatchDecisionHandler final : public Handler {
 public:
  BatchDecisionHandler(Budgets& budgets, BudgetCollector& decisions, SelfMetrics& self)
      : Handler(Route{"budget_batch", "/v1/budget/batch", "POST", Access::kApiKey, kMaxBatchBytes}),
        decider_(budgets, decisions, self) {}

  Response Serve(const Request& request) override {
    const std::int64_t now = NowUnixNs();
    Result<std::vector<Result<DecisionRequest>>> decisions =
        ParseDecisionBatch(request.body, request.snapshot->config.ingest.max_label_length, kMaxBatchDecisions);
    if (!decisions.ok()) return Response::FromStatus(decisions.status());
    std::string body;
    body.reserve(64 + decisions->size() * 384);
    http::JsonWriter out(body);
    out.BeginObject().Key("answers").BeginArray();
    std::string members;  // one item's, reused: its status is known only once it is decided
    for (const Result<DecisionRequest>& decision : *decisions) {
      members.clear();
      http::JsonWriter item(members);
      const int status = decision.ok()
                             ? decider_.Decide(*decision, request, route().name, now, item)
                             : WriteError(item, HttpStatusFor(decision.status().code()), decision.status().message());
      item.Finish();
      out.BeginObject().Member("status", std::int64_t{status}).Members(members).EndObject();
    }
    out.EndArray().EndObject().Finish();
    return Response::Json(200, std::move(body));
  }

 private:
  Decider decider_;
};

}  // namespace

std::unique_ptr<Handler> MakeBudgetCheckHandler(Budgets& budgets, BudgetCollector& decisions, SelfMetrics& self) {
  return std::make_unique<DecisionHandler>(budgets, decisions, self, DecisionAction::kCheck);
}
std::unique_ptr<Handler> MakeBudgetReserveHandler(Budgets& budgets, BudgetCollector& decisions, SelfMetrics& self) {
  return std::make_unique<DecisionHandler>(budgets, decisions, self, DecisionAction::kReserve);
}
std::unique_ptr<Handler> MakeBudgetReleaseHandler(Budgets& budgets, BudgetCollector& decisions, SelfMetrics& self) {
  return std::make_unique<DecisionHandler>(budgets, decisions, self, DecisionAction::kRelease);
}
std::unique_ptr<Handler> MakeBudgetBatchHandler(Budgets& budgets, BudgetCollector& decisions, SelfMetrics& self) {
  return std::make_unique<BatchDecisionHandler>(budgets, decisions, self);
}

}  // namespace lce

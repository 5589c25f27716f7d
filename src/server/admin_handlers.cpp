// POST /v1/admin/reprice and GET /v1/admin/repricings: re-pricing the
// ledger's history after a price table was fixed (docs/ledger.md
// "Re-pricing"). Both need an API key with scope "reprice" when API keys are
// on (a key without it is 403, counted as forbidden_scope and audited); with
// API keys off they are as open as every data endpoint.
//
//   POST /v1/admin/reprice  {"from": "2026-04-01", "to": "2026-04-02T06:00:00Z", "dry_run": false}
//     from, to   RFC 3339 or YYYY-MM-DD (UTC), required: buckets starting in [floor(from), to)
//     dry_run    optional: answer the totals, write nothing
//
// Every re-pricing (dry runs too) writes a log line.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "handlers.h"
#include "llm_cost_exporter/log.h"
#include "llm_cost_exporter/repricing.h"
#include "llm_cost_exporter/timestamp.h"

namespace lce {
namespace {

constexpr std::size_t kMaxBodyBytes = 4 * 1024;

// 403 unless the caller may re-price (API keys off, or a key with the scope).
std::optional<Response> RequireScope(const Request& request, std::string_view handler, SelfMetrics& self) {
  const Principal* key = request.caller.key;
  if (key == nullptr || key->may_reprice) return std::nullopt;
  self.CountAuthFailure(handler, "forbidden_scope");
  log::Audit(request.caller.Actor(), handler, "ledger", "forbidden_scope");
  return Response::Error(403, "API key " + std::string(request.caller.Actor()) + " lacks scope \"reprice\"");
}

Result<std::int64_t> ReadInstant(const nlohmann::json& body, const char* field) {
  const auto it = body.find(field);
  if (it == body.end() || !it->is_string()) {
    return Status::InvalidArgument(std::string("field \"") + field +
                                   "\" is required: an RFC 3339 timestamp or a YYYY-MM-DD date");
  }
  const std::string text = it->get<std::string>();
  std::int64_t unix_ns = 0;
  if (ParseIsoDate(text, &unix_ns) || ParseRfc3339(text, &unix_ns)) return unix_ns;
  return Status::InvalidArgument(std::string("field \"") + field +
                                 "\" must be an RFC 3339 timestamp or a YYYY-MM-DD date");
}

nlohmann::ordered_json AuditJson(const RepricingAudit& audit) {
  return {{"id", audit.id},
          {"who", audit.who},
          {"at", FormatRfc3339(audit.at_unix_ns)},
          {"from", FormatRfc3339(audit.from_unix_ns)},
          {"to", FormatRfc3339(audit.to_unix_ns)},
          {"tables", audit.tables},
          {"old_total_usd", audit.old_total.ToDecimalString()},
          {"new_total_usd", audit.new_total.ToDecimalString()},
          {"buckets", audit.buckets},
          {"buckets_changed", audit.buckets_changed},
          {"buckets_refused", audit.buckets_refused},
          {"refused", audit.refused}};
}

std::string JoinTables(const std::vector<std::string>& tables) {
  std::string out;
  for (const std::string& table : tables) (out.empty() ? out : out += ',') += table;
  return out;
}

class RepriceHandler final : public Handler {
 public:
  RepriceHandler(Ledger& ledger, Budgets& budgets, RepricingMetrics& metrics, SelfMetrics& self)
      : Handler(Route{"reprice", "/v1/admin/reprice", "POST", Access::kApiKey, kMaxBodyBytes}),
        ledger_(ledger),
        budgets_(budgets),
        metrics_(metrics),
        self_(self) {}

  Response Serve(const Request& request) override {
    if (std::optional<Response> refused = RequireScope(request, route().name, self_)) return *refused;
    const nlohmann::json body = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object()) return Response::Error(400, "the body must be a JSON object");
    Result<std::int64_t> from = ReadInstant(body, "from");
    if (!from.ok()) return Response::FromStatus(from.status());
    Result<std::int64_t> to = ReadInstant(body, "to");
    if (!to.ok()) return Response::FromStatus(to.status());
    if (*from >= *to) return Response::Error(400, "from must be before to");
    bool dry_run = false;
    if (const auto it = body.find("dry_run"); it != body.end()) {
      if (!it->is_boolean()) return Response::Error(400, "field \"dry_run\" must be true or false");
      dry_run = it->get<bool>();
    }
    RepriceRequest reprice;
    reprice.from_unix_ns = *from;
    reprice.to_unix_ns = *to;
    reprice.dry_run = dry_run;
    reprice.who = std::string(request.caller.Actor());
    reprice.now_unix_ns = NowUnixNs();
    // The tables of the snapshot in force when the request arrived.
    Result<RepriceReport> report = RepriceHistory(ledger_, *request.snapshot->prices, budgets_, &metrics_, reprice);
    if (!report.ok()) {
      log::Warn("re-pricing failed", {{"who", reprice.who}, {"error", report.status().message()}});
      return Response::FromStatus(report.status(), "re-pricing: ");
    }
    const RepricingAudit& audit = report->audit;
    log::Info(dry_run ? "re-pricing dry run" : "re-priced ledger history",
              {{"id", std::to_string(audit.id)},
               {"who", audit.who},
               {"from", FormatRfc3339(audit.from_unix_ns)},
               {"to", FormatRfc3339(audit.to_unix_ns)},
               {"tables", JoinTables(audit.tables)},
               {"old_total_usd", audit.old_total.ToDecimalString()},
               {"new_total_usd", audit.new_total.ToDecimalString()},
               {"buckets_changed", std::to_string(audit.buckets_changed)},
               {"buckets_refused", std::to_string(audit.buckets_refused)}});
    if (!dry_run) log::Audit(audit.who, route().name, "ledger", "ok");
    nlohmann::ordered_json answer = AuditJson(audit);
    answer["dry_run"] = dry_run;
    return Response::Json(200, answer.dump());
  }

 private:
  Ledger& ledger_;
  Budgets& budgets_;
  RepricingMetrics& metrics_;
  SelfMetrics& self_;
};

class RepricingsHandler final : public Handler {
 public:
  RepricingsHandler(const Ledger& ledger, SelfMetrics& self)
      : Handler(Route{"repricings", "/v1/admin/repricings", "GET", Access::kApiKey}), ledger_(ledger), self_(self) {}

  Response Serve(const Request& request) override {
    if (std::optional<Response> refused = RequireScope(request, route().name, self_)) return *refused;
    Result<std::vector<RepricingAudit>> audits = ledger_.Repricings();
    if (!audits.ok()) return Response::FromStatus(audits.status(), "cannot read the ledger: ");
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    for (const RepricingAudit& audit : *audits) rows.push_back(AuditJson(audit));
    return Response::Json(200, nlohmann::ordered_json{{"repricings", std::move(rows)}}.dump());
  }

 private:
  const Ledger& ledger_;
  SelfMetrics& self_;
};

}  // namespace

std::unique_ptr<Handler> MakeRepriceHandler(Ledger& ledger, Budgets& budgets, RepricingMetrics& metrics,
                                            SelfMetrics& self) {
  return std::make_unique<RepriceHandler>(ledger, budgets, metrics, self);
}
std::unique_ptr<Handler> MakeRepricingsHandler(const Ledger& ledger, SelfMetrics& self) {
  return std::make_unique<RepricingsHandler>(ledger, self);
}

}  // namespace lce

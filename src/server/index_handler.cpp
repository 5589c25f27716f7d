// GET /: a small server-rendered page for people: each campaign's spend
// against its budget (bars, period, state), the price tables and links. Plain
// HTML and inline CSS, no external assets. Every other unknown path answers
// 404 (Endpoint).
#include <algorithm>
#include <string>

#include "handlers.h"
#include "llm_cost_exporter/timestamp.h"

namespace lce {
namespace {

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// "over" past the limit, "soft" past the soft limit, else "ok".
const char* BudgetState(const CampaignBudgetState& b) {
  const Money used = b.spent + b.reserved;
  if (used > b.limit) return "over";
  if (used.atto() * 1'000'000 >= b.limit.atto() * b.soft_limit_ppm) return "soft";
  return "ok";
}

// Percentage of the limit used, for the bar width (display only).
int PercentUsed(const CampaignBudgetState& b) {
  const double ratio = (b.spent + b.reserved).ToDouble() / b.limit.ToDouble();
  return static_cast<int>(std::min(100.0, ratio * 100.0 + 0.5));
}

std::string BudgetRows(const std::vector<CampaignBudgetState>& budgets) {
  if (budgets.empty()) return "<p>No campaign has spent in its current budget period yet.</p>";
  std::string html =
      "<table><tr><th>campaign</th><th>period</th><th>used</th><th>spent (USD)</th><th>reserved (USD)</th>"
      "<th>limit (USD)</th><th>state</th><th>period ends</th></tr>";
  for (const CampaignBudgetState& b : budgets) {
    const char* state = BudgetState(b);
    html += "<tr class=\"" + std::string(state) + "\"><td>" + EscapeHtml(b.campaign_id) + "</td><td>" +
            std::string(BudgetPeriodName(b.period)) +
            "</td><td><div class=\"bar\"><div style=\"width:" + std::to_string(PercentUsed(b)) +
            "%\"></div></div></td><td>" + b.spent.ToDecimalString() + "</td><td>" + b.reserved.ToDecimalString() +
            "</td><td>" + b.limit.ToDecimalString() + "</td><td>" + state + "</td><td>" +
            (b.period == BudgetPeriod::kTotal ? std::string("never") : FormatRfc3339(b.period_end_unix_ns)) +
            "</td></tr>";
  }
  return html + "</table>";
}

class IndexHandler final : public Handler {
 public:
  IndexHandler(std::string version, Budgets& budgets)
      : Handler(Route{"index", "/", "GET", Access::kOperator}), version_(std::move(version)), budgets_(budgets) {}

  Response Serve(const Request& request) override {
    std::string html =
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>llm_cost_exporter</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}"
        ".bar{width:12em;height:1em;background:#eee}.bar div{height:100%;background:#2a7}"
        "tr.soft .bar div{background:#e90}tr.over .bar div{background:#d22}tr.over td{color:#a00}</style></head><body>"
        "<h1>llm_cost_exporter</h1><p>Version " +
        EscapeHtml(version_) + "</p><h2>Budgets</h2>" + BudgetRows(budgets_.Snapshot(NowUnixNs())) +
        "<ul><li><a href=\"/metrics\">/metrics</a></li><li><a href=\"/v1/spend\">/v1/spend</a></li>"
        "<li><a href=\"/-/healthy\">/-/healthy</a></li><li><a href=\"/-/ready\">/-/ready</a></li></ul>"
        "<h2>Price tables</h2>"
        "<table><tr><th>provider</th><th>effective from</th><th>models</th><th>file</th></tr>";
    for (const PriceTableInfo& table : request.snapshot->prices->tables()) {
      html += "<tr><td>" + EscapeHtml(table.provider) + "</td><td>" + EscapeHtml(table.effective_from) + "</td><td>" +
              std::to_string(table.model_count) + "</td><td>" + EscapeHtml(table.file) + "</td></tr>";
    }
    html += "</table></body></html>\n";
    return Response::With(200, "text/html; charset=utf-8", std::move(html));
  }

 private:
  const std::string version_;
  Budgets& budgets_;
};

}  // namespace

std::unique_ptr<Handler> MakeIndexHandler(std::string version, Budgets& budgets) {
  return std::make_unique<IndexHandler>(std::move(version), budgets);
}

}  // namespace lce

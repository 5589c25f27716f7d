// GET /: a small server-rendered page for people: each campaign's spend
// against its budget (bars, period, state), the price tables and links. Plain
// HTML and inline CSS, no external assets. Every other unknown path answers
// 404 (Endpoint).
#include <algorithm>
#include <string>

#include "endpoint.h"
#include "http_util.h"
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
            std::string(BudgetPeriodName(b.period)) + "</td><td><div class=\"bar\"><div style=\"width:" +
            std::to_string(PercentUsed(b)) + "%\"></div></div></td><td>" + b.spent.ToDecimalString() + "</td><td>" +
            b.reserved.ToDecimalString() + "</td><td>" + b.limit.ToDecimalString() + "</td><td>" + state +
            "</td><td>" + (b.period == BudgetPeriod::kTotal ? std::string("never") : FormatRfc3339(b.period_end_unix_ns)) +
            "</td></tr>";
  }
  return html + "</table>";
}

class IndexEndpoint final : public Endpoint {
 public:
  explicit IndexEndpoint(Exporter::Impl& impl) : Endpoint(impl, "index", "/", "GET") {}

 private:
  int Serve(mg_connection* conn) override {
    const std::shared_ptr<const Snapshot> snapshot = impl_.Current();
    std::string html =
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>llm_cost_exporter</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}"
        ".bar{width:12em;height:1em;background:#eee}.bar div{height:100%;background:#2a7}"
        "tr.soft .bar div{background:#e90}tr.over .bar div{background:#d22}tr.over td{color:#a00}</style></head><body>"
        "<h1>llm_cost_exporter</h1><p>Version " + EscapeHtml(impl_.settings.build.version) +
        "</p><h2>Budgets</h2>" + BudgetRows(impl_.budgets.Snapshot(NowUnixNs())) +
        "<ul><li><a href=\"/metrics\">/metrics</a></li><li><a href=\"/v1/spend\">/v1/spend</a></li>"
        "<li><a href=\"/-/healthy\">/-/healthy</a></li><li><a href=\"/-/ready\">/-/ready</a></li></ul>"
        "<h2>Price tables</h2>"
        "<table><tr><th>provider</th><th>effective from</th><th>models</th><th>file</th></tr>";
    for (const PriceTableInfo& table : snapshot->prices->tables()) {
      html += "<tr><td>" + EscapeHtml(table.provider) + "</td><td>" + EscapeHtml(table.effective_from) +
              "</td><td>" + std::to_string(table.model_count) + "</td><td>" + EscapeHtml(table.file) + "</td></tr>";
    }
    html += "</table></body></html>\n";
    http::Send(conn, 200, "text/html; charset=utf-8", html);
    return 200;
  }
};

}  // namespace

std::unique_ptr<Endpoint> MakeIndexEndpoint(Exporter::Impl& impl) {
  return std::make_unique<IndexEndpoint>(impl);
}

}  // namespace lce

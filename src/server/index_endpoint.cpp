// GET /: a small server-rendered page for people: version, endpoints and the
// price tables in force. Every other unknown path answers 404 (Endpoint).
#include <string>

#include "endpoint.h"
#include "http_util.h"

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

class IndexEndpoint final : public Endpoint {
 public:
  explicit IndexEndpoint(Exporter::Impl& impl) : Endpoint(impl, "index", "/", "GET") {}

 private:
  int Serve(mg_connection* conn) override {
    const std::shared_ptr<const Snapshot> snapshot = impl_.Current();
    std::string html =
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>llm_cost_exporter</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}</style></head><body>"
        "<h1>llm_cost_exporter</h1><p>Version " + EscapeHtml(impl_.settings.build.version) +
        "</p><ul><li><a href=\"/metrics\">/metrics</a></li><li><a href=\"/-/healthy\">/-/healthy</a></li>"
        "<li><a href=\"/-/ready\">/-/ready</a></li></ul><h2>Price tables</h2>"
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

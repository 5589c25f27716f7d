// GET /metrics: the usage families and the self-metrics, in OpenMetrics 1.0
// (with exemplars) when the Accept header prefers it, as Prometheus' does;
// otherwise in the Prometheus text exposition format (version 0.0.4);
// gzip-compressed when Accept-Encoding accepts it, as Prometheus asks.
#include "compression.h"
#include "handlers.h"
#include "llm_cost_exporter/metrics.h"

namespace lce {
namespace {

class MetricsHandler final : public Handler {
 public:
  explicit MetricsHandler(const MetricRegistry& registry)
      : Handler(Route{"metrics", "/metrics", "GET", Access::kOperator}), registry_(registry) {}

  Response Serve(const Request& request) override {
    const bool openmetrics = PrefersOpenMetrics(request.Header("Accept"));
    Response response =
        Response::With(200, openmetrics ? kOpenMetricsContentType : kTextContentType,
                       registry_.Render(openmetrics ? ExpositionFormat::kOpenMetrics : ExpositionFormat::kText004));
    // Vary: the answer depends on both, so no cache may serve one form for another.
    response.headers = "Vary: Accept, Accept-Encoding\r\n";
    if (http::AcceptsGzip(request.Header("Accept-Encoding"))) {
      // zlib fails only without memory; the text then goes out uncompressed.
      if (Result<std::string> gzipped = http::GzipCompress(response.body); gzipped.ok()) {
        response.body = std::move(gzipped).value();
        response.headers += "Content-Encoding: gzip\r\n";
      }
    }
    return response;
  }

 private:
  const MetricRegistry& registry_;
};

}  // namespace

std::unique_ptr<Handler> MakeMetricsHandler(const MetricRegistry& registry) {
  return std::make_unique<MetricsHandler>(registry);
}

}  // namespace lce

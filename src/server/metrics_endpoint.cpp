// GET /metrics: the usage families and the self-metrics, in OpenMetrics 1.0
// (with exemplars) when the Accept header prefers it, as Prometheus' does;
// otherwise in the Prometheus text exposition format (version 0.0.4).
#include "endpoint.h"
#include "http_util.h"

namespace lce {
namespace {

class MetricsEndpoint final : public Endpoint {
 public:
  explicit MetricsEndpoint(Exporter::Impl& impl) : Endpoint(impl, "metrics", "/metrics", "GET") {}

 private:
  int Serve(mg_connection* conn) override {
    const bool openmetrics = PrefersOpenMetrics(http::Header(conn, "Accept"));
    // Vary: the answer depends on Accept, so no cache may serve one format for the other.
    http::Send(conn, 200, openmetrics ? kOpenMetricsContentType : kTextContentType, impl_.RenderMetrics(openmetrics),
               "Vary: Accept");
    return 200;
  }
};

}  // namespace

std::unique_ptr<Endpoint> MakeMetricsEndpoint(Exporter::Impl& impl) {
  return std::make_unique<MetricsEndpoint>(impl);
}

}  // namespace lce

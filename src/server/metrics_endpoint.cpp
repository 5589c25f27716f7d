// GET /metrics: the usage families and the self-metrics in the Prometheus
// text exposition format (version 0.0.4).
#include "endpoint.h"
#include "http_util.h"

namespace lce {
namespace {

class MetricsEndpoint final : public Endpoint {
 public:
  explicit MetricsEndpoint(Exporter::Impl& impl) : Endpoint(impl, "metrics", "/metrics", "GET") {}

 private:
  int Serve(mg_connection* conn) override {
    http::Send(conn, 200, "text/plain; version=0.0.4; charset=utf-8", impl_.RenderMetrics());
    return 200;
  }
};

}  // namespace

std::unique_ptr<Endpoint> MakeMetricsEndpoint(Exporter::Impl& impl) {
  return std::make_unique<MetricsEndpoint>(impl);
}

}  // namespace lce

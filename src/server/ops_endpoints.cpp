// Prometheus-style operations endpoints: /-/healthy, /-/ready, /-/reload.
#include "endpoint.h"
#include "http_util.h"

namespace lce {
namespace {

class HealthyEndpoint final : public Endpoint {
 public:
  explicit HealthyEndpoint(Exporter::Impl& impl) : Endpoint(impl, "healthy", "/-/healthy", "GET") {}

 private:
  int Serve(mg_connection* conn) override {
    http::Send(conn, 200, "text/plain; charset=utf-8", "llm_cost_exporter is Healthy.\n");
    return 200;
  }
};

// Ready once configuration and pricing are loaded and the server listens;
// not ready while shutting down, so load balancers stop sending traffic.
class ReadyEndpoint final : public Endpoint {
 public:
  explicit ReadyEndpoint(Exporter::Impl& impl) : Endpoint(impl, "ready", "/-/ready", "GET") {}

 private:
  int Serve(mg_connection* conn) override {
    if (!impl_.ready) {
      http::Send(conn, 503, "text/plain; charset=utf-8", "llm_cost_exporter is not ready.\n");
      return 503;
    }
    http::Send(conn, 200, "text/plain; charset=utf-8", "llm_cost_exporter is Ready.\n");
    return 200;
  }
};

class ReloadEndpoint final : public Endpoint {
 public:
  explicit ReloadEndpoint(Exporter::Impl& impl) : Endpoint(impl, "reload", "/-/reload", "POST") {}

 private:
  int Serve(mg_connection* conn) override {
    const Status status = impl_.Reload(CallerOf(conn).Actor());
    if (!status.ok()) {
      http::Send(conn, 500, "text/plain; charset=utf-8", "failed to reload config: " + status.message() + "\n");
      return 500;
    }
    http::Send(conn, 200, "text/plain; charset=utf-8", "reloaded\n");
    return 200;
  }
};

}  // namespace

std::unique_ptr<Endpoint> MakeHealthyEndpoint(Exporter::Impl& impl) {
  return std::make_unique<HealthyEndpoint>(impl);
}
std::unique_ptr<Endpoint> MakeReadyEndpoint(Exporter::Impl& impl) {
  return std::make_unique<ReadyEndpoint>(impl);
}
std::unique_ptr<Endpoint> MakeReloadEndpoint(Exporter::Impl& impl) {
  return std::make_unique<ReloadEndpoint>(impl);
}

}  // namespace lce

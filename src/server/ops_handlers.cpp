// Prometheus-style operations endpoints: /-/healthy, /-/ready, /-/reload.
#include "handlers.h"

namespace lce {
namespace {

class HealthyHandler final : public Handler {
 public:
  HealthyHandler() : Handler(Route{"healthy", "/-/healthy", "GET", Access::kOpen}) {}
  Response Serve(const Request&) override { return Response::Text(200, "llm_cost_exporter is Healthy.\n"); }
};

// Ready once configuration and pricing are loaded and the server listens;
// not ready while shutting down, so load balancers stop sending traffic.
class ReadyHandler final : public Handler {
 public:
  explicit ReadyHandler(const std::atomic<bool>& ready)
      : Handler(Route{"ready", "/-/ready", "GET", Access::kOpen}), ready_(ready) {}
  Response Serve(const Request&) override {
    if (!ready_) return Response::Text(503, "llm_cost_exporter is not ready.\n");
    return Response::Text(200, "llm_cost_exporter is Ready.\n");
  }

 private:
  const std::atomic<bool>& ready_;
};

class ReloadHandler final : public Handler {
 public:
  explicit ReloadHandler(std::function<Status(std::string_view)> reload)
      : Handler(Route{"reload", "/-/reload", "POST", Access::kOperator}), reload_(std::move(reload)) {}
  Response Serve(const Request& request) override {
    const Status status = reload_(request.caller.Actor());
    if (!status.ok()) return Response::Text(500, "failed to reload config: " + status.message() + "\n");
    return Response::Text(200, "reloaded\n");
  }

 private:
  std::function<Status(std::string_view)> reload_;
};

}  // namespace

std::unique_ptr<Handler> MakeHealthyHandler() { return std::make_unique<HealthyHandler>(); }
std::unique_ptr<Handler> MakeReadyHandler(const std::atomic<bool>& ready) {
  return std::make_unique<ReadyHandler>(ready);
}
std::unique_ptr<Handler> MakeReloadHandler(std::function<Status(std::string_view)> reload) {
  return std::make_unique<ReloadHandler>(std::move(reload));
}

}  // namespace lce

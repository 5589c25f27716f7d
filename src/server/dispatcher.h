// Dispatcher: the one CivetWeb handler class, wrapping a Handler. For every
// request on its route it does, in this order: connection bookkeeping (the
// gate), 404 for a longer path, 405 for another method, one read of the
// snapshot in force, authentication by the route's Access (401, counted and
// audited), the per-client rate limit for API-key routes (429 with
// Retry-After), the body within the route's limit (413, counted), then
// Handler::Serve; it sends the Response and counts every answer in
// llm_cost_exporter_http_requests_total{handler,code}. Private to the server
// module; CivetWeb calls it from many worker threads at once.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <CivetServer.h>

#include "connection_gate.h"
#include "handler.h"
#include "llm_cost_exporter/self_metrics.h"
#include "llm_cost_exporter/web_config.h"
#include "rate_limiter.h"

namespace lce {

// What the dispatcher needs around every handler. Every reference outlives
// the dispatchers (the exporter owns them all).
struct Edge {
  std::function<std::shared_ptr<const Snapshot>()> current;  // the snapshot in force
  const BasicAuth* basic_auth = nullptr;                     // null: operator routes are open
  RateLimiter* rate_limiter = nullptr;
  ConnectionGate* gate = nullptr;  // null: no connection limits
  SelfMetrics* self = nullptr;
};

class Dispatcher final : public CivetHandler {
 public:
  Dispatcher(Edge edge, std::unique_ptr<Handler> handler) : edge_(std::move(edge)), handler_(std::move(handler)) {}

  const std::string& path() const { return handler_->route().path; }

  bool handleGet(CivetServer*, mg_connection* conn) override { return Dispatch("GET", conn); }
  bool handlePost(CivetServer*, mg_connection* conn) override { return Dispatch("POST", conn); }
  bool handlePut(CivetServer*, mg_connection* conn) override { return Dispatch("PUT", conn); }
  bool handleDelete(CivetServer*, mg_connection* conn) override { return Dispatch("DELETE", conn); }
  bool handlePatch(CivetServer*, mg_connection* conn) override { return Dispatch("PATCH", conn); }

 private:
  bool Dispatch(const char* method, mg_connection* conn);
  // Everything before Serve; an answer when the request stops there.
  std::optional<Response> Admit(const char* method, mg_connection* conn, Request& request);
  std::optional<Response> Authenticate(Request& request);
  std::optional<Response> Throttle(mg_connection* conn, const Request& request);
  std::optional<Response> ReadBody(mg_connection* conn, Request& request);

  Edge edge_;
  std::unique_ptr<Handler> handler_;
};

}  // namespace lce

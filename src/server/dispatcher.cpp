#include "dispatcher.h"

#include <nlohmann/json.hpp>

#include "http_util.h"
#include "llm_cost_exporter/log.h"

namespace lce {
namespace {

Response Unauthorized(std::string_view scheme, const std::string& message) {
  Response response = Response::Error(401, message);
  response.headers = "WWW-Authenticate: " + std::string(scheme) + " realm=\"llm_cost_exporter\"\r\n";
  return response;
}

// Whom the rate limit counts a request against: the API key when one was
// verified (clients behind one address stay apart), else the client address.
std::string RateLimitClient(const Request& request) {
  if (request.caller.key != nullptr) return "key " + request.caller.key->key_id;
  return "address " + std::string(request.remote_addr);
}

// The request line and headers as views into CivetWeb's request info.
void Describe(mg_connection* conn, Request& request) {
  const mg_request_info* info = mg_get_request_info(conn);
  request.method = info->request_method ? info->request_method : "";
  request.path = http::Path(conn);
  request.query = info->query_string ? info->query_string : "";
  request.remote_addr = info->remote_addr;
  request.headers.reserve(static_cast<std::size_t>(info->num_headers));
  for (int i = 0; i < info->num_headers; ++i) {
    const mg_header& header = info->http_headers[i];
    request.headers.push_back({header.name ? header.name : "", header.value ? header.value : ""});
  }
}

}  // namespace

std::optional<Response> Dispatcher::Authenticate(Request& request) {
  const Route& route = handler_->route();
  const std::string_view authorization = request.Header("Authorization");
  switch (route.access) {
    case Access::kOpen: return std::nullopt;
    case Access::kApiKey: {
      if (!request.snapshot->api_keys) return std::nullopt;
      AuthFailure failure = AuthFailure::kMissing;
      request.caller.key = request.snapshot->api_keys->Authenticate(authorization, &failure);
      if (request.caller.key != nullptr) return std::nullopt;
      edge_.self->CountAuthFailure(route.name, AuthFailureName(failure));
      log::Audit("anonymous", route.name, route.path, AuthFailureName(failure));
      return Unauthorized("Bearer", "an API key is required: Authorization: Bearer <key> (" +
                                        std::string(AuthFailureName(failure)) + ")");
    }
    case Access::kOperator: {
      if (edge_.basic_auth == nullptr) return std::nullopt;
      if (std::optional<std::string> user = edge_.basic_auth->Verify(authorization)) {
        request.caller.user = std::move(*user);
        return std::nullopt;
      }
      edge_.self->CountAuthFailure(route.name, "basic_auth");
      log::Audit("anonymous", route.name, route.path, "basic_auth");
      return Unauthorized("Basic", "basic authentication is required");
    }
  }
  return Response::Error(500, "unknown access level");
}

std::optional<Response> Dispatcher::Throttle(mg_connection* conn, const Request& request) {
  // Only the data endpoints: probes and scrapes must answer even while a
  // client on the scraper's address floods.
  const Route& route = handler_->route();
  if (route.access != Access::kApiKey) return std::nullopt;
  const RateLimitConfig& limit = request.snapshot->config.server.rate_limit;
  if (limit.requests_per_second == 0) return std::nullopt;
  const std::string client = RateLimitClient(request);
  const RateLimiter::Decision decision =
      edge_.rate_limiter->Take(client, limit.requests_per_second, limit.burst, RateLimiter::Clock::now());
  const long retry_after = decision.retry_after;
  if (retry_after == 0) return std::nullopt;
  edge_.self->CountLimited(route.name, "rate");
  // One audit event per episode (until the client is granted again), not
  // one per refused request: a flood must not flood the log too.
  if (decision.first_refusal) log::Audit(request.caller.Actor(), route.name, client, "rate_limited");
  Response response =
      Response::Error(429, "rate limit exceeded: at most " + std::to_string(limit.requests_per_second) +
                               " requests per second per client, bursts of " + std::to_string(limit.burst) +
                               " (server.rate_limit); retry after " + std::to_string(retry_after) + " s");
  response.headers = "Retry-After: " + std::to_string(retry_after) + "\r\n";
  // The body is not read; a connection that carries one is closed rather
  // than drained, so a flood costs the server as little as possible.
  response.close_connection =
      mg_get_request_info(conn)->content_length > 0 || !request.Header("Transfer-Encoding").empty();
  return response;
}

std::optional<Response> Dispatcher::ReadBody(mg_connection* conn, Request& request) {
  const Route& route = handler_->route();
  if (route.body_limit == Route::kNoBody) return std::nullopt;
  const std::size_t limit = route.body_limit == Route::kConfiguredBodyLimit
                                ? request.snapshot->config.server.max_body_bytes
                                : route.body_limit;
  Result<std::string> body = http::ReadBody(conn, limit);
  if (body.ok()) {
    request.body = std::move(body).value();
    return std::nullopt;
  }
  edge_.self->CountLimited(route.name, "body_size");
  return handler_->BodyTooLarge(request, limit);
}

std::optional<Response> Dispatcher::Admit(const char* method, mg_connection* conn, Request& request) {
  const Route& route = handler_->route();
  if (request.path != route.path) {
    // CivetWeb routes by prefix; anything longer than our path is unknown.
    return Response::Error(404, "not found");
  }
  if (route.method != method) {
    Response response = Response::Json(405, R"({"error":"method not allowed"})");
    response.headers = "Allow: " + route.method + "\r\n";
    return response;
  }
  if (std::optional<Response> refused = Authenticate(request)) return refused;
  if (std::optional<Response> throttled = Throttle(conn, request)) return throttled;
  return ReadBody(conn, request);
}

bool Dispatcher::Dispatch(const char* method, mg_connection* conn) {
  if (edge_.gate != nullptr) {
    const mg_request_info* info = mg_get_request_info(conn);
    edge_.gate->OnRequest(info->remote_addr, info->remote_port);
  }
  Request request;
  Describe(conn, request);
  // Held for the request: the API key the caller presented lives in it.
  request.snapshot = edge_.current();
  std::optional<Response> answer = Admit(method, conn, request);
  const Response response = answer ? std::move(*answer) : handler_->Serve(request);
  if (response.close_connection) mg_disable_connection_keep_alive(conn);
  http::Send(conn, response.status, response.content_type, response.body, response.headers, response.close_connection);
  edge_.self->CountHttpRequest(handler_->route().name, response.status);
  return true;
}

}  // namespace lce

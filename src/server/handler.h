// Handler: one HTTP endpoint as a function from a Request to a Response,
// with no socket in sight. Each handler declares its Route at construction
// (path, method, who may call it, how much body it reads); the dispatcher
// (dispatcher.h) does everything around Serve for every route alike:
// routing, 404 / 405, the config snapshot (read once per request),
// authentication, the rate limit, reading the body within the route's
// limit, sending the Response and counting it. Private to the server module.
//
// Thread safety: Serve is called from many CivetWeb worker threads at once;
// a Request and a Response belong to one of them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llm_cost_exporter/auth.h"
#include "llm_cost_exporter/config.h"
#include "llm_cost_exporter/pricing.h"
#include "llm_cost_exporter/status.h"

namespace lce {

// A configuration, the price tables and API keys loaded with it: always
// swapped together, so a reload rotates keys atomically with the config.
struct Snapshot {
  Config config;
  std::shared_ptr<const PriceBook> prices;
  std::shared_ptr<const ApiKeys> api_keys;  // null: no API key is required
};

// Who may call a route.
enum class Access : std::uint8_t {
  kOpen,      // anyone: the probes
  kOperator,  // basic auth when --web.config.file has users: /metrics, the status page, reload
  kApiKey,    // an API key when auth.api_keys_file is set; rate limited: the data endpoints
};

// What a handler declares at construction.
struct Route {
  // Route::body_limit values besides a byte count.
  static constexpr std::size_t kNoBody = 0;                                                     // the body is not read
  static constexpr std::size_t kConfiguredBodyLimit = std::numeric_limits<std::size_t>::max();  // server.max_body_bytes

  std::string name;    // the `handler` label of the self-metrics, and the audit events' endpoint
  std::string path;    // exact; anything longer is 404
  std::string method;  // the one method served; others are 405
  Access access = Access::kOperator;
  std::size_t body_limit = kNoBody;  // a longer body is 413 and counted
};

// Who made the request, as the dispatcher established it.
struct Caller {
  const Principal* key = nullptr;  // the API key; null when keys are off or not needed
  std::string user;                // the basic auth user, when one was verified
  // For audit events: the key id, the user, or "anonymous".
  std::string_view Actor() const;
  // Whether the caller may write, check or read `campaign_id`: always when
  // API keys are off.
  bool MayUseCampaign(std::string_view campaign_id) const { return key == nullptr || key->MayUseCampaign(campaign_id); }
};

struct HeaderField {
  std::string_view name;
  std::string_view value;
};

struct Request {
  std::string_view method;
  std::string_view path;
  std::string_view query;  // after '?', undecoded; "" when none
  std::string_view remote_addr;
  std::vector<HeaderField> headers;          // views: valid while the request is served
  std::string body;                          // read whole within the route's body limit, padded (PadBody)
  std::shared_ptr<const Snapshot> snapshot;  // in force when the request arrived
  Caller caller;

  // A header's value (name compared case-insensitively), "" when absent.
  std::string_view Header(std::string_view name) const;
  // A URL-decoded query parameter; nullopt when absent or longer than 1 KiB.
  std::optional<std::string> Param(const char* name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string headers;            // extra "Name: value\r\n" lines
  bool close_connection = false;  // e.g. a body left unread

  static Response With(int status, std::string content_type, std::string body);
  static Response Json(int status, std::string json);
  static Response Text(int status, std::string text);             // text/plain; charset=utf-8
  static Response Error(int status, const std::string& message);  // {"error": message}
  // 503 with Retry-After: the store (ledger) failed; nothing was done, and
  // the client should send the request again.
  static Response Unavailable(const std::string& message);
  // The one mapping from a Status to an HTTP answer (HttpStatusFor), with
  // `prefix` before its message; a store failure (kIoError) is Unavailable.
  static Response FromStatus(const Status& status, std::string_view prefix = {});
};

// kInvalidArgument 400, kNotFound 404, kResourceExhausted 413,
// kPayloadTooLarge 413, kUnprocessable 422, kInternal 500, kIoError 503
// (the store).
int HttpStatusFor(Status::Code code);

class Handler {
 public:
  explicit Handler(Route route) : route_(std::move(route)) {}
  virtual ~Handler() = default;
  Handler(const Handler&) = delete;
  Handler& operator=(const Handler&) = delete;

  const Route& route() const { return route_; }
  virtual Response Serve(const Request& request) = 0;
  // The answer when the body is over `limit` bytes (the body is not in
  // `request`). Default: 413 with a JSON error naming the limit.
  virtual Response BodyTooLarge(const Request& request, std::size_t limit) const;

 private:
  Route route_;
};

}  // namespace lce

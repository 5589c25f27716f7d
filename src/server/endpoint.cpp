#include "endpoint.h"

#include <algorithm>
#include <array>

#include <nlohmann/json.hpp>

#include "http_util.h"
#include "llm_cost_exporter/log.h"

namespace lce {
namespace {

enum class Access { kOpen, kApiKey, kOperator };

// Who may call what, in one place: data endpoints take an API key, probes
// nothing, everything else (metrics, status page, reload) basic auth.
Access AccessFor(std::string_view endpoint) {
  static constexpr std::array<std::string_view, 6> kApiKeyEndpoints = {
      "usage", "traces", "spend", "budget_check", "budget_reserve", "budget_release"};
  for (std::string_view name : kApiKeyEndpoints) {
    if (endpoint == name) return Access::kApiKey;
  }
  if (endpoint == "healthy" || endpoint == "ready") return Access::kOpen;
  return Access::kOperator;
}

void SendUnauthorized(mg_connection* conn, std::string_view scheme, const std::string& message) {
  http::Send(conn, 401, "application/json", http::ErrorJson(message),
             "WWW-Authenticate: " + std::string(scheme) + " realm=\"llm_cost_exporter\"\r\n");
}

const Caller kNobody;

// Whom the rate limit counts a request against: the API key when one was
// verified (clients behind one address stay apart), else the client address.
std::string RateLimitClient(mg_connection* conn, const Caller& caller) {
  if (caller.key != nullptr) return "key " + caller.key->key_id;
  return std::string("address ") + mg_get_request_info(conn)->remote_addr;
}

}  // namespace

std::string_view Caller::Actor() const {
  if (key != nullptr) return key->key_id;
  if (!user.empty()) return user;
  return "anonymous";
}

const Caller& Endpoint::CallerOf(mg_connection* conn) {
  const auto* caller = static_cast<const Caller*>(mg_get_user_connection_data(conn));
  return caller != nullptr ? *caller : kNobody;
}

bool Endpoint::MayUseCampaign(mg_connection* conn, std::string_view campaign_id) {
  const Principal* key = CallerOf(conn).key;
  return key == nullptr || key->MayUseCampaign(campaign_id);
}

int Endpoint::Forbid(mg_connection* conn, std::string_view campaign_id) {
  const Caller& caller = CallerOf(conn);
  impl_.self.CountAuthFailure(name_, "forbidden_campaign");
  log::Audit(caller.Actor(), name_, campaign_id, "forbidden_campaign");
  http::SendError(conn, 403, "API key " + std::string(caller.Actor()) + " may not use campaign \"" +
                                 std::string(campaign_id) + "\"");
  return 403;
}

bool Endpoint::RejectOutOfScope(mg_connection* conn, Batch* batch) {
  const Principal* key = CallerOf(conn).key;
  if (key == nullptr) return false;
  const std::size_t before = batch->errors.size();
  RejectRecords(batch, RejectReason::kForbiddenCampaign, "campaign_id",
                [key](const UsageRecord& record) -> std::optional<std::string> {
                  if (key->MayUseCampaign(record.campaign_id)) return std::nullopt;
                  return "API key " + key->key_id + " may not write " +
                         (record.campaign_id.empty() ? std::string("records without a campaign")
                                                     : "campaign \"" + std::string(record.campaign_id) + "\"");
                });
  const std::size_t forbidden = batch->errors.size() - before;
  if (forbidden == 0) return false;
  impl_.self.CountAuthFailure(name_, "forbidden_campaign");
  log::Audit(key->key_id, name_, std::to_string(forbidden) + " records", "forbidden_campaign");
  return true;
}

bool Endpoint::OnlyForbidden(const std::vector<RecordError>& errors) {
  return std::all_of(errors.begin(), errors.end(),
                     [](const RecordError& e) { return e.reason == RejectReason::kForbiddenCampaign; });
}

bool Endpoint::Authenticate(mg_connection* conn, const Snapshot& snapshot, Caller* caller) {
  const std::string_view authorization = http::Header(conn, "Authorization");
  switch (AccessFor(name_)) {
    case Access::kOpen:
      return true;
    case Access::kApiKey: {
      if (!snapshot.api_keys) return true;
      AuthFailure failure = AuthFailure::kMissing;
      caller->key = snapshot.api_keys->Authenticate(authorization, &failure);
      if (caller->key != nullptr) return true;
      impl_.self.CountAuthFailure(name_, AuthFailureName(failure));
      log::Audit("anonymous", name_, path_, AuthFailureName(failure));
      SendUnauthorized(conn, "Bearer", "an API key is required: Authorization: Bearer <key> (" +
                                           std::string(AuthFailureName(failure)) + ")");
      return false;
    }
    case Access::kOperator: {
      if (!impl_.basic_auth) return true;
      if (impl_.basic_auth->Verify(authorization, &caller->user)) return true;
      impl_.self.CountAuthFailure(name_, "basic_auth");
      log::Audit("anonymous", name_, path_, "basic_auth");
      caller->user.clear();
      SendUnauthorized(conn, "Basic", "basic authentication is required");
      return false;
    }
  }
  return false;
}

bool Endpoint::Throttle(mg_connection* conn, const Snapshot& snapshot, const Caller& caller) {
  // Only the data endpoints: probes and scrapes must answer even while a
  // client on the scraper's address floods.
  if (AccessFor(name_) != Access::kApiKey) return false;
  const RateLimitConfig& limit = snapshot.config.server.rate_limit;
  if (limit.requests_per_second == 0) return false;
  const std::string client = RateLimitClient(conn, caller);
  const RateLimiter::Decision decision =
      impl_.rate_limiter.Take(client, limit.requests_per_second, limit.burst, RateLimiter::Clock::now());
  const long retry_after = decision.retry_after;
  if (retry_after == 0) return false;
  impl_.self.CountLimited(name_, "rate");
  // One audit event per episode (until the client is granted again), not
  // one per refused request: a flood must not flood the log too.
  if (decision.first_refusal) log::Audit(caller.Actor(), name_, client, "rate_limited");
  // The body is not read; a connection that carries one is closed rather
  // than drained, so a flood costs the server as little as possible.
  const bool has_body = mg_get_request_info(conn)->content_length > 0 || !http::Header(conn, "Transfer-Encoding").empty();
  if (has_body) mg_disable_connection_keep_alive(conn);
  http::Send(conn, 429, "application/json",
             http::ErrorJson("rate limit exceeded: at most " + std::to_string(limit.requests_per_second) +
                             " requests per second per client, bursts of " + std::to_string(limit.burst) +
                             " (server.rate_limit); retry after " + std::to_string(retry_after) + " s"),
             "Retry-After: " + std::to_string(retry_after) + "\r\n");
  return true;
}

bool Endpoint::Dispatch(const char* method, mg_connection* conn) {
  int status;
  Caller caller;
  // Held for the request: the API key the caller presented lives in it.
  const std::shared_ptr<const Snapshot> snapshot = impl_.Current();
  if (impl_.gate) {
    const mg_request_info* info = mg_get_request_info(conn);
    impl_.gate->OnRequest(info->remote_addr, info->remote_port);
  }
  if (http::Path(conn) != path_) {
    // CivetWeb routes by prefix; anything longer than our path is unknown.
    http::SendError(conn, 404, "not found");
    status = 404;
  } else if (method_ != method) {
    http::Send(conn, 405, "application/json", R"({"error":"method not allowed"})", "Allow: " + method_ + "\r\n");
    status = 405;
  } else if (!Authenticate(conn, *snapshot, &caller)) {
    status = 401;
  } else if (Throttle(conn, *snapshot, caller)) {
    status = 429;
  } else {
    mg_set_user_connection_data(conn, &caller);
    status = Serve(conn);
    mg_set_user_connection_data(conn, nullptr);
  }
  impl_.self.CountHttpRequest(name_, status);
  return true;
}

void RegisterHandlers(Exporter::Impl& impl) {
  impl.handlers.push_back(MakeUsageEndpoint(impl));
  impl.handlers.push_back(MakeTracesEndpoint(impl));
  impl.handlers.push_back(MakeMetricsEndpoint(impl));
  impl.handlers.push_back(MakeSpendEndpoint(impl));
  impl.handlers.push_back(MakeBudgetCheckEndpoint(impl));
  impl.handlers.push_back(MakeBudgetReserveEndpoint(impl));
  impl.handlers.push_back(MakeBudgetReleaseEndpoint(impl));
  impl.handlers.push_back(MakeHealthyEndpoint(impl));
  impl.handlers.push_back(MakeReadyEndpoint(impl));
  impl.handlers.push_back(MakeReloadEndpoint(impl));
  impl.handlers.push_back(MakeIndexEndpoint(impl));
  for (auto& handler : impl.handlers) {
    auto* endpoint = static_cast<Endpoint*>(handler.get());
    impl.http->addHandler(endpoint->path(), endpoint);
  }
}

}  // namespace lce

#include "endpoint.h"

#include "http_util.h"

namespace lce {

bool Endpoint::Dispatch(const char* method, mg_connection* conn) {
  int status;
  if (http::Path(conn) != path_) {
    // CivetWeb routes by prefix; anything longer than our path is unknown.
    http::SendError(conn, 404, "not found");
    status = 404;
  } else if (method_ != method) {
    http::Send(conn, 405, "application/json", R"({"error":"method not allowed"})", "Allow: " + method_ + "\r\n");
    status = 405;
  } else {
    status = Serve(conn);
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

#include "handler.h"

#include <cstring>

#include <civetweb.h>

#include "http_util.h"
#include "llm_cost_exporter/header_values.h"

namespace lce {

std::string_view Caller::Actor() const {
  if (key != nullptr) return key->key_id;
  if (!user.empty()) return user;
  return "anonymous";
}

std::string_view Request::Header(std::string_view name) const {
  for (const HeaderField& field : headers) {
    if (EqualsIgnoreCase(field.name, name)) return field.value;
  }
  return {};
}

std::optional<std::string> Request::Param(const char* name) const {
  if (query.empty()) return std::nullopt;
  char value[1024];
  const int n = mg_get_var(query.data(), query.size(), name, value, sizeof value);
  if (n < 0) return std::nullopt;
  return std::string(value, static_cast<std::size_t>(n));
}

Response Response::With(int status, std::string content_type, std::string body) {
  Response response;
  response.status = status;
  response.content_type = std::move(content_type);
  response.body = std::move(body);
  return response;
}

Response Response::Json(int status, std::string json) { return With(status, "application/json", std::move(json)); }

Response Response::Text(int status, std::string text) {
  return With(status, "text/plain; charset=utf-8", std::move(text));
}

Response Response::Error(int status, const std::string& message) { return Json(status, http::ErrorJson(message)); }

Response Response::Unavailable(const std::string& message) {
  Response response = Error(503, message);
  response.headers = "Retry-After: 1\r\n";
  return response;
}

Response Response::FromStatus(const Status& status, std::string_view prefix) {
  const std::string message = std::string(prefix) + status.message();
  if (status.code() == Status::Code::kIoError) return Unavailable(message);
  return Error(HttpStatusFor(status.code()), message);
}

int HttpStatusFor(Status::Code code) {
  switch (code) {
    case Status::Code::kOk: return 200;
    case Status::Code::kInvalidArgument: return 400;
    case Status::Code::kNotFound: return 404;
    case Status::Code::kResourceExhausted: return 413;
    case Status::Code::kUnprocessable: return 422;
    case Status::Code::kInternal: return 500;
    case Status::Code::kIoError: return 503;
    case Status::Code::kPayloadTooLarge: return 413;
  }
  return 500;
}

Response Handler::BodyTooLarge(const Request& request, std::size_t limit) const {
  (void)request;
  const bool configured = route_.body_limit == Route::kConfiguredBodyLimit;
  return Response::Error(
      413, "request body exceeds " + (configured ? "server.max_body_bytes (" + std::to_string(limit) + " bytes)"
                                                 : std::to_string(limit / 1024) + " KiB"));
}

}  // namespace lce

#include "http_util.h"

#include <nlohmann/json.hpp>

namespace lce::http {

Result<std::string> ReadBody(mg_connection* conn, std::size_t max_bytes) {
  const auto too_large = [max_bytes] {
    return Status::PayloadTooLarge("request body exceeds " + std::to_string(max_bytes) + " bytes");
  };
  const long long declared = mg_get_request_info(conn)->content_length;
  // Refused before a byte is read when the declared length is over.
  if (declared > 0 && static_cast<unsigned long long>(declared) > max_bytes) return too_large();
  std::string body;
  if (declared > 0) body.reserve(static_cast<std::size_t>(declared));
  char chunk[64 * 1024];
  for (;;) {
    const int n = mg_read(conn, chunk, sizeof chunk);
    if (n <= 0) break;
    if (body.size() + static_cast<std::size_t>(n) > max_bytes) return too_large();  // a chunked body grew past it
    body.append(chunk, static_cast<std::size_t>(n));
  }
  return body;
}

void Send(mg_connection* conn, int status, std::string_view content_type, std::string_view body,
          std::string_view extra_headers) {
  // The header API lets CivetWeb know the status and length, so keep-alive
  // connections stay usable after the response.
  mg_response_header_start(conn, status);
  mg_response_header_add(conn, "Content-Type", content_type.data(), static_cast<int>(content_type.size()));
  const std::string length = std::to_string(body.size());
  mg_response_header_add(conn, "Content-Length", length.c_str(), -1);
  if (!extra_headers.empty()) mg_response_header_add_lines(conn, std::string(extra_headers).c_str());
  mg_response_header_send(conn);
  mg_write(conn, body.data(), body.size());
}

std::string ErrorJson(const std::string& message) {
  return nlohmann::json{{"error", message}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string_view Path(mg_connection* conn) {
  const char* uri = mg_get_request_info(conn)->local_uri;
  return uri ? std::string_view(uri) : std::string_view();
}

}  // namespace lce::http

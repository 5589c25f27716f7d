#include "http_util.h"

#include <algorithm>
#include <ctime>
#include <limits>

#include <nlohmann/json.hpp>

#include "llm_cost_exporter/header_values.h"
#include "llm_cost_exporter/ingest.h"

namespace lce::http {

Result<std::string> ReadBody(mg_connection* conn, std::size_t max_bytes) {
  const auto too_large = [max_bytes] {
    return Status::PayloadTooLarge("request body exceeds " + std::to_string(max_bytes) + " bytes");
  };
  const long long declared = mg_get_request_info(conn)->content_length;
  // Refused before a byte is read when the declared length is over.
  if (declared > 0 && static_cast<unsigned long long>(declared) > max_bytes) return too_large();
  std::string body;
  if (declared > 0) {
    // Read straight into the body, with room for the parser's padding: a
    // large batch is copied once (from the socket), and parsed where it lies.
    body.reserve(static_cast<std::size_t>(declared) + kBodyPadding);
    body.resize(static_cast<std::size_t>(declared));
    std::size_t filled = 0;
    while (filled < body.size()) {
      const std::size_t want = std::min<std::size_t>(body.size() - filled, std::numeric_limits<int>::max());
      const int n = mg_read(conn, body.data() + filled, want);
      if (n <= 0) break;
      filled += static_cast<std::size_t>(n);
    }
    body.resize(filled);  // a client that stopped early: what it sent
    PadBody(body);
    return body;
  }
  char chunk[64 * 1024];
  for (;;) {
    const int n = mg_read(conn, chunk, sizeof chunk);
    if (n <= 0) break;
    if (body.size() + static_cast<std::size_t>(n) > max_bytes) return too_large();  // a chunked body grew past it
    body.append(chunk, static_cast<std::size_t>(n));
  }
  PadBody(body);
  return body;
}

namespace {

// Bodies up to this size go out in the same write as the headers; a larger
// one (a scrape) is written from where it is rather than copied.
constexpr std::size_t kCopiedBodyBytes = 64 * 1024;

// The HTTP version CivetWeb answers in: the request's when 1.0 or 1.1.
std::string_view ResponseVersion(const mg_request_info* info) {
  const std::string_view version = info->http_version != nullptr ? info->http_version : "";
  return version == "1.1" ? "1.1" : "1.0";
}

// Whether the connection stays open after this answer, as CivetWeb decides
// it (keep-alive is on): HTTP/1.1 unless the client said close, HTTP/1.0
// only when the client asked for keep-alive.
bool StaysOpen(mg_connection* conn, const mg_request_info* info, bool close_connection) {
  if (close_connection) return false;
  const char* header = mg_get_header(conn, "Connection");
  const std::string_view connection = header != nullptr ? header : "";
  if (ResponseVersion(info) == "1.1") return !ContainsTokenIgnoreCase(connection, "close");
  return ContainsTokenIgnoreCase(connection, "keep-alive");
}

// "Date: Thu, 03 Dec 2026 05:52:19 GMT", formatted once per second per thread.
std::string_view DateHeader() {
  thread_local std::time_t formatted_second = -1;
  thread_local char text[64];
  thread_local std::size_t length = 0;
  const std::time_t now = std::time(nullptr);
  if (now != formatted_second) {
    std::tm utc{};
    gmtime_r(&now, &utc);
    length = std::strftime(text, sizeof text, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &utc);
    formatted_second = now;
  }
  return {text, length};
}

}  // namespace

void Send(mg_connection* conn, int status, std::string_view content_type, std::string_view body,
          std::string_view extra_headers, bool close_connection) {
  // The status line and headers CivetWeb's header API would write, in its
  // order, but in one buffer: its API sends each header line with a write
  // of its own (seven per answer with the body), which cost more than
  // deciding a budget check. The body follows in the same write unless large.
  const mg_request_info* info = mg_get_request_info(conn);
  const char* reason = mg_get_response_code_text(conn, status);
  std::string out;
  const bool copy_body = body.size() <= kCopiedBodyBytes;
  out.reserve(160 + content_type.size() + extra_headers.size() + (copy_body ? body.size() : 0));
  out.append("HTTP/").append(ResponseVersion(info)).push_back(' ');
  out.append(std::to_string(status)).push_back(' ');
  out.append(reason != nullptr ? reason : "").append("\r\nContent-Type: ").append(content_type);
  out.append("\r\nContent-Length: ").append(std::to_string(body.size())).append("\r\n");
  out.append(extra_headers);
  out.append(DateHeader());
  out.append(StaysOpen(conn, info, close_connection) ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
  if (copy_body) out.append(body);
  mg_write(conn, out.data(), out.size());
  if (!copy_body) mg_write(conn, body.data(), body.size());
}

std::string ErrorJson(const std::string& message) {
  return nlohmann::json{{"error", message}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string_view Path(mg_connection* conn) {
  const char* uri = mg_get_request_info(conn)->local_uri;
  return uri ? std::string_view(uri) : std::string_view();
}

}  // namespace lce::http

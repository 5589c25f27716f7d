// Small helpers over CivetWeb for the dispatcher (and the connection gate's
// refusals). Private to the server module.
#pragma once

#include <string>
#include <string_view>

#include <civetweb.h>

#include "llm_cost_exporter/status.h"

namespace lce::http {

// Reads the whole request body, at most max_bytes. A bigger body is
// PayloadTooLarge (the only failure), found without reading it all (before
// reading a byte when its Content-Length says so). The body comes padded
// (PadBody, ingest.h), so a usage batch is parsed where it lies.
Result<std::string> ReadBody(mg_connection* conn, std::size_t max_bytes);

// Writes a complete response with Content-Length, Date and Connection, in
// one write when the body is small. extra_headers are "Name: value\r\n"
// lines. `close_connection`: the answer says Connection: close (the caller
// also tells CivetWeb, mg_disable_connection_keep_alive).
void Send(mg_connection* conn, int status, std::string_view content_type, std::string_view body,
          std::string_view extra_headers = {}, bool close_connection = false);
// {"error": message}; invalid UTF-8 in the message becomes U+FFFD instead of
// throwing (a message may carry text derived from a request).
std::string ErrorJson(const std::string& message);

// The request path without query string.
std::string_view Path(mg_connection* conn);

}  // namespace lce::http

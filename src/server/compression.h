// Response compression for GET /metrics, negotiated as Prometheus does
// (it sends "Accept-Encoding: gzip"). Private to the server module.
#pragma once

#include <string>
#include <string_view>

#include "llm_cost_exporter/status.h"

namespace lce::http {

// Whether an Accept-Encoding header value accepts gzip (RFC 9110 12.5.3): a
// "gzip" or "x-gzip" coding with q > 0, or else "*" with q > 0. "gzip;q=0"
// refuses it whatever else is listed; an empty header accepts only identity.
bool AcceptsGzip(std::string_view accept_encoding);

// `data` as one gzip member (RFC 1952) at zlib level 1: exposition text
// compresses about 10x even so, at a small part of a render's cost.
Result<std::string> GzipCompress(std::string_view data);

}  // namespace lce::http

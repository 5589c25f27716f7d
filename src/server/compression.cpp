#include "compression.h"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <limits>

#include "llm_cost_exporter/header_values.h"

namespace lce::http {
namespace {

// The q of one "coding;q=0.5" element: 1 when absent, 0 when malformed.
double QualityOf(std::string_view params) {
  for (;;) {
    const std::size_t semicolon = params.find(';');
    const std::string_view param = TrimOws(params.substr(0, semicolon));
    const std::size_t eq = param.find('=');
    if (eq != std::string_view::npos && EqualsIgnoreCase(TrimOws(param.substr(0, eq)), "q")) {
      const std::string_view value = TrimOws(param.substr(eq + 1));
      double q = 0;
      if (std::from_chars(value.data(), value.data() + value.size(), q).ec != std::errc()) return 0;
      return q;
    }
    if (semicolon == std::string_view::npos) return 1;
    params.remove_prefix(semicolon + 1);
  }
}

}  // namespace

bool AcceptsGzip(std::string_view accept_encoding) {
  double gzip = -1;  // -1: not listed
  double any = -1;
  for (;;) {
    const std::size_t comma = accept_encoding.find(',');
    const std::string_view element = TrimOws(accept_encoding.substr(0, comma));
    const std::size_t semicolon = element.find(';');
    const std::string_view coding = TrimOws(element.substr(0, semicolon));
    const double q = semicolon == std::string_view::npos ? 1 : QualityOf(element.substr(semicolon + 1));
    if (EqualsIgnoreCase(coding, "gzip") || EqualsIgnoreCase(coding, "x-gzip")) gzip = std::max(gzip, q);
    if (coding == "*") any = std::max(any, q);
    if (comma == std::string_view::npos) break;
    accept_encoding.remove_prefix(comma + 1);
  }
  return gzip >= 0 ? gzip > 0 : any > 0;
}

Result<std::string> GzipCompress(std::string_view data) {
  z_stream stream{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&stream, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Status::Internal("zlib could not start a gzip stream");
  }
  std::string out(deflateBound(&stream, static_cast<uLong>(std::min<std::size_t>(data.size(), 1u << 30))) + 64, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  std::size_t fed = 0;
  int result = Z_OK;
  while (result != Z_STREAM_END) {
    // zlib counts in uInt (32 bits): feed and drain bounded slices.
    if (stream.avail_in == 0 && fed < data.size()) {
      const std::size_t slice = std::min<std::size_t>(data.size() - fed, std::numeric_limits<uInt>::max() / 2);
      stream.avail_in = static_cast<uInt>(slice);
      fed += slice;
    }
    if (stream.total_out + 65536 > out.size()) out.resize(out.size() * 2);
    const std::size_t room = std::min<std::size_t>(out.size() - stream.total_out, std::numeric_limits<uInt>::max() / 2);
    stream.next_out = reinterpret_cast<Bytef*>(out.data() + stream.total_out);
    stream.avail_out = static_cast<uInt>(room);
    result = deflate(&stream, fed == data.size() ? Z_FINISH : Z_NO_FLUSH);
    if (result != Z_OK && result != Z_STREAM_END && result != Z_BUF_ERROR) {
      deflateEnd(&stream);
      return Status::Internal("zlib could not compress the response");
    }
  }
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

}  // namespace lce::http

// Accept-Encoding negotiation and gzip of GET /metrics answers.
#include <catch2/catch.hpp>

#include <zlib.h>

#include <string>

#include "compression.h"

namespace lce::http {
namespace {

// The data of one gzip member, decompressed with zlib (the check's own path).
std::string Gunzip(const std::string& gzipped) {
  z_stream stream{};
  REQUIRE(inflateInit2(&stream, 15 + 16) == Z_OK);
  std::string out;
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gzipped.data()));
  stream.avail_in = static_cast<uInt>(gzipped.size());
  int result = Z_OK;
  while (result == Z_OK || result == Z_BUF_ERROR) {  // grow the output until the stream ends
    const bool stuck = result == Z_BUF_ERROR && stream.avail_out != 0;
    REQUIRE_FALSE(stuck);
    out.resize(out.size() + 1024 * 1024);
    stream.next_out = reinterpret_cast<Bytef*>(out.data() + stream.total_out);
    stream.avail_out = static_cast<uInt>(out.size() - stream.total_out);
    result = inflate(&stream, Z_FINISH);
  }
  out.resize(stream.total_out);
  inflateEnd(&stream);
  REQUIRE(result == Z_STREAM_END);
  return out;
}

TEST_CASE("Accept-Encoding accepts gzip as RFC 9110 reads it", "[server][compression]") {
  CHECK(AcceptsGzip("gzip"));
  CHECK(AcceptsGzip("GZIP"));
  CHECK(AcceptsGzip("x-gzip"));
  CHECK(AcceptsGzip("deflate, gzip;q=0.5"));
  CHECK(AcceptsGzip(" br ; q=1 , gzip ; q=0.001 "));
  CHECK(AcceptsGzip("*"));
  CHECK(AcceptsGzip("identity, *;q=0.1"));
  CHECK_FALSE(AcceptsGzip(""));
  CHECK_FALSE(AcceptsGzip("identity"));
  CHECK_FALSE(AcceptsGzip("deflate, br"));
  CHECK_FALSE(AcceptsGzip("gzip;q=0"));
  CHECK_FALSE(AcceptsGzip("gzip;q=0, *"));  // refused by name, whatever "*" says
  CHECK_FALSE(AcceptsGzip("*;q=0"));
  CHECK_FALSE(AcceptsGzip("gzip;q=x"));  // malformed q: not accepted
  CHECK_FALSE(AcceptsGzip("gzipped"));
}

TEST_CASE("GzipCompress makes one gzip member that inflates to the input", "[server][compression]") {
  std::string text;
  for (int i = 0; i < 20000; ++i) {
    text += "llm_cost_usd_total{service=\"outreach\",campaign_id=\"cmp_" + std::to_string(i) + "\"} 1.25\n";
  }
  const Result<std::string> gzipped = GzipCompress(text);
  REQUIRE(gzipped.ok());
  CHECK(static_cast<unsigned char>((*gzipped)[0]) == 0x1f);  // the gzip magic
  CHECK(static_cast<unsigned char>((*gzipped)[1]) == 0x8b);
  CHECK(gzipped->size() * 5 < text.size());
  CHECK(Gunzip(*gzipped) == text);
  const Result<std::string> empty = GzipCompress("");
  REQUIRE(empty.ok());
  CHECK(Gunzip(*empty).empty());
}

}  // namespace
}  // namespace lce::http

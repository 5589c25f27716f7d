// Fuzz target: the OTLP/HTTP protobuf trace decoder (DecodeOtlpProtobuf), the
// span mapping behind it (ParseOtlpTraces) and gzip bodies (InflateOtlpGzip),
// as the traces endpoint sees them.
//   - An input starting with gzip's magic bytes is a Content-Encoding: gzip
//     body: it inflates within kMaxBody or fails with a printable message;
//     what it inflates to is then checked as a protobuf body.
//   - Any other input is a protobuf body, checked with the invariants of
//     otlp_checks.h (its spans, written as JSON, must decode and map the
//     same). A small one is also gzip-compressed here and must inflate back
//     exactly: as one member, as two members back to back (one body), and
//     with a limit one byte short (too large, nothing kept).
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "otlp_checks.h"
#include "usage_checks.h"

namespace {

constexpr std::size_t kMaxBody = 1 << 20;  // the traces endpoint's limit is server.max_body_bytes
constexpr std::size_t kMaxRoundTrip = 4096;

// One gzip member holding `data` (zlib, fastest level).
std::string Gzip(std::string_view data) {
  z_stream z{};
  LCE_FUZZ_CHECK(deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  LCE_FUZZ_CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

void CheckGzipRoundTrip(std::string_view body) {
  const std::string gz = Gzip(body);
  const lce::Result<std::string> once = lce::InflateOtlpGzip(gz, body.size());
  LCE_FUZZ_CHECK(once.ok() && *once == body);
  const lce::Result<std::string> twice = lce::InflateOtlpGzip(gz + gz, 2 * body.size());
  LCE_FUZZ_CHECK(twice.ok() && *twice == std::string(body) + std::string(body));
  if (body.empty()) return;
  const lce::Result<std::string> over = lce::InflateOtlpGzip(gz, body.size() - 1);
  LCE_FUZZ_CHECK(over.status().code() == lce::Status::Code::kPayloadTooLarge);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  if (body.starts_with("\x1f\x8b")) {
    const lce::Result<std::string> inflated = lce::InflateOtlpGzip(body, kMaxBody);
    if (!inflated.ok()) {
      const lce::Status& status = inflated.status();
      if (status.code() == lce::Status::Code::kPayloadTooLarge) return 0;
      LCE_FUZZ_CHECK(status.code() == lce::Status::Code::kInvalidArgument);
      LCE_FUZZ_CHECK(!status.message().empty() && lce::fuzz::IsPrintableAscii(status.message()));
      return 0;
    }
    LCE_FUZZ_CHECK(inflated->size() <= kMaxBody);
    lce::fuzz::CheckOtlpBody(*inflated, lce::OtlpEncoding::kProtobuf);
    return 0;
  }
  lce::fuzz::CheckOtlpBody(body, lce::OtlpEncoding::kProtobuf);
  if (size <= kMaxRoundTrip) CheckGzipRoundTrip(body);
  return 0;
}

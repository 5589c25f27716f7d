// OTLP/HTTP framing shared by the traces endpoint: gzip bodies
// (Content-Encoding: gzip, with zlib) and the answers in the request's
// encoding (ExportTraceServiceResponse, google.rpc.Status).
#include <zlib.h>

#include <algorithm>
#include <exception>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "llm_cost_exporter/otlp.h"
#include "otlp_trace.pb.h"

namespace lce {
namespace {

// Owns a z_stream set up for gzip decoding.
class GzipStream {
 public:
  GzipStream() {
    // 16 + MAX_WBITS: a gzip wrapper (header and CRC-32 trailer) only.
    ok_ = inflateInit2(&stream_, 16 + MAX_WBITS) == Z_OK;
  }
  ~GzipStream() {
    if (ok_) inflateEnd(&stream_);
  }
  GzipStream(const GzipStream&) = delete;
  GzipStream& operator=(const GzipStream&) = delete;

  bool ok() const { return ok_; }
  z_stream& get() { return stream_; }

 private:
  z_stream stream_{};
  bool ok_ = false;
};

}  // namespace

Result<std::string> InflateOtlpGzip(std::string_view body, std::size_t max_bytes) {
  const auto too_large = [max_bytes] {
    return Status::PayloadTooLarge("decompressed body exceeds " + std::to_string(max_bytes) + " bytes");
  };
  try {
    GzipStream gzip;
    if (!gzip.ok()) return Status::Internal("zlib could not start a gzip stream");
    z_stream& z = gzip.get();
    // zlib counts in uInt (32 bits): feed a bounded slice at a time.
    constexpr std::size_t kSlice = std::numeric_limits<uInt>::max();
    std::size_t consumed = 0;
    // Grows as needed, never past max_bytes + 1 (one byte more proves "too large").
    const std::size_t cap = max_bytes == std::numeric_limits<std::size_t>::max() ? max_bytes : max_bytes + 1;
    std::string out;
    std::size_t produced = 0;
    bool member_done = false;
    while (true) {
      if (z.avail_in == 0 && consumed < body.size()) {
        const std::size_t take = std::min(body.size() - consumed, kSlice);
        // zlib's next_in is not const (it never writes through it).
        z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data() + consumed));
        z.avail_in = static_cast<uInt>(take);
        consumed += take;
      }
      if (member_done) {
        // RFC 1952 allows several members back to back; anything else after
        // a member is an error.
        if (z.avail_in == 0 && consumed == body.size()) break;
        if (inflateReset(&z) != Z_OK) return Status::InvalidArgument("invalid gzip body");
        member_done = false;
      }
      if (produced == out.size()) {
        if (out.size() >= cap) return too_large();
        const std::size_t grown = std::max<std::size_t>(out.size() * 2, std::max<std::size_t>(body.size() * 4, 4096));
        out.resize(std::min(grown, cap));
      }
      const std::size_t room = std::min(out.size() - produced, kSlice);
      z.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
      z.avail_out = static_cast<uInt>(room);
      const int rc = inflate(&z, Z_NO_FLUSH);
      produced += room - z.avail_out;
      if (rc == Z_STREAM_END) {
        member_done = true;
        continue;
      }
      if (rc == Z_BUF_ERROR && z.avail_in == 0 && consumed == body.size()) {
        return Status::InvalidArgument("invalid gzip body: truncated");
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        if (rc == Z_MEM_ERROR) return Status::Internal("zlib ran out of memory");
        return Status::InvalidArgument(std::string("invalid gzip body: ") +
                                       (z.msg != nullptr ? z.msg : "corrupt data"));
      }
    }
    if (produced > max_bytes) return too_large();
    out.resize(produced);
    return out;
  } catch (const std::exception& e) {  // std::bad_alloc
    return Status::Internal(std::string("decompressing the body failed: ") + e.what());
  }
}

std::string EncodeOtlpTraceResponse(OtlpEncoding encoding, std::int64_t rejected_spans,
                                    std::string_view error_message) {
  if (encoding == OtlpEncoding::kProtobuf) {
    otlp::wire::ExportTraceServiceResponse response;
    if (rejected_spans != 0 || !error_message.empty()) {
      auto* partial = response.mutable_partial_success();
      partial->set_rejected_spans(rejected_spans);
      partial->set_error_message(std::string(error_message));
    }
    return response.SerializeAsString();
  }
  if (rejected_spans == 0 && error_message.empty()) return "{}";
  nlohmann::ordered_json partial = {{"rejectedSpans", rejected_spans}, {"errorMessage", error_message}};
  return nlohmann::ordered_json{{"partialSuccess", std::move(partial)}}.dump(-1, ' ', false,
                                                                             nlohmann::json::error_handler_t::replace);
}

std::string EncodeOtlpStatus(OtlpEncoding encoding, int code, std::string_view message) {
  if (encoding == OtlpEncoding::kProtobuf) {
    otlp::wire::RpcStatus status;
    status.set_code(code);
    status.set_message(std::string(message));
    return status.SerializeAsString();
  }
  return nlohmann::json{{"code", code}, {"message", message}}.dump(-1, ' ', false,
                                                                   nlohmann::json::error_handler_t::replace);
}

}  // namespace lce

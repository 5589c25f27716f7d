// POST /v1/traces: OTLP/HTTP ExportTraceServiceRequest, JSON
// (application/json) or protobuf (application/x-protobuf), uncompressed or
// gzip (Content-Encoding: gzip), spans mapped to usage records
// (docs/otlp.md) and ingested through the same IngestPipeline as /v1/usage.
//
// Answers as the OTLP/HTTP specification says, in the request's encoding
// (same Content-Type): 200 with an ExportTraceServiceResponse (empty when
// every span was accepted or was a duplicate, else partial_success with
// rejected_spans and error_message, also when every span was rejected); 400
// when the body is not a valid request (or not valid gzip); 413 over
// server.max_body_bytes, compressed or decompressed, or over
// ingest.max_records_per_batch spans (nothing counted); 415 for another content
// type or content encoding (answered in JSON: the encoding is unknown); 503
// with Retry-After when the ledger cannot commit (nothing counted: the
// client retries). Error answers carry a google.rpc.Status. A 200 means
// every accepted span is durable. Thread-safe like every endpoint.
#include <chrono>
#include <string>

#include "endpoint.h"
#include "http_util.h"
#include "llm_cost_exporter/log.h"
#include "llm_cost_exporter/otlp.h"
#include "llm_cost_exporter/timestamp.h"

namespace lce {
namespace {

// google.rpc.Code values used in error answers.
constexpr int kRpcInvalidArgument = 3;
constexpr int kRpcPermissionDenied = 7;
constexpr int kRpcResourceExhausted = 8;
constexpr int kRpcInternal = 13;
constexpr int kRpcUnavailable = 14;

// At most this many span errors are joined into errorMessage; rejectedSpans
// stays exact.
constexpr std::size_t kMaxListedErrors = 20;

const char* ContentType(OtlpEncoding encoding) {
  return encoding == OtlpEncoding::kProtobuf ? "application/x-protobuf" : "application/json";
}

int SendStatus(mg_connection* conn, OtlpEncoding encoding, int http_status, int rpc_code, const std::string& message,
               std::string_view extra_headers = {}) {
  http::Send(conn, http_status, ContentType(encoding), EncodeOtlpStatus(encoding, rpc_code, message), extra_headers);
  return http_status;
}

// The media type of a Content-Type value, lower case, without parameters.
std::string MediaType(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  std::string lower(type);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

std::string ResponseBody(OtlpEncoding encoding, const IngestSummary& summary) {
  if (summary.rejected == 0) return EncodeOtlpTraceResponse(encoding, 0, {});
  std::string message;
  for (std::size_t i = 0; i < summary.errors.size() && i < kMaxListedErrors; ++i) {
    if (i > 0) message += "; ";
    message += summary.errors[i].message;
  }
  if (summary.errors.size() > kMaxListedErrors) {
    message += "; and " + std::to_string(summary.errors.size() - kMaxListedErrors) + " more";
  }
  return EncodeOtlpTraceResponse(encoding, static_cast<std::int64_t>(summary.rejected), message);
}

class TracesEndpoint final : public Endpoint {
 public:
  explicit TracesEndpoint(Exporter::Impl& impl) : Endpoint(impl, "traces", "/v1/traces", "POST") {}

 private:
  int Serve(mg_connection* conn) override {
    const auto started = std::chrono::steady_clock::now();
    const std::string media_type = MediaType(http::Header(conn, "Content-Type"));
    OtlpEncoding encoding = OtlpEncoding::kJson;
    if (media_type == "application/x-protobuf") {
      encoding = OtlpEncoding::kProtobuf;
    } else if (media_type != "application/json") {
      return SendStatus(conn, OtlpEncoding::kJson, 415, kRpcInvalidArgument,
                        "unsupported Content-Type; send application/json or application/x-protobuf");
    }
    const std::string content_encoding = MediaType(http::Header(conn, "Content-Encoding"));
    const bool gzip = content_encoding == "gzip";
    if (!gzip && !content_encoding.empty() && content_encoding != "identity") {
      return SendStatus(conn, encoding, 415, kRpcInvalidArgument,
                        "unsupported Content-Encoding; send the body uncompressed or gzip");
    }
    const std::shared_ptr<const Snapshot> snapshot = impl_.Current();
    const std::size_t max_body = snapshot->config.server.max_body_bytes;
    const std::string too_large_message =
        "request body exceeds server.max_body_bytes (" + std::to_string(max_body) + " bytes)";
    bool too_large = false;
    std::string body = http::ReadBody(conn, max_body, &too_large);
    if (too_large) {
      impl_.self.CountLimited("traces", "body_size");
      return SendStatus(conn, encoding, 413, kRpcResourceExhausted, too_large_message);
    }
    if (gzip) {
      std::string inflated;
      const Status status = InflateOtlpGzip(body, max_body, &inflated, &too_large);
      if (!status.ok()) {
        const bool bad = status.code() == Status::Code::kInvalidArgument;
        return SendStatus(conn, encoding, bad ? 400 : 500, bad ? kRpcInvalidArgument : kRpcInternal, status.message());
      }
      if (too_large) {
        impl_.self.CountLimited("traces", "body_size");
        return SendStatus(conn, encoding, 413, kRpcResourceExhausted, "decompressed " + too_large_message);
      }
      body = std::move(inflated);
    }
    const std::int64_t received = NowUnixNs();
    Result<Batch> batch = ParseOtlpTraces(body, encoding, snapshot->config.otlp, snapshot->config.ingest, received);
    if (!batch.ok()) {
      if (batch.status().code() == Status::Code::kResourceExhausted) {
        impl_.self.CountLimited("traces", "records_per_batch");
        return SendStatus(conn, encoding, 413, kRpcResourceExhausted, batch.status().message());
      }
      if (batch.status().code() == Status::Code::kInvalidArgument) {
        return SendStatus(conn, encoding, 400, kRpcInvalidArgument, batch.status().message());
      }
      return SendStatus(conn, encoding, 500, kRpcInternal, batch.status().message());
    }
    if (batch->total == 0) {  // a valid request without spans
      http::Send(conn, 200, ContentType(encoding), EncodeOtlpTraceResponse(encoding, 0, {}));
      return 200;
    }
    const bool forbidden = RejectOutOfScope(conn, &batch.value());
    Result<IngestSummary> ingested = impl_.pipeline.Ingest(std::move(batch).value(), *snapshot->prices, received);
    if (!ingested.ok()) {
      log::Warn("ledger commit failed; answered 503", {{"handler", "traces"}, {"err", ingested.status().message()}});
      return SendStatus(conn, encoding, 503, kRpcUnavailable,
                        "the ledger could not commit; nothing from this request was counted, send it again: " +
                            ingested.status().message(),
                        "Retry-After: 1\r\n");
    }
    impl_.self.ObserveIngestSeconds(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    // Every span refused for the key's scope: 403 (not retryable), not a partial success.
    if (forbidden && ingested->accepted == 0 && ingested->duplicate == 0 && OnlyForbidden(ingested->errors)) {
      return SendStatus(conn, encoding, 403, kRpcPermissionDenied, ingested->errors.front().message);
    }
    http::Send(conn, 200, ContentType(encoding), ResponseBody(encoding, *ingested));
    return 200;
  }
};

}  // namespace

std::unique_ptr<Endpoint> MakeTracesEndpoint(Exporter::Impl& impl) {
  return std::make_unique<TracesEndpoint>(impl);
}

}  // namespace lce

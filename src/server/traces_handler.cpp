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
#include <optional>
#include <string>

#include "handlers.h"
#include "llm_cost_exporter/log.h"
#include "scope.h"
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

Response StatusResponse(OtlpEncoding encoding, int http_status, int rpc_code, const std::string& message) {
  return Response::With(http_status, ContentType(encoding), EncodeOtlpStatus(encoding, rpc_code, message));
}

// A Status as an OTLP error: the HTTP status of the one mapping
// (HttpStatusFor), with the google.rpc.Code that matches it.
Response OtlpError(OtlpEncoding encoding, const Status& status, std::string_view prefix = {}) {
  int rpc_code = kRpcInternal;
  switch (status.code()) {
    case Status::Code::kInvalidArgument: rpc_code = kRpcInvalidArgument; break;
    case Status::Code::kResourceExhausted:
    case Status::Code::kPayloadTooLarge: rpc_code = kRpcResourceExhausted; break;
    case Status::Code::kIoError: rpc_code = kRpcUnavailable; break;
    default: break;
  }
  Response response =
      StatusResponse(encoding, HttpStatusFor(status.code()), rpc_code, std::string(prefix) + status.message());
  if (status.code() == Status::Code::kIoError) response.headers = "Retry-After: 1\r\n";
  return response;
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

// The request's encoding by its Content-Type; nullopt for another type.
std::optional<OtlpEncoding> EncodingOf(const Request& request) {
  const std::string media_type = MediaType(request.Header("Content-Type"));
  if (media_type == "application/x-protobuf") return OtlpEncoding::kProtobuf;
  if (media_type == "application/json") return OtlpEncoding::kJson;
  return std::nullopt;
}

class TracesHandler final : public Handler {
 public:
  TracesHandler(IngestPipeline& pipeline, SelfMetrics& self)
      : Handler(Route{"traces", "/v1/traces", "POST", Access::kApiKey, Route::kConfiguredBodyLimit}),
        pipeline_(pipeline),
        self_(self) {}

  // Answered in the request's encoding, as every OTLP error is.
  Response BodyTooLarge(const Request& request, std::size_t limit) const override {
    return OtlpError(EncodingOf(request).value_or(OtlpEncoding::kJson),
                     Status::PayloadTooLarge(TooLargeMessage(limit)));
  }

  Response Serve(const Request& request) override {
    const auto started = std::chrono::steady_clock::now();
    const std::optional<OtlpEncoding> known = EncodingOf(request);
    if (!known) {
      return StatusResponse(OtlpEncoding::kJson, 415, kRpcInvalidArgument,
                            "unsupported Content-Type; send application/json or application/x-protobuf");
    }
    const OtlpEncoding encoding = *known;
    const std::string content_encoding = MediaType(request.Header("Content-Encoding"));
    const bool gzip = content_encoding == "gzip";
    if (!gzip && !content_encoding.empty() && content_encoding != "identity") {
      return StatusResponse(encoding, 415, kRpcInvalidArgument,
                            "unsupported Content-Encoding; send the body uncompressed or gzip");
    }
    const Snapshot& snapshot = *request.snapshot;
    const std::size_t max_body = snapshot.config.server.max_body_bytes;
    std::string inflated;
    if (gzip) {
      Result<std::string> decompressed = InflateOtlpGzip(request.body, max_body);
      if (!decompressed.ok() && decompressed.status().code() == Status::Code::kPayloadTooLarge) {
        self_.CountLimited(route().name, "body_size");
        return OtlpError(encoding, Status::PayloadTooLarge("decompressed " + TooLargeMessage(max_body)));
      }
      if (!decompressed.ok()) return OtlpError(encoding, decompressed.status());
      inflated = std::move(decompressed).value();
    }
    const std::string_view body = gzip ? std::string_view(inflated) : std::string_view(request.body);
    const std::int64_t received = NowUnixNs();
    Result<Batch> batch = ParseOtlpTraces(body, encoding, snapshot.config.otlp, snapshot.config.ingest, received);
    if (!batch.ok()) {
      if (batch.status().code() == Status::Code::kResourceExhausted)
        self_.CountLimited(route().name, "records_per_batch");
      return OtlpError(encoding, batch.status());
    }
    if (batch->total == 0) {  // a valid request without spans
      return Response::With(200, ContentType(encoding), EncodeOtlpTraceResponse(encoding, 0, {}));
    }
    const bool forbidden = RejectOutOfScope(request.caller, route().name, &batch.value(), self_);
    Result<IngestSummary> ingested = pipeline_.Ingest(std::move(batch).value(), *snapshot.prices, received);
    if (!ingested.ok()) {
      log::Warn("ledger commit failed; answered 503", {{"handler", "traces"}, {"err", ingested.status().message()}});
      // Whatever failed inside the ledger, the answer is about the store: 503, retry.
      return OtlpError(encoding, Status::IoError(ingested.status().message()),
                       "the ledger could not commit; nothing from this request was counted, send it again: ");
    }
    self_.ObserveIngestSeconds(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    // Every span refused for the key's scope: 403 (not retryable), not a partial success.
    if (forbidden && ingested->accepted == 0 && ingested->duplicate == 0 && OnlyForbidden(ingested->errors)) {
      return StatusResponse(encoding, 403, kRpcPermissionDenied, ingested->errors.front().message);
    }
    return Response::With(200, ContentType(encoding), ResponseBody(encoding, *ingested));
  }

 private:
  static std::string TooLargeMessage(std::size_t limit) {
    return "request body exceeds server.max_body_bytes (" + std::to_string(limit) + " bytes)";
  }

  IngestPipeline& pipeline_;
  SelfMetrics& self_;
};

}  // namespace

std::unique_ptr<Handler> MakeTracesHandler(IngestPipeline& pipeline, SelfMetrics& self) {
  return std::make_unique<TracesHandler>(pipeline, self);
}

}  // namespace lce

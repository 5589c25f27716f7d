// POST /v1/traces: OTLP/HTTP ExportTraceServiceRequest (JSON encoding,
// uncompressed), spans mapped to usage records (docs/otlp.md) and ingested
// through the same IngestPipeline as /v1/usage.
//
// Answers as the OTLP/HTTP specification says: 200 with an
// ExportTraceServiceResponse ({} when every span was accepted or was a
// duplicate, else {"partialSuccess": {"rejectedSpans": N, "errorMessage":
// ...}}, also when every span was rejected); 400 when the body is not a valid
// request; 413 over server.max_body_bytes; 415 for a content type or content
// encoding other than uncompressed application/json; 503 with Retry-After
// when the ledger cannot commit (nothing counted: the client retries). Error
// answers carry a JSON google.rpc.Status ({"code", "message"}). A 200 means
// every accepted span is durable. Thread-safe like every endpoint.
#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "endpoint.h"
#include "http_util.h"
#include "llm_cost_exporter/otlp.h"
#include "llm_cost_exporter/timestamp.h"

namespace lce {
namespace {

// google.rpc.Code values used in error answers.
constexpr int kRpcInvalidArgument = 3;
constexpr int kRpcResourceExhausted = 8;
constexpr int kRpcInternal = 13;
constexpr int kRpcUnavailable = 14;

// At most this many span errors are joined into errorMessage; rejectedSpans
// stays exact.
constexpr std::size_t kMaxListedErrors = 20;

int SendStatus(mg_connection* conn, int http_status, int rpc_code, const std::string& message,
               std::string_view extra_headers = {}) {
  const std::string body = nlohmann::json{{"code", rpc_code}, {"message", message}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  http::Send(conn, http_status, "application/json", body, extra_headers);
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

std::string ResponseJson(const IngestSummary& summary) {
  if (summary.rejected == 0) return "{}";
  std::string message;
  for (std::size_t i = 0; i < summary.errors.size() && i < kMaxListedErrors; ++i) {
    if (i > 0) message += "; ";
    message += summary.errors[i].message;
  }
  if (summary.errors.size() > kMaxListedErrors) {
    message += "; and " + std::to_string(summary.errors.size() - kMaxListedErrors) + " more";
  }
  nlohmann::ordered_json partial = {{"rejectedSpans", summary.rejected}, {"errorMessage", std::move(message)}};
  return nlohmann::ordered_json{{"partialSuccess", std::move(partial)}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

class TracesEndpoint final : public Endpoint {
 public:
  explicit TracesEndpoint(Exporter::Impl& impl) : Endpoint(impl, "traces", "/v1/traces", "POST") {}

 private:
  int Serve(mg_connection* conn) override {
    const auto started = std::chrono::steady_clock::now();
    const std::string media_type = MediaType(http::Header(conn, "Content-Type"));
    if (media_type == "application/x-protobuf") {
      return SendStatus(conn, 415, kRpcInvalidArgument,
                        "the protobuf encoding is not supported yet; send OTLP/HTTP JSON (Content-Type: application/json)");
    }
    if (media_type != "application/json") {
      return SendStatus(conn, 415, kRpcInvalidArgument, "unsupported Content-Type; send application/json");
    }
    const std::string encoding = MediaType(http::Header(conn, "Content-Encoding"));
    if (!encoding.empty() && encoding != "identity") {
      return SendStatus(conn, 415, kRpcInvalidArgument,
                        "unsupported Content-Encoding; send the body uncompressed");
    }
    const std::shared_ptr<const Snapshot> snapshot = impl_.Current();
    bool too_large = false;
    const std::string body = http::ReadBody(conn, snapshot->config.server.max_body_bytes, &too_large);
    if (too_large) {
      return SendStatus(conn, 413, kRpcResourceExhausted,
                        "request body exceeds server.max_body_bytes (" +
                            std::to_string(snapshot->config.server.max_body_bytes) + " bytes)");
    }
    const std::int64_t received = NowUnixNs();
    Result<Batch> batch =
        ParseOtlpTraces(body, OtlpEncoding::kJson, snapshot->config.otlp, snapshot->config.ingest, received);
    if (!batch.ok()) {
      if (batch.status().code() == Status::Code::kInvalidArgument) {
        return SendStatus(conn, 400, kRpcInvalidArgument, batch.status().message());
      }
      return SendStatus(conn, 500, kRpcInternal, batch.status().message());
    }
    if (batch->total == 0) {  // a valid request without spans
      http::SendJson(conn, 200, "{}");
      return 200;
    }
    Result<IngestSummary> ingested = impl_.pipeline.Ingest(std::move(batch).value(), *snapshot->prices, received);
    if (!ingested.ok()) {
      return SendStatus(conn, 503, kRpcUnavailable,
                        "the ledger could not commit; nothing from this request was counted, send it again: " +
                            ingested.status().message(),
                        "Retry-After: 1\r\n");
    }
    impl_.self.ObserveIngestSeconds(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    http::SendJson(conn, 200, ResponseJson(*ingested));
    return 200;
  }
};

}  // namespace

std::unique_ptr<Endpoint> MakeTracesEndpoint(Exporter::Impl& impl) {
  return std::make_unique<TracesEndpoint>(impl);
}

}  // namespace lce

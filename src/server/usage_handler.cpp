// POST /v1/usage: one JSON record, a JSON array of records, or NDJSON.
//
// Answers 200 with counts when at least one record was accepted or was a
// duplicate (or nothing was rejected); 400 when the body is not JSON or every
// record was rejected; 413 when the body exceeds server.max_body_bytes or
// holds more than ingest.max_records_per_batch records (nothing counted); 503
// when the ledger cannot commit (nothing counted: safe to retry). A 200 means
// every accepted record is durable.
#include <chrono>

#include <nlohmann/json.hpp>

#include "handlers.h"
#include "llm_cost_exporter/log.h"
#include "scope.h"
#include "llm_cost_exporter/timestamp.h"

namespace lce {
namespace {

// At most this many per-record errors are listed in one answer; the counts
// stay exact and `errors_truncated` says when the list was cut.
constexpr std::size_t kMaxListedErrors = 1000;

BodyFormat FormatFor(std::string_view content_type) {
  const bool ndjson = content_type.find("ndjson") != std::string_view::npos ||
                      content_type.find("jsonl") != std::string_view::npos ||
                      content_type.find("json-seq") != std::string_view::npos;
  return ndjson ? BodyFormat::kNdjson : BodyFormat::kJson;
}

std::string SummaryJson(const IngestSummary& summary) {
  nlohmann::ordered_json errors = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < summary.errors.size() && i < kMaxListedErrors; ++i) {
    const RecordError& e = summary.errors[i];
    errors.push_back(
        {{"index", e.index}, {"field", e.field}, {"reason", RejectReasonName(e.reason)}, {"message", e.message}});
  }
  nlohmann::ordered_json answer = {{"accepted", summary.accepted},
                                   {"duplicate", summary.duplicate},
                                   {"rejected", summary.rejected},
                                   {"unpriced", summary.unpriced},
                                   {"errors", std::move(errors)}};
  if (summary.errors.size() > kMaxListedErrors) answer["errors_truncated"] = true;
  return answer.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

class UsageHandler final : public Handler {
 public:
  UsageHandler(IngestPipeline& pipeline, SelfMetrics& self)
      : Handler(Route{"usage", "/v1/usage", "POST", Access::kApiKey, Route::kConfiguredBodyLimit}),
        pipeline_(pipeline),
        self_(self) {}

  Response Serve(const Request& request) override {
    const auto started = std::chrono::steady_clock::now();
    const BodyFormat format = FormatFor(request.Header("Content-Type"));
    if (format == BodyFormat::kNdjson && request.body.size() > kPartBytes) return IngestInParts(request, started);
    return IngestWhole(request, format, started);
  }

 private:
  using Started = std::chrono::steady_clock::time_point;

  // NDJSON bodies larger than this are ingested in parts of about this size
  // (IngestPipeline::Stream), so the ledger writes each part while the next
  // is parsed; the answer is the same as for the body in one piece.
  static constexpr std::size_t kPartBytes = 256 * 1024;

  Response IngestWhole(const Request& request, BodyFormat format, Started started) {
    const Snapshot& snapshot = *request.snapshot;
    const std::int64_t received = NowUnixNs();
    Result<Batch> batch = ParseBatchInPlace(request.body, request.body, format, snapshot.config.ingest, received);
    if (!batch.ok()) return Response::FromStatus(batch.status());
    if (batch->total == 0) return NoRecords();
    if (const std::size_t max = snapshot.config.ingest.max_records_per_batch; batch->total > max) {
      return TooManyRecords(batch->total, max);
    }
    const bool forbidden = RejectOutOfScope(request.caller, route().name, &batch.value(), self_);
    return Answer(pipeline_.Ingest(std::move(batch).value(), *snapshot.prices, received), forbidden, started);
  }

  Response IngestInParts(const Request& request, Started started) {
    const Snapshot& snapshot = *request.snapshot;
    const IngestOptions& options = snapshot.config.ingest;
    const std::int64_t received = NowUnixNs();
    const std::vector<std::string_view> parts = SplitNdjson(request.body, kPartBytes);
    IngestPipeline::Stream stream = pipeline_.Open(*snapshot.prices, received);
    std::size_t total = 0;
    std::size_t forbidden = 0;
    for (std::size_t p = 0; p < parts.size(); ++p) {
      Result<Batch> batch = ParseBatchInPlace(request.body, parts[p], BodyFormat::kNdjson, options, received, total);
      if (!batch.ok()) return Response::FromStatus(batch.status());
      total += batch->total;
      if (total > options.max_records_per_batch) {  // the stream, dropped, counts nothing
        for (std::size_t rest = p + 1; rest < parts.size(); ++rest) total += CountNdjsonRecords(parts[rest]);
        return TooManyRecords(total, options.max_records_per_batch);
      }
      forbidden += RejectOutOfScopeRecords(request.caller, &batch.value());
      if (Status added = stream.Add(std::move(batch).value()); !added.ok()) return Answer(added, false, started);
    }
    if (total == 0) return NoRecords();
    CountOutOfScope(request.caller, route().name, forbidden, self_);
    return Answer(stream.Finish(), forbidden > 0, started);
  }

  static Response NoRecords() { return Response::Error(400, "the body holds no records"); }

  Response TooManyRecords(std::size_t total, std::size_t max) {
    self_.CountLimited(route().name, "records_per_batch");
    return Response::Error(413, "the body holds " + std::to_string(total) + " records; at most " + std::to_string(max) +
                                    " per request (ingest.max_records_per_batch): split it, nothing was counted");
  }

  Response Answer(const Result<IngestSummary>& ingested, bool forbidden, Started started) {
    if (!ingested.ok()) {
      log::Warn("ledger commit failed; answered 503", {{"handler", "usage"}, {"err", ingested.status().message()}});
      // Whatever failed inside the ledger, the answer is about the store: 503, retry.
      return Response::Unavailable(
          "the ledger could not commit; nothing from this request was counted, send it again: " +
          ingested.status().message());
    }
    const IngestSummary& summary = *ingested;
    self_.ObserveIngestSeconds(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    const bool all_rejected = summary.accepted == 0 && summary.duplicate == 0;
    const int status = !all_rejected ? 200 : forbidden && OnlyForbidden(summary.errors) ? 403 : 400;
    return Response::Json(status, SummaryJson(summary));
  }

  IngestPipeline& pipeline_;
  SelfMetrics& self_;
};

}  // namespace

std::unique_ptr<Handler> MakeUsageHandler(IngestPipeline& pipeline, SelfMetrics& self) {
  return std::make_unique<UsageHandler>(pipeline, self);
}

}  // namespace lce

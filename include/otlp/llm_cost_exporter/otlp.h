// OTLP traces in: OpenTelemetry spans (GenAI semantic conventions and their
// older names) -> UsageRecords for the same IngestPipeline as /v1/usage.
//
// Two stages, so that every wire encoding shares one mapping:
//   1. a decoder turns a request body into OtlpSpans, neutral views into the
//      decoder's own memory, valid only during the callback (DecodeOtlpJson,
//      DecodeOtlpProtobuf);
//   2. AppendOtlpSpan maps one span into a Batch: a validated UsageRecord
//      whose strings are copied into the batch's arena (Batch::Keep), or a
//      per-span RecordError.
// ParseOtlpTraces does both for a whole body. The attribute keys and
// defaults are documented in docs/otlp.md. The HTTP framing helpers at the
// end (gzip bodies, answers in the request's encoding) keep the protobuf
// definitions private to this module.
//
// Thread safety: every function is thread-safe (no shared state); a Batch
// and the spans passed to a callback belong to the calling thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "llm_cost_exporter/ingest.h"
#include "llm_cost_exporter/status.h"

namespace lce {

// An OTLP AnyValue, reduced to what the mapping reads. Arrays, key-value
// lists and bytes are kOther (never mapped).
struct OtlpValue {
  enum class Kind : std::uint8_t { kEmpty, kString, kInt, kDouble, kBool, kOther };
  Kind kind = Kind::kEmpty;
  std::string_view string;     // kString
  std::int64_t int_value = 0;  // kInt
  double double_value = 0;     // kDouble
  bool bool_value = false;     // kBool
};

struct OtlpAttribute {
  std::string_view key;
  OtlpValue value;
};

// One span with its resource's attributes. Views are valid only while the
// decoder's callback runs.
struct OtlpSpan {
  std::string_view trace_id;  // hex text (JSON as sent; protobuf: its bytes hex-encoded); "" when absent
  std::string_view span_id;   // hex text; "" when absent
  std::string_view name;
  std::uint64_t start_time_unix_nano = 0;  // 0 when absent
  std::uint64_t end_time_unix_nano = 0;    // 0 when absent
  std::int32_t status_code = 0;            // 0 unset, 1 ok, 2 error
  std::span<const OtlpAttribute> attributes;
  std::span<const OtlpAttribute> resource_attributes;
};

// Which attribute keys feed which record field. Each field is an ordered
// list: the first key present on the span wins (service: on the resource;
// campaign_id / audience_id: on the span, else on the resource).
// The defaults cover the GenAI semantic conventions (current and older
// names), OpenLLMetry / Traceloop (gen_ai.*, llm.usage.*) and OpenInference
// (llm.model_name, llm.provider / llm.system, llm.token_count.*).
struct OtlpAttributeKeys {
  std::vector<std::string> service{"service.name"};
  std::vector<std::string> operation{"gen_ai.operation.name"};
  std::vector<std::string> model{"gen_ai.response.model", "gen_ai.request.model", "llm.model_name"};
  std::vector<std::string> vendor{"gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system"};
  std::vector<std::string> input_tokens{"gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens",
                                        "llm.usage.prompt_tokens", "llm.token_count.prompt"};
  std::vector<std::string> output_tokens{"gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens",
                                         "llm.usage.completion_tokens", "llm.token_count.completion"};
  std::vector<std::string> cached_input_tokens{"gen_ai.usage.cache_read_input_tokens", "gen_ai.usage.cached_tokens",
                                               "llm.usage.cache_read_input_tokens",
                                               "llm.token_count.prompt_details.cache_read"};
  std::vector<std::string> cache_write_tokens{"gen_ai.usage.cache_creation_input_tokens",
                                              "llm.token_count.prompt_details.cache_write"};
  // Anthropic's usage.cache_creation.ephemeral_1h_input_tokens: a part of the cache writes.
  std::vector<std::string> cache_write_1h_tokens{"gen_ai.usage.cache_creation.ephemeral_1h_input_tokens",
                                                 "llm.token_count.prompt_details.cache_write_1h"};
  std::vector<std::string> reasoning_tokens{"gen_ai.usage.reasoning_tokens",
                                            "llm.token_count.completion_details.reasoning"};
  std::vector<std::string> vendor_status{"http.response.status_code", "http.status_code"};
  std::vector<std::string> campaign_id{"campaign_id"};
  std::vector<std::string> audience_id{"audience_id"};
};

// Each field of OtlpAttributeKeys with its name under `otlp.attributes`.
struct OtlpAttributeField {
  std::string_view name;
  std::vector<std::string> OtlpAttributeKeys::*keys;
};
inline constexpr OtlpAttributeField kOtlpAttributeFields[] = {
    {"service", &OtlpAttributeKeys::service},
    {"operation", &OtlpAttributeKeys::operation},
    {"model", &OtlpAttributeKeys::model},
    {"vendor", &OtlpAttributeKeys::vendor},
    {"input_tokens", &OtlpAttributeKeys::input_tokens},
    {"output_tokens", &OtlpAttributeKeys::output_tokens},
    {"cached_input_tokens", &OtlpAttributeKeys::cached_input_tokens},
    {"cache_write_tokens", &OtlpAttributeKeys::cache_write_tokens},
    {"reasoning_tokens", &OtlpAttributeKeys::reasoning_tokens},
    {"cache_write_1h_tokens", &OtlpAttributeKeys::cache_write_1h_tokens},
    {"vendor_status", &OtlpAttributeKeys::vendor_status},
    {"campaign_id", &OtlpAttributeKeys::campaign_id},
    {"audience_id", &OtlpAttributeKeys::audience_id},
};

// The `otlp:` configuration section. A plain value.
struct OtlpOptions {
  OtlpAttributeKeys attributes;
  // Vendors (after normalisation) whose input token count excludes cache
  // reads and cache writes (Anthropic's API): the mapping adds them up.
  std::vector<std::string> disjoint_cache_vendors{"anthropic"};
  std::string llm_event = "llm.call";  // event of spans with a GenAI model or token usage
  std::string span_event = "span";     // event of every other span
};

// Checks that both events pass the label rule and that no attribute key is
// empty. The config loader calls it (so --check-config does).
Status ValidateOtlpOptions(const OtlpOptions& options, const IngestOptions& ingest);

// The vendor name a GenAI provider value maps to: ASCII lower case, then the
// few well-known aliases of docs/otlp.md (e.g. "gcp.vertex_ai" -> "google").
// Returns `out` (written into *out) or a view of a static name.
std::string_view NormalizeOtlpVendor(std::string_view value, std::string* out);

// A decoder's consumer of spans: a non-ok Status stops decoding at once and
// is what the decoder returns.
using OtlpSpanCallback = std::function<Status(const OtlpSpan&)>;

// Decodes an OTLP/HTTP JSON ExportTraceServiceRequest and calls `on_span`
// once per span, in body order. Unknown fields are ignored (OTLP's forward
// compatibility rule). Returns a non-ok Status, naming the JSON path, when
// the body is not JSON or not a valid request, or on_span's non-ok Status;
// spans already passed to `on_span` must then be discarded by the caller.
Status DecodeOtlpJson(std::string_view body, const OtlpSpanCallback& on_span);

// Maps one span into `batch` as its next item (batch->total is its 0-based
// index): a record appended to records / record_index, or an error appended
// to errors. Spans without a GenAI model or token usage become `span_event`
// records (service, operation, latency, vendor_status only). A record is
// failed when the span's status is ERROR, or its HTTP status is >= 400 and
// its status is not OK (docs/otlp.md).
void AppendOtlpSpan(const OtlpSpan& span, const OtlpOptions& otlp, const IngestOptions& ingest,
                    std::int64_t receive_time_unix_ns, Batch* batch);

// Decodes an OTLP/HTTP protobuf ExportTraceServiceRequest (the OTLP
// specification's field numbers, src/otlp/otlp_trace.proto) and calls
// `on_span` once per span, in body order, with the same OtlpSpan as
// DecodeOtlpJson (trace and span ids hex-encoded, lower case). The whole
// body is parsed first: a malformed or truncated body is an InvalidArgument
// Status and no span is passed on. Unknown fields are skipped; on_span's
// non-ok Status stops decoding and is returned.
// Both decoders turn a std::exception thrown by `on_span` (bad_alloc) into
// an Internal Status and let any other exception through.
Status DecodeOtlpProtobuf(std::string_view body, const OtlpSpanCallback& on_span);

enum class OtlpEncoding { kJson, kProtobuf };

// Decodes and maps a whole body. A non-ok Status means no span of the body
// is in the batch: InvalidArgument when the body is not a valid request,
// ResourceExhausted when it holds more than ingest.max_records_per_batch
// spans (decoding stops there), Internal when memory ran out.
Result<Batch> ParseOtlpTraces(std::string_view body, OtlpEncoding encoding, const OtlpOptions& otlp,
                              const IngestOptions& ingest, std::int64_t receive_time_unix_ns);

// Decompresses a gzip body (Content-Encoding: gzip; several members back to
// back are one body), producing at most max_bytes: beyond that it stops at
// once with PayloadTooLarge (a zip bomb costs max_bytes + 1 bytes of memory,
// no more). A body that is not gzip, is corrupt or truncated is
// InvalidArgument; Internal when zlib or memory fails.
Result<std::string> InflateOtlpGzip(std::string_view body, std::size_t max_bytes);

// The ExportTraceServiceResponse body in `encoding`: JSON "{}" or an empty
// protobuf message when nothing was rejected, else partial_success with
// rejected_spans and error_message.
std::string EncodeOtlpTraceResponse(OtlpEncoding encoding, std::int64_t rejected_spans, std::string_view error_message);

// An error answer's body: a google.rpc.Status {code, message} in `encoding`.
std::string EncodeOtlpStatus(OtlpEncoding encoding, int code, std::string_view message);

}  // namespace lce

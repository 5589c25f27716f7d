// DecodeOtlpProtobuf: OTLP/HTTP protobuf ExportTraceServiceRequest ->
// OtlpSpans, with Debian's protobuf library (lite runtime) and the messages
// of otlp_trace.proto.
//
// The whole body is parsed before any span is passed on (a malformed or
// truncated request is refused as a whole, like a JSON one). Parsing goes
// into an arena, so a request costs a few large allocations instead of one
// per message, and everything is freed at once. Protobuf's parser never
// throws or aborts on hostile input: it returns false (bad tags, truncated
// lengths, wrong wire types, nesting deeper than its recursion limit of
// 100). Unknown fields are skipped (OTLP's forward compatibility rule).
//
// Views: strings are views into the parsed messages; trace and span ids are
// bytes on the wire and are hex-encoded into two small buffers reused for
// every span. Both live until DecodeOtlpProtobuf returns.
#include <exception>
#include <limits>
#include <string>
#include <vector>

#include <google/protobuf/arena.h>

#include "llm_cost_exporter/otlp.h"
#include "otlp_trace.pb.h"

namespace lce {
namespace {

namespace wire = otlp::wire;

// Lower-case hex of `bytes` into *out ("" for no bytes: the id is absent).
void Hex(const std::string& bytes, std::string* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  out->resize(bytes.size() * 2);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto byte = static_cast<unsigned char>(bytes[i]);
    (*out)[2 * i] = kDigits[byte >> 4];
    (*out)[2 * i + 1] = kDigits[byte & 0x0f];
  }
}

OtlpValue ToValue(const wire::AnyValue& value) {
  OtlpValue out;
  switch (value.value_case()) {
    case wire::AnyValue::kStringValue:
      out.kind = OtlpValue::Kind::kString;
      out.string = value.string_value();
      break;
    case wire::AnyValue::kIntValue:
      out.kind = OtlpValue::Kind::kInt;
      out.int_value = value.int_value();
      break;
    case wire::AnyValue::kDoubleValue:
      out.kind = OtlpValue::Kind::kDouble;
      out.double_value = value.double_value();
      break;
    case wire::AnyValue::kBoolValue:
      out.kind = OtlpValue::Kind::kBool;
      out.bool_value = value.bool_value();
      break;
    case wire::AnyValue::kArrayValue:
    case wire::AnyValue::kKvlistValue:
    case wire::AnyValue::kBytesValue: out.kind = OtlpValue::Kind::kOther; break;
    case wire::AnyValue::VALUE_NOT_SET: break;
  }
  return out;
}

void ToAttributes(const google::protobuf::RepeatedPtrField<wire::KeyValue>& list, std::vector<OtlpAttribute>* out) {
  out->clear();
  out->reserve(static_cast<std::size_t>(list.size()));
  for (const wire::KeyValue& kv : list) {
    out->push_back(OtlpAttribute{kv.key(), kv.has_value() ? ToValue(kv.value()) : OtlpValue{}});
  }
}

// The first span whose status code is not 0, 1 or 2, as a path; "" if none.
// (The JSON decoder refuses such a code too; both encodings answer alike.)
std::string BadStatusPath(const wire::ExportTraceServiceRequest& request) {
  for (int r = 0; r < request.resource_spans_size(); ++r) {
    const wire::ResourceSpans& rs = request.resource_spans(r);
    for (int s = 0; s < rs.scope_spans_size(); ++s) {
      const wire::ScopeSpans& ss = rs.scope_spans(s);
      for (int p = 0; p < ss.spans_size(); ++p) {
        const std::int32_t code = ss.spans(p).status().code();
        if (code < 0 || code > 2) {
          return "resource_spans[" + std::to_string(r) + "].scope_spans[" + std::to_string(s) + "].spans[" +
                 std::to_string(p) + "].status.code";
        }
      }
    }
  }
  return {};
}

}  // namespace

Status DecodeOtlpProtobuf(std::string_view body, const OtlpSpanCallback& on_span) {
  try {
    if (body.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
      return Status::InvalidArgument("invalid ExportTraceServiceRequest: body larger than 2 GiB");
    }
    google::protobuf::ArenaOptions options;
    options.start_block_size = 4096;
    options.max_block_size = 1 << 20;
    google::protobuf::Arena arena(options);
    auto* request = google::protobuf::Arena::CreateMessage<wire::ExportTraceServiceRequest>(&arena);
    if (!request->ParseFromArray(body.data(), static_cast<int>(body.size()))) {
      return Status::InvalidArgument(
          "invalid ExportTraceServiceRequest: not a valid protobuf message (malformed, truncated, or nested too "
          "deeply)");
    }
    if (const std::string bad = BadStatusPath(*request); !bad.empty()) {
      return Status::InvalidArgument("invalid ExportTraceServiceRequest: " + bad +
                                     ": must be 0 (unset), 1 (ok) or 2 (error)");
    }
    std::vector<OtlpAttribute> resource_attributes;
    std::vector<OtlpAttribute> span_attributes;
    std::string trace_id;
    std::string span_id;
    for (const wire::ResourceSpans& rs : request->resource_spans()) {
      ToAttributes(rs.resource().attributes(), &resource_attributes);
      for (const wire::ScopeSpans& ss : rs.scope_spans()) {
        for (const wire::Span& span : ss.spans()) {
          OtlpSpan out;
          Hex(span.trace_id(), &trace_id);
          Hex(span.span_id(), &span_id);
          out.trace_id = trace_id;
          out.span_id = span_id;
          out.name = span.name();
          out.start_time_unix_nano = span.start_time_unix_nano();
          out.end_time_unix_nano = span.end_time_unix_nano();
          out.status_code = span.status().code();
          ToAttributes(span.attributes(), &span_attributes);
          out.attributes = span_attributes;
          out.resource_attributes = resource_attributes;
          if (Status taken = on_span(out); !taken.ok()) return taken;
        }
      }
    }
    return Status::Ok();
  } catch (const std::exception& e) {  // std::bad_alloc
    return Status::Internal(std::string("decoding OTLP protobuf failed: ") + e.what());
  }
}

}  // namespace lce

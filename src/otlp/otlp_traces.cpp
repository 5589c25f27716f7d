// ParseOtlpTraces (decode + map a whole body), the `otlp:` options check and
// vendor normalisation. Stateless; thread-safe.
#include <exception>
#include <string>
#include <utility>

#include "llm_cost_exporter/otlp.h"

namespace lce {

std::string_view NormalizeOtlpVendor(std::string_view value, std::string* out) {
  out->assign(value);
  for (char& c : *out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return *out;
}

Status ValidateOtlpOptions(const OtlpOptions& options, const IngestOptions& ingest) {
  for (const auto& [name, event] : {std::pair<const char*, const std::string&>{"llm_event", options.llm_event},
                                    std::pair<const char*, const std::string&>{"span_event", options.span_event}}) {
    if (const std::optional<FieldError> error = ValidateLabelValue(event, ingest.max_label_length)) {
      return Status::InvalidArgument(std::string(name) + ": " + error->message);
    }
  }
  for (const OtlpAttributeField& field : kOtlpAttributeFields) {
    for (const std::string& key : options.attributes.*(field.keys)) {
      if (key.empty()) {
        return Status::InvalidArgument("attributes." + std::string(field.name) + ": keys must not be empty");
      }
    }
  }
  for (const std::string& vendor : options.disjoint_cache_vendors) {
    if (vendor.empty()) return Status::InvalidArgument("disjoint_cache_vendors: vendors must not be empty");
  }
  return Status::Ok();
}

Result<Batch> ParseOtlpTraces(std::string_view body, OtlpEncoding encoding, const OtlpOptions& otlp,
                              const IngestOptions& ingest, std::int64_t receive_time_unix_ns) {
  try {
    Batch batch;
    // Decoding stops at the first span over ingest.max_records_per_batch
    // (memory stays bounded by the limit).
    const auto append = [&](const OtlpSpan& span) -> Status {
      if (batch.total >= ingest.max_records_per_batch) {
        return Status::ResourceExhausted("the request holds more than " + std::to_string(ingest.max_records_per_batch) +
                                         " spans (ingest.max_records_per_batch): split it, nothing was counted");
      }
      AppendOtlpSpan(span, otlp, ingest, receive_time_unix_ns, &batch);
      return Status::Ok();
    };
    Status decoded;
    switch (encoding) {
      case OtlpEncoding::kJson: decoded = DecodeOtlpJson(body, append); break;
      case OtlpEncoding::kProtobuf: decoded = DecodeOtlpProtobuf(body, append); break;
    }
    if (!decoded.ok()) return decoded;
    return Result<Batch>(std::move(batch));
  } catch (const std::exception& e) {  // std::bad_alloc
    return Status::Internal(std::string("OTLP ingest failed: ") + e.what());
  }
}

}  // namespace lce

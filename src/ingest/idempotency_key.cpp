// The idempotency key of a usage record (see ingest.h).
#include <exception>

#include "llm_cost_exporter/ingest.h"

namespace lce {
namespace {

// Hex ids are accepted in either case; the key uses lower case so that the
// same span sent twice in different case is still one record.
void AppendLower(std::string* out, std::string_view hex) {
  for (char c : hex) out->push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
}

}  // namespace

std::string IdempotencyKey(const UsageRecord& record) {
  try {
    if (!record.event_id.empty()) return std::string(record.event_id);
    if (record.trace_id.empty() || record.span_id.empty()) return {};
    std::string key;
    key.reserve(2 + record.trace_id.size() + 1 + record.span_id.size() + 1 + record.event.size());
    key += "t:";
    AppendLower(&key, record.trace_id);
    key += ':';
    AppendLower(&key, record.span_id);
    key += ':';
    key += record.event;
    return key;
  } catch (const std::exception&) {  // std::bad_alloc: no key (record is not deduplicated)
    return {};
  }
}

}  // namespace lce

// The idempotency key of a usage record (see ingest.h).
#include <array>
#include <cstring>
#include <exception>
#include <string>

#include "llm_cost_exporter/ingest.h"

namespace lce {
namespace {

// Hex ids are accepted in either case; the key uses lower case so that the
// same span sent twice in different case is still one record.
char* AppendLower(char* out, std::string_view hex) {
  for (char c : hex) *out++ = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}

char* Append(char* out, std::string_view text) {
  std::memcpy(out, text.data(), text.size());
  return out + text.size();
}

}  // namespace

std::string_view IdempotencyKey(const UsageRecord& record, Batch& batch) {
  if (!record.event_id.empty()) return record.event_id;
  if (record.trace_id.empty() || record.span_id.empty()) return {};
  try {
    // Built where it is kept: "t:" trace ':' span ':' event.
    const std::size_t size = 2 + record.trace_id.size() + 1 + record.span_id.size() + 1 + record.event.size();
    std::array<char, 256> stack;  // trace and span ids are hex of 32 and 16: usually enough
    std::string heap;
    char* const start = size <= stack.size() ? stack.data() : (heap.resize(size), heap.data());
    char* out = Append(start, "t:");
    out = AppendLower(out, record.trace_id);
    *out++ = ':';
    out = AppendLower(out, record.span_id);
    *out++ = ':';
    Append(out, record.event);
    return batch.Keep(std::string_view(start, size));
  } catch (const std::exception&) {  // std::bad_alloc: no key (record is not deduplicated)
    return {};
  }
}

}  // namespace lce

// UsageRecord: one validated usage event (an LLM call, a paid vendor call or a
// business event), as produced by the ingest module (or the OTLP mapping).
//
// Lifetime contract: string fields are views into a buffer owned by whoever
// produced the record (ingest::Batch keeps the request body alive); a record
// must not outlive that owner. Every string field has already been validated:
// label-bound fields match the label character set and length limit, so they
// never contain escapes, spaces, '@' or control characters.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lce {

// Token counts follow the OpenAI / OpenTelemetry convention: cached_input and
// cache_write are parts of input, reasoning is part of output, and
// cache_write_1h (writes with a 1-hour cache lifetime, which Anthropic prices
// apart from the 5-minute ones) is a part of cache_write.
enum class TokenType : std::uint8_t { kInput, kOutput, kCachedInput, kCacheWrite, kReasoning, kCacheWrite1h };
inline constexpr std::size_t kTokenTypeCount = 6;
inline constexpr std::array<std::string_view, kTokenTypeCount> kTokenTypeNames = {
    "input", "output", "cached_input", "cache_write", "reasoning", "cache_write_1h"};

struct TokenUsage {
  std::array<std::uint64_t, kTokenTypeCount> count{};  // indexed by TokenType

  std::uint64_t operator[](TokenType t) const { return count[static_cast<std::size_t>(t)]; }
  std::uint64_t& operator[](TokenType t) { return count[static_cast<std::size_t>(t)]; }
};

// Upper bounds of one record (docs/usage-record.md#bounds), enforced by every
// record source (ingest, OTLP): a record beyond them is rejected alone with
// out_of_range, so it never reaches pricing or the ledger. Far above any real
// call (the largest context windows are ~10M tokens, batch calls finish
// within a day), yet small enough that a record priced at the largest price
// a table may hold stays inside the ledger's range.
inline constexpr std::uint64_t kMaxTokensPerRecord = 1'000'000'000;         // per token type
inline constexpr std::uint64_t kMaxUnitsPerRecord = 1'000'000'000;          // per unit name
inline constexpr std::int64_t kMaxLatencyUs = 7LL * 24 * 3600 * 1'000'000;  // 7 days
inline constexpr std::int64_t kMaxLatencyMs = kMaxLatencyUs / 1000;
// The earliest timestamp a record may carry, 1677-09-21T00:15:00Z: the first
// 15-minute spend bucket that int64 nanoseconds can hold (RFC 3339 times
// reach back 2 min 17 s further).
inline constexpr std::int64_t kMinTimestampUnixNs =
    (std::numeric_limits<std::int64_t>::min() / (15LL * 60 * 1'000'000'000)) * (15LL * 60 * 1'000'000'000);

struct UnitCount {
  std::string_view unit;  // label-safe unit name, e.g. "emails"
  std::uint64_t count = 0;
};

struct UsageRecord {
  std::string_view event;     // required, label-safe, e.g. "llm.call", "email.sent"
  std::string_view event_id;  // may be empty
  // Idempotency key: event_id, or derived from trace_id/span_id/event when
  // event_id is absent (the derived form is kept in the record's batch, like
  // decoded strings); empty when neither exists (the record cannot be
  // deduplicated). A view: no copy or allocation per record.
  std::string_view idempotency_key;
  std::int64_t timestamp_unix_ns = 0;  // record time, or receive time when absent
  bool timestamp_given = false;

  // Label-bound fields: empty when absent.
  std::string_view service;
  std::string_view operation;
  std::string_view campaign_id;
  std::string_view audience_id;
  std::string_view vendor;
  std::string_view model;
  std::string_view service_tier;    // empty means the default tier
  std::string_view prompt_version;  // the prompt (template) version an LLM call used

  // Never labels (exemplars at most).
  std::string_view decision_id;
  std::string_view trace_id;
  std::string_view span_id;
  std::string_view reservation_id;
  std::string_view hash_email;

  bool has_token_usage = false;
  TokenUsage tokens;
  std::vector<UnitCount> units;

  std::uint32_t attempt = 1;  // > 1 marks a retry
  bool has_latency = false;
  std::int64_t latency_us = 0;      // latency_ms * 1000, rounded to microseconds
  std::uint16_t vendor_status = 0;  // 0 when absent; otherwise 100..599
  // The call or operation failed: vendor_status >= 400 for a JSON record; for
  // an OTLP span, status ERROR, or an HTTP status >= 400 unless the status is
  // OK (docs/otlp.md). Counted in span_errors_total with the latency.
  bool failed = false;

  bool is_llm_call() const { return !model.empty(); }
  bool is_retry() const { return attempt > 1; }
};

}  // namespace lce

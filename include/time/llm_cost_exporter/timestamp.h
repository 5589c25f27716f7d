// Timestamp parsing shared by every module that reads times from text
// (records, price tables). Pure functions, thread-safe, no locale, no time
// zone database.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace lce {

// Parses an RFC 3339 date-time ("2026-04-02T10:15:00.123Z", offsets allowed,
// up to 9 fraction digits, no leap seconds) to Unix nanoseconds. Returns
// false on any syntax or range error; `unix_ns` may be null to only validate.
bool ParseRfc3339(std::string_view text, std::int64_t* unix_ns);

// Parses a calendar date "YYYY-MM-DD" as 00:00:00 UTC of that day.
bool ParseIsoDate(std::string_view text, std::int64_t* unix_ns);

// Unix nanoseconds as Unix seconds, for Prometheus samples (the only place a
// time becomes floating point). Whole seconds and the fraction convert apart,
// so any current time keeps its full microsecond precision.
inline double UnixNsToSeconds(std::int64_t unix_ns) {
  return static_cast<double>(unix_ns / 1'000'000'000) + static_cast<double>(unix_ns % 1'000'000'000) / 1e9;
}

// The system clock now, in Unix nanoseconds.
std::int64_t NowUnixNs();

// Formats Unix nanoseconds as RFC 3339 in UTC, whole seconds: "2026-04-02T10:15:00Z"
// (the fraction is truncated; instants before the epoch round down).
std::string FormatRfc3339(std::int64_t unix_ns);
// The same text written to `out` without allocating (no terminating NUL).
constexpr std::size_t kRfc3339Chars = 20;
void WriteRfc3339(std::int64_t unix_ns, char (&out)[kRfc3339Chars]);
// The UTC calendar date of an instant: "2026-04-02".
std::string FormatIsoDate(std::int64_t unix_ns);

}  // namespace lce

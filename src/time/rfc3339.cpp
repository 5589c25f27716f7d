// RFC 3339 "date-time" and ISO 8601 calendar dates to Unix nanoseconds.
//
// Accepted grammar (RFC 3339 section 5.6; 'T' and 'Z' may be lower case):
//   YYYY-MM-DD T hh:mm:ss [.f{1,9}] ( Z | (+|-)hh:mm )
// Rejected: leap seconds (ss = 60; Unix time cannot represent them), more than
// 9 fraction digits, a space instead of 'T', and instants outside the int64
// nanosecond range (about 1677-09-21 to 2262-04-11).
#include "calendar.h"

#include <cstddef>
#include <limits>
#include <string_view>

#include "llm_cost_exporter/timestamp.h"

namespace lce {
namespace time_detail {

bool IsLeapYear(std::int64_t year) noexcept { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(std::int64_t year, int month) noexcept {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && IsLeapYear(year)) return 29;
  return kDays[month - 1];
}

std::int64_t DaysFromCivil(std::int64_t year, int month, int day) noexcept {
  const std::int64_t y = year - (month <= 2 ? 1 : 0);
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;                          // [0, 399]
  const std::int64_t mp = (month + 9) % 12;                        // March = 0
  const std::int64_t doy = (153 * mp + 2) / 5 + day - 1;           // [0, 365]
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;  // [0, 146096]
  return era * 146097 + doe - 719468;
}

namespace {

// Reads exactly `count` decimal digits at text[*pos]; advances *pos.
bool ReadDigits(std::string_view text, std::size_t* pos, std::size_t count, int* out) noexcept {
  if (text.size() - *pos < count) return false;
  int value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const char c = text[*pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  *pos += count;
  *out = value;
  return true;
}

bool Expect(std::string_view text, std::size_t* pos, char a, char b = '\0') noexcept {
  if (*pos >= text.size()) return false;
  const char c = text[*pos];
  if (c != a && (b == '\0' || c != b)) return false;
  ++*pos;
  return true;
}

// Optional ".f{1,9}" as nanoseconds.
bool ReadFraction(std::string_view text, std::size_t* pos, std::int64_t* nanos) noexcept {
  *nanos = 0;
  if (*pos >= text.size() || text[*pos] != '.') return true;
  ++*pos;
  std::size_t digits = 0;
  while (*pos < text.size() && text[*pos] >= '0' && text[*pos] <= '9') {
    if (++digits > 9) return false;
    *nanos = *nanos * 10 + (text[*pos] - '0');
    ++*pos;
  }
  if (digits == 0) return false;
  for (std::size_t i = digits; i < 9; ++i) *nanos *= 10;
  return true;
}

// "Z" or "+hh:mm" / "-hh:mm" as seconds east of UTC; must end the text.
bool ReadOffset(std::string_view text, std::size_t* pos, std::int64_t* offset_seconds) noexcept {
  *offset_seconds = 0;
  if (Expect(text, pos, 'Z', 'z')) return *pos == text.size();
  if (*pos >= text.size()) return false;
  const char sign = text[*pos];
  if (sign != '+' && sign != '-') return false;
  ++*pos;
  int hh = 0;
  int mm = 0;
  if (!ReadDigits(text, pos, 2, &hh) || !Expect(text, pos, ':') || !ReadDigits(text, pos, 2, &mm)) return false;
  if (hh > 23 || mm > 59 || *pos != text.size()) return false;
  *offset_seconds = (sign == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
  return true;
}

}  // namespace
}  // namespace time_detail

namespace {

// "YYYY-MM-DD" at text[*pos], range-checked; advances *pos.
bool ReadDate(std::string_view text, std::size_t* pos, int* year, int* month, int* day) noexcept {
  using namespace time_detail;
  if (!ReadDigits(text, pos, 4, year) || !Expect(text, pos, '-') || !ReadDigits(text, pos, 2, month) ||
      !Expect(text, pos, '-') || !ReadDigits(text, pos, 2, day)) {
    return false;
  }
  return *month >= 1 && *month <= 12 && *day >= 1 && *day <= DaysInMonth(*year, *month);
}

}  // namespace

bool ParseIsoDate(std::string_view text, std::int64_t* unix_ns) {
  std::size_t pos = 0;
  int year = 0, month = 0, day = 0;
  if (!ReadDate(text, &pos, &year, &month, &day) || pos != text.size()) return false;
  // Days after 2262-04-11 overflow int64 nanoseconds: rejected, as in ParseRfc3339.
  const __int128 total = static_cast<__int128>(time_detail::DaysFromCivil(year, month, day)) * 86400 * 1'000'000'000;
  if (total < std::numeric_limits<std::int64_t>::min() || total > std::numeric_limits<std::int64_t>::max()) {
    return false;
  }
  if (unix_ns != nullptr) *unix_ns = static_cast<std::int64_t>(total);
  return true;
}

bool ParseRfc3339(std::string_view text, std::int64_t* unix_ns) {
  using namespace time_detail;
  std::size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadDate(text, &pos, &year, &month, &day) || !Expect(text, &pos, 'T', 't') ||
      !ReadDigits(text, &pos, 2, &hour) || !Expect(text, &pos, ':') || !ReadDigits(text, &pos, 2, &minute) ||
      !Expect(text, &pos, ':') || !ReadDigits(text, &pos, 2, &second)) {
    return false;
  }
  if (hour > 23 || minute > 59 || second > 59) return false;
  std::int64_t nanos = 0;
  std::int64_t offset_seconds = 0;
  if (!ReadFraction(text, &pos, &nanos) || !ReadOffset(text, &pos, &offset_seconds)) return false;

  const std::int64_t seconds =
      DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  // 128-bit: the earliest representable instant has seconds * 1e9 below
  // INT64_MIN and only fits once the (positive) fraction is added.
  const __int128 total = static_cast<__int128>(seconds) * 1'000'000'000 + nanos;
  if (total < std::numeric_limits<std::int64_t>::min() || total > std::numeric_limits<std::int64_t>::max()) {
    return false;
  }
  if (unix_ns != nullptr) *unix_ns = static_cast<std::int64_t>(total);
  return true;
}

}  // namespace lce

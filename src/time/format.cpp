#include <chrono>
#include <array>
#include <cstdio>
#include <cstring>

#include "llm_cost_exporter/timestamp.h"

namespace lce {
namespace {

struct UtcFields {
  int year;
  unsigned month, day;
  long long hour, minute, second;
};

// a / b rounded toward negative infinity (b > 0).
long long FloorDiv(long long a, long long b) { return a / b - (a % b < 0 ? 1 : 0); }

UtcFields Split(std::int64_t unix_ns) {
  using namespace std::chrono;
  // In whole seconds, not nanoseconds: the day the earliest instants fall in
  // begins before the int64 nanosecond range does.
  const long long unix_seconds = FloorDiv(unix_ns, 1'000'000'000);
  const long long day_number = FloorDiv(unix_seconds, 86'400);
  const year_month_day date{sys_days{days{day_number}}};
  const long long second_of_day = unix_seconds - day_number * 86'400;
  return {static_cast<int>(date.year()),     static_cast<unsigned>(date.month()),
          static_cast<unsigned>(date.day()), second_of_day / 3600,
          second_of_day / 60 % 60,           second_of_day % 60};
}

}  // namespace

std::int64_t NowUnixNs() {
  using namespace std::chrono;
  return duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
}

namespace {

// Writes `value` as exactly `width` decimal digits at `out` (value < 10^width).
void PutDigits(char* out, unsigned long long value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

void FormatRfc3339Fields(std::int64_t unix_ns, char (&out)[kRfc3339Chars]) {
  const UtcFields f = Split(unix_ns);
  // Without snprintf: answers that carry period bounds write two of these
  // per request. An int64 of nanoseconds spans the years 1677 to 2262, four
  // digits always.
  std::memcpy(out, "0000-00-00T00:00:00Z", kRfc3339Chars);
  PutDigits(out, static_cast<unsigned long long>(f.year), 4);
  PutDigits(out + 5, f.month, 2);
  PutDigits(out + 8, f.day, 2);
  PutDigits(out + 11, static_cast<unsigned long long>(f.hour), 2);
  PutDigits(out + 14, static_cast<unsigned long long>(f.minute), 2);
  PutDigits(out + 17, static_cast<unsigned long long>(f.second), 2);
}

// The last two instants each thread formatted: a budget answer writes its
// period's start and end, the same two for every request in the period.
struct FormattedInstant {
  std::int64_t unix_ns = 0;
  bool valid = false;
  char text[kRfc3339Chars];
};
thread_local std::array<FormattedInstant, 2> t_recent;
thread_local std::size_t t_next = 0;

}  // namespace

void WriteRfc3339(std::int64_t unix_ns, char (&out)[kRfc3339Chars]) {
  for (const FormattedInstant& recent : t_recent) {
    if (recent.valid && recent.unix_ns == unix_ns) {
      std::memcpy(out, recent.text, kRfc3339Chars);
      return;
    }
  }
  FormatRfc3339Fields(unix_ns, out);
  FormattedInstant& slot = t_recent[t_next];
  t_next = (t_next + 1) % t_recent.size();
  slot.unix_ns = unix_ns;
  slot.valid = true;
  std::memcpy(slot.text, out, kRfc3339Chars);
}

std::string FormatRfc3339(std::int64_t unix_ns) {
  char text[kRfc3339Chars];
  WriteRfc3339(unix_ns, text);
  return std::string(text, sizeof text);
}

std::string FormatIsoDate(std::int64_t unix_ns) {
  const UtcFields f = Split(unix_ns);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", f.year, f.month, f.day);
  return buf;
}

}  // namespace lce

#include <chrono>
#include <cstdio>

#include "llm_cost_exporter/timestamp.h"

namespace lce {
namespace {

struct UtcFields {
  int year;
  unsigned month, day;
  long long hour, minute, second;
};

UtcFields Split(std::int64_t unix_ns) {
  using namespace std::chrono;
  const sys_time<nanoseconds> instant{nanoseconds(unix_ns)};
  const sys_days day = floor<days>(instant);
  const year_month_day date{day};
  const long long second_of_day = floor<seconds>(instant - day).count();
  return {static_cast<int>(date.year()),     static_cast<unsigned>(date.month()),
          static_cast<unsigned>(date.day()), second_of_day / 3600,
          second_of_day / 60 % 60,           second_of_day % 60};
}

}  // namespace

std::int64_t NowUnixNs() {
  using namespace std::chrono;
  return duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
}

std::string FormatRfc3339(std::int64_t unix_ns) {
  const UtcFields f = Split(unix_ns);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lldZ", f.year, f.month, f.day, f.hour, f.minute,
                f.second);
  return buf;
}

std::string FormatIsoDate(std::int64_t unix_ns) {
  const UtcFields f = Split(unix_ns);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", f.year, f.month, f.day);
  return buf;
}

}  // namespace lce

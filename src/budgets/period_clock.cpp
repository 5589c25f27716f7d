#include "period_clock.h"

#include <chrono>

#include <cctz/civil_time.h>

namespace lce::budgets_detail {
namespace {

using Seconds = cctz::time_point<cctz::seconds>;
constexpr std::int64_t kNsPerSecond = 1'000'000'000;

Seconds ToSeconds(std::int64_t unix_ns) {
  std::int64_t seconds = unix_ns / kNsPerSecond;
  if (unix_ns % kNsPerSecond != 0 && unix_ns < 0) --seconds;  // floor
  return Seconds(cctz::seconds(seconds));
}

std::int64_t ToNs(Seconds instant) {
  const int128 ns = static_cast<int128>(instant.time_since_epoch().count()) * kNsPerSecond;
  if (ns < std::numeric_limits<std::int64_t>::min()) return std::numeric_limits<std::int64_t>::min();
  if (ns > std::numeric_limits<std::int64_t>::max()) return std::numeric_limits<std::int64_t>::max();
  return static_cast<std::int64_t>(ns);
}

// The first instant whose local time is `civil` or later: the earlier of two
// repeated times, or the transition when `civil` was skipped.
std::int64_t LocalStart(const cctz::time_zone& zone, const cctz::civil_second& civil) {
  const cctz::time_zone::civil_lookup found = zone.lookup(civil);
  return ToNs(found.kind == cctz::time_zone::civil_lookup::SKIPPED ? found.trans : found.pre);
}

Window DayWindow(const cctz::time_zone& zone, cctz::civil_day first, int days) {
  return {LocalStart(zone, cctz::civil_second(first)), LocalStart(zone, cctz::civil_second(first + days))};
}

}  // namespace

Window PeriodClock::WindowAt(std::int64_t unix_ns) const {
  if (period_ == BudgetPeriod::kTotal) return {};
  const cctz::civil_second local = zone_.lookup(ToSeconds(unix_ns)).cs;
  const cctz::civil_day day(local);
  switch (period_) {
    case BudgetPeriod::kDaily: return DayWindow(zone_, day, 1);
    case BudgetPeriod::kWeekly: return DayWindow(zone_, cctz::prev_weekday(day + 1, cctz::weekday::monday), 7);
    case BudgetPeriod::kMonthly: {
      const cctz::civil_month month(local);
      return {LocalStart(zone_, cctz::civil_second(month)), LocalStart(zone_, cctz::civil_second(month + 1))};
    }
    case BudgetPeriod::kTotal: break;
  }
  return {};
}

}  // namespace lce::budgets_detail

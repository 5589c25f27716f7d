// PeriodClock: the calendar window (day, Monday-based week, month, or all
// time) containing an instant, in an IANA time zone, DST included.
// Thread safety: immutable after construction; WindowAt may be called
// concurrently.
#pragma once

#include <cstdint>
#include <limits>

#include <cctz/time_zone.h>

#include "llm_cost_exporter/budgets.h"

namespace lce::budgets_detail {

// A half-open interval of unix nanoseconds [start, end).
struct Window {
  std::int64_t start_unix_ns = std::numeric_limits<std::int64_t>::min();
  std::int64_t end_unix_ns = std::numeric_limits<std::int64_t>::max();
  bool Contains(std::int64_t unix_ns) const { return unix_ns >= start_unix_ns && unix_ns < end_unix_ns; }
};

class PeriodClock {
 public:
  PeriodClock(BudgetPeriod period, cctz::time_zone zone) : period_(period), zone_(zone) {}

  // The window containing `unix_ns`. Daily windows run from local midnight to
  // the next local midnight (23 or 25 hours on DST days); when a zone skips
  // midnight the day starts at the first local time that exists. kTotal is
  // [INT64_MIN, INT64_MAX). Bounds saturate at the int64 range.
  Window WindowAt(std::int64_t unix_ns) const;

  BudgetPeriod period() const { return period_; }

 private:
  BudgetPeriod period_;
  cctz::time_zone zone_;
};

}  // namespace lce::budgets_detail

// Period windows computed by PeriodClock (CCTZ, /usr/share/zoneinfo). Expected
// bounds are written as UTC wall times, worked out by hand from each zone's
// offsets.
#include <cctz/time_zone.h>

#include <limits>
#include <string>

#include "budgets_test_util.h"
#include "period_clock.h"

namespace lce::budgets_test {
namespace {

using budgets_detail::PeriodClock;
using budgets_detail::Window;

Window WindowIn(const std::string& zone_name, BudgetPeriod period, std::int64_t unix_ns) {
  cctz::time_zone zone;
  REQUIRE(cctz::load_time_zone(zone_name, &zone));
  return PeriodClock(period, zone).WindowAt(unix_ns);
}

void CheckWindow(const Window& window, std::int64_t start, std::int64_t end) {
  CHECK(window.start_unix_ns == start);
  CHECK(window.end_unix_ns == end);
}

TEST_CASE("Daily windows in UTC run midnight to midnight", "[budgets][period]") {
  CheckWindow(WindowIn("UTC", BudgetPeriod::kDaily, Utc(2025, 11, 20, 10, 15)), Utc(2025, 11, 20), Utc(2025, 11, 21));
  CheckWindow(WindowIn("UTC", BudgetPeriod::kDaily, Utc(2025, 11, 20)), Utc(2025, 11, 20), Utc(2025, 11, 21));
  CheckWindow(WindowIn("UTC", BudgetPeriod::kDaily, Utc(2025, 11, 21) - 1), Utc(2025, 11, 20), Utc(2025, 11, 21));
}

TEST_CASE("The leap day 2024-02-29 is its own day and February 2024 has 29 days", "[budgets][period]") {
  CheckWindow(WindowIn("UTC", BudgetPeriod::kDaily, Utc(2024, 2, 29, 12)), Utc(2024, 2, 29), Utc(2024, 3, 1));
  const Window february = WindowIn("UTC", BudgetPeriod::kMonthly, Utc(2024, 2, 29, 23, 59, 59));
  CheckWindow(february, Utc(2024, 2, 1), Utc(2024, 3, 1));
  CHECK(february.end_unix_ns - february.start_unix_ns == 29 * kDay);
}

TEST_CASE("New York's spring-forward day lasts 23 hours", "[budgets][period]") {
  // 2024-03-10: 00:00 EST (-5) = 05:00Z; 2024-03-11 00:00 EDT (-4) = 04:00Z.
  const Window day = WindowIn("America/New_York", BudgetPeriod::kDaily, Utc(2024, 3, 10, 12));
  CheckWindow(day, Utc(2024, 3, 10, 5), Utc(2024, 3, 11, 4));
  CHECK(day.end_unix_ns - day.start_unix_ns == 23 * kHour);
}

TEST_CASE("New York's fall-back day lasts 25 hours", "[budgets][period]") {
  // 2024-11-03: 00:00 EDT (-4) = 04:00Z; 2024-11-04 00:00 EST (-5) = 05:00Z.
  const Window day = WindowIn("America/New_York", BudgetPeriod::kDaily, Utc(2024, 11, 3, 6));
  CheckWindow(day, Utc(2024, 11, 3, 4), Utc(2024, 11, 4, 5));
  CHECK(day.end_unix_ns - day.start_unix_ns == 25 * kHour);
  // 01:30 local happens twice (05:30Z and 06:30Z): both in the same day.
  CHECK(WindowIn("America/New_York", BudgetPeriod::kDaily, Utc(2024, 11, 3, 5, 30)).start_unix_ns == day.start_unix_ns);
  CHECK(WindowIn("America/New_York", BudgetPeriod::kDaily, Utc(2024, 11, 3, 6, 30)).start_unix_ns == day.start_unix_ns);
}

TEST_CASE("A New York month spans the DST change with local midnights at both ends", "[budgets][period]") {
  CheckWindow(WindowIn("America/New_York", BudgetPeriod::kMonthly, Utc(2024, 3, 15)), Utc(2024, 3, 1, 5),
              Utc(2024, 4, 1, 4));
  // 2024-12-01 02:00Z is still November 30 in New York.
  CheckWindow(WindowIn("America/New_York", BudgetPeriod::kMonthly, Utc(2024, 12, 1, 2)), Utc(2024, 11, 1, 4),
              Utc(2024, 12, 1, 5));
}

TEST_CASE("Berlin days, weeks and its 23-hour DST day", "[budgets][period]") {
  // Winter: CET (+1), local midnight = 23:00Z the day before.
  CheckWindow(WindowIn("Europe/Berlin", BudgetPeriod::kDaily, Utc(2025, 1, 15, 23, 30)), Utc(2025, 1, 15, 23),
              Utc(2025, 1, 16, 23));
  // 2024-03-31 switches to CEST (+2) at 02:00 local.
  CheckWindow(WindowIn("Europe/Berlin", BudgetPeriod::kDaily, Utc(2024, 3, 31, 10)), Utc(2024, 3, 30, 23),
              Utc(2024, 3, 31, 22));
  // The week of Monday 2024-03-25 contains that day: 7 days minus an hour.
  CheckWindow(WindowIn("Europe/Berlin", BudgetPeriod::kWeekly, Utc(2024, 3, 31, 10)), Utc(2024, 3, 24, 23),
              Utc(2024, 3, 31, 22));
}

TEST_CASE("Kathmandu days start at 18:15 UTC (+5:45)", "[budgets][period]") {
  CheckWindow(WindowIn("Asia/Kathmandu", BudgetPeriod::kDaily, Utc(2024, 6, 15, 12)), Utc(2024, 6, 14, 18, 15),
              Utc(2024, 6, 15, 18, 15));
  CheckWindow(WindowIn("Asia/Kathmandu", BudgetPeriod::kDaily, Utc(2024, 6, 15, 18, 15)), Utc(2024, 6, 15, 18, 15),
              Utc(2024, 6, 16, 18, 15));
  CheckWindow(WindowIn("Asia/Kathmandu", BudgetPeriod::kMonthly, Utc(2024, 6, 30, 18, 14)), Utc(2024, 5, 31, 18, 15),
              Utc(2024, 6, 30, 18, 15));
}

TEST_CASE("Monthly windows across month and year ends", "[budgets][period]") {
  CheckWindow(WindowIn("UTC", BudgetPeriod::kMonthly, Utc(2025, 1, 31, 23, 59, 59)), Utc(2025, 1, 1), Utc(2025, 2, 1));
  CheckWindow(WindowIn("UTC", BudgetPeriod::kMonthly, Utc(2025, 2, 1)), Utc(2025, 2, 1), Utc(2025, 3, 1));
  CheckWindow(WindowIn("UTC", BudgetPeriod::kMonthly, Utc(2024, 12, 31, 12)), Utc(2024, 12, 1), Utc(2025, 1, 1));
  CheckWindow(WindowIn("UTC", BudgetPeriod::kMonthly, Utc(2025, 1, 1)), Utc(2025, 1, 1), Utc(2025, 2, 1));
}

TEST_CASE("Weekly windows start on Monday, also across the year end", "[budgets][period]") {
  // 2024-12-30 is a Monday; 2025-01-01 a Wednesday.
  CheckWindow(WindowIn("UTC", BudgetPeriod::kWeekly, Utc(2025, 1, 1, 9)), Utc(2024, 12, 30), Utc(2025, 1, 6));
  CheckWindow(WindowIn("UTC", BudgetPeriod::kWeekly, Utc(2024, 12, 30)), Utc(2024, 12, 30), Utc(2025, 1, 6));
  CheckWindow(WindowIn("UTC", BudgetPeriod::kWeekly, Utc(2024, 12, 29, 23, 59, 59)), Utc(2024, 12, 23),
              Utc(2024, 12, 30));
  // Sunday evening in New York is already Monday in UTC.
  CheckWindow(WindowIn("America/New_York", BudgetPeriod::kWeekly, Utc(2025, 1, 6, 3)), Utc(2024, 12, 30, 5),
              Utc(2025, 1, 6, 5));
}

TEST_CASE("Total windows cover all time", "[budgets][period]") {
  CheckWindow(WindowIn("America/New_York", BudgetPeriod::kTotal, Utc(2025, 1, 1)),
              std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max());
}

}  // namespace
}  // namespace lce::budgets_test

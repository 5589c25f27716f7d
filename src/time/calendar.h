// Calendar arithmetic (proleptic Gregorian calendar, no time zone database,
// no locale, no timegm). Private to the time module.
#pragma once

#include <cstdint>

namespace lce::time_detail {

bool IsLeapYear(std::int64_t year) noexcept;
// 28..31; month is 1..12.
int DaysInMonth(std::int64_t year, int month) noexcept;
// Days since 1970-01-01 of the given civil date (H. Hinnant's algorithm);
// negative before the epoch. month 1..12, day 1..31 (not range checked).
std::int64_t DaysFromCivil(std::int64_t year, int month, int day) noexcept;

}  // namespace lce::time_detail

// Money: exact USD amounts as integer fixed point.
//
// One unit is an attodollar (1e-18 USD), held in a signed 128-bit integer, so
// a price of $0.0375 per million tokens is exactly 37,500,000,000 atto-USD per
// token and the sum of any realistic number of records never drifts
// (the range is about +/- 1.7e20 USD). Floating point appears only at the
// Prometheus boundary (ToDouble). Thread safety: plain value type.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "llm_cost_exporter/status.h"

namespace lce {

using int128 = __int128;

class Money {
 public:
  static constexpr int kScaleDigits = 18;  // attodollars
  static constexpr int128 kOneDollar = static_cast<int128>(1'000'000'000'000'000'000LL);

  constexpr Money() = default;
  static constexpr Money FromAtto(int128 atto) { return Money(atto); }
  constexpr int128 atto() const { return atto_; }
  constexpr bool is_zero() const { return atto_ == 0; }

  constexpr Money& operator+=(Money other) {
    atto_ += other.atto_;
    return *this;
  }
  constexpr Money& operator-=(Money other) {
    atto_ -= other.atto_;
    return *this;
  }
  friend constexpr Money operator+(Money a, Money b) { return Money(a.atto_ + b.atto_); }
  friend constexpr Money operator-(Money a, Money b) { return Money(a.atto_ - b.atto_); }
  // Price per unit times a count of units.
  friend constexpr Money operator*(Money price, std::uint64_t count) {
    return Money(price.atto_ * static_cast<int128>(count));
  }
  friend constexpr auto operator<=>(Money a, Money b) = default;

  // Exact decimal, trailing zeros trimmed: "0.0000375", "12", "-3.5".
  std::string ToDecimalString() const;
  // Room for any ToDecimalString text (a sign, 39 digits, a point, and the
  // fraction's leading zeros), with some to spare.
  static constexpr std::size_t kMaxDecimalChars = 64;
  // Writes the ToDecimalString text to `out` without allocating; returns its length.
  std::size_t WriteDecimal(char (&out)[kMaxDecimalChars]) const;
  // Nearest double, for the Prometheus exposition format only.
  double ToDouble() const;

  // Parses a plain decimal ("3", "0.0375", "-1.25"; no exponent, no spaces)
  // as USD. Fails on syntax errors, more than 18 fractional digits or overflow.
  static Result<Money> ParseDollars(std::string_view decimal);

 private:
  constexpr explicit Money(int128 atto) : atto_(atto) {}
  int128 atto_ = 0;
};

// Parses a plain decimal string into an integer scaled by 10^scale_digits,
// e.g. ParseFixedPoint("0.0375", 12) == 37'500'000'000. Fails (naming why) on
// bad syntax, on more fractional digits than scale_digits (which would not be
// exact), or on overflow.
Result<int128> ParseFixedPoint(std::string_view decimal, int scale_digits);

// Decimal text of a 128-bit integer scaled by 10^scale_digits, trailing
// fractional zeros trimmed.
std::string FormatFixedPoint(int128 value, int scale_digits);

}  // namespace lce

// Exact decimal <-> fixed-point conversion for Money and price tables.
// Integer arithmetic only; ToDouble is the single floating-point boundary.
#include "llm_cost_exporter/money.h"

#include <algorithm>
#include <string>
#include <string_view>

namespace lce {
namespace {

using uint128 = unsigned __int128;

// 10^38 < 2^127 < 10^39: any scale up to 38 keeps 10^scale representable.
constexpr int kMaxScaleDigits = 38;
constexpr std::size_t kMaxEchoedChars = 40;

bool AllDigits(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The offending text for an error message, shortened so a huge value cannot
// flood a log line.
std::string Echo(std::string_view text) {
  if (text.size() <= kMaxEchoedChars) return "'" + std::string(text) + "'";
  return "'" + std::string(text.substr(0, kMaxEchoedChars)) + "...'";
}

// Appends one decimal digit to `magnitude`; false when the result would exceed `limit`.
bool PushDigit(uint128& magnitude, unsigned digit, uint128 limit) {
  if (magnitude > (limit - digit) / 10) return false;
  magnitude = magnitude * 10 + digit;
  return true;
}

uint128 Magnitude(int128 value) {
  // -(value + 1) cannot overflow, even for the most negative value.
  return value < 0 ? static_cast<uint128>(-(value + 1)) + 1 : static_cast<uint128>(value);
}

std::string DecimalDigits(uint128 magnitude) {
  std::string digits;
  do {
    digits.push_back(static_cast<char>('0' + static_cast<int>(magnitude % 10)));
    magnitude /= 10;
  } while (magnitude != 0);
  std::reverse(digits.begin(), digits.end());
  return digits;
}

}  // namespace

Result<int128> ParseFixedPoint(std::string_view decimal, int scale_digits) {
  if (scale_digits < 0 || scale_digits > kMaxScaleDigits) {
    return Status::InvalidArgument("fixed-point scale must be between 0 and 38 digits");
  }
  std::string_view rest = decimal;
  const bool negative = !rest.empty() && rest.front() == '-';
  if (negative) rest.remove_prefix(1);

  const std::size_t dot = rest.find('.');
  const std::string_view whole = rest.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
  const bool well_formed =
      !whole.empty() && AllDigits(whole) && AllDigits(fraction) && (dot == std::string_view::npos || !fraction.empty());
  if (!well_formed) {
    return Status::InvalidArgument(Echo(decimal) +
                                   " is not a plain decimal (digits with an optional leading '-' and "
                                   "one '.' between digits; no exponent, '+' or spaces)");
  }
  if (fraction.size() > static_cast<std::size_t>(scale_digits)) {
    return Status::InvalidArgument(Echo(decimal) + " has more than " + std::to_string(scale_digits) +
                                   " fractional digits, so it cannot be held exactly");
  }

  const uint128 limit = (static_cast<uint128>(1) << 127) - (negative ? 0 : 1);
  uint128 magnitude = 0;
  bool fits = true;
  for (char c : whole) fits = fits && PushDigit(magnitude, static_cast<unsigned>(c - '0'), limit);
  for (char c : fraction) fits = fits && PushDigit(magnitude, static_cast<unsigned>(c - '0'), limit);
  for (std::size_t i = fraction.size(); i < static_cast<std::size_t>(scale_digits); ++i) {
    fits = fits && PushDigit(magnitude, 0, limit);
  }
  if (!fits) return Status::InvalidArgument(Echo(decimal) + " is out of range");
  if (!negative || magnitude == 0) return static_cast<int128>(magnitude);
  return -static_cast<int128>(magnitude - 1) - 1;
}

std::string FormatFixedPoint(int128 value, int scale_digits) {
  std::string digits = DecimalDigits(Magnitude(value));
  if (scale_digits <= 0) {
    if (value != 0) digits.append(static_cast<std::size_t>(-scale_digits), '0');
  } else {
    const auto scale = static_cast<std::size_t>(scale_digits);
    if (digits.size() <= scale) digits.insert(0, scale + 1 - digits.size(), '0');
    digits.insert(digits.size() - scale, 1, '.');
    digits.erase(digits.find_last_not_of('0') + 1);
    if (digits.back() == '.') digits.pop_back();
  }
  if (value < 0) digits.insert(0, 1, '-');
  return digits;
}

std::string Money::ToDecimalString() const { return FormatFixedPoint(atto_, kScaleDigits); }

double Money::ToDouble() const {
  // Whole dollars and the fraction apart: each converts with a relative error
  // of at most 2^-53, so large totals keep their cents.
  const int128 whole = atto_ / kOneDollar;
  const int128 fraction = atto_ % kOneDollar;
  return static_cast<double>(whole) + static_cast<double>(fraction) / static_cast<double>(kOneDollar);
}

Result<Money> Money::ParseDollars(std::string_view decimal) {
  Result<int128> atto = ParseFixedPoint(decimal, kScaleDigits);
  if (!atto.ok()) return atto.status();
  return Money::FromAtto(*atto);
}

}  // namespace lce

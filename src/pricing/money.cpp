// Exact decimal <-> fixed-point conversion for Money and price tables.
// Integer arithmetic only; ToDouble is the single floating-point boundary.
#include "llm_cost_exporter/money.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

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

// Writes the decimal digits of `magnitude` ending at `end`; returns where
// they begin. Two 128-bit divisions at most (by 10^19); the digits come from
// 64-bit arithmetic, which the compiler does by multiplication, where a
// 128-bit division per digit used to cost a library call each.
char* DecimalDigits(uint128 magnitude, char* end) {
  constexpr std::uint64_t kTen19 = 10'000'000'000'000'000'000ULL;
  char* begin = end;
  while (magnitude >= kTen19) {
    auto chunk = static_cast<std::uint64_t>(magnitude % kTen19);
    magnitude /= kTen19;
    for (int i = 0; i < 19; ++i, chunk /= 10) *--begin = static_cast<char>('0' + chunk % 10);
  }
  auto rest = static_cast<std::uint64_t>(magnitude);
  do {
    *--begin = static_cast<char>('0' + rest % 10);
    rest /= 10;
  } while (rest != 0);
  return begin;
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

namespace {

// Writes the text of `value` scaled by 10^scale_digits (0 to 38) at `out`,
// which has room for kMaxFixedPointChars; returns the end of the text.
constexpr std::size_t kMaxFixedPointChars = 1 + 39 + 1;  // sign, 2^127's digits, point
char* WriteFixedPoint(int128 value, std::size_t scale, char* out) {
  char buffer[40];
  char* const end = buffer + sizeof buffer;
  const char* const begin = DecimalDigits(Magnitude(value), end);
  const std::string_view digits(begin, static_cast<std::size_t>(end - begin));
  if (value < 0) *out++ = '-';
  const std::size_t whole_digits = digits.size() > scale ? digits.size() - scale : 0;
  // The fraction without its trailing zeros, and without its point when empty.
  std::string_view fraction = digits.substr(whole_digits);
  fraction = fraction.substr(0, fraction.find_last_not_of('0') + 1);
  if (whole_digits == 0) {
    *out++ = '0';
  } else {
    out = std::copy(digits.begin(), digits.begin() + static_cast<std::ptrdiff_t>(whole_digits), out);
  }
  if (fraction.empty()) return out;
  *out++ = '.';
  out = std::fill_n(out, scale - (digits.size() - whole_digits), '0');
  return std::copy(fraction.begin(), fraction.end(), out);
}

}  // namespace

std::string FormatFixedPoint(int128 value, int scale_digits) {
  if (scale_digits <= 0) {
    // An integer, and -scale_digits zeros after it unless it is zero.
    char text[kMaxFixedPointChars];
    std::string result(text, WriteFixedPoint(value, 0, text));
    if (value != 0) result.append(static_cast<std::size_t>(-scale_digits), '0');
    return result;
  }
  // Leading zeros of the fraction: at most scale_digits of them.
  std::string text(kMaxFixedPointChars + static_cast<std::size_t>(scale_digits), '\0');
  text.resize(static_cast<std::size_t>(WriteFixedPoint(value, static_cast<std::size_t>(scale_digits), text.data()) -
                                       text.data()));
  return text;
}

std::string Money::ToDecimalString() const {
  char text[kMaxDecimalChars];
  return std::string(text, WriteDecimal(text));
}

// WriteFixedPoint's text for scale 18, on the request path of every budget
// answer (five amounts each): one 128-bit division splits dollars from the
// fraction, which fits 64 bits; its trailing zeros go by 10^8, 10^4 and 10
// at a time, and the digits left are written right to left.
std::size_t Money::WriteDecimal(char (&out)[kMaxDecimalChars]) const {
  static_assert(kMaxDecimalChars >= kMaxFixedPointChars + kScaleDigits, "room for the fraction's leading zeros");
  constexpr std::uint64_t kAttoPerDollar = 1'000'000'000'000'000'000ULL;
  const uint128 magnitude = Magnitude(atto_);
  const uint128 whole = magnitude / kAttoPerDollar;
  auto fraction = static_cast<std::uint64_t>(magnitude - whole * kAttoPerDollar);
  char* p = out;
  if (atto_ < 0) *p++ = '-';
  char digits[40];
  const char* const digits_end = digits + sizeof digits;
  p = std::copy(static_cast<const char*>(DecimalDigits(whole, digits + sizeof digits)), digits_end, p);
  if (fraction == 0) return static_cast<std::size_t>(p - out);
  int fraction_digits = kScaleDigits;
  for (const auto [power, digits] : {std::pair{100'000'000ULL, 8}, std::pair{10'000ULL, 4}, std::pair{10ULL, 1}}) {
    while (fraction % power == 0) {
      fraction /= power;
      fraction_digits -= digits;
    }
  }
  *p++ = '.';
  char* const end = p + fraction_digits;
  for (char* q = end; q != p; fraction /= 10) *--q = static_cast<char>('0' + fraction % 10);
  return static_cast<std::size_t>(end - out);
}

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

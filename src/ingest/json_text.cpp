#include "json_text.h"

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>

namespace lce::ingest_detail {
namespace {

inline bool IsHexDigit(char c) noexcept {
  return internal::IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool AllZero(std::string_view digits) noexcept { return digits.find_first_not_of('0') == std::string_view::npos; }

// Accumulates decimal digits into *value; false on uint64 overflow.
bool AccumulateDigits(std::string_view digits, std::uint64_t* value) noexcept {
  for (char c : digits) {
    if (__builtin_mul_overflow(*value, std::uint64_t{10}, value) ||
        __builtin_add_overflow(*value, static_cast<std::uint64_t>(c - '0'), value)) {
      return false;
    }
  }
  return true;
}

NumberFit MillisFromDouble(const JsonNumber& number, std::int64_t* micros) noexcept {
  double ms = 0;
  const auto [end, ec] = std::from_chars(number.text.data(), number.text.data() + number.text.size(), ms);
  if (ec == std::errc::result_out_of_range) {
    if (number.negative) return NumberFit::kNegative;
    // A negative exponent underflowed (e.g. 1e-400): that is zero microseconds.
    const std::size_t e = number.text.find_first_of("eE");
    if (e + 1 < number.text.size() && number.text[e + 1] == '-') {
      *micros = 0;
      return NumberFit::kOk;
    }
    return NumberFit::kTooLarge;
  }
  if (ec != std::errc() || end != number.text.data() + number.text.size()) return NumberFit::kTooLarge;
  if (ms < 0) return NumberFit::kNegative;
  const double us = std::round(ms * 1000.0);
  // 2^63 is exactly representable; anything at or above it does not fit.
  if (!(us < 9223372036854775808.0)) return NumberFit::kTooLarge;
  *micros = static_cast<std::int64_t>(us);
  return NumberFit::kOk;
}

}  // namespace

bool IsValidJsonStringText(std::string_view raw) noexcept {
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (static_cast<unsigned char>(c) < 0x20) return false;
    if (c != '\\') continue;
    if (++i >= raw.size()) return false;
    switch (raw[i]) {
      case '"':
      case '\\':
      case '/':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't': break;
      case 'u':
        if (raw.size() - i < 5) return false;
        for (std::size_t k = 1; k <= 4; ++k) {
          if (!IsHexDigit(raw[i + k])) return false;
        }
        i += 4;
        break;
      default: return false;
    }
  }
  return true;
}

NumberFit ToUint64(const JsonNumber& number, std::uint64_t* out) noexcept {
  if (!number.fraction.empty() || number.has_exponent) {
    return number.negative && !AllZero(number.integer) ? NumberFit::kNegative : NumberFit::kNotInteger;
  }
  if (number.negative && !AllZero(number.integer)) return NumberFit::kNegative;
  std::uint64_t value = 0;
  if (!AccumulateDigits(number.integer, &value)) return NumberFit::kTooLarge;
  *out = value;
  return NumberFit::kOk;
}

NumberFit MillisToMicros(const JsonNumber& number, std::int64_t* micros) noexcept {
  if (number.has_exponent) return MillisFromDouble(number, micros);
  const bool is_zero = AllZero(number.integer) && AllZero(number.fraction);
  if (number.negative && !is_zero) return NumberFit::kNegative;

  std::uint64_t ms = 0;
  if (!AccumulateDigits(number.integer, &ms)) return NumberFit::kTooLarge;
  // The first three fraction digits are whole microseconds; the fourth rounds.
  std::uint64_t sub_ms = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    sub_ms = sub_ms * 10 + (i < number.fraction.size() ? static_cast<std::uint64_t>(number.fraction[i] - '0') : 0);
  }
  const std::uint64_t round_up = number.fraction.size() > 3 && number.fraction[3] >= '5' ? 1 : 0;
  std::uint64_t us = 0;
  if (__builtin_mul_overflow(ms, std::uint64_t{1000}, &us) || __builtin_add_overflow(us, sub_ms + round_up, &us) ||
      us > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return NumberFit::kTooLarge;
  }
  *micros = static_cast<std::int64_t>(us);
  return NumberFit::kOk;
}

}  // namespace lce::ingest_detail

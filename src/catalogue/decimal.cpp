#include "decimal.h"

#include <cctype>

namespace lce::catalogue {
namespace {

constexpr int kMaxDigits = 36;     // an int128 holds 38
constexpr int kSignificant = 12;   // digits kept when a value is rounded
constexpr int kNoiseDigits = 14;   // accepted relative error: 1e-14
constexpr int kMaxExponent = 100;  // literal exponents beyond this are refused

int128 Pow10(int n) {
  int128 p = 1;
  for (int i = 0; i < n; ++i) p *= 10;
  return p;
}

int DigitCount(int128 v) {
  int n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

// A literal as mantissa * 10^-scale (scale may be negative).
struct Scaled {
  int128 mantissa = 0;
  int scale = 0;
};

Result<Scaled> ParseLiteral(std::string_view text) {
  const Status bad = Status::InvalidArgument("'" + std::string(text) + "' is not a number");
  std::size_t i = 0;
  if (i < text.size() && text[i] == '-') return Status::InvalidArgument("'" + std::string(text) + "' is negative");
  Scaled out;
  int digits = 0;
  bool seen_digit = false;
  bool in_fraction = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.' && !in_fraction) {
      in_fraction = true;
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) break;
    seen_digit = true;
    if (in_fraction) ++out.scale;
    if (out.mantissa == 0 && c == '0') continue;
    if (++digits > kMaxDigits) return Status::InvalidArgument("'" + std::string(text) + "' has too many digits");
    out.mantissa = out.mantissa * 10 + (c - '0');
  }
  if (!seen_digit) return bad;
  if (i < text.size()) {
    if (text[i] != 'e' && text[i] != 'E') return bad;
    ++i;
    bool negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
    int exponent = 0;
    if (i == text.size()) return bad;
    for (; i < text.size(); ++i) {
      if (std::isdigit(static_cast<unsigned char>(text[i])) == 0) return bad;
      exponent = exponent * 10 + (text[i] - '0');
      if (exponent > kMaxExponent) return Status::InvalidArgument("'" + std::string(text) + "' is out of range");
    }
    out.scale += negative ? exponent : -exponent;
  }
  return out;
}

void TrimTrailingZeros(Scaled& v) {
  while (v.mantissa != 0 && v.mantissa % 10 == 0 && v.scale > 0) {
    v.mantissa /= 10;
    --v.scale;
  }
  if (v.mantissa == 0) v.scale = 0;
}

// Rounds to kSignificant digits, half to even.
Scaled RoundSignificant(const Scaled& v) {
  const int drop = DigitCount(v.mantissa) - kSignificant;
  if (drop <= 0) return v;
  const int128 unit = Pow10(drop);
  int128 kept = v.mantissa / unit;
  const int128 rest = v.mantissa % unit;
  if (rest * 2 > unit || (rest * 2 == unit && kept % 2 == 1)) ++kept;
  Scaled r{kept, v.scale - drop};
  TrimTrailingZeros(r);
  return r;
}

// |v - r| <= |v| * 1e-14, both at v's scale (r.scale <= v.scale).
bool WithinNoise(const Scaled& v, const Scaled& r) {
  const int shift = v.scale - r.scale;
  if (shift < 0 || DigitCount(r.mantissa) + shift > kMaxDigits) return false;
  const int128 r_at_v = r.mantissa * Pow10(shift);
  const int128 diff = v.mantissa > r_at_v ? v.mantissa - r_at_v : r_at_v - v.mantissa;
  if (diff == 0) return true;
  if (DigitCount(diff) + kNoiseDigits > kMaxDigits + 2) return false;
  return diff * Pow10(kNoiseDigits) <= v.mantissa;
}

Result<int128> AtPriceScale(const Scaled& v, std::string_view literal) {
  if (v.scale > kPriceScale) {
    return Status::InvalidArgument("'" + std::string(literal) + "' needs more than 12 fractional digits per 1M tokens");
  }
  const int shift = kPriceScale - v.scale;
  if (DigitCount(v.mantissa) + shift > kMaxDigits) {
    return Status::InvalidArgument("'" + std::string(literal) + "' is too large");
  }
  return v.mantissa * Pow10(shift);
}

}  // namespace

Result<int128> ParsePrice(std::string_view literal, int shift_digits) {
  Result<Scaled> parsed = ParseLiteral(literal);
  if (!parsed.ok()) return parsed.status();
  Scaled v = *parsed;
  v.scale -= shift_digits;
  TrimTrailingZeros(v);
  if (v.scale <= kPriceScale) return AtPriceScale(v, literal);
  const Scaled r = RoundSignificant(v);
  if (!WithinNoise(v, r) || r.scale > kPriceScale) {
    return Status::InvalidArgument("'" + std::string(literal) +
                                   "' is not exact: more than 12 fractional digits per 1M tokens, and not a "
                                   "12-digit value up to floating-point noise");
  }
  return AtPriceScale(r, literal);
}

std::string FormatPrice(int128 price) { return FormatFixedPoint(price, kPriceScale); }

}  // namespace lce::catalogue

// Raw JSON token helpers for the zero-copy record parser: strings are read
// between their quotes without unescaping, numbers are read from their text
// (so integer / decimal / negative / too large can be told apart exactly,
// which simdjson's get_uint64 error codes do not do). Pure, noexcept, no
// allocation.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace lce::ingest_detail {

// ---- strings ---------------------------------------------------------------

struct RawString {
  std::string_view text;  // bytes between the quotes, escapes NOT decoded
  bool plain = true;      // no backslash and no control character inside
};

// `begin` points just after the opening quote of a string that simdjson's
// structural pass has found (so an unescaped closing quote exists in the
// input), inside a buffer with SIMDJSON_PADDING readable bytes after the
// input (the scan reads whole 8-byte words). Finds the closing quote.
inline RawString ScanRawString(const char* begin) noexcept;

// The bytes between the quotes of the key whose closing quote precedes
// `value_start`, the first byte of the key's value. simdjson has delimited
// both tokens and checked the colon between them, so only whitespace and that
// colon separate them: the text is found by stepping back from the value,
// without scanning the key. `key_begin` points just after the opening quote.
// Escapes are not decoded and the text is not validated (see
// IsValidJsonStringText); a key equal to a known plain name is valid.
inline std::string_view KeyTextBefore(const char* key_begin, const char* value_start) noexcept;

// The bytes between the quotes of a string value, from its raw token (the
// string and the whitespace simdjson keeps after it). Like KeyTextBefore, no
// scan and no validation: a text that passes a field rule excluding
// backslashes and control characters is valid JSON string text.
inline std::string_view StringTokenText(std::string_view token) noexcept;

// Whether raw string contents (as returned by ScanRawString) are valid JSON
// string text: every escape is one of \" \\ \/ \b \f \n \r \t \uXXXX and no
// byte is below 0x20. UTF-8 validity is checked by simdjson's stage 1.
bool IsValidJsonStringText(std::string_view raw) noexcept;

// ---- numbers and literals ----------------------------------------------------

// Drops the whitespace simdjson keeps at the end of a raw token.
inline std::string_view TrimTrailingSpace(std::string_view token) noexcept;

// A JSON number token split into its parts (RFC 8259 grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?).
struct JsonNumber {
  std::string_view text;  // the whole number
  bool negative = false;
  std::string_view integer;   // digits before '.', never empty
  std::string_view fraction;  // digits after '.', empty when absent
  bool has_exponent = false;
};

// False when `token` (trailing whitespace allowed) is not a JSON number;
// *out is then partly written and must not be used.
inline bool ParseJsonNumber(std::string_view token, JsonNumber* out) noexcept;

enum class NumberFit : std::uint8_t { kOk, kNegative, kNotInteger, kTooLarge };

// The common count, decided without splitting the token: 1 to 19 digits
// without a leading zero (so below 2^64), then only whitespace. True with
// *out set for such a token; false, *out untouched, for any other, which
// ParseJsonNumber and ToUint64 then decide.
inline bool ReadPlainUint64(std::string_view token, std::uint64_t* out) noexcept;

// A non-negative integer (no fraction, no exponent; "-0" is 0).
NumberFit ToUint64(const JsonNumber& number, std::uint64_t* out) noexcept;

// Milliseconds (integer or decimal) to whole microseconds, rounding half up
// on the exact decimal digits; exponent forms go through double. kNotInteger
// is never returned.
NumberFit MillisToMicros(const JsonNumber& number, std::int64_t* micros) noexcept;

// ---- hot-path definitions (inline: they run for every field) ----------------

namespace internal {

inline bool IsDigit(char c) noexcept { return c >= '0' && c <= '9'; }

// SWAR: whether any byte of `word` is '"', '\\' or below 0x20 (exact for
// presence; see "Bit Twiddling Hacks", determine if a word has a zero byte).
inline constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
inline constexpr std::uint64_t kHighs = 0x8080808080808080ULL;

inline std::uint64_t ZeroBytes(std::uint64_t v) noexcept { return (v - kOnes) & ~v & kHighs; }

// High bit set in each byte of `word` that is '"', '\\' or below 0x20. Only
// the lowest set bit is exact (borrows can flag bytes above a true match),
// which is all ScanRawString needs on a little-endian load.
inline std::uint64_t SpecialBytes(std::uint64_t word) noexcept {
  const std::uint64_t quote = ZeroBytes(word ^ (kOnes * '"'));
  const std::uint64_t backslash = ZeroBytes(word ^ (kOnes * '\\'));
  const std::uint64_t control = (word - kOnes * 0x20) & ~word & kHighs;
  return quote | backslash | control;
}

// Reads one or more digits at text[*pos]; false when there is none.
inline bool SkipDigits(std::string_view text, std::size_t* pos) noexcept {
  const std::size_t start = *pos;
  while (*pos < text.size() && IsDigit(text[*pos])) ++*pos;
  return *pos > start;
}

}  // namespace internal

inline RawString ScanRawString(const char* begin) noexcept {
  static_assert(std::endian::native == std::endian::little, "SWAR scan assumes little-endian loads");
  RawString result;
  const char* p = begin;
  for (;;) {
    // Eight bytes at a time, jumping to the first special byte. Reading past
    // the closing quote is safe: simdjson buffers have SIMDJSON_PADDING bytes
    // after the input, and the quote lies inside the input.
    std::uint64_t word;
    std::memcpy(&word, p, sizeof word);
    const std::uint64_t special = internal::SpecialBytes(word);
    if (special == 0) {
      p += sizeof word;
      continue;
    }
    p += std::countr_zero(special) / 8;
    const char c = *p;
    if (c == '"') break;
    result.plain = false;
    p += c == '\\' ? 2 : 1;  // an escaped character can never end the string
  }
  result.text = std::string_view(begin, static_cast<std::size_t>(p - begin));
  return result;
}

namespace internal {

inline bool IsJsonSpace(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace internal

inline std::string_view KeyTextBefore(const char* key_begin, const char* value_start) noexcept {
  const char* p = value_start - 1;
  while (internal::IsJsonSpace(*p)) --p;  // stops at the colon
  --p;
  while (internal::IsJsonSpace(*p)) --p;  // stops at the key's closing quote
  return std::string_view(key_begin, static_cast<std::size_t>(p - key_begin));
}

inline std::string_view StringTokenText(std::string_view token) noexcept {
  const std::string_view quoted = TrimTrailingSpace(token);
  return quoted.substr(1, quoted.size() - 2);
}

inline std::string_view TrimTrailingSpace(std::string_view token) noexcept {
  while (!token.empty()) {
    const char c = token.back();
    if (!internal::IsJsonSpace(c)) break;
    token.remove_suffix(1);
  }
  return token;
}

// Writes the parts straight into *out (building a local and copying it out
// caused a store-forwarding stall that dominated this function).
inline bool ParseJsonNumber(std::string_view token, JsonNumber* out) noexcept {
  const std::string_view text = TrimTrailingSpace(token);
  std::size_t pos = 0;
  out->text = text;
  out->negative = !text.empty() && text[0] == '-';
  if (out->negative) ++pos;
  const std::size_t int_start = pos;
  if (!internal::SkipDigits(text, &pos)) return false;
  out->integer = text.substr(int_start, pos - int_start);
  if (out->integer.size() > 1 && out->integer[0] == '0') return false;  // leading zero
  out->fraction = {};
  if (pos < text.size() && text[pos] == '.') {
    const std::size_t frac_start = ++pos;
    if (!internal::SkipDigits(text, &pos)) return false;
    out->fraction = text.substr(frac_start, pos - frac_start);
  }
  out->has_exponent = pos < text.size() && (text[pos] == 'e' || text[pos] == 'E');
  if (out->has_exponent) {
    ++pos;
    if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) ++pos;
    if (!internal::SkipDigits(text, &pos)) return false;
  }
  return pos == text.size();
}

inline bool ReadPlainUint64(std::string_view token, std::uint64_t* out) noexcept {
  constexpr std::size_t kMaxPlainDigits = 19;  // 10^19 - 1 < 2^64
  std::size_t digits = 0;
  std::uint64_t value = 0;
  while (digits < token.size() && digits < kMaxPlainDigits && internal::IsDigit(token[digits])) {
    value = value * 10 + static_cast<std::uint64_t>(token[digits] - '0');
    ++digits;
  }
  if (digits == 0 || (digits > 1 && token[0] == '0')) return false;
  for (std::size_t i = digits; i < token.size(); ++i) {
    if (!internal::IsJsonSpace(token[i])) return false;  // more digits, '.', 'e', or not a number
  }
  *out = value;
  return true;
}

}  // namespace lce::ingest_detail

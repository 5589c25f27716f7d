// Label, identifier and digest rules of the usage record (see
// docs/usage-record.md for the user-facing description of each rule).
#include "field_rules.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <exception>
#include <string>

#include "llm_cost_exporter/ingest.h"
#include "text_scan.h"

namespace lce {
namespace ingest_detail {
namespace {

// Character classes of the phone rule, one bit each, looked up through a
// 256-entry table. The label set is text_scan.h's IsLabelChar.
enum CharClass : std::uint8_t {
  kPhoneChar = 1u << 0,  // [0-9+().\- ] (digits and phone separators)
  kDigitChar = 1u << 1,  // [0-9]
};

constexpr std::array<std::uint8_t, 256> MakeCharTable() {
  std::array<std::uint8_t, 256> table{};
  auto add = [&table](char c, std::uint8_t bits) {
    table[static_cast<unsigned char>(c)] = static_cast<std::uint8_t>(table[static_cast<unsigned char>(c)] | bits);
  };
  for (char c = '0'; c <= '9'; ++c) add(c, kPhoneChar | kDigitChar);
  add('.', kPhoneChar);
  add('-', kPhoneChar);
  add('+', kPhoneChar);
  add('(', kPhoneChar);
  add(')', kPhoneChar);
  add(' ', kPhoneChar);
  return table;
}

constexpr std::array<std::uint8_t, 256> kCharTable = MakeCharTable();

inline std::uint8_t ClassOf(char c) noexcept { return kCharTable[static_cast<unsigned char>(c)]; }

// One pass over a label value, collecting what the label rule needs.
struct LabelScan {
  std::size_t first_bad = std::string_view::npos;  // first char outside the label set
  bool has_space = false;
  bool has_backslash = false;
  bool has_control_or_non_ascii = false;
};

LabelScan ScanLabel(std::string_view value) noexcept {
  LabelScan scan;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (IsLabelChar(c)) continue;
    if (scan.first_bad == std::string_view::npos) scan.first_bad = i;
    const auto u = static_cast<unsigned char>(c);
    if (c == ' ')
      scan.has_space = true;
    else if (c == '\\')
      scan.has_backslash = true;
    else if (u < 0x20 || u >= 0x7f)
      scan.has_control_or_non_ascii = true;
  }
  return scan;
}

// The message for a value that has characters outside the label set and is
// neither e-mail nor phone like. Never echoes the value; positions are 1-based.
std::string CharsetMessage(const LabelScan& scan) {
  if (scan.has_space) return "free text is not allowed (spaces are not allowed)";
  if (scan.has_backslash) return "escape sequences (backslash) are not allowed";
  std::string msg = "character at position " + std::to_string(scan.first_bad + 1) + " is not allowed";
  if (scan.has_control_or_non_ascii) msg += " (control or non-ASCII character)";
  msg += "; allowed characters are A-Z a-z 0-9 _ . : / -";
  return msg;
}

}  // namespace

bool IsValidRecordId(std::string_view value) noexcept {
  return !value.empty() && value.size() <= kMaxIdLength && AllInCharset(value, IdCharset::kRecordId);
}

bool IsValidHexId(std::string_view value, std::size_t hex_length) noexcept {
  if (value.size() != hex_length || !AllInCharset(value, IdCharset::kHex)) return false;
  return value.find_first_not_of('0') != std::string_view::npos;
}

bool IsValidHashDigest(std::string_view value) noexcept {
  const std::size_t n = value.size();
  if (n != 32 && n != 40 && n != 64 && n != 128) return false;
  return AllInCharset(value, IdCharset::kHex);
}

bool LooksLikeEmail(std::string_view value) noexcept {
  const std::size_t at = value.find('@');
  if (at == std::string_view::npos || at == 0) return false;
  const std::string_view domain = value.substr(at + 1);
  const std::size_t dot = domain.find('.');
  return dot != std::string_view::npos && dot > 0 && domain.find_last_of('.') + 1 < domain.size();
}

bool LooksLikePhone(std::string_view value) noexcept {
  std::size_t digits = 0;
  for (char c : value) {
    const std::uint8_t cls = ClassOf(c);
    if ((cls & kPhoneChar) == 0) return false;
    if (cls & kDigitChar) ++digits;
  }
  return digits >= 7 && digits <= 15;
}

namespace {

bool IsAlnum(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// The longest run of letters and digits in `text`, and whether some run of
// at least `mixed_length` mixes upper case, lower case and digits.
struct RunScan {
  std::size_t longest = 0;
  bool mixed = false;
};
RunScan ScanRuns(std::string_view text, std::size_t mixed_length) noexcept {
  RunScan scan;
  std::size_t run = 0;
  bool upper = false, lower = false, digit = false;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    const char c = i < text.size() ? text[i] : '\0';
    if (i < text.size() && IsAlnum(c)) {
      ++run;
      upper |= c >= 'A' && c <= 'Z';
      lower |= c >= 'a' && c <= 'z';
      digit |= c >= '0' && c <= '9';
      continue;
    }
    scan.longest = std::max(scan.longest, run);
    scan.mixed |= run >= mixed_length && upper && lower && digit;
    run = 0;
    upper = lower = digit = false;
  }
  return scan;
}

}  // namespace

// LooksLikeSecret needs a run of kSecretRunLength letters and digits (its
// mixed rule 32, its prefix rule 16 after the prefix).
static_assert(kSecretRunLength == 16);

bool LooksLikeSecret(std::string_view value) noexcept {
  if (value.size() < kMinSecretLength) return false;
  // One pass decides the common case: label values are short runs between
  // separators, so no run is long enough for either rule.
  const RunScan whole = ScanRuns(value, 32);
  if (whole.mixed) return true;
  if (whole.longest < kSecretRunLength) return false;
  static constexpr std::string_view kPrefixes[] = {
      "sk-",   "sk_live_", "sk_test_", "rk_live_", "pk_live_", "ghp_",   "gho_", "ghs_", "github_pat_", "xoxb-",
      "xoxp-", "xoxa-",    "AKIA",     "ASIA",     "AIza",     "glpat-", "SG.",  "key-", "Bearer"};
  for (std::string_view prefix : kPrefixes) {
    if (value.substr(0, prefix.size()) == prefix &&
        ScanRuns(value.substr(prefix.size()), 0).longest >= kSecretRunLength)
      return true;
  }
  return false;
}

}  // namespace ingest_detail

bool IsValidTraceId(std::string_view value) noexcept { return ingest_detail::IsValidHexId(value, 32); }
bool IsValidSpanId(std::string_view value) noexcept { return ingest_detail::IsValidHexId(value, 16); }

std::string CountAboveBoundMessage(std::uint64_t max) {
  return "must be at most " + std::to_string(max) + " per record";
}

std::optional<TokenPartsError> ValidateTokenParts(const TokenUsage& tokens) {
  const std::uint64_t input = tokens[TokenType::kInput];
  const std::uint64_t output = tokens[TokenType::kOutput];
  std::uint64_t parts = 0;
  const bool overflow = __builtin_add_overflow(tokens[TokenType::kCachedInput], tokens[TokenType::kCacheWrite], &parts);
  if (overflow || parts > input) {
    const std::string sum = overflow ? "more than 18446744073709551615" : std::to_string(parts);
    return TokenPartsError{TokenType::kCachedInput,
                           "cached_input + cache_write (" + sum + ") exceed input (" + std::to_string(input) + ")"};
  }
  if (tokens[TokenType::kCacheWrite1h] > tokens[TokenType::kCacheWrite]) {
    return TokenPartsError{TokenType::kCacheWrite1h,
                           "cache_write_1h (" + std::to_string(tokens[TokenType::kCacheWrite1h]) +
                               ") exceeds cache_write (" + std::to_string(tokens[TokenType::kCacheWrite]) + ")"};
  }
  if (tokens[TokenType::kReasoning] > output) {
    return TokenPartsError{TokenType::kReasoning, "reasoning (" + std::to_string(tokens[TokenType::kReasoning]) +
                                                      ") exceeds output (" + std::to_string(output) + ")"};
  }
  return std::nullopt;
}

// Order of the checks (the first failing one is reported): empty, secret,
// e-mail, phone, length, character set (space, backslash, other), reserved "__".
// The common case (every character label-safe, so neither '@' nor a space)
// is decided in one pass over the value.
std::optional<FieldError> ValidateLabelValue(std::string_view value, std::size_t max_length) {
  using namespace ingest_detail;
  try {
    const LabelTextScan fast = ScanLabelText(value);
    if (!value.empty() && fast.all_label()) {
      // Only digits and '.' / '-' (the phone characters a label allows):
      // rare enough to count the digits in a second pass.
      if (fast.all_phone() && LooksLikePhone(value)) {
        return FieldError{RejectReason::kLooksLikePhone,
                          "looks like a phone number; personal data is not allowed here"};
      }
      if (value.size() <= max_length && !(value.size() >= 2 && value[0] == '_' && value[1] == '_') &&
          (value.size() < kMinSecretLength || !fast.long_run() || !LooksLikeSecret(value))) {
        return std::nullopt;
      }
    }
    if (value.empty()) return FieldError{RejectReason::kInvalidLabel, "must not be empty"};
    if (LooksLikeSecret(value)) {
      return FieldError{RejectReason::kLooksLikeSecret,
                        "looks like an API key or token; credentials never belong in a label"};
    }
    if (LooksLikeEmail(value)) {
      return FieldError{RejectReason::kLooksLikeEmail, "looks like an e-mail address; send hash_email instead"};
    }
    if (LooksLikePhone(value)) {
      return FieldError{RejectReason::kLooksLikePhone, "looks like a phone number; personal data is not allowed here"};
    }
    if (value.size() > max_length) {
      return FieldError{RejectReason::kInvalidLabel, "longer than " + std::to_string(max_length) + " characters (" +
                                                         std::to_string(value.size()) + ")"};
    }
    const LabelScan scan = ScanLabel(value);
    if (scan.first_bad != std::string_view::npos) {
      return FieldError{RejectReason::kInvalidLabel, CharsetMessage(scan)};
    }
    if (value.size() >= 2 && value[0] == '_' && value[1] == '_') {
      return FieldError{RejectReason::kInvalidLabel, "must not start with \"__\" (reserved)"};
    }
    return std::nullopt;
  } catch (const std::exception&) {  // only std::bad_alloc while building a message
    return FieldError{RejectReason::kInvalidLabel, {}};
  }
}

}  // namespace lce

// Character-class scans of the field rules, sixteen bytes at a time.
//
// The label, id and hex rules run on every label and id of every record; as
// byte-by-byte table loops (with a loop-carried run counter for the secret
// rule) they were the largest cost of parsing after simdjson's own stage 1
// (docs/benchmarks.md). On x86-64 the blocks are compared with SSE2 (part of
// the x86-64 baseline, so no runtime dispatch); elsewhere a portable loop
// computes the same block masks. Both are public here so the tests hold the
// vector path to the portable one.
//
// Every class is a set of ASCII characters: a byte of 0x80 or above belongs
// to none. Pure functions, no allocation, thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lce::ingest_detail {

// What the label rule needs from one pass over a value. Kept in one byte:
// returned in a register, not assembled from separate stores.
class LabelTextScan {
 public:
  constexpr LabelTextScan(bool all_label, bool all_phone, bool long_run)
      : bits_(static_cast<std::uint8_t>((all_label ? kAllLabel : 0) | (all_phone ? kAllPhone : 0) |
                                        (long_run ? kLongRun : 0))) {}

  // Every character in [A-Za-z0-9_.:/-].
  constexpr bool all_label() const { return (bits_ & kAllLabel) != 0; }
  // Every character a digit, '.' or '-' (a label that may be a phone number).
  constexpr bool all_phone() const { return (bits_ & kAllPhone) != 0; }
  // Some run of >= kSecretRunLength letters and digits (only then can it be a secret).
  constexpr bool long_run() const { return (bits_ & kLongRun) != 0; }

  constexpr bool operator==(const LabelTextScan&) const = default;

 private:
  static constexpr std::uint8_t kAllLabel = 1, kAllPhone = 2, kLongRun = 4;
  std::uint8_t bits_;
};

// [A-Za-z0-9_.:/-]: the characters a label value may hold.
constexpr bool IsLabelChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '-' && c <= ':') || c == '_';  // - . / 0-9 :
}

// Letters and digits in a row from which LooksLikeSecret may match.
inline constexpr std::size_t kSecretRunLength = 16;

LabelTextScan ScanLabelText(std::string_view text) noexcept;
LabelTextScan ScanLabelTextPortable(std::string_view text) noexcept;

// Character sets of the id rules.
enum class IdCharset : std::uint8_t {
  kHex,       // [0-9A-Fa-f]
  kRecordId,  // [A-Za-z0-9._:-]
};

// Whether every character of `text` is in `charset` (true when empty).
bool AllInCharset(std::string_view text, IdCharset charset) noexcept;
bool AllInCharsetPortable(std::string_view text, IdCharset charset) noexcept;

}  // namespace lce::ingest_detail

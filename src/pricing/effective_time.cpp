#include "effective_time.h"

#include <chrono>
#include <optional>
#include <string>

namespace lce::pricing {
namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
constexpr int kMinYear = 1970;
constexpr int kMaxYear = 2200;

// Reads exactly `width` digits at `pos`, advancing it.
std::optional<int> Digits(std::string_view text, std::size_t& pos, std::size_t width) {
  if (pos + width > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = 0; i < width; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += width;
  return value;
}

bool Expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

// "YYYY-MM-DD" at pos -> days since the epoch.
std::optional<std::int64_t> ParseDate(std::string_view text, std::size_t& pos) {
  const auto year = Digits(text, pos, 4);
  if (!year || !Expect(text, pos, '-')) return std::nullopt;
  const auto month = Digits(text, pos, 2);
  if (!month || !Expect(text, pos, '-')) return std::nullopt;
  const auto day = Digits(text, pos, 2);
  if (!day || *year < kMinYear || *year > kMaxYear) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{*year}, std::chrono::month{static_cast<unsigned>(*month)},
                                         std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok()) return std::nullopt;
  return std::chrono::sys_days{date}.time_since_epoch().count();
}

// "HH:MM:SS[.fraction]" at pos -> nanoseconds into the day.
std::optional<std::int64_t> ParseTime(std::string_view text, std::size_t& pos) {
  const auto hour = Digits(text, pos, 2);
  if (!hour || !Expect(text, pos, ':')) return std::nullopt;
  const auto minute = Digits(text, pos, 2);
  if (!minute || !Expect(text, pos, ':')) return std::nullopt;
  const auto second = Digits(text, pos, 2);
  if (!second || *hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
  std::int64_t nanos = ((*hour * 60 + *minute) * 60 + *second) * kNanosPerSecond;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::int64_t scale = kNanosPerSecond / 10;
    const std::size_t first = pos;
    for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos) {
      nanos += (text[pos] - '0') * scale;  // digits beyond nanoseconds add 0
      scale /= 10;
    }
    if (pos == first) return std::nullopt;
  }
  return nanos;
}

// "Z" or "+HH:MM" / "-HH:MM" at pos -> offset east of UTC in nanoseconds.
std::optional<std::int64_t> ParseOffset(std::string_view text, std::size_t& pos) {
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
    return 0;
  }
  if (pos >= text.size() || (text[pos] != '+' && text[pos] != '-')) return std::nullopt;
  const std::int64_t sign = text[pos] == '-' ? -1 : 1;
  ++pos;
  const auto hours = Digits(text, pos, 2);
  if (!hours || !Expect(text, pos, ':')) return std::nullopt;
  const auto minutes = Digits(text, pos, 2);
  if (!minutes || *hours > 23 || *minutes > 59) return std::nullopt;
  return sign * (*hours * 60 + *minutes) * 60 * kNanosPerSecond;
}

std::optional<std::int64_t> Parse(std::string_view text) {
  std::size_t pos = 0;
  const auto days = ParseDate(text, pos);
  if (!days) return std::nullopt;
  std::int64_t unix_ns = *days * 86'400 * kNanosPerSecond;
  if (pos == text.size()) return unix_ns;
  if (text[pos] != 'T' && text[pos] != 't') return std::nullopt;
  ++pos;
  const auto time = ParseTime(text, pos);
  if (!time) return std::nullopt;
  const auto offset = ParseOffset(text, pos);
  if (!offset || pos != text.size()) return std::nullopt;
  return unix_ns + *time - *offset;
}

}  // namespace

Result<std::int64_t> ParseEffectiveFrom(std::string_view text) {
  if (auto unix_ns = Parse(text)) return *unix_ns;
  return Status::InvalidArgument("'" + std::string(text.substr(0, 40)) +
                                 "' is not a date (YYYY-MM-DD, UTC midnight) or an RFC 3339 timestamp "
                                 "(YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM)) in years 1970..2200");
}

}  // namespace lce::pricing

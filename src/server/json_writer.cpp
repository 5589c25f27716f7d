#include "json_writer.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>

namespace lce::http {
namespace {

// The bytes a JSON string cannot hold as they are: controls, '"' and '\\'.
constexpr auto kNeedsEscape = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[static_cast<std::size_t>(c)] = true;
  table['"'] = table['\\'] = true;
  return table;
}();

// The short escape of `c`, or null when it has none (\u00xx then).
const char* ShortEscape(unsigned char c) {
  switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\b': return "\\b";
    case '\f': return "\\f";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default: return nullptr;
  }
}

// The longest escape of one byte: \u00xx.
constexpr std::size_t kMaxEscapeBytes = 6;

}  // namespace

JsonWriter::JsonWriter(std::string& out) : out_(out) {
  const std::size_t written = out_.size();
  out_.resize(out_.capacity());  // the storage reserved already is written in place
  cursor_ = out_.data() + written;
  end_ = out_.data() + out_.size();
}

void JsonWriter::Grow(std::size_t bytes) {
  const auto written = static_cast<std::size_t>(cursor_ - out_.data());
  out_.resize(std::max(out_.size() * 2, written + bytes + 256));
  cursor_ = out_.data() + written;
  end_ = out_.data() + out_.size();
}

void JsonWriter::Finish() {
  const auto written = static_cast<std::size_t>(cursor_ - out_.data());
  out_.resize(written);
  cursor_ = out_.data() + written;
  end_ = cursor_;
}

JsonWriter& JsonWriter::String(std::string_view value) {
  char* at = Room(value.size() * kMaxEscapeBytes + 3);
  if (after_value_) *at++ = ',';
  *at++ = '"';
  cursor_ = at;
  AppendEscaped(value);
  *cursor_++ = '"';
  after_value_ = true;
  return *this;
}

JsonWriter& JsonWriter::Int(std::int64_t value) {
  char digits[24];
  const char* end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  return Raw(std::string_view(digits, static_cast<std::size_t>(end - digits)));
}

JsonWriter& JsonWriter::Members(std::string_view members) {
  if (members.empty()) return *this;
  return Raw(members);
}

namespace {

// Whether any of the 8 bytes at `p` needs an escape, by word arithmetic
// (the exact has-less-than and has-zero-byte tests): ids, names and amounts
// are skipped 8 bytes a step.
bool WordNeedsEscape(const char* p) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  std::uint64_t word = 0;
  std::memcpy(&word, p, sizeof word);
  const auto has_zero = [&](std::uint64_t x) { return (x - kOnes) & ~x & kHighs; };
  const std::uint64_t control = (word - kOnes * 0x20) & ~word & kHighs;  // a byte below 0x20
  return (control | has_zero(word ^ (kOnes * '"')) | has_zero(word ^ (kOnes * '\\'))) != 0;
}

}  // namespace

// Room for the escaped text is there already (String asked for the worst case).
void JsonWriter::AppendEscaped(std::string_view text) {
  const char* plain = text.data();
  const char* const end = text.data() + text.size();
  const char* p = plain;
  while (p != end) {
    if (end - p >= 8 && !WordNeedsEscape(p)) {
      p += 8;
      continue;
    }
    const char* const stop = end - p >= 8 ? p + 8 : end;  // byte by byte to the end of this word
    for (; p != stop; ++p) {
      const auto c = static_cast<unsigned char>(*p);
      if (!kNeedsEscape[c]) continue;
      std::memcpy(cursor_, plain, static_cast<std::size_t>(p - plain));
      cursor_ += p - plain;
      plain = p + 1;
      if (const char* escape = ShortEscape(c)) {
        *cursor_++ = escape[0];
        *cursor_++ = escape[1];
        continue;
      }
      static constexpr char kHex[] = "0123456789abcdef";
      const char unicode[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
      std::memcpy(cursor_, unicode, sizeof unicode);
      cursor_ += sizeof unicode;
    }
  }
  std::memcpy(cursor_, plain, static_cast<std::size_t>(end - plain));
  cursor_ += end - plain;
}

}  // namespace lce::http

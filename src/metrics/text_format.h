// Writing the parts of a text exposition line, shared by the 0.0.4 and the
// OpenMetrics writers: no iostreams, no allocation beyond the output's growth.
// Private to src/metrics.
#pragma once

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace lce {
struct Exemplar;
}

namespace lce::metrics {

// Copies `text` to `p` and returns the end.
inline char* WriteText(char* p, std::string_view text) {
  text.copy(p, text.size());
  return p + text.size();
}

// Bytes WriteDouble and WriteInteger may write.
inline constexpr std::size_t kMaxNumberChars = 32;

// Writes `value` at `p` (room for kMaxNumberChars) and returns the end.
inline char* WriteInteger(char* p, std::uint64_t value) { return std::to_chars(p, p + kMaxNumberChars, value).ptr; }

// %.16g (prometheus-cpp's precision, so both formats carry the same values),
// NaN and +Inf / -Inf as OpenMetrics spells them, at `p` (room for
// kMaxNumberChars); returns the end. A whole number below 1e15 (every count)
// takes the integer path: %.16g writes such a number as its digits, without
// exponent, and the integer conversion is several times cheaper.
inline char* WriteDouble(char* p, double value) {
  constexpr double kWholeLimit = 1e15;
  if (value >= 0 && value < kWholeLimit && !(value == 0 && std::signbit(value))) {
    const auto whole = static_cast<std::uint64_t>(value);
    if (static_cast<double>(whole) == value) return WriteInteger(p, whole);
  }
  std::string_view special;
  if (std::isnan(value)) {
    special = "NaN";
  } else if (std::isinf(value)) {
    special = value < 0 ? "-Inf" : "+Inf";
  } else {
    return std::to_chars(p, p + kMaxNumberChars, value, std::chars_format::general, 16).ptr;
  }
  special.copy(p, special.size());
  return p + special.size();
}

inline void AppendDouble(std::string& out, double value) {
  std::array<char, kMaxNumberChars> buf;
  out.append(buf.data(), WriteDouble(buf.data(), value));
}

inline void AppendInteger(std::string& out, std::uint64_t value) {
  std::array<char, kMaxNumberChars> buf;
  out.append(buf.data(), WriteInteger(buf.data(), value));
}

// Writes `text` escaped (as AppendEscaped) at `p` (room for 2 * text.size())
// and returns the end.
inline char* WriteEscaped(char* p, std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '\\':
        *p++ = '\\';
        *p++ = '\\';
        break;
      case '"':
        *p++ = '\\';
        *p++ = '"';
        break;
      case '\n':
        *p++ = '\\';
        *p++ = 'n';
        break;
      default: *p++ = c;
    }
  }
  return p;
}

// Label values and HELP text escape backslash, double quote and newline.
// Runs without any of them (nearly every value) are appended whole.
inline void AppendEscaped(std::string& out, std::string_view text) {
  std::size_t clean = 0;
  while (clean < text.size() && text[clean] != '\\' && text[clean] != '"' && text[clean] != '\n') ++clean;
  if (clean == text.size()) {
    out += text;
    return;
  }
  out += text.substr(0, clean);
  for (char c : text.substr(clean)) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

inline void AppendLabel(std::string& out, bool first, std::string_view name, std::string_view value) {
  if (!first) out += ',';
  out += name;
  out += "=\"";
  AppendEscaped(out, value);
  out += '"';
}

// Unix milliseconds as OpenMetrics seconds ("1764590400.123").
void AppendTimestamp(std::string& out, std::int64_t unix_ms);

// OpenMetrics: ` # {trace_id="...",span_id="..."} value timestamp`, or
// nothing when `exemplar` is null, its label set empty or longer than the
// specification allows.
void AppendExemplar(std::string& out, const Exemplar* exemplar);
// The bytes WriteExemplar may write for `exemplar`: 0 when it writes nothing.
std::size_t ExemplarRoom(const Exemplar* exemplar);
// The same as AppendExemplar at `p` (room for ExemplarRoom(exemplar)); returns the end.
char* WriteExemplar(char* p, const Exemplar* exemplar);

// OpenMetrics: `# UNIT name unit` when the family name ends in _<unit> of a
// unit we declare (seconds, bytes, usd), else nothing.
void AppendUnitLine(std::string& out, std::string_view name);
// The bytes WriteUnitLine may write for `name`.
inline std::size_t UnitLineRoom(std::string_view name) { return 2 * name.size() + 16; }
// The same as AppendUnitLine at `p` (room for UnitLineRoom(name)); returns the end.
char* WriteUnitLine(char* p, std::string_view name);

}  // namespace lce::metrics

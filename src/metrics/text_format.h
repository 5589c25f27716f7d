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

namespace lce::metrics {

// %.16g (prometheus-cpp's precision, so both formats carry the same values),
// NaN and +Inf / -Inf as OpenMetrics spells them.
inline void AppendDouble(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value < 0 ? "-Inf" : "+Inf";
  } else {
    std::array<char, 40> buf;
    const auto result = std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::general, 16);
    out.append(buf.data(), result.ptr);
  }
}

inline void AppendInteger(std::string& out, std::uint64_t value) {
  std::array<char, 24> buf;
  const auto result = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  out.append(buf.data(), result.ptr);
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

}  // namespace lce::metrics

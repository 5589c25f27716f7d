// Reading HTTP header values (Accept, Accept-Encoding): the small text rules
// RFC 9110 gives them. Pure functions, allocate nothing.
#pragma once

#include <algorithm>
#include <string_view>

namespace lce {

// `s` without leading and trailing spaces and tabs (RFC 9110 OWS).
inline std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// ASCII case-insensitive equality (media types, codings, parameter names).
inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x - 'A' + 'a' : x) == (y >= 'A' && y <= 'Z' ? y - 'A' + 'a' : y);
         });
}

// Whether the comma-separated list `value` (e.g. a Connection header: "keep-alive, Upgrade")
// holds `token`, in any case.
inline bool ContainsTokenIgnoreCase(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    if (EqualsIgnoreCase(TrimOws(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace lce

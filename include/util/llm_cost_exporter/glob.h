// Campaign patterns (budget rules, API key scopes): '*' matches any run of bytes (also empty), '?' exactly
// one byte, every other byte itself. A pattern without wildcards is an exact
// id. Thread safety: pure function.
#pragma once

#include <string_view>

namespace lce {

bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace lce

// The hash of the string-keyed tables on the hot paths (metric series and
// routes, label guards, price lookups, budget shards): XXH3-64, several times
// cheaper than std::hash for keys of a few dozen to a few hundred bytes, with
// heterogeneous lookup so a std::string_view finds a std::string key without
// a temporary. Not for anything stored or compared across processes (the
// idempotency digests have their own, fixed, function).
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace lce {

std::size_t HashString(std::string_view bytes) noexcept;

struct TransparentStringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return HashString(s); }
  std::size_t operator()(const std::string& s) const noexcept { return HashString(s); }
  std::size_t operator()(const char* s) const noexcept { return HashString(s); }
};

}  // namespace lce

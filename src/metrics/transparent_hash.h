// Hash for std::string keyed unordered containers that allows C++20
// heterogeneous lookup by std::string_view (no temporary std::string).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace lce::metrics {

struct TransparentStringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  std::size_t operator()(const std::string& s) const noexcept { return std::hash<std::string_view>{}(s); }
};

}  // namespace lce::metrics

#include "series_store.h"

#include <algorithm>
#include <cstring>

namespace lce::metrics {

void SeriesKey::Encode(std::span<const std::string_view> values, std::string& out) {
  out.clear();
  for (std::string_view value : values) {
    const auto size = static_cast<std::uint32_t>(value.size());
    char prefix[sizeof size];
    std::memcpy(prefix, &size, sizeof size);
    out.append(prefix, sizeof prefix);
    out.append(value);
  }
}

std::vector<std::string> SeriesKey::Decode(std::string_view key) {
  std::vector<std::string> values;
  while (key.size() >= sizeof(std::uint32_t)) {
    std::uint32_t size = 0;
    std::memcpy(&size, key.data(), sizeof size);
    key.remove_prefix(sizeof size);
    values.emplace_back(key.substr(0, size));
    key.remove_prefix(std::min<std::size_t>(size, key.size()));
  }
  return values;
}

}  // namespace lce::metrics

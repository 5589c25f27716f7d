#include "series_store.h"

#include <cstring>

namespace lce::metrics {

// Sized once and filled with memcpy (a new series' key; lookups match values
// against keys in place, SeriesKey::Matches).
void SeriesKey::Encode(std::span<const std::string_view> values, std::string& out) {
  std::size_t total = 0;
  for (std::string_view value : values) total += sizeof(std::uint32_t) + value.size();
  out.resize(total);
  char* p = out.data();
  for (std::string_view value : values) {
    const auto size = static_cast<std::uint32_t>(value.size());
    std::memcpy(p, &size, sizeof size);
    p += sizeof size;
    if (size != 0) std::memcpy(p, value.data(), size);
    p += size;
  }
}

namespace {

// The first value of `key`, removed from it (the rest when it is malformed).
std::string_view TakeValue(std::string_view& key) {
  std::uint32_t size = 0;
  if (key.size() < sizeof size) {
    const std::string_view rest = key;
    key = {};
    return rest;
  }
  std::memcpy(&size, key.data(), sizeof size);
  key.remove_prefix(sizeof size);
  const std::string_view value = key.substr(0, size);
  key.remove_prefix(value.size());
  return value;
}

}  // namespace

void SeriesKey::Decode(std::string_view key, std::vector<std::string_view>& values) {
  values.clear();
  while (key.size() >= sizeof(std::uint32_t)) values.push_back(TakeValue(key));
}

bool SeriesKey::Less(std::string_view a, std::string_view b) {
  while (!a.empty() && !b.empty()) {
    if (const int c = TakeValue(a).compare(TakeValue(b)); c != 0) return c < 0;
  }
  return a.empty() && !b.empty();
}

std::vector<std::string> SeriesKey::Decode(std::string_view key) {
  std::vector<std::string_view> views;
  Decode(key, views);
  return {views.begin(), views.end()};
}

}  // namespace lce::metrics

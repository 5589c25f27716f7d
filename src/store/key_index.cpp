#include "key_index.h"

#include <functional>
#include <utility>

namespace lce::store_detail {

std::uint64_t KeyIndex::Hash(std::string_view key) { return std::hash<std::string_view>{}(key); }

bool KeyIndex::Claim(std::string_view key) {
  const std::uint64_t hash = Hash(key);
  return !older_.Contains(key, hash) && current_.Insert(key, hash);
}

void KeyIndex::Unclaim(std::string_view key) noexcept { current_.Erase(key, Hash(key)); }

void KeyIndex::Prune(std::int64_t now_unix_ns, std::int64_t retention_ns) {
  switch (generations_.Decide(now_unix_ns, retention_ns)) {
    case KeyGenerations::Action::kNone: return;
    case KeyGenerations::Action::kStart: generations_.start_unix_ns = now_unix_ns; return;
    case KeyGenerations::Action::kRotate:
      older_ = std::exchange(current_, KeySet());
      generations_.start_unix_ns = now_unix_ns;
      return;
  }
}

}  // namespace lce::store_detail

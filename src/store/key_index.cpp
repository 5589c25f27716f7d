#include "key_index.h"

#include <functional>
#include <utility>

namespace lce::store_detail {

std::uint64_t KeyIndex::Hash(std::string_view key) { return std::hash<std::string_view>{}(key); }

namespace {

KeyIndex::Claimed Compare(std::uint64_t stored, std::uint64_t fingerprint) {
  const bool same = stored == fingerprint || stored == 0 || fingerprint == 0;
  return same ? KeyIndex::Claimed::kDuplicate : KeyIndex::Claimed::kConflict;
}

}  // namespace

KeyIndex::Claimed KeyIndex::Claim(std::string_view key, std::uint64_t fingerprint) {
  const std::uint64_t hash = Hash(key);
  if (const std::optional<std::uint64_t> older = older_.Find(key, hash)) return Compare(*older, fingerprint);
  const KeySet::InsertResult inserted = current_.Insert(key, hash, fingerprint);
  return inserted.inserted ? Claimed::kNew : Compare(inserted.fingerprint, fingerprint);
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

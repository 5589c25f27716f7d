#include "key_index.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <utility>

namespace lce::store_detail {

KeyDigest KeyIndex::Digest(std::string_view key) {
  // XXH3-128 is a fixed specification: digests stay valid across builds
  // and restarts (the snapshot stores them).
  const XXH128_hash_t hash = XXH3_128bits(key.data(), key.size());
  KeyDigest digest{hash.high64, static_cast<std::uint32_t>(hash.low64)};
  if (digest.high == 0 && digest.low == 0) digest.low = 1;  // all zero marks an empty slot
  return digest;
}

std::uint32_t KeyIndex::Fold(std::uint64_t fingerprint) {
  if (fingerprint == 0) return 0;
  const auto folded = static_cast<std::uint32_t>(fingerprint ^ (fingerprint >> 32));
  return folded == 0 ? 1 : folded;
}

namespace {

KeyIndex::Claimed Compare(std::uint32_t stored, std::uint32_t fingerprint) {
  const bool same = stored == fingerprint || stored == 0 || fingerprint == 0;
  return same ? KeyIndex::Claimed::kDuplicate : KeyIndex::Claimed::kConflict;
}

}  // namespace

KeyIndex::Claimed KeyIndex::Claim(std::string_view key, std::uint64_t fingerprint) {
  return ClaimDigest(Digest(key), Fold(fingerprint));
}

KeyIndex::Claimed KeyIndex::ClaimDigest(const KeyDigest& digest, std::uint32_t folded) {
  if (const std::optional<std::uint32_t> older = older_.Find(digest)) return Compare(*older, folded);
  const DigestSet::InsertResult inserted = current_.Insert(digest, folded);
  return inserted.inserted ? Claimed::kNew : Compare(inserted.fingerprint, folded);
}

void KeyIndex::Unclaim(std::string_view key) noexcept { current_.Erase(Digest(key)); }

void KeyIndex::Prune(std::int64_t now_unix_ns, std::int64_t retention_ns) {
  switch (generations_.Decide(now_unix_ns, retention_ns)) {
    case KeyGenerations::Action::kNone: return;
    case KeyGenerations::Action::kStart: generations_.start_unix_ns = now_unix_ns; return;
    case KeyGenerations::Action::kRotate:
      older_ = std::exchange(current_, DigestSet());
      generations_.start_unix_ns = now_unix_ns;
      return;
  }
}

void KeyIndex::Restore(DigestSet current, DigestSet older, KeyGenerations generations) noexcept {
  current_ = std::move(current);
  older_ = std::move(older);
  generations_ = generations;
}

KeyIndex KeyIndex::Prefaulted(std::size_t current_capacity, std::size_t older_capacity) {
  KeyIndex index;
  index.current_ = DigestSet::Prefaulted(current_capacity);
  index.older_ = DigestSet::Prefaulted(older_capacity);
  return index;
}

bool KeyIndex::CopyFrom(const KeyIndex& other) noexcept {
  if (current_.capacity() != other.current_.capacity() || older_.capacity() != other.older_.capacity()) return false;
  (void)current_.CopyFrom(other.current_);
  (void)older_.CopyFrom(other.older_);
  generations_ = other.generations_;
  return true;
}

}  // namespace lce::store_detail

// KeySet: the set of claimed idempotency keys of one store shard.
//
// Open addressing with linear probing over a power-of-two slot array. Each
// slot keeps the key's full hash, so a probe compares hashes first and reads
// key bytes only on a hash match, and growing never hashes a key again. Key
// bytes are copied into chunks of a byte arena (no allocation per key; chunk
// addresses never change, so slots point into them). Erase frees a key's
// slot but not its bytes (they go when the set is destroyed), so erasing is
// meant for undoing a few recent inserts, not for churn. Each key carries a
// 64-bit content fingerprint, stored in the arena just before its bytes
// (8 bytes per key; the slot array stays 24 bytes per slot).
//
// Not thread-safe: the owning shard's mutex guards it. The caller supplies
// the hash, so one hash computation serves both shard choice and probing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace lce::store_detail {

class KeySet {
 public:
  struct InsertResult {
    bool inserted = false;          // false: the key was already present
    std::uint64_t fingerprint = 0;  // the fingerprint now stored with the key
  };
  // Adds `key` (whose hash is `hash`, always computed by the same function)
  // with `fingerprint`, unless it is present already (its stored fingerprint
  // is then returned and kept). On std::bad_alloc the set is unchanged.
  InsertResult Insert(std::string_view key, std::uint64_t hash, std::uint64_t fingerprint);
  // The fingerprint stored with `key`, if present.
  std::optional<std::uint64_t> Find(std::string_view key, std::uint64_t hash) const;
  // Removes `key` if present (backward-shift deletion: no tombstones).
  // Never throws.
  void Erase(std::string_view key, std::uint64_t hash) noexcept;

  std::size_t size() const { return size_; }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    const char* data = nullptr;
    std::uint32_t size = 0;
    bool occupied = false;
  };

  // The slot holding `key`, or the empty slot where it belongs.
  Slot& Probe(std::string_view key, std::uint64_t hash);
  const Slot& Probe(std::string_view key, std::uint64_t hash) const;
  // Doubles the slot array (first call: kInitialSlots) and re-places every key.
  void Grow();
  // Copies `fingerprint` and `key` into the arena; returns the key copy's address.
  const char* Store(std::string_view key, std::uint64_t fingerprint);
  static std::uint64_t StoredFingerprint(const Slot& slot);

  static constexpr std::size_t kInitialSlots = 16;
  static constexpr std::size_t kFirstChunkBytes = 4096;
  static constexpr std::size_t kMaxChunkBytes = std::size_t{1} << 20;

  std::vector<Slot> slots_;  // empty or a power of two; at most 3/4 occupied
  std::size_t size_ = 0;
  std::vector<std::unique_ptr<char[]>> chunks_;
  std::size_t chunk_capacity_ = 0;  // of chunks_.back()
  std::size_t chunk_used_ = 0;      // bytes of chunks_.back() in use
};

}  // namespace lce::store_detail

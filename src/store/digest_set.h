// DigestSet: one generation of remembered idempotency keys, without their
// bytes: each key is a 16-byte slot holding a 96-bit digest of the key and a
// 32-bit fold of its content fingerprint (KeyIndex computes both).
//
// Open addressing with linear probing over an array of any capacity: a
// digest's home slot is its first 64 bits scaled to the capacity
// (multiply-shift, no modulo), so growth never hashes a key again and needs
// no power of two. At most 4/5 of the slots are occupied; a table that would
// pass that grows by half (x1.5), so a set of more than a few keys uses
// between 16 / 0.8 = 20 and 16 / (0.8 / 1.5) = 30 bytes per key (while it
// grows, the old and the new array exist together for a moment). Reserve
// sizes it in advance. An all-zero digest marks an empty slot (KeyIndex never
// produces one). Erase is backward-shift deletion: no tombstones.
//
// Not thread-safe: the owner serializes every call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <span>

namespace lce::store_detail {

struct KeyDigest {
  std::uint64_t high = 0;  // picks the home slot
  std::uint32_t low = 0;
  bool operator==(const KeyDigest&) const = default;
};

class DigestSet {
 public:
  struct Slot {
    std::uint64_t digest_high = 0;
    std::uint32_t digest_low = 0;
    std::uint32_t fingerprint = 0;
    bool occupied() const { return digest_high != 0 || digest_low != 0; }
  };
  static_assert(sizeof(Slot) == 16, "the slot layout is the snapshot format");

  struct InsertResult {
    bool inserted = false;          // false: the digest was already present
    std::uint32_t fingerprint = 0;  // the fingerprint now stored with it
  };

  // Adds `digest` (never all zero) with `fingerprint` unless present (its
  // stored fingerprint is then returned and kept). On std::bad_alloc the set
  // is unchanged.
  InsertResult Insert(const KeyDigest& digest, std::uint32_t fingerprint);
  std::optional<std::uint32_t> Find(const KeyDigest& digest) const;
  // Asks the cache for `digest`'s home slot (a hint; no effect on contents).
  void Prefetch(const KeyDigest& digest) const {
    if (capacity_ != 0) __builtin_prefetch(&slots_[Home(digest.high)]);
  }
  // Removes `digest` if present. Never throws.
  void Erase(const KeyDigest& digest) noexcept;
  // Grows (never shrinks) so that `keys` keys fit without another growth.
  // On std::bad_alloc the set is unchanged.
  void Reserve(std::size_t keys);
  // The same for `more` keys beyond size(), growing by at least half when
  // it grows (as Insert does): a call per batch grows the table once for the
  // batch, and rarely. On std::bad_alloc the set is unchanged.
  void MakeRoomFor(std::size_t more);

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }
  std::size_t bytes() const { return capacity_ * sizeof(Slot); }
  // The slot array as it is in memory (the snapshot writes it).
  std::span<const Slot> slots() const { return {slots_.get(), capacity_}; }

  // Replaces the contents with `capacity` slots whose bytes `fill` writes
  // (returning false on failure, e.g. a short read), then counts them.
  // Returns false, leaving the set empty, when `fill` fails or more than the
  // maximum load is occupied. Throws std::bad_alloc with the set unchanged.
  bool Adopt(std::size_t capacity, const std::function<bool(std::span<Slot>)>& fill);

  // An empty set of `capacity` slots whose memory is already faulted in, so
  // that a CopyFrom into it faults no page. Throws std::bad_alloc.
  static DigestSet Prefaulted(std::size_t capacity);
  // Makes this set a copy of `other` (a memcpy of the slot array). Requires
  // equal capacities; returns false, changing nothing, otherwise.
  bool CopyFrom(const DigestSet& other) noexcept;
  // True when `keys` keys may occupy `capacity` slots (the maximum load).
  static bool WithinLoad(std::size_t keys, std::size_t capacity) { return keys * 5 <= capacity * 4; }

 private:
  struct FreeSlots {
    void operator()(Slot* slots) const { std::free(slots); }
  };
  using SlotArray = std::unique_ptr<Slot[], FreeSlots>;

  // `count` zeroed slots (calloc: large arrays come from the kernel zeroed).
  static SlotArray Allocate(std::size_t count);
  // The fewest slots that hold `keys` keys within the maximum load.
  static std::size_t SlotsFor(std::size_t keys);
  std::size_t Home(std::uint64_t digest_high) const;
  std::size_t Next(std::size_t i) const { return i + 1 == capacity_ ? 0 : i + 1; }
  // The slot holding `digest`, or the empty slot where it belongs.
  std::size_t Probe(const KeyDigest& digest) const;
  // Moves every slot into a new array of `capacity` slots.
  void Rehash(std::size_t capacity);

  static constexpr std::size_t kInitialSlots = 16;

  SlotArray slots_;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
};

}  // namespace lce::store_detail

// OpenSlots: the index of a small hash table whose items live elsewhere, in
// insertion order (a vector the owner keeps): open addressing with linear
// probing over power-of-two slots that hold 1 + an item's position, or 0
// when empty, kept at most half full. No node per item and no modulo per
// lookup, which a std::unordered_map costs; several per-record tables share
// it (metric tallies, spend buckets, budget groups, price names).
//
// The owner hashes and compares: Find takes the item's hash and a predicate
// telling whether the item at a position is the one sought; Grow takes the
// hash of the item at a position.
//
// Not thread-safe: the owner serializes calls (or only reads after building).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lce {

class OpenSlots {
 public:
  // The slot of the item with `hash` for which is_item(position) holds, or
  // the empty slot where it belongs (*slot == 0): the caller then appends
  // the item and sets *slot = 1 + its position. Requires !empty().
  template <typename IsItem>
  std::uint32_t* Find(std::uint64_t hash, IsItem&& is_item) {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      std::uint32_t& slot = slots_[i];
      if (slot == 0 || is_item(slot - 1)) return &slot;
    }
  }
  // The position of the item, or -1 when absent (read-only lookups).
  template <typename IsItem>
  std::int64_t Position(std::uint64_t hash, IsItem&& is_item) const {
    if (slots_.empty()) return -1;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      const std::uint32_t slot = slots_[i];
      if (slot == 0) return -1;
      if (is_item(slot - 1)) return slot - 1;
    }
  }

  // Makes room for one more item beside the `items` there are, re-placing
  // them (hash_of(position)) when the slots double.
  template <typename HashOf>
  void MakeRoomForOneMore(std::size_t items, HashOf&& hash_of) {
    if (2 * (items + 1) <= slots_.size()) return;
    slots_.assign(slots_.empty() ? kInitialSlots : 2 * slots_.size(), 0);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t p = 0; p < items; ++p) {
      std::size_t i = hash_of(p) & mask;
      while (slots_[i] != 0) i = (i + 1) & mask;
      slots_[i] = static_cast<std::uint32_t>(p + 1);
    }
  }

  bool empty() const { return slots_.empty(); }
  // Empties every slot; keeps the memory.
  void Clear() { slots_.assign(slots_.size(), 0); }

 private:
  static constexpr std::size_t kInitialSlots = 16;
  std::vector<std::uint32_t> slots_;
};

}  // namespace lce

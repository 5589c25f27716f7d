#include "key_set.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>
#include <utility>

namespace lce::store_detail {

KeySet::InsertResult KeySet::Insert(std::string_view key, std::uint64_t hash, std::uint64_t fingerprint) {
  if (key.size() > std::numeric_limits<std::uint32_t>::max()) throw std::bad_alloc();
  if (!slots_.empty()) {
    if (const Slot& existing = Probe(key, hash); existing.occupied) return {false, StoredFingerprint(existing)};
  }
  // Grow first so that the slot found below stays valid.
  if ((size_ + 1) * 4 > slots_.size() * 3) Grow();
  Slot& slot = Probe(key, hash);
  slot.data = Store(key, fingerprint);
  slot.hash = hash;
  slot.size = static_cast<std::uint32_t>(key.size());
  slot.occupied = true;
  ++size_;
  return {true, fingerprint};
}

std::optional<std::uint64_t> KeySet::Find(std::string_view key, std::uint64_t hash) const {
  if (slots_.empty()) return std::nullopt;
  const Slot& slot = Probe(key, hash);
  if (!slot.occupied) return std::nullopt;
  return StoredFingerprint(slot);
}

std::uint64_t KeySet::StoredFingerprint(const Slot& slot) {
  std::uint64_t fingerprint = 0;
  std::memcpy(&fingerprint, slot.data - sizeof fingerprint, sizeof fingerprint);
  return fingerprint;
}

void KeySet::Erase(std::string_view key, std::uint64_t hash) noexcept {
  if (slots_.empty()) return;
  const std::size_t mask = slots_.size() - 1;
  Slot* hole = &Probe(key, hash);
  if (!hole->occupied) return;
  *hole = Slot{};
  --size_;
  // Moves back every later key of the probe run that may sit in the hole:
  // one whose home slot is not cyclically within (hole, current].
  std::size_t hole_index = static_cast<std::size_t>(hole - slots_.data());
  for (std::size_t i = (hole_index + 1) & mask; slots_[i].occupied; i = (i + 1) & mask) {
    const std::size_t home = slots_[i].hash & mask;
    const bool home_in_run = ((i - home) & mask) < ((i - hole_index) & mask);
    if (home_in_run) continue;
    slots_[hole_index] = slots_[i];
    slots_[i] = Slot{};
    hole_index = i;
  }
}

KeySet::Slot& KeySet::Probe(std::string_view key, std::uint64_t hash) {
  return const_cast<Slot&>(std::as_const(*this).Probe(key, hash));
}

const KeySet::Slot& KeySet::Probe(std::string_view key, std::uint64_t hash) const {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (!slot.occupied) return slot;
    if (slot.hash == hash && std::string_view(slot.data, slot.size) == key) return slot;
  }
}

void KeySet::Grow() {
  std::vector<Slot> grown(slots_.empty() ? kInitialSlots : slots_.size() * 2);
  const std::size_t mask = grown.size() - 1;
  for (const Slot& slot : slots_) {
    if (!slot.occupied) continue;
    std::size_t i = slot.hash & mask;
    while (grown[i].occupied) i = (i + 1) & mask;
    grown[i] = slot;
  }
  slots_.swap(grown);
}

const char* KeySet::Store(std::string_view key, std::uint64_t fingerprint) {
  const std::size_t bytes = sizeof fingerprint + key.size();
  if (chunks_.empty() || chunk_capacity_ - chunk_used_ < bytes) {
    const std::size_t next = chunks_.empty() ? kFirstChunkBytes : std::min(chunk_capacity_ * 2, kMaxChunkBytes);
    const std::size_t capacity = std::max(next, bytes);
    chunks_.reserve(chunks_.size() + 1);  // so that push_back cannot throw after the allocation
    chunks_.push_back(std::make_unique_for_overwrite<char[]>(capacity));
    chunk_capacity_ = capacity;
    chunk_used_ = 0;
  }
  char* copy = chunks_.back().get() + chunk_used_;
  std::memcpy(copy, &fingerprint, sizeof fingerprint);
  if (!key.empty()) std::memcpy(copy + sizeof fingerprint, key.data(), key.size());
  chunk_used_ += bytes;
  return copy + sizeof fingerprint;
}

}  // namespace lce::store_detail

#include "digest_set.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace lce::store_detail {
namespace {

bool Holds(const DigestSet::Slot& slot, const KeyDigest& digest) {
  return slot.digest_high == digest.high && slot.digest_low == digest.low;
}

}  // namespace

DigestSet::SlotArray DigestSet::Allocate(std::size_t count) {
  void* memory = std::calloc(count, sizeof(Slot));
  if (memory == nullptr) throw std::bad_alloc();
  return SlotArray(static_cast<Slot*>(memory));
}

// The smallest page size of the machines this runs on; a larger one only
// makes the touch loop below write a few more bytes than needed.
constexpr std::size_t kPageBytes = 4096;

DigestSet DigestSet::Prefaulted(std::size_t capacity) {
  DigestSet set;
  if (capacity == 0) return set;
  set.slots_ = Allocate(capacity);
  // calloc maps fresh pages lazily: a volatile write a page faults each one
  // in here and now (the bytes are zero already).
  volatile char* bytes = reinterpret_cast<char*>(set.slots_.get());
  for (std::size_t at = 0; at < capacity * sizeof(Slot); at += kPageBytes) bytes[at] = 0;
  set.capacity_ = capacity;
  return set;
}

bool DigestSet::CopyFrom(const DigestSet& other) noexcept {
  if (other.capacity_ != capacity_) return false;
  if (capacity_ != 0) std::memcpy(slots_.get(), other.slots_.get(), capacity_ * sizeof(Slot));
  size_ = other.size_;
  return true;
}

std::size_t DigestSet::Home(std::uint64_t digest_high) const {
  return static_cast<std::size_t>((static_cast<unsigned __int128>(digest_high) * capacity_) >> 64);
}

std::size_t DigestSet::Probe(const KeyDigest& digest) const {
  for (std::size_t i = Home(digest.high);; i = Next(i)) {
    const Slot& slot = slots_[i];
    if (!slot.occupied() || Holds(slot, digest)) return i;
  }
}

DigestSet::InsertResult DigestSet::Insert(const KeyDigest& digest, std::uint32_t fingerprint) {
  std::size_t at = 0;
  if (capacity_ != 0) {
    at = Probe(digest);
    if (const Slot& existing = slots_[at]; existing.occupied()) return {false, existing.fingerprint};
  }
  // A new key: probed again only when growing moved the slots.
  if (!WithinLoad(size_ + 1, capacity_)) {
    Rehash(std::max(kInitialSlots, capacity_ + capacity_ / 2));
    at = Probe(digest);
  }
  slots_[at] = Slot{digest.high, digest.low, fingerprint};
  ++size_;
  return {true, fingerprint};
}

std::optional<std::uint32_t> DigestSet::Find(const KeyDigest& digest) const {
  if (capacity_ == 0) return std::nullopt;
  const Slot& slot = slots_[Probe(digest)];
  if (!slot.occupied()) return std::nullopt;
  return slot.fingerprint;
}

void DigestSet::Erase(const KeyDigest& digest) noexcept {
  if (capacity_ == 0) return;
  std::size_t hole = Probe(digest);
  if (!slots_[hole].occupied()) return;
  slots_[hole] = Slot{};
  --size_;
  // Cyclic distance from a to b going forward.
  const auto distance = [this](std::size_t a, std::size_t b) { return b >= a ? b - a : b + capacity_ - a; };
  // Moves back every later slot of the probe run that may sit in the hole:
  // one whose home is not cyclically within (hole, i].
  for (std::size_t i = Next(hole); slots_[i].occupied(); i = Next(i)) {
    const std::size_t home = Home(slots_[i].digest_high);
    if (distance(home, i) < distance(hole, i)) continue;
    slots_[hole] = slots_[i];
    slots_[i] = Slot{};
    hole = i;
  }
}

std::size_t DigestSet::SlotsFor(std::size_t keys) {
  return keys + keys / 4 + 1;  // keys / slots <= 4/5
}

void DigestSet::Reserve(std::size_t keys) {
  const std::size_t needed = SlotsFor(keys);
  if (needed > capacity_) Rehash(std::max(kInitialSlots, needed));
}

void DigestSet::MakeRoomFor(std::size_t more) {
  const std::size_t keys = size_ + more;
  if (WithinLoad(keys, capacity_)) return;
  Rehash(std::max({kInitialSlots, SlotsFor(keys), capacity_ + capacity_ / 2}));
}

void DigestSet::Rehash(std::size_t capacity) {
  SlotArray grown = Allocate(capacity);
  std::swap(slots_, grown);
  const std::size_t old_capacity = std::exchange(capacity_, capacity);
  for (std::size_t j = 0; j < old_capacity; ++j) {
    const Slot& slot = grown[j];
    if (!slot.occupied()) continue;
    std::size_t i = Home(slot.digest_high);
    while (slots_[i].occupied()) i = Next(i);
    slots_[i] = slot;
  }
}

bool DigestSet::Adopt(std::size_t capacity, const std::function<bool(std::span<Slot>)>& fill) {
  SlotArray adopted;
  if (capacity != 0) {
    void* memory = std::malloc(capacity * sizeof(Slot));  // every byte is filled
    if (memory == nullptr) throw std::bad_alloc();
    adopted.reset(static_cast<Slot*>(memory));
  }
  slots_.reset();
  capacity_ = 0;
  size_ = 0;
  if (capacity == 0) return true;
  if (!fill(std::span<Slot>(adopted.get(), capacity))) return false;
  const std::size_t occupied = static_cast<std::size_t>(
      std::count_if(adopted.get(), adopted.get() + capacity, [](const Slot& slot) { return slot.occupied(); }));
  if (!WithinLoad(occupied, capacity)) return false;
  slots_ = std::move(adopted);
  capacity_ = capacity;
  size_ = occupied;
  return true;
}

}  // namespace lce::store_detail

// NameIndex: the price tables' name -> position maps (providers by name or
// alias, models by name or alias), searched once or twice for every priced
// record.
//
// Built at load time, read-only afterwards. Names are laid end to end in one
// string, their entries (hash, place, position) found through OpenSlots; the
// hash (HashPiece) and the compare (EqualSmall) are inline. A hit reads the
// slot, the entry and the name's bytes: no node to chase, no modulo and no
// library call, which a std::unordered_map of std::string costs.
//
// Thread safety: Insert requires exclusive access; Find may run from many
// threads at once once building is done.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "llm_cost_exporter/open_slots.h"
#include "llm_cost_exporter/small_bytes.h"
#include "llm_cost_exporter/string_hash.h"

namespace lce::pricing {

class NameIndex {
 public:
  // Adds `name` -> `position` unless `name` is there already. Returns the
  // position `name` now has and whether it was added.
  std::pair<std::size_t, bool> Insert(std::string_view name, std::size_t position);

  // The position of `name` (exact bytes); nullopt when absent.
  std::optional<std::size_t> Find(std::string_view name) const {
    const std::uint64_t hash = HashPiece(0, name);
    const std::int64_t at = slots_.Position(hash, [&](std::size_t e) { return Holds(e, name, hash); });
    if (at < 0) return std::nullopt;
    return entries_[static_cast<std::size_t>(at)].position;
  }
  bool Contains(std::string_view name) const { return Find(name).has_value(); }
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::uint64_t hash = 0;
    std::size_t offset = 0;  // of the name in names_
    std::size_t length = 0;
    std::size_t position = 0;
  };

  // Whether entries_[e] is `name` (whose hash is `hash`).
  bool Holds(std::size_t e, std::string_view name, std::uint64_t hash) const {
    const Entry& entry = entries_[e];
    return entry.hash == hash && entry.length == name.size() &&
           EqualSmall(names_.data() + entry.offset, name.data(), name.size());
  }

  std::string names_;
  std::vector<Entry> entries_;
  OpenSlots slots_;
};

}  // namespace lce::pricing

#include "name_index.h"

namespace lce::pricing {

std::pair<std::size_t, bool> NameIndex::Insert(std::string_view name, std::size_t position) {
  slots_.MakeRoomForOneMore(entries_.size(), [this](std::size_t e) { return entries_[e].hash; });
  const std::uint64_t hash = HashPiece(0, name);
  std::uint32_t* slot = slots_.Find(hash, [&](std::size_t e) { return Holds(e, name, hash); });
  if (*slot != 0) return {entries_[*slot - 1].position, false};
  entries_.push_back(Entry{hash, names_.size(), name.size(), position});
  names_.append(name);
  *slot = static_cast<std::uint32_t>(entries_.size());
  return {position, true};
}

}  // namespace lce::pricing

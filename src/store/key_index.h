// KeyIndex: the idempotency keys a ledger remembers, in memory, in two
// generations of KeySet (see KeyGenerations in ledger_common.h). A key is a
// duplicate when either generation holds it; new keys go to the current one.
// Memory is bounded by the keys of at most two retention periods, about
// (key bytes + 48) bytes per key (the fingerprint is 8 of them).
//
// Not thread-safe: the owning ledger serializes every call (the memory
// ledger under its mutex, the SQLite ledger on its writer thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "key_set.h"
#include "ledger_common.h"

namespace lce::store_detail {

class KeyIndex {
 public:
  enum class Claimed : std::uint8_t {
    kNew,        // not remembered before; now remembered with the fingerprint
    kDuplicate,  // remembered with the same fingerprint (or either is 0: unknown)
    kConflict,   // remembered with a different fingerprint
  };
  // Claims `key` for content `fingerprint` (0: unknown, matches any). Throws
  // std::bad_alloc with the index unchanged.
  Claimed Claim(std::string_view key, std::uint64_t fingerprint);
  // Forgets a key that Claim just returned kNew for (a rolled back write).
  void Unclaim(std::string_view key) noexcept;
  // Applies the generation rule at `now` (start, rotate, or nothing).
  void Prune(std::int64_t now_unix_ns, std::int64_t retention_ns);
  std::size_t size() const { return current_.size() + older_.size(); }

 private:
  static std::uint64_t Hash(std::string_view key);
  KeySet current_;
  KeySet older_;
  KeyGenerations generations_;
};

}  // namespace lce::store_detail

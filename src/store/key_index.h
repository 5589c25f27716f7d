// KeyIndex: the idempotency keys a ledger remembers, in memory, in two
// generations of DigestSet (see KeyGenerations in ledger_common.h). A key is
// a duplicate when either generation holds it; new keys go to the current
// one. No key bytes are kept: a key is its digest, 96 bits of XXH3-128 of
// its bytes, and its content fingerprint is folded to 32 bits (Fold), 16
// bytes a key in a slot, 20 to 30 bytes a key with the free slots (see
// digest_set.h). What that costs, stated: two different keys with the same
// 96-bit digest make the second a duplicate (with n keys remembered, odds of
// n / 2^96 per new key: 1.3e-21 at 10^8 keys), and a re-sent key whose other
// content folds to the same 32 bits is a duplicate instead of a conflict
// (odds 2^-32 per conflicting re-send; it is then counted once, as before
// fingerprints existed). Memory is bounded by the keys of at most two
// retention periods.
//
// Not thread-safe: the owning ledger serializes every call (the memory
// ledger under its mutex, the SQLite ledger on its writer thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "digest_set.h"
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
  // Claim for a key given as its Digest and its Fold-ed fingerprint (a load
  // computes them ahead, to Prefetch a batch of claims).
  Claimed ClaimDigest(const KeyDigest& digest, std::uint32_t folded);
  // Asks the cache for the slots a claim of `digest` reads first.
  void Prefetch(const KeyDigest& digest) const {
    older_.Prefetch(digest);
    current_.Prefetch(digest);
  }
  // Forgets a key that Claim just returned kNew for (a rolled back write).
  void Unclaim(std::string_view key) noexcept;
  // Applies the generation rule at `now` (start, rotate, or nothing).
  void Prune(std::int64_t now_unix_ns, std::int64_t retention_ns);
  // Makes room for `keys` more keys in the current generation.
  void Reserve(std::size_t keys) { current_.Reserve(current_.size() + keys); }
  // The same, growing geometrically (DigestSet::MakeRoomFor): before a batch
  // of claims, so the batch grows the table at most once.
  void MakeRoomFor(std::size_t keys) { current_.MakeRoomFor(keys); }

  // A batch of claims, with the cache warmed ahead: with millions of keys
  // remembered each claim's slot is otherwise a cache miss. PrepareClaims
  // makes room for every entry (MakeRoomFor) and computes the digests of
  // their keys (entries without a key get none); then, claiming entry i in
  // order, PrefetchClaim(i) asks for the slot of the entry kClaimAhead on.
  static constexpr std::size_t kClaimAhead = 8;
  void PrepareClaims(std::span<const LedgerEntry> entries, std::vector<KeyDigest>& digests) {
    MakeRoomFor(entries.size());
    digests.resize(entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (!entries[i].idempotency_key.empty()) digests[i] = Digest(entries[i].idempotency_key);
    }
  }
  void PrefetchClaim(std::span<const LedgerEntry> entries, const std::vector<KeyDigest>& digests, std::size_t i) const {
    const std::size_t ahead = i + kClaimAhead;
    if (ahead < entries.size() && !entries[ahead].idempotency_key.empty()) Prefetch(digests[ahead]);
  }

  std::size_t size() const { return current_.size() + older_.size(); }
  // Bytes of the slot arrays (the index's memory, but for a few dozen bytes).
  std::size_t bytes() const { return current_.bytes() + older_.bytes(); }

  // The parts, for the snapshot (key_snapshot.h).
  const DigestSet& current() const { return current_; }
  const DigestSet& older() const { return older_; }
  const KeyGenerations& generations() const { return generations_; }
  void Restore(DigestSet current, DigestSet older, KeyGenerations generations) noexcept;
  // An empty index whose two generations have these capacities, their
  // memory faulted in (DigestSet::Prefaulted), to CopyFrom a live index
  // later. Throws std::bad_alloc.
  static KeyIndex Prefaulted(std::size_t current_capacity, std::size_t older_capacity);
  // Makes this index a copy of `other` when both generations' capacities
  // match (memcpy only); returns false, changing nothing, otherwise.
  bool CopyFrom(const KeyIndex& other) noexcept;

  // The digest of a key's bytes: never all zero.
  static KeyDigest Digest(std::string_view key);
  // A 64-bit content fingerprint in 32 bits; 0 (unknown) only for 0.
  static std::uint32_t Fold(std::uint64_t fingerprint);

 private:
  DigestSet current_;
  DigestSet older_;
  KeyGenerations generations_;
};

}  // namespace lce::store_detail

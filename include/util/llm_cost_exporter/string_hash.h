// The hash of the string-keyed tables on the hot paths (metric series and
// routes, label guards, price lookups, budget shards): XXH3-64, several times
// cheaper than std::hash for keys of a few dozen to a few hundred bytes, with
// heterogeneous lookup so a std::string_view finds a std::string key without
// a temporary. Not for anything stored or compared across processes (the
// idempotency digests have their own, fixed, function).
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "llm_cost_exporter/small_bytes.h"

namespace lce {

std::size_t HashString(std::string_view bytes) noexcept;

namespace string_hash_detail {

// The 128-bit product of a and b, its halves xor-ed: the mixing step of
// wyhash-style hashes (every input bit reaches the low bits the tables use).
inline std::uint64_t MulFold(std::uint64_t a, std::uint64_t b) {
  const unsigned __int128 product = static_cast<unsigned __int128>(a) * b;
  return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
}
inline constexpr std::uint64_t kOdd1 = 0xa0761d6478bd642full;
inline constexpr std::uint64_t kOdd2 = 0xe7037ed1a0b428dbull;
inline constexpr std::uint64_t kOdd3 = 0x8ebc6af09c88c6e3ull;

}  // namespace string_hash_detail

// `seed` continued with one string and its length: for the keys of
// in-memory tables made of several short strings (a series' label values, a
// spend bucket's labels), hashed where they lie with no buffer to lay them
// end to end in. Strings of up to 16 bytes cost two loads and one multiply;
// longer ones one multiply per 16 bytes. Inline, as the per-record paths
// call it several times per record. Not for anything stored or compared
// across processes.
inline std::uint64_t HashPiece(std::uint64_t seed, std::string_view piece) {
  using namespace string_hash_detail;
  const char* p = piece.data();
  const std::size_t n = piece.size();
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  if (n <= 16) {
    if (n >= 8) {
      a = LoadWord<std::uint64_t>(p);
      b = LoadWord<std::uint64_t>(p + n - 8);
    } else if (n >= 4) {
      a = LoadWord<std::uint32_t>(p);
      b = LoadWord<std::uint32_t>(p + n - 4);
    } else if (n > 0) {
      a = (std::uint64_t{static_cast<unsigned char>(p[0])} << 16) |
          (std::uint64_t{static_cast<unsigned char>(p[n / 2])} << 8) | static_cast<unsigned char>(p[n - 1]);
    }
  } else {
    for (std::size_t i = 0; i + 16 < n; i += 16)
      seed = MulFold(LoadWord<std::uint64_t>(p + i) ^ kOdd2, LoadWord<std::uint64_t>(p + i + 8) ^ seed);
    a = LoadWord<std::uint64_t>(p + n - 16);
    b = LoadWord<std::uint64_t>(p + n - 8);
  }
  return MulFold(a ^ kOdd2 ^ n, b ^ seed ^ kOdd3);
}

// HashPiece over `pieces` in order, from `seed`.
inline std::uint64_t HashPieces(std::span<const std::string_view> pieces, std::uint64_t seed = 0) {
  std::uint64_t hash = seed ^ string_hash_detail::kOdd1;
  for (const std::string_view piece : pieces) hash = HashPiece(hash, piece);
  return hash;
}

struct TransparentStringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return HashString(s); }
  std::size_t operator()(const std::string& s) const noexcept { return HashString(s); }
  std::size_t operator()(const char* s) const noexcept { return HashString(s); }
};

}  // namespace lce

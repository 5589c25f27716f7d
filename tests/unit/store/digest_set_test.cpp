// DigestSet (slots, probing, growth, erasure, adoption) and KeyIndex (digests,
// fingerprint folding, generations) without a ledger around them.
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "digest_set.h"
#include "key_index.h"

namespace lce::store_detail {
namespace {

KeyDigest DigestOf(int k) { return KeyIndex::Digest("evt_" + std::to_string(k)); }

// Digests with one home slot in any table: the same first 64 bits.
KeyDigest SameHome(std::uint64_t high, std::uint32_t n) { return KeyDigest{high, n + 1}; }

TEST_CASE("DigestSet adds a digest once and keeps its first fingerprint", "[store][digest_set]") {
  DigestSet set;
  CHECK_FALSE(set.Find(DigestOf(1)).has_value());
  CHECK(set.Insert(DigestOf(1), 11).inserted);
  const DigestSet::InsertResult again = set.Insert(DigestOf(1), 99);
  CHECK_FALSE(again.inserted);
  CHECK(again.fingerprint == 11);
  CHECK(set.Find(DigestOf(1)) == std::optional<std::uint32_t>(11));
  CHECK(set.Insert(DigestOf(2), 22).inserted);
  CHECK(set.size() == 2);
}

TEST_CASE("DigestSet keeps every digest and fingerprint across growth, within 30 bytes a key", "[store][digest_set]") {
  DigestSet set;
  constexpr int kKeys = 200'000;
  std::size_t capacity = 0;
  for (int k = 0; k < kKeys; ++k) {
    REQUIRE(set.Insert(DigestOf(k), static_cast<std::uint32_t>(k + 1)).inserted);
    if (set.capacity() != capacity) {
      // Each growth is by half, and leaves the table at most 4/5 full.
      if (capacity >= 16) CHECK(set.capacity() == capacity + capacity / 2);
      capacity = set.capacity();
    }
    REQUIRE(DigestSet::WithinLoad(set.size(), set.capacity()));
    if (set.size() >= 1000) REQUIRE(set.bytes() <= 30 * set.size() + 16);
  }
  for (int k = 0; k < kKeys; ++k) REQUIRE(set.Find(DigestOf(k)) == std::optional<std::uint32_t>(k + 1));
  CHECK_FALSE(set.Find(DigestOf(kKeys)).has_value());
  CHECK(set.size() == kKeys);
}

TEST_CASE("DigestSet tells apart digests with the same home slot, across the end of the array", "[store][digest_set]") {
  DigestSet set;
  // The largest first half maps to the last slot: the run wraps to slot 0.
  constexpr std::uint64_t kLast = std::numeric_limits<std::uint64_t>::max();
  for (std::uint32_t n = 0; n < 5; ++n) REQUIRE(set.Insert(SameHome(kLast, n), n + 100).inserted);
  REQUIRE(set.Insert(SameHome(0, 0), 7).inserted);  // home 0, pushed behind the wrapped run
  for (std::uint32_t n = 0; n < 5; ++n) CHECK(set.Find(SameHome(kLast, n)) == std::optional<std::uint32_t>(n + 100));
  CHECK_FALSE(set.Find(SameHome(kLast, 5)).has_value());
  CHECK(set.Find(SameHome(0, 0)) == std::optional<std::uint32_t>(7));
  // Erasing from the middle of the wrapped run keeps the later ones reachable.
  set.Erase(SameHome(kLast, 1));
  set.Erase(SameHome(kLast, 3));
  CHECK_FALSE(set.Find(SameHome(kLast, 1)).has_value());
  CHECK_FALSE(set.Find(SameHome(kLast, 3)).has_value());
  for (std::uint32_t n : {0U, 2U, 4U}) CHECK(set.Find(SameHome(kLast, n)) == std::optional<std::uint32_t>(n + 100));
  CHECK(set.Find(SameHome(0, 0)) == std::optional<std::uint32_t>(7));
  CHECK(set.size() == 4);
  set.Erase(SameHome(kLast, 9));  // absent: nothing changes
  CHECK(set.size() == 4);
  CHECK(set.Insert(SameHome(kLast, 1), 5).inserted);
  DigestSet().Erase(DigestOf(1));  // an empty set
}

TEST_CASE("DigestSet Erase of many digests leaves the rest findable", "[store][digest_set]") {
  DigestSet set;
  constexpr int kKeys = 50'000;
  for (int k = 0; k < kKeys; ++k) REQUIRE(set.Insert(DigestOf(k), 1).inserted);
  for (int k = 0; k < kKeys; k += 2) set.Erase(DigestOf(k));
  CHECK(set.size() == kKeys / 2);
  for (int k = 0; k < kKeys; ++k) REQUIRE(set.Find(DigestOf(k)).has_value() == (k % 2 == 1));
}

TEST_CASE("DigestSet Reserve sizes the table so that the keys fit without growing", "[store][digest_set]") {
  DigestSet set;
  set.Reserve(100'000);
  const std::size_t reserved = set.capacity();
  CHECK(reserved * 4 >= 100'000 * 5);
  CHECK(reserved * 4 <= 100'000 * 5 + 8);  // 20 bytes a key, not a power of two above it
  for (int k = 0; k < 100'000; ++k) REQUIRE(set.Insert(DigestOf(k), 1).inserted);
  CHECK(set.capacity() == reserved);
  set.Reserve(10);  // never shrinks
  CHECK(set.capacity() == reserved);
}

TEST_CASE("DigestSet MakeRoomFor grows once per batch, and by at least half", "[store][digest_set]") {
  DigestSet set;
  set.MakeRoomFor(1000);
  const std::size_t first = set.capacity();
  CHECK(DigestSet::WithinLoad(1000, first));
  for (int k = 0; k < 1000; ++k) REQUIRE(set.Insert(DigestOf(k), 1).inserted);
  CHECK(set.capacity() == first);  // the batch fit without growing
  set.MakeRoomFor(10);             // past the load: grows by half, not by 10 keys
  CHECK(set.capacity() >= first + first / 2);
  const std::size_t second = set.capacity();
  set.MakeRoomFor(10);  // room enough already
  CHECK(set.capacity() == second);
  for (int k = 0; k < 1000; ++k) REQUIRE(set.Find(DigestOf(k)) == std::optional<std::uint32_t>(1));
}

TEST_CASE("DigestSet Adopt takes a slot array as written and refuses one past the maximum load",
          "[store][digest_set]") {
  DigestSet set;
  for (int k = 0; k < 1000; ++k) REQUIRE(set.Insert(DigestOf(k), static_cast<std::uint32_t>(k)).inserted);
  const std::vector<DigestSet::Slot> copy(set.slots().begin(), set.slots().end());
  const auto fill_with = [](const std::vector<DigestSet::Slot>& slots) {
    return [&slots](std::span<DigestSet::Slot> out) {
      if (out.size() != slots.size()) return false;
      std::memcpy(out.data(), slots.data(), out.size_bytes());
      return true;
    };
  };
  DigestSet adopted;
  REQUIRE(adopted.Adopt(copy.size(), fill_with(copy)));
  CHECK(adopted.size() == 1000);
  CHECK(adopted.capacity() == set.capacity());
  for (int k = 0; k < 1000; ++k) REQUIRE(adopted.Find(DigestOf(k)) == std::optional<std::uint32_t>(k));
  CHECK(adopted.Insert(DigestOf(5000), 1).inserted);

  SECTION("a failed fill leaves the set empty") {
    CHECK_FALSE(adopted.Adopt(copy.size(), [](std::span<DigestSet::Slot>) { return false; }));
    CHECK(adopted.size() == 0);
    CHECK_FALSE(adopted.Find(DigestOf(1)).has_value());
    CHECK(adopted.Insert(DigestOf(1), 1).inserted);
  }
  SECTION("a full array is refused: probing needs free slots") {
    std::vector<DigestSet::Slot> full(10);
    for (std::uint32_t i = 0; i < 10; ++i) full[i] = DigestSet::Slot{i + 1, 0, 0};
    CHECK_FALSE(adopted.Adopt(full.size(), fill_with(full)));
    CHECK(adopted.size() == 0);
  }
  SECTION("an empty array") {
    CHECK(adopted.Adopt(0, fill_with(copy)));
    CHECK(adopted.size() == 0);
  }
}

TEST_CASE("KeyIndex digests are never all zero and folded fingerprints are 0 only when unknown", "[store][key_index]") {
  CHECK(KeyIndex::Digest("evt_1") == KeyIndex::Digest("evt_1"));
  CHECK_FALSE(KeyIndex::Digest("evt_1") == KeyIndex::Digest("evt_2"));
  CHECK_FALSE(KeyIndex::Digest("") == KeyDigest{});
  CHECK(KeyIndex::Fold(0) == 0);
  CHECK(KeyIndex::Fold(0x0000000100000001ULL) == 1);  // folds to 0: kept known
  CHECK(KeyIndex::Fold(0x1234567800000000ULL) == 0x12345678U);
  CHECK(KeyIndex::Fold(0xFFFFFFFF00000000ULL) == 0xFFFFFFFFU);
}

TEST_CASE("KeyIndex claims: new, duplicate, conflict, unknown content, unclaim", "[store][key_index]") {
  using C = KeyIndex::Claimed;
  KeyIndex index;
  CHECK(index.Claim("evt_1", 101) == C::kNew);
  CHECK(index.Claim("evt_1", 101) == C::kDuplicate);
  CHECK(index.Claim("evt_1", 102) == C::kConflict);
  CHECK(index.Claim("evt_1", 0) == C::kDuplicate);  // unknown content never conflicts
  CHECK(index.Claim("evt_2", 0) == C::kNew);
  CHECK(index.Claim("evt_2", 555) == C::kDuplicate);
  CHECK(index.size() == 2);
  index.Unclaim("evt_2");
  CHECK(index.size() == 1);
  CHECK(index.Claim("evt_2", 555) == C::kNew);
  CHECK(index.bytes() == index.current().bytes());
}

TEST_CASE("KeyIndex keeps a key for two generations, with its fingerprint", "[store][key_index]") {
  using C = KeyIndex::Claimed;
  constexpr std::int64_t kRetention = 100;
  KeyIndex index;
  CHECK(index.Claim("first", 1) == C::kNew);
  index.Prune(1000, kRetention);  // starts a generation: nothing dropped
  CHECK(index.Claim("first", 2) == C::kConflict);
  CHECK(index.Claim("second", 3) == C::kNew);
  index.Prune(1050, kRetention);  // too early to rotate
  CHECK(index.older().size() == 0);
  index.Prune(1100, kRetention);  // rotates: both move to the older generation
  CHECK(index.older().size() == 2);
  CHECK(index.current().size() == 0);
  CHECK(index.Claim("first", 1) == C::kDuplicate);
  CHECK(index.Claim("second", 4) == C::kConflict);
  CHECK(index.current().size() == 0);  // a key of the older generation is not copied
  CHECK(index.Claim("third", 5) == C::kNew);
  index.Prune(1200, kRetention);  // drops first and second
  CHECK(index.size() == 1);
  CHECK(index.Claim("first", 1) == C::kNew);
  CHECK(index.Claim("third", 6) == C::kConflict);
}

}  // namespace
}  // namespace lce::store_detail

#include <functional>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "key_set.h"

namespace lce::store_detail {
namespace {

std::uint64_t Hash(std::string_view key) { return std::hash<std::string_view>{}(key); }

TEST_CASE("KeySet adds a key once", "[store][key_set]") {
  KeySet set;
  CHECK(set.Insert("evt_1", Hash("evt_1"), 1).inserted);
  CHECK_FALSE(set.Insert("evt_1", Hash("evt_1"), 1).inserted);
  CHECK(set.Insert("evt_2", Hash("evt_2"), 1).inserted);
  CHECK(set.size() == 2);
}

TEST_CASE("KeySet keeps every key across growth", "[store][key_set]") {
  KeySet set;
  constexpr int kKeys = 100'000;
  for (int k = 0; k < kKeys; ++k) {
    const std::string key = "evt_" + std::to_string(k);
    REQUIRE(set.Insert(key, Hash(key), 1).inserted);
  }
  for (int k = 0; k < kKeys; ++k) {
    const std::string key = "evt_" + std::to_string(k);
    REQUIRE_FALSE(set.Insert(key, Hash(key), 1).inserted);
  }
  CHECK(set.size() == kKeys);
}

TEST_CASE("KeySet tells apart keys with the same hash", "[store][key_set]") {
  KeySet set;
  constexpr std::uint64_t kSameHash = 42;
  CHECK(set.Insert("a", kSameHash, 1).inserted);
  CHECK(set.Insert("b", kSameHash, 1).inserted);
  CHECK(set.Insert("ab", kSameHash, 1).inserted);
  CHECK_FALSE(set.Insert("b", kSameHash, 1).inserted);
  CHECK_FALSE(set.Insert("a", kSameHash, 1).inserted);
  CHECK(set.size() == 3);
}

TEST_CASE("KeySet stores empty keys and keys longer than an arena chunk", "[store][key_set]") {
  KeySet set;
  const std::string long_key(3 << 20, 'k');  // larger than the largest chunk
  CHECK(set.Insert("", Hash(""), 1).inserted);
  CHECK_FALSE(set.Insert("", Hash(""), 1).inserted);
  CHECK(set.Insert(long_key, Hash(long_key), 1).inserted);
  CHECK(set.Insert("after", Hash("after"), 1).inserted);
  CHECK_FALSE(set.Insert(long_key, Hash(long_key), 1).inserted);
  CHECK_FALSE(set.Insert("after", Hash("after"), 1).inserted);
  CHECK(set.size() == 3);
}

TEST_CASE("KeySet Find and Erase keep probe runs intact", "[store][key_set]") {
  KeySet set;
  // Same-hash keys form one probe run; erasing from its middle must keep
  // the later ones reachable.
  constexpr std::uint64_t kSameHash = 7;
  for (const char* key : {"a", "b", "c", "d"}) REQUIRE(set.Insert(key, kSameHash, 1).inserted);
  CHECK(set.Find("c", kSameHash).has_value());
  set.Erase("b", kSameHash);
  CHECK_FALSE(set.Find("b", kSameHash).has_value());
  CHECK(set.Find("a", kSameHash).has_value());
  CHECK(set.Find("c", kSameHash).has_value());
  CHECK(set.Find("d", kSameHash).has_value());
  CHECK(set.size() == 3);
  set.Erase("missing", kSameHash);
  CHECK(set.size() == 3);
  CHECK(set.Insert("b", kSameHash, 1).inserted);
  CHECK_FALSE(KeySet().Find("a", kSameHash).has_value());
}

TEST_CASE("KeySet Erase of many keys leaves the rest findable", "[store][key_set]") {
  KeySet set;
  constexpr int kKeys = 20'000;
  for (int k = 0; k < kKeys; ++k) {
    const std::string key = "evt_" + std::to_string(k);
    REQUIRE(set.Insert(key, Hash(key), 1).inserted);
  }
  for (int k = 0; k < kKeys; k += 2) {
    const std::string key = "evt_" + std::to_string(k);
    set.Erase(key, Hash(key));
  }
  CHECK(set.size() == kKeys / 2);
  for (int k = 0; k < kKeys; ++k) {
    const std::string key = "evt_" + std::to_string(k);
    REQUIRE(set.Find(key, Hash(key)).has_value() == (k % 2 == 1));
  }
}

TEST_CASE("KeySet keeps each key's fingerprint, through growth and erasure", "[store][key_set]") {
  KeySet set;
  constexpr int kKeys = 5'000;
  for (int k = 0; k < kKeys; ++k) {
    const std::string key = "evt_" + std::to_string(k);
    REQUIRE(set.Insert(key, Hash(key), 1000 + k).inserted);
  }
  const std::string long_key(3 << 20, 'k');  // a chunk of its own
  REQUIRE(set.Insert(long_key, Hash(long_key), 7).inserted);
  set.Erase("evt_10", Hash("evt_10"));
  for (int k = 0; k < kKeys; ++k) {
    const std::string key = "evt_" + std::to_string(k);
    if (k == 10) {
      CHECK_FALSE(set.Find(key, Hash(key)).has_value());
      continue;
    }
    REQUIRE(set.Find(key, Hash(key)) == std::optional<std::uint64_t>(1000 + k));
  }
  // A second insert keeps and reports the first fingerprint.
  const KeySet::InsertResult again = set.Insert("evt_3", Hash("evt_3"), 99);
  CHECK_FALSE(again.inserted);
  CHECK(again.fingerprint == 1003);
  CHECK(set.Find(long_key, Hash(long_key)) == std::optional<std::uint64_t>(7));
}

}  // namespace
}  // namespace lce::store_detail

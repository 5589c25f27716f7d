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
  CHECK(set.Insert("evt_1", Hash("evt_1")));
  CHECK_FALSE(set.Insert("evt_1", Hash("evt_1")));
  CHECK(set.Insert("evt_2", Hash("evt_2")));
  CHECK(set.size() == 2);
}

TEST_CASE("KeySet keeps every key across growth", "[store][key_set]") {
  KeySet set;
  constexpr int kKeys = 100'000;
  for (int k = 0; k < kKeys; ++k) {
    const std::string key = "evt_" + std::to_string(k);
    REQUIRE(set.Insert(key, Hash(key)));
  }
  for (int k = 0; k < kKeys; ++k) {
    const std::string key = "evt_" + std::to_string(k);
    REQUIRE_FALSE(set.Insert(key, Hash(key)));
  }
  CHECK(set.size() == kKeys);
}

TEST_CASE("KeySet tells apart keys with the same hash", "[store][key_set]") {
  KeySet set;
  constexpr std::uint64_t kSameHash = 42;
  CHECK(set.Insert("a", kSameHash));
  CHECK(set.Insert("b", kSameHash));
  CHECK(set.Insert("ab", kSameHash));
  CHECK_FALSE(set.Insert("b", kSameHash));
  CHECK_FALSE(set.Insert("a", kSameHash));
  CHECK(set.size() == 3);
}

TEST_CASE("KeySet stores empty keys and keys longer than an arena chunk", "[store][key_set]") {
  KeySet set;
  const std::string long_key(3 << 20, 'k');  // larger than the largest chunk
  CHECK(set.Insert("", Hash("")));
  CHECK_FALSE(set.Insert("", Hash("")));
  CHECK(set.Insert(long_key, Hash(long_key)));
  CHECK(set.Insert("after", Hash("after")));
  CHECK_FALSE(set.Insert(long_key, Hash(long_key)));
  CHECK_FALSE(set.Insert("after", Hash("after")));
  CHECK(set.size() == 3);
}

TEST_CASE("KeySet Contains and Erase keep probe runs intact", "[store][key_set]") {
  KeySet set;
  // Same-hash keys form one probe run; erasing from its middle must keep
  // the later ones reachable.
  constexpr std::uint64_t kSameHash = 7;
  for (const char* key : {"a", "b", "c", "d"}) REQUIRE(set.Insert(key, kSameHash));
  CHECK(set.Contains("c", kSameHash));
  set.Erase("b", kSameHash);
  CHECK_FALSE(set.Contains("b", kSameHash));
  CHECK(set.Contains("a", kSameHash));
  CHECK(set.Contains("c", kSameHash));
  CHECK(set.Contains("d", kSameHash));
  CHECK(set.size() == 3);
  set.Erase("missing", kSameHash);
  CHECK(set.size() == 3);
  CHECK(set.Insert("b", kSameHash));
  CHECK_FALSE(KeySet().Contains("a", kSameHash));
}

TEST_CASE("KeySet Erase of many keys leaves the rest findable", "[store][key_set]") {
  KeySet set;
  constexpr int kKeys = 20'000;
  for (int k = 0; k < kKeys; ++k) {
    const std::string key = "evt_" + std::to_string(k);
    REQUIRE(set.Insert(key, Hash(key)));
  }
  for (int k = 0; k < kKeys; k += 2) {
    const std::string key = "evt_" + std::to_string(k);
    set.Erase(key, Hash(key));
  }
  CHECK(set.size() == kKeys / 2);
  for (int k = 0; k < kKeys; ++k) {
    const std::string key = "evt_" + std::to_string(k);
    REQUIRE(set.Contains(key, Hash(key)) == (k % 2 == 1));
  }
}

}  // namespace
}  // namespace lce::store_detail
